// The CUDA backend: one device, one stream, one cuBLAS handle, a caching allocator, and the
// kernels of kernels.h. GEMMs go to cuBLAS (f32·f32 and f16·f16 with f32 accumulation), except
// at decode sizes (<= 32 rows, shared [N, K] weight), where f16 activations and f32 activations
// with an f16/bf16 weight take the skinny kernel (gemv.cu); f32 activations against a
// low-precision weight otherwise use an upcast copy of the weight. Loaded by backend_registry.cpp through dw_cuda_create_backend.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include "cuda_common.h"
#include "device_pool.h"
#include "dw/backend.h"
#include "dw/cuda_entry.h"
#include "kernels.h"

namespace dw::cuda {

[[noreturn]] void throw_cuda(cudaError_t err, const char* what) {
  (void)cudaGetLastError();
  const ErrorCode code = err == cudaErrorMemoryAllocation ? ErrorCode::OutOfMemory : ErrorCode::Internal;
  fail(code, std::string("cuda: ") + what + " failed: " + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
}

[[noreturn]] void throw_cublas(cublasStatus_t st, const char* what) {
  const ErrorCode code = st == CUBLAS_STATUS_ALLOC_FAILED ? ErrorCode::OutOfMemory
                         : st == CUBLAS_STATUS_NOT_SUPPORTED ? ErrorCode::Unsupported
                                                             : ErrorCode::Internal;
  fail(code, std::string("cuda: ") + what + " failed: " + cublasGetStatusName(st) + " (" + cublasGetStatusString(st) +
                 ")");
}

namespace {

cudaDataType_t cuda_type(DType d) {
  switch (d) {
    case DType::F32: return CUDA_R_32F;
    case DType::F16: return CUDA_R_16F;
    case DType::BF16: return CUDA_R_16BF;
    default: fail(ErrorCode::DTypeMismatch, std::string("cuda gemm: unsupported dtype ") + dtype_name(d));
  }
}

// Merges dims that are contiguous in both src and dst and drops size-1 dims (as the CPU copy).
int coalesce(const Tensor& src, const Tensor& dst, int64_t* shape, int64_t* ss, int64_t* ds) {
  int n = 0;
  for (int i = 0; i < src.ndim(); ++i) {
    const int64_t len = src.shape[static_cast<size_t>(i)];
    const int64_t s = src.strides[static_cast<size_t>(i)], d = dst.strides[static_cast<size_t>(i)];
    if (len == 1) continue;
    if (n > 0 && ss[n - 1] == s * len && ds[n - 1] == d * len) {
      shape[n - 1] *= len;
      ss[n - 1] = s;
      ds[n - 1] = d;
    } else {
      DW_CHECK(n < kMaxDims * 2, ErrorCode::Unsupported, "cuda copy: too many dims");
      shape[n] = len;
      ss[n] = s;
      ds[n] = d;
      ++n;
    }
  }
  return n;
}

// DW_CUDA_GEMV=off (or 0) sends every GEMM to cuBLAS: a bypass for the skinny kernel that needs
// no rebuild. Read per call, like DW_CUDA_ATTENTION, so tests and benchmarks can flip it.
bool gemv_enabled() {
  const char* env = std::getenv("DW_CUDA_GEMV");
  return !(env && (std::strcmp(env, "off") == 0 || std::strcmp(env, "0") == 0));
}

// Host fallback order of argmax/top-k: NaN first, then larger values, then lower indices.
bool ranks_before(float a, int32_t ia, float b, int32_t ib) {
  const bool na = std::isnan(a), nb = std::isnan(b);
  if (na != nb) return na;
  if (!na && a != b) return a > b;
  return ia < ib;
}

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int device) : device_(device) {
    check(cudaSetDevice(device_), "cudaSetDevice");
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, device_), "cudaGetDeviceProperties");
    name_ = std::string("cuda:") + std::to_string(device_) + " " + prop.name + " (sm_" +
            std::to_string(prop.major) + std::to_string(prop.minor) + ")";
    num_sms_ = prop.multiProcessorCount;
    DW_CHECK(prop.major >= 8, ErrorCode::DeviceUnavailable,
             name_ + ": compute capability 8.0 (Ampere) or newer is needed");
    check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cublasCreate(&blas_), "cublasCreate");
    check(cublasSetStream(blas_, stream_), "cublasSetStream");
    // With f16 outputs cuBLAS may otherwise reduce split-K partial sums in f16; measured on an
    // H100 that put [32×1000]·[37×1000]ᵀ a few f16 ulps off the f32-accumulated result.
    check(cublasSetMathMode(blas_, static_cast<cublasMath_t>(CUBLAS_DEFAULT_MATH |
                                                             CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)),
          "cublasSetMathMode");
    const char* tf32 = std::getenv("DW_CUDA_TF32");
    compute_f32_ = tf32 && std::string(tf32) == "1" ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  }

  Device device() const override { return Device::CUDA; }
  std::string name() const override { return name_; }

  // ---- memory ----
  std::shared_ptr<Buffer> allocate(size_t bytes) override {
    use_device();
    void* p = pool_.acquire(bytes);
    return std::make_shared<Buffer>(p, bytes, Device::CUDA, &DevicePool::deleter, &pool_);
  }
  void memset_zero(const Tensor& dst) override {
    use_device();
    check(cudaMemsetAsync(dst.raw(), 0, dst.nbytes(), stream_), "cudaMemsetAsync");
  }
  void upload(const Tensor& dst, const void* host, size_t bytes) override {
    use_device();
    check(cudaMemcpyAsync(dst.raw(), host, bytes, cudaMemcpyHostToDevice, stream_), "upload");
    // The caller may free or reuse the host memory as soon as we return.
    check(cudaStreamSynchronize(stream_), "upload (synchronize)");
  }
  void download(void* host, const Tensor& src, size_t bytes) override {
    use_device();
    check(cudaMemcpyAsync(host, src.raw(), bytes, cudaMemcpyDeviceToHost, stream_), "download");
    check(cudaStreamSynchronize(stream_), "download (synchronize)");
  }
  void synchronize() override {
    use_device();
    check(cudaStreamSynchronize(stream_), "synchronize");
  }

  // ---- GEMM ----
  void matmul(const Tensor& a, const Tensor& b, const Tensor* bias, bool trans_b, Tensor& out) override {
    use_device();
    const int64_t K = a.dim(-1);
    const int64_t M = a.ndim() >= 2 ? a.dim(-2) : 1;
    const int64_t N = out.dim(-1);
    const float* bias_p = bias ? bias->data<float>() : nullptr;
    const bool shared_b = b.ndim() == 2;
    const int64_t rows = a.numel() / std::max<int64_t>(K, 1);
    if (K == 0) {
      check(cudaMemsetAsync(out.raw(), 0, out.nbytes(), stream_), "matmul (K = 0)");
      if (bias_p) add_bias_rows(out.raw(), bias_p, out.numel() / N, N, out.dtype, stream_);
      return;
    }
    // Few rows against a shared [N, K] weight (decode steps): stream the weight in its own dtype.
    // f32 activations take it for f16/bf16 weights (cuBLAS would need an upcast copy), f16
    // activations for every weight dtype (cuBLAS's f16 GEMM is slower at one row).
    const bool skinny_dtypes = (a.dtype == DType::F32 && b.dtype != DType::F32) || a.dtype == DType::F16;
    if (skinny_dtypes && shared_b && trans_b && rows <= 4 * kGemvMaxM && gemv_enabled()) {
      const size_t esz = dtype_size(a.dtype);
      const char* ap = static_cast<const char*>(a.raw());
      char* op = static_cast<char*>(out.raw());
      for (int64_t r0 = 0; r0 < rows; r0 += kGemvMaxM) {
        const int64_t m = std::min<int64_t>(kGemvMaxM, rows - r0);
        gemv(ap + static_cast<size_t>(r0 * K) * esz, a.dtype, m, K, b.raw(), b.dtype, bias_p,
             op + static_cast<size_t>(r0 * N) * esz, N, stream_);
      }
      return;
    }
    // cuBLAS wants both operands in one type: convert the weight (never the activations).
    Tensor bw = b;
    std::shared_ptr<Buffer> tmp;
    if (b.dtype != a.dtype) {
      tmp = allocate(static_cast<size_t>(b.numel()) * dtype_size(a.dtype));
      cuda::cast(b.raw(), b.dtype, tmp->data(), a.dtype, b.numel(), stream_);
      bw.buffer = tmp;
      bw.offset = 0;
      bw.dtype = a.dtype;
    }
    const int64_t ldb = trans_b ? K : N;
    const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
    if (shared_b) {
      gemm(op_b, CUBLAS_OP_N, N, rows, K, bw.raw(), ldb, 0, a.raw(), K, 0, out.raw(), N, 0, 1, a.dtype);
    } else {
      const int64_t batches = a.numel() / (M * K);
      gemm(op_b, CUBLAS_OP_N, N, M, K, bw.raw(), ldb, N * K, a.raw(), K, M * K, out.raw(), N, M * N, batches,
           a.dtype);
    }
    if (bias_p) add_bias_rows(out.raw(), bias_p, out.numel() / N, N, out.dtype, stream_);
  }

  // ---- elementwise ----
  void add(const Tensor& a, const Tensor& b, Tensor& out) override {
    use_device();
    binary(BinaryOp::Add, a.raw(), b.raw(), out.raw(), a.numel(), b.numel(), a.dtype, stream_);
  }
  void mul(const Tensor& a, const Tensor& b, Tensor& out) override {
    use_device();
    binary(BinaryOp::Mul, a.raw(), b.raw(), out.raw(), a.numel(), b.numel(), a.dtype, stream_);
  }
  void scale(const Tensor& a, float s, Tensor& out) override {
    use_device();
    cuda::scale(a.raw(), s, out.raw(), a.numel(), a.dtype, stream_);
  }
  void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps, Tensor& out) override {
    use_device();
    const int64_t C = x.dim(-1);
    cuda::layer_norm(x.raw(), gamma.data<float>(), beta.data<float>(), eps, out.raw(), x.numel() / C, C, x.dtype,
                     stream_);
  }
  void gelu(const Tensor& x, Tensor& out) override {
    use_device();
    cuda::gelu(x.raw(), out.raw(), x.numel(), x.dtype, stream_);
  }
  void softmax(const Tensor& x, bool log, Tensor& out) override {
    use_device();
    const int64_t C = x.dim(-1);
    cuda::softmax(x.raw(), out.raw(), x.numel() / C, C, log, x.dtype, stream_);
  }

  // conv1d as im2col + one strided-batched GEMM per batch item: out[b] = W[Cout, Cin·K] · col[b].
  void conv1d(const Tensor& x, const Tensor& w, const Tensor* bias, int stride, int padding, Tensor& out) override {
    use_device();
    const int64_t B = x.dim(0), Cin = x.dim(1), L = x.dim(2), Cout = w.dim(0), K = w.dim(2), Lout = out.dim(2);
    const DType dt = x.dtype;
    const int64_t CK = Cin * K;
    std::shared_ptr<Buffer> col_buf, w_buf;
    const void* col = x.raw();
    if (!(K == 1 && stride == 1 && padding == 0)) {
      col_buf = allocate(static_cast<size_t>(B * CK * Lout) * dtype_size(dt));
      im2col(x.raw(), dt, B, Cin, L, K, stride, padding, Lout, col_buf->data(), stream_);
      col = col_buf->data();
    }
    const void* wp = w.raw();
    if (w.dtype != dt) {
      w_buf = allocate(static_cast<size_t>(w.numel()) * dtype_size(dt));
      cuda::cast(w.raw(), w.dtype, w_buf->data(), dt, w.numel(), stream_);
      wp = w_buf->data();
    }
    // Column-major view: outᵀ[Lout, Cout] = colᵀ[Lout, CK] · Wᵀ[CK, Cout].
    gemm(CUBLAS_OP_N, CUBLAS_OP_N, Lout, Cout, CK, col, Lout, CK * Lout, wp, CK, 0, out.raw(), Lout, Cout * Lout, B,
         dt);
    if (bias) add_bias_channels(out.raw(), bias->data<float>(), B, Cout, Lout, dt, stream_);
  }

  void embedding(const Tensor& ids, const Tensor& table, Tensor& out) override {
    use_device();
    cuda::embedding(ids.data<int32_t>(), ids.numel(), table.raw(), table.dtype, table.dim(1), out.data<float>(),
                    stream_);
  }

  void attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionParams& params, Tensor& out,
                 Tensor* lse) override {
    use_device();
    AttentionArgs a{};
    a.q = q.raw();
    a.k = k.raw();
    a.v = v.raw();
    a.out = out.raw();
    a.lse = lse ? lse->data<float>() : nullptr;
    a.dt = q.dtype;
    a.B = q.dim(0);
    a.Lq = q.dim(1);
    a.H = q.dim(2);
    a.D = q.dim(3);
    a.Lk = k.dim(1);
    for (int i = 0; i < 3; ++i) {
      a.q_strides[i] = q.stride(i);
      a.k_strides[i] = k.stride(i);
      a.v_strides[i] = v.stride(i);
    }
    a.scale = params.scale;
    a.causal = params.causal;
    std::shared_ptr<Buffer> ws;
    const size_t ws_bytes = attention_workspace_bytes(a, num_sms_);
    if (ws_bytes) ws = allocate(ws_bytes);
    cuda::attention(a, ws ? ws->data() : nullptr, num_sms_, stream_);
  }

  void argmax(const Tensor& x, Tensor& out) override {
    use_device();
    const int64_t C = x.dim(-1);
    cuda::argmax(x.raw(), out.data<int32_t>(), x.numel() / C, C, x.dtype, stream_);
  }

  void topk(const Tensor& x, int k, Tensor& values, Tensor& indices) override {
    use_device();
    const int64_t C = x.dim(-1), rows = x.numel() / C;
    if (k <= kTopkMaxK) {
      cuda::topk(x.raw(), rows, C, k, values.data<float>(), indices.data<int32_t>(), x.dtype, stream_);
      return;
    }
    // Large k (a full sort, rare): on the host, with the same order as the device kernel.
    Tensor xf = x;
    std::shared_ptr<Buffer> tmp;
    if (x.dtype != DType::F32) {
      tmp = allocate(static_cast<size_t>(x.numel()) * 4);
      cuda::cast(x.raw(), x.dtype, tmp->data(), DType::F32, x.numel(), stream_);
      xf.buffer = tmp;
      xf.offset = 0;
      xf.dtype = DType::F32;
    }
    std::vector<float> h(static_cast<size_t>(x.numel()));
    download(h.data(), xf, h.size() * 4);
    std::vector<float> hv(static_cast<size_t>(rows) * k);
    std::vector<int32_t> hi(static_cast<size_t>(rows) * k), idx(static_cast<size_t>(C));
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = h.data() + r * C;
      std::iota(idx.begin(), idx.end(), 0);
      std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                        [&](int32_t i, int32_t j) { return ranks_before(row[i], i, row[j], j); });
      for (int j = 0; j < k; ++j) {
        hv[static_cast<size_t>(r * k + j)] = row[idx[static_cast<size_t>(j)]];
        hi[static_cast<size_t>(r * k + j)] = idx[static_cast<size_t>(j)];
      }
    }
    upload(values, hv.data(), hv.size() * 4);
    upload(indices, hi.data(), hi.size() * 4);
  }

  void copy(const Tensor& src, Tensor& dst) override {
    use_device();
    const size_t elem = dtype_size(src.dtype);
    int64_t shape[kMaxDims * 2], ss[kMaxDims * 2], ds[kMaxDims * 2];
    const int n = coalesce(src, dst, shape, ss, ds);
    if (n == 0) {  // a single element
      check(cudaMemcpyAsync(dst.raw(), src.raw(), elem, cudaMemcpyDeviceToDevice, stream_), "copy");
      return;
    }
    if (n == 1 && ss[0] == 1 && ds[0] == 1) {
      check(cudaMemcpyAsync(dst.raw(), src.raw(), static_cast<size_t>(shape[0]) * elem, cudaMemcpyDeviceToDevice,
                            stream_),
            "copy");
      return;
    }
    // Rows with a contiguous inner dim (KV-cache writes, concat): one 2-D copy.
    if (n == 2 && ss[1] == 1 && ds[1] == 1 && ss[0] >= shape[1] && ds[0] >= shape[1]) {
      check(cudaMemcpy2DAsync(dst.raw(), static_cast<size_t>(ds[0]) * elem, src.raw(), static_cast<size_t>(ss[0]) * elem,
                              static_cast<size_t>(shape[1]) * elem, static_cast<size_t>(shape[0]),
                              cudaMemcpyDeviceToDevice, stream_),
            "copy (2-d)");
      return;
    }
    strided_copy(src.raw(), ss, dst.raw(), ds, shape, n, elem, stream_);
  }

  void cast(const Tensor& src, Tensor& dst) override {
    use_device();
    if (src.dtype == dst.dtype) {
      check(cudaMemcpyAsync(dst.raw(), src.raw(), src.nbytes(), cudaMemcpyDeviceToDevice, stream_), "cast (copy)");
      return;
    }
    cuda::cast(src.raw(), src.dtype, dst.raw(), dst.dtype, src.numel(), stream_);
  }

 private:
  // The current device is per host thread; ops may come from any worker thread.
  void use_device() { check(cudaSetDevice(device_), "cudaSetDevice"); }

  // Column-major cuBLAS call C = op(A)·op(B) with f32 accumulation; A, B, C all of dtype `dt`
  // (f32 or f16). Strides 0 with batch 1 means a plain GEMM.
  void gemm(cublasOperation_t op_a, cublasOperation_t op_b, int64_t m, int64_t n, int64_t k, const void* A,
            int64_t lda, int64_t stride_a, const void* B, int64_t ldb, int64_t stride_b, void* C, int64_t ldc,
            int64_t stride_c, int64_t batch, DType dt) {
    DW_CHECK(m <= INT32_MAX && n <= INT32_MAX && k <= INT32_MAX && lda <= INT32_MAX && ldb <= INT32_MAX &&
                 ldc <= INT32_MAX && batch <= INT32_MAX,
             ErrorCode::Unsupported, "cuda gemm: dimensions above 2^31");
    const float alpha = 1.0f, beta = 0.0f;
    const cudaDataType_t t = cuda_type(dt);
    const cublasComputeType_t ct = dt == DType::F32 ? compute_f32_ : CUBLAS_COMPUTE_32F;
    if (batch == 1) {
      check(cublasGemmEx(blas_, op_a, op_b, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), &alpha, A, t,
                         static_cast<int>(lda), B, t, static_cast<int>(ldb), &beta, C, t, static_cast<int>(ldc), ct,
                         CUBLAS_GEMM_DEFAULT),
            "cublasGemmEx");
    } else {
      check(cublasGemmStridedBatchedEx(blas_, op_a, op_b, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k),
                                       &alpha, A, t, static_cast<int>(lda), stride_a, B, t, static_cast<int>(ldb),
                                       stride_b, &beta, C, t, static_cast<int>(ldc), stride_c, static_cast<int>(batch),
                                       ct, CUBLAS_GEMM_DEFAULT),
            "cublasGemmStridedBatchedEx");
    }
  }

  int device_;
  int num_sms_ = 1;
  std::string name_;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  cublasComputeType_t compute_f32_ = CUBLAS_COMPUTE_32F;
  DevicePool pool_;
};

