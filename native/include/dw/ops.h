// The validated op set. Each function checks shapes, dtypes, devices and layout, allocates its
// output on the inputs' device and dispatches to that device's Backend. This is the only entry
// point the N-API binding (and the C++ tests) use, so no unchecked request reaches a kernel.
#pragma once

#include <optional>
#include <vector>

#include "dw/backend.h"

namespace dw::ops {

Tensor empty(const Shape& shape, DType dtype, Device device);
Tensor zeros(const Shape& shape, DType dtype, Device device);
Tensor from_host(const void* data, size_t bytes, const Shape& shape, DType dtype, Device device);
void to_host(const Tensor& t, void* data, size_t bytes);  // any layout; copies if strided
Tensor to_device(const Tensor& t, Device device);

Tensor contiguous(const Tensor& t);  // returns t itself when already contiguous
void copy_into(Tensor& dst, const Tensor& src);  // dst may be a strided view (KV cache)
Tensor cast(const Tensor& t, DType dtype);

Tensor matmul(const Tensor& a, const Tensor& b, const Tensor* bias, bool trans_b);
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias);  // x·wᵀ + b

Tensor add(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& a, float s);

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps);
Tensor gelu(const Tensor& x);
Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);

Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor* bias, int stride, int padding);
Tensor embedding(const Tensor& ids, const Tensor& table);

struct AttentionResult {
  Tensor out;
  std::optional<Tensor> lse;
};
AttentionResult attention(const Tensor& q, const Tensor& k, const Tensor& v,
                          const AttentionParams& params, bool want_lse);

Tensor argmax(const Tensor& x);
std::pair<Tensor, Tensor> topk(const Tensor& x, int k);
Tensor concat(const std::vector<Tensor>& inputs, int dim);

// ---- training (backward) ops ---------------------------------------------------------------------
// Every reduction is deterministic (the same bits whatever the thread count). Tensors written in
// place (out, d_table, d_gamma, param, ...) must be contiguous f32 on the inputs' device and may
// not overlap the inputs they are computed from.

// op(a) · op(b) for 2-D a (f32) and b (f32/f16/bf16): op(a) = aᵀ when trans_a (a stored [K, M]),
// op(b) = bᵀ when trans_b (b stored [N, K]). Result f32 [M, N]: a new tensor, or written into
// *out (returned) — added to its contents when accumulate (which requires out).
Tensor gemm(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, Tensor* out, bool accumulate);
// Σ over all leading rows of x [..., N] -> [N] (new, or into / added to *out).
Tensor sum_rows(const Tensor& x, Tensor* out, bool accumulate);
// d_table[ids[i]] += d_out[i] (scatter-add; repeated ids add up). ids i32 any shape, d_out
// [...ids.shape, C], d_table [V, C]; ids outside [0, V) are rejected before any write.
void embedding_backward(const Tensor& ids, const Tensor& d_out, Tensor& d_table);
// dx of y = (x − μ)·rstd·γ + β over the last dim; d_gamma / d_beta ([C], optional) are added to.
Tensor layer_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& d_out, float eps, Tensor* d_gamma,
                           Tensor* d_beta);
Tensor gelu_backward(const Tensor& x, const Tensor& d_out);

struct AttentionGrads {
  Tensor dq, dk, dv;
};
// Backward of attention(q, k, v, params) given its out and lse: dq [B, Lq, H, D], dk/dv
// [B, Lk, H, D], contiguous f32.
AttentionGrads attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                                  const Tensor& lse, const Tensor& d_out, const AttentionParams& params);

// The distillation objective per row r of student logits z_s [R, V] (teacher z_t [R, V] or
// none), labels [R] i32 (negative: row ignored), T = temperature:
//   ce[r]   = logsumexp(z_s) − z_s[y]
//   kl[r]   = T² Σ_v p_t (log p_t − log p_s),  p_t = softmax(z_t/T), log p_s = log_softmax(z_s/T)
//   grad[r] = ce_scale·(softmax(z_s) − onehot(y)) + kl_scale·T·(softmax(z_s/T) − p_t)
// Ignored rows get ce = kl = 0 and a zero grad row; without a teacher kl = 0 and there is no KL
// term. in_place writes grad over the student logits (grad is then that tensor).
struct LogitsLossParams {
  float temperature = 2.0f;
  float ce_scale = 1.0f;
  float kl_scale = 1.0f;
  bool in_place = false;
};
struct LogitsLossResult {
  Tensor ce, kl, grad;
};
LogitsLossResult logits_loss(const Tensor& student, const Tensor* teacher, const Tensor& labels,
                             const LogitsLossParams& params);

// torch.optim.AdamW, single-tensor order, one step (1-based) on param / m / v in place.
struct AdamWParams {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.0;
  int64_t step = 1;
};
void adamw_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const AdamWParams& params);

double sum_squares(const Tensor& x);  // Σ x², accumulated in double
void scale_in_place(Tensor& x, float s);
void add_in_place(Tensor& dst, const Tensor& src, float alpha);  // dst += alpha · src
void fill_zero(Tensor& x);

}  // namespace dw::ops
