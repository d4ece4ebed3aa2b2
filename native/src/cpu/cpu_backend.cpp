// The CPU backend: 64-byte aligned host memory and the kernels of kernels.h.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "dw/backend.h"
#include "kernels.h"

namespace dw {
namespace {

void free_host(void*, void* data, size_t) { std::free(data); }
void unmap_host(void*, void* data, size_t bytes) { munmap(data, bytes); }

// Large activations (a 1500×3072 f32 tensor is 18 MB) come and go every layer. From malloc they
// fragment glibc's heap, which then grows by hundreds of MB per encoder pass; mapped directly,
// they return to the OS when freed and RSS stays flat.
constexpr size_t kMapThreshold = size_t{1} << 20;

// Each fresh mapping is faulted in page by page when first written: 4 KiB pages cost one fault
// each (3 000 for a 12 MB activation, several ms per encoder layer). Mappings of 8 MiB and more
// (an encoder's FFN activations: 1500 × 2048 f32 is 12 MB) are aligned to 2 MiB and asked for
// transparent huge pages, so they fault in 2 MiB at a time (where THP is "madvise" or "always";
// elsewhere nothing changes). Not below that: every huge-page buffer rounds up to 2 MiB, which
// made the peak RSS of long runs with many mid-sized buffers wander by tens of MB.
constexpr size_t kHugeThreshold = size_t{8} << 20;
constexpr size_t kHugePage = size_t{2} << 20;

// DW_HUGE_PAGES=0 turns this off (exact 4 KiB accounting, e.g. to measure memory growth).
bool huge_pages_enabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("DW_HUGE_PAGES");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return enabled;
}

void* map_huge(size_t bytes) {
  const size_t span = bytes + kHugePage;
  char* raw = static_cast<char*>(mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (raw == MAP_FAILED) return MAP_FAILED;
  const auto base = reinterpret_cast<uintptr_t>(raw);
  char* aligned = reinterpret_cast<char*>((base + kHugePage - 1) / kHugePage * kHugePage);
  // Trim the slack on both sides so the buffer is exactly [aligned, aligned + bytes): the
  // deleter unmaps just that.
  const size_t head = static_cast<size_t>(aligned - raw);
  if (head) munmap(raw, head);
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t len = (bytes + page - 1) / page * page;  // munmap takes page-aligned addresses
  const size_t tail = span - head - len;
  if (tail) munmap(aligned + len, tail);
#ifdef MADV_HUGEPAGE
  madvise(aligned, bytes, MADV_HUGEPAGE);
#endif
  return aligned;
}

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::CPU; }
  std::string name() const override { return "cpu"; }