void write_err(char* err, size_t len, const std::string& msg) {
  if (!err || len == 0) return;
  std::strncpy(err, msg.c_str(), len - 1);
  err[len - 1] = '\0';
}

}  // namespace
}  // namespace dw::cuda

extern "C" __attribute__((visibility("default"))) dw::Backend* dw_cuda_create_backend(int abi, char* err,
                                                                                       size_t len) {
  using namespace dw::cuda;
  if (abi != DW_CUDA_ABI_VERSION) {
    write_err(err, len, "libdw_cuda.so has ABI " + std::to_string(DW_CUDA_ABI_VERSION) + " but the addon expects " +
                            std::to_string(abi) + " (rebuild the native addon)");
    return nullptr;
  }
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    // No driver at all reads as "insufficient driver" (cudart finds no libcuda.so.1).
    write_err(err, len, std::string("no usable CUDA driver/device (") + cudaGetErrorName(e) + ": " +
                            cudaGetErrorString(e) + ")");
    return nullptr;
  }
  if (count == 0) {
    write_err(err, len, "no CUDA device found");
    return nullptr;
  }
  int device = 0;
  if (const char* env = std::getenv("DW_CUDA_DEVICE")) device = std::atoi(env);
  if (device < 0 || device >= count) {
    write_err(err, len, "DW_CUDA_DEVICE=" + std::to_string(device) + " but only " + std::to_string(count) +
                            " CUDA device(s) are present");
    return nullptr;
  }
  try {
    return new CudaBackend(device);  // lives for the rest of the process
  } catch (const std::exception& ex) {
    write_err(err, len, ex.what());
    return nullptr;
  }
}
