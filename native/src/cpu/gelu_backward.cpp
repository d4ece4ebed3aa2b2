// Backward of the exact (erf) GELU: d/dx [x·Φ(x)] = Φ(x) + x·φ(x), φ(x) = exp(−x²/2)/√(2π), so
// dX = dY·(Φ(x) + x·φ(x)). Φ comes from erfc (as in the forward), which keeps its relative
// accuracy in the negative tail where 1 + erf would cancel.
#include <cmath>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace avx2 {
void gelu_backward(const float* x, const float* d_out, float* dx, int64_t n);
}

void gelu_backward(const float* x, const float* d_out, float* dx, int64_t n) {
  const bool simd = use_avx2();
  parallel_for(n, 1 << 14, [&](int64_t begin, int64_t end) {
    if (simd) {
      avx2::gelu_backward(x + begin, d_out + begin, dx + begin, end - begin);
      return;
    }
    constexpr float kInvSqrt2 = 0.70710678118654752f, kInvSqrt2Pi = 0.39894228040143268f;
    for (int64_t i = begin; i < end; ++i) {
      const float v = x[i];
      const float cdf = 0.5f * std::erfc(-v * kInvSqrt2);
      dx[i] = d_out[i] * (cdf + v * kInvSqrt2Pi * std::exp(-0.5f * v * v));
    }
  });
}

void gelu_backward_reference(const float* x, const float* d_out, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    const double d = 0.5 * std::erfc(-v * 0.70710678118654752440) + v * 0.39894228040143267794 * std::exp(-0.5 * v * v);
    dx[i] = static_cast<float>(d_out[i] * d);
  }
}

}  // namespace dw::cpu