  std::shared_ptr<Buffer> allocate(size_t bytes) override {
    // aligned_alloc needs a size that is a multiple of the alignment; never ask for 0 bytes.
    if (bytes >= kMapThreshold) {
      void* p = bytes >= kHugeThreshold && huge_pages_enabled()
                    ? map_huge(bytes)
                    : mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                                                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED)
        fail(ErrorCode::OutOfMemory, "cpu: could not allocate " + std::to_string(bytes) + " bytes");
      return std::make_shared<Buffer>(p, bytes, Device::CPU, &unmap_host, nullptr);
    }
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded == 0) rounded = 64;
    void* p = std::aligned_alloc(64, rounded);
    if (!p)
      fail(ErrorCode::OutOfMemory, "cpu: could not allocate " + std::to_string(bytes) + " bytes");
    return std::make_shared<Buffer>(p, bytes, Device::CPU, &free_host, nullptr);
  }
  void memset_zero(const Tensor& dst) override { std::memset(dst.raw(), 0, dst.nbytes()); }
  void upload(const Tensor& dst, const void* host, size_t bytes) override { std::memcpy(dst.raw(), host, bytes); }
  void download(void* host, const Tensor& src, size_t bytes) override { std::memcpy(host, src.raw(), bytes); }

  void matmul(const Tensor& a, const Tensor& b, const Tensor* bias, bool trans_b, Tensor& out) override {
    const int64_t K = a.dim(-1);
    const int64_t M = a.ndim() >= 2 ? a.dim(-2) : 1;
    const int64_t N = out.dim(-1);
    const float* bias_p = bias ? bias->data<float>() : nullptr;
    if (b.ndim() == 2) {
      // A shared weight: fold every leading dim of a into M, one big GEMM.
      const int64_t rows = a.numel() / K;
      cpu::gemm(rows, N, K, a.data<float>(), K, b.raw(), b.dtype, trans_b ? K : N, trans_b, bias_p,
                out.data<float>(), N);
      return;
    }
    const int64_t batches = a.numel() / (M * K);
    const size_t b_step = static_cast<size_t>(N * K) * dtype_size(b.dtype);
    for (int64_t i = 0; i < batches; ++i)
      cpu::gemm(M, N, K, a.data<float>() + i * M * K, K, static_cast<const char*>(b.raw()) + i * b_step,
                b.dtype, trans_b ? K : N, trans_b, bias_p, out.data<float>() + i * M * N, N);
  }

  void add(const Tensor& a, const Tensor& b, Tensor& out) override {
    cpu::add(a.data<float>(), b.data<float>(), out.data<float>(), a.numel(), b.numel());
  }
  void mul(const Tensor& a, const Tensor& b, Tensor& out) override {
    cpu::mul(a.data<float>(), b.data<float>(), out.data<float>(), a.numel(), b.numel());
  }
  void scale(const Tensor& a, float s, Tensor& out) override {
    cpu::scale(a.data<float>(), s, out.data<float>(), a.numel());
  }
  void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, Tensor& out) override {
    const int64_t C = x.dim(-1);
    cpu::layer_norm(x.data<float>(), gamma.data<float>(), beta.data<float>(), eps, out.data<float>(),
                    x.numel() / C, C);
  }
  void gelu(const Tensor& x, Tensor& out) override { cpu::gelu(x.data<float>(), out.data<float>(), x.numel()); }
  void softmax(const Tensor& x, bool log, Tensor& out) override {
    const int64_t C = x.dim(-1);
    cpu::softmax(x.data<float>(), out.data<float>(), C ? x.numel() / C : 0, C, log);
  }
  void conv1d(const Tensor& x, const Tensor& w, const Tensor* bias, int stride, int padding, Tensor& out) override {
    cpu::conv1d(x.data<float>(), w.raw(), w.dtype, bias ? bias->data<float>() : nullptr, out.data<float>(),
                x.dim(0), x.dim(1), x.dim(2), w.dim(0), w.dim(2), stride, padding);
  }
  void embedding(const Tensor& ids, const Tensor& table, Tensor& out) override {
    cpu::embedding(ids.data<int32_t>(), ids.numel(), table.raw(), table.dtype, table.dim(1), out.data<float>());
  }
  void attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionParams& params, Tensor& out,
                 Tensor* lse) override {
    cpu::AttentionShape s{q.dim(0), q.dim(2), q.dim(1), k.dim(1), q.dim(3), {}, {}, {}};
    for (int i = 0; i < 3; ++i) {
      s.q_strides[i] = q.stride(i);
      s.k_strides[i] = k.stride(i);
      s.v_strides[i] = v.stride(i);
    }
    cpu::attention(q.data<float>(), k.raw(), v.raw(), k.dtype, s, params.scale, params.causal, out.data<float>(),
                   lse ? lse->data<float>() : nullptr);
  }
  void argmax(const Tensor& x, Tensor& out) override {
    const int64_t C = x.dim(-1);
    cpu::argmax(x.data<float>(), out.data<int32_t>(), x.numel() / C, C);
  }
  void topk(const Tensor& x, int k, Tensor& values, Tensor& indices) override {
    const int64_t C = x.dim(-1);
    cpu::topk(x.data<float>(), x.numel() / C, C, k, values.data<float>(), indices.data<int32_t>());
  }
  void copy(const Tensor& src, Tensor& dst) override {
    cpu::strided_copy(src.raw(), src.strides.data(), dst.raw(), dst.strides.data(), src.shape.data(), src.ndim(),
                      dtype_size(src.dtype));
  }
  void cast(const Tensor& src, Tensor& dst) override {
    cpu::cast(src.raw(), src.dtype, dst.raw(), dst.dtype, src.numel());
  }

  // ---- training ops ----
  void gemm(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, bool accumulate, Tensor& out) override {
    const int64_t K = trans_a ? a.dim(0) : a.dim(1);
    // Leading dims are the stored row lengths, whichever way the operands are read.
    cpu::gemm(out.dim(0), out.dim(1), K, a.data<float>(), a.dim(1), trans_a, b.raw(), b.dtype, b.dim(1), trans_b,
              nullptr, out.data<float>(), out.dim(1), accumulate);
  }
  void sum_rows(const Tensor& x, bool accumulate, Tensor& out) override {
    const int64_t N = x.dim(-1);
    cpu::sum_rows(x.data<float>(), x.numel() / N, N, out.data<float>(), accumulate);
  }
  void embedding_backward(const Tensor& ids, const Tensor& d_out, Tensor& d_table) override {
    cpu::embedding_backward(ids.data<int32_t>(), ids.numel(), d_out.data<float>(), d_table.dim(1),
                            d_table.data<float>());
  }
  void layer_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& d_out, float eps, Tensor& dx,
                           Tensor* d_gamma, Tensor* d_beta) override {
    const int64_t C = x.dim(-1);
    cpu::layer_norm_backward(x.data<float>(), gamma.data<float>(), d_out.data<float>(), eps, x.numel() / C, C,
                             dx.data<float>(), d_gamma ? d_gamma->data<float>() : nullptr,
                             d_beta ? d_beta->data<float>() : nullptr);
  }
  void gelu_backward(const Tensor& x, const Tensor& d_out, Tensor& dx) override {
    cpu::gelu_backward(x.data<float>(), d_out.data<float>(), dx.data<float>(), x.numel());
  }
  void adamw_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, double lr, double beta1, double beta2,
                  double eps, double weight_decay, int64_t step) override {
    cpu::adamw_step(param.data<float>(), grad.data<float>(), m.data<float>(), v.data<float>(), param.numel(),
                    cpu::AdamWStep{lr, beta1, beta2, eps, weight_decay, step});
  }
  double sum_squares(const Tensor& x) override { return cpu::sum_squares(x.data<float>(), x.numel()); }
  void scale_in_place(Tensor& x, float s) override {
    cpu::scale(x.data<float>(), s, x.data<float>(), x.numel());  // elementwise: in place is safe
  }
  void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, const Tensor& lse,
                          const Tensor& d_out, const AttentionParams& params, Tensor& dq, Tensor& dk,
                          Tensor& dv) override {
    cpu::AttentionBackwardShape s{{q.dim(0), q.dim(2), q.dim(1), k.dim(1), q.dim(3), {}, {}, {}}, {}, {}};
    for (int i = 0; i < 3; ++i) {
      s.s.q_strides[i] = q.stride(i);
      s.s.k_strides[i] = k.stride(i);
      s.s.v_strides[i] = v.stride(i);
      s.o_strides[i] = out.stride(i);
      s.do_strides[i] = d_out.stride(i);
    }
    cpu::attention_backward(q.data<float>(), k.data<float>(), v.data<float>(), out.data<float>(), lse.data<float>(),
                            d_out.data<float>(), s, params.scale, params.causal, dq.data<float>(), dk.data<float>(),
                            dv.data<float>());
  }
  void logits_loss(const Tensor& student, const Tensor* teacher, const Tensor& labels, float temperature,
                   float ce_scale, float kl_scale, Tensor& ce, Tensor& kl, Tensor& grad) override {
    cpu::logits_loss(student.data<float>(), teacher ? teacher->data<float>() : nullptr, labels.data<int32_t>(),
                     student.dim(0), student.dim(1), temperature, ce_scale, kl_scale, ce.data<float>(),
                     kl.data<float>(), grad.data<float>());
  }
  void add_in_place(Tensor& dst, const Tensor& src, float alpha) override {
    cpu::add_in_place(dst.data<float>(), src.data<float>(), alpha, dst.numel());
  }
};

}  // namespace

Backend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

}  // namespace dw
