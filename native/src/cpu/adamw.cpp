// One AdamW step in the order of torch.optim.AdamW's single-tensor implementation
// (_single_tensor_adamw), element by element in float32:
//   param ← param·(1 − lr·wd)
//   m     ← lerp(m, g, 1 − β1)      torch's lerp: m + w·(g − m) when |w| < 0.5, else g − (g − m)·(1 − w)
//   v     ← v·β2 + ((1 − β2)·g)·g    (mul_ then addcmul_)
//   bc1 = 1 − β1^step, bc2 = 1 − β2^step                       (in double, as Python computes them)
//   denom ← sqrt(v) / sqrt(bc2) + eps
//   param ← param + (−lr / bc1)·(m / denom)                   (addcdiv_)
// Every scalar is formed in double and rounded to float once, as a Python float is when torch
// applies it to a float32 tensor. The loop is memory bound (four arrays in, three out) and the
// compiler vectorises it as written, without fusing any multiply-add (so the rounding is the one
// above on every machine); a hand-written AVX2 version would gain nothing.
#include <cmath>

#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace {

struct Coefficients {
  float decay, w, b2, one_minus_b2, bc2_sqrt, eps, neg_step_size;
  bool small_w;
};

Coefficients coefficients(const AdamWStep& p) {
  Coefficients c;
  c.decay = static_cast<float>(1.0 - p.lr * p.weight_decay);
  c.w = static_cast<float>(1.0 - p.beta1);
  c.small_w = std::fabs(c.w) < 0.5f;
  c.b2 = static_cast<float>(p.beta2);
  c.one_minus_b2 = static_cast<float>(1.0 - p.beta2);
  const double bc1 = 1.0 - std::pow(p.beta1, static_cast<double>(p.step));
  const double bc2 = 1.0 - std::pow(p.beta2, static_cast<double>(p.step));
  c.bc2_sqrt = static_cast<float>(std::sqrt(bc2));
  c.eps = static_cast<float>(p.eps);
  c.neg_step_size = static_cast<float>(-(p.lr / bc1));
  return c;
}

template <bool SmallW>
void step_range(float* param, const float* grad, float* m, float* v, int64_t n, const Coefficients& c) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i];
    const float p = param[i] * c.decay;
    const float mi = SmallW ? m[i] + c.w * (g - m[i]) : g - (g - m[i]) * (1.0f - c.w);
    float vi = v[i] * c.b2;
    vi = vi + c.one_minus_b2 * g * g;
    const float denom = std::sqrt(vi) / c.bc2_sqrt + c.eps;
    m[i] = mi;
    v[i] = vi;
    param[i] = p + c.neg_step_size * (mi / denom);
  }
}

}  // namespace

void adamw_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamWStep& p) {
  const Coefficients c = coefficients(p);
  parallel_for(n, int64_t{1} << 14, [&](int64_t b, int64_t e) {
    if (c.small_w) step_range<true>(param + b, grad + b, m + b, v + b, e - b, c);
    else step_range<false>(param + b, grad + b, m + b, v + b, e - b, c);
  });
}

// The textbook AdamW in double (decoupled decay, bias-corrected moments), rounded to float per
// step: agrees with the float32 kernel to float rounding, independently of torch's op order.
void adamw_step_reference(float* param, const float* grad, float* m, float* v, int64_t n, const AdamWStep& p) {
  const double bc1 = 1.0 - std::pow(p.beta1, static_cast<double>(p.step));
  const double bc2 = 1.0 - std::pow(p.beta2, static_cast<double>(p.step));
  for (int64_t i = 0; i < n; ++i) {
    const double g = grad[i];
    const double mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
    const double vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
    const double pi = param[i] * (1.0 - p.lr * p.weight_decay);
    param[i] = static_cast<float>(pi - p.lr / bc1 * mi / (std::sqrt(vi) / std::sqrt(bc2) + p.eps));
    m[i] = static_cast<float>(mi);
    v[i] = static_cast<float>(vi);
  }
}

}  // namespace dw::cpu
