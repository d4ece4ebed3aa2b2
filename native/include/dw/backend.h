// One op set, several backends. ops.cpp validates every argument and allocates outputs on the
// inputs' device, then calls exactly one virtual method here; a backend may therefore assume
// well-formed arguments (shapes fit, dtypes accepted, last dims contiguous where documented).
//
// Backward ops for training are added as further virtual methods with the same contract, each
// with a default that throws Unsupported, so a backend can implement them one at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dw/tensor.h"

namespace dw {

struct AttentionParams {
  float scale = 1.0f;
  // Causal masks are bottom-right aligned: query i (of Lq) sees keys j <= i + (Lk - Lq), which is
  // what decoding against a KV cache needs (Lq new tokens after Lk - Lq cached ones).
  bool causal = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;

  // Memory. allocate() throws OutOfMemory; contents are uninitialised.
  virtual std::shared_ptr<Buffer> allocate(size_t bytes) = 0;
  virtual void memset_zero(const Tensor& dst) = 0;                       // contiguous dst
  virtual void upload(const Tensor& dst, const void* host, size_t bytes) = 0;  // contiguous dst
  virtual void download(void* host, const Tensor& src, size_t bytes) = 0;      // contiguous src
  virtual void synchronize() {}

  // out[..., M, N] = a[..., M, K] · op(b) (+ bias[N]); op(b) = bᵀ when trans_b (b is [N, K], the
  // layout of a Linear weight) else b ([K, N]). b is either 2-D (shared by every batch) or has
  // the same leading dims as a. a, out: f32 (CUDA also f16); b: f32, f16 or bf16, converted on the
  // fly. All contiguous.
  virtual void matmul(const Tensor& a, const Tensor& b, const Tensor* bias, bool trans_b,
                      Tensor& out) = 0;

  // Elementwise with suffix broadcasting: b.shape is a suffix of a.shape (or equal). Contiguous.
  virtual void add(const Tensor& a, const Tensor& b, Tensor& out) = 0;
  virtual void mul(const Tensor& a, const Tensor& b, Tensor& out) = 0;
  virtual void scale(const Tensor& a, float s, Tensor& out) = 0;

  // Over the last dim. gamma/beta [C] f32. Contiguous.
  virtual void layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps,
                          Tensor& out) = 0;
  virtual void gelu(const Tensor& x, Tensor& out) = 0;  // exact erf GELU
  virtual void softmax(const Tensor& x, bool log, Tensor& out) = 0;  // last dim

  // x [B, Cin, L], w [Cout, Cin, K] (f32/f16/bf16), bias [Cout] or null, out [B, Cout, Lout].
  virtual void conv1d(const Tensor& x, const Tensor& w, const Tensor* bias, int stride, int padding,
                      Tensor& out) = 0;
  // ids [...] i32, table [V, C] (f32/f16/bf16) -> out [..., C] f32. ids already range-checked.
  virtual void embedding(const Tensor& ids, const Tensor& table, Tensor& out) = 0;

  // q [B, Lq, H, D], k/v [B, Lk, H, D]: last dim contiguous, other strides arbitrary (so a slice
  // of a preallocated KV cache works). out [B, Lq, H, D] contiguous. lse (optional) [B, H, Lq] f32
  // receives the log-sum-exp of the scaled scores, which a backward pass needs.
  virtual void attention(const Tensor& q, const Tensor& k, const Tensor& v,
                         const AttentionParams& params, Tensor& out, Tensor* lse) = 0;

  virtual void argmax(const Tensor& x, Tensor& out) = 0;  // last dim, out i32 [...]
  // last dim, values f32 [..., k] sorted descending (ties: lower index first), indices i32
  virtual void topk(const Tensor& x, int k, Tensor& values, Tensor& indices) = 0;

  // Strided copy of src into dst (same shape and dtype, any strides). Used for contiguous(),
  // concat and writing new keys/values into a KV cache view.
  virtual void copy(const Tensor& src, Tensor& dst) = 0;
  virtual void cast(const Tensor& src, Tensor& dst) = 0;  // contiguous, same shape

  // ---- training (backward) ops ------------------------------------------------------------------
  // Declared after every inference method so the vtable prefix the CUDA library was compiled
  // against stays put. Each default throws Unsupported; a backend overrides what it implements.
  // All tensors f32 and contiguous unless stated. Reductions must be deterministic: the same bits
  // whatever the number of threads (fixed chunks, fixed-order combines).

  // out[M, N] (=|+=) op(a) · op(b), 2-D. op(a) = aᵀ when trans_a (a stored [K, M]) else a ([M, K]);
  // op(b) = bᵀ when trans_b (b stored [N, K]) else b ([K, N]); b f32, f16 or bf16.
  virtual void gemm(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, bool accumulate, Tensor& out) {
    unsupported("gemm");
  }
  // out[N] (=|+=) Σ over the leading rows of x [..., N].
  virtual void sum_rows(const Tensor& x, bool accumulate, Tensor& out) { unsupported("sum_rows"); }
  // d_table[ids[i], :] += d_out[i, :]; ids i32 already range-checked, d_table [V, C].
  virtual void embedding_backward(const Tensor& ids, const Tensor& d_out, Tensor& d_table) {
    unsupported("embedding_backward");
  }
  // dx of layer_norm over the last dim (statistics recomputed from x); d_gamma / d_beta [C] are
  // accumulated into when not null.
  virtual void layer_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& d_out, float eps, Tensor& dx,
                                   Tensor* d_gamma, Tensor* d_beta) {
    unsupported("layer_norm_backward");
  }
  // dx = d_out · (Φ(x) + x·φ(x)), exact-erf GELU.
  virtual void gelu_backward(const Tensor& x, const Tensor& d_out, Tensor& dx) { unsupported("gelu_backward"); }
  // Gradients of attention(): q/k/v as in attention() (last dim contiguous, other strides
  // arbitrary), out and d_out [B, Lq, H, D] with the same rule, lse [B, H, Lq] contiguous (from
  // attention() with the same q, k, params). dq/dk/dv contiguous, fully written.
  virtual void attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                                  const Tensor& lse, const Tensor& d_out, const AttentionParams& params, Tensor& dq,
                                  Tensor& dk, Tensor& dv) {
    unsupported("attention_backward");
  }
  // The fused distillation objective per row (ops.h, LogitsLossParams). teacher may be null;
  // grad may be the student tensor itself (in place). Labels already range-checked.
  virtual void logits_loss(const Tensor& student, const Tensor* teacher, const Tensor& labels, float temperature,
                           float ce_scale, float kl_scale, Tensor& ce, Tensor& kl, Tensor& grad) {
    unsupported("logits_loss");
  }
  // One torch.optim.AdamW step (single-tensor order) on param with its moments, in place.
  virtual void adamw_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, double lr, double beta1,
                          double beta2, double eps, double weight_decay, int64_t step) {
    unsupported("adamw_step");
  }
  // Σ x² accumulated in double.
  virtual double sum_squares(const Tensor& x) { unsupported("sum_squares"); }
  virtual void scale_in_place(Tensor& x, float s) { unsupported("scale_in_place"); }
  // dst += alpha · src, same shape.
  virtual void add_in_place(Tensor& dst, const Tensor& src, float alpha) { unsupported("add_in_place"); }

 protected:
  [[noreturn]] void unsupported(const char* op) const {
    fail(ErrorCode::Unsupported, "the " + name() + " backend does not implement " + op + " yet");
  }
};

// Process-wide backends. cpu_backend() always exists; cuda_backend() loads the CUDA library on
// first use and throws DeviceUnavailable (with the reason) where it cannot.
Backend& cpu_backend();
Backend& cuda_backend();
bool cuda_available(std::string* reason);
Backend& backend_for(Device device);

}  // namespace dw
