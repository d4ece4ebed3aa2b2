// Exact (erf) GELU: out = x · Φ(x) = 0.5 · x · (1 + erf(x / √2)), as torch.nn.GELU() with the
// default approximate='none' (Whisper's activation). Not the tanh approximation.
#include <cmath>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace avx2 {
void gelu(const float* x, float* out, int64_t n);
}

void gelu(const float* x, float* out, int64_t n) {
  const bool simd = use_avx2();
  parallel_for(n, 1 << 14, [&](int64_t begin, int64_t end) {
    if (simd) {
      avx2::gelu(x + begin, out + begin, end - begin);
      return;
    }
    // Φ(x) = erfc(−x/√2)/2: unlike 1 + erf(x/√2) it does not cancel for negative x.
    constexpr float kInvSqrt2 = 0.70710678118654752f;
    for (int64_t i = begin; i < end; ++i) out[i] = 0.5f * x[i] * std::erfc(-x[i] * kInvSqrt2);
  });
}

void gelu_reference(const float* x, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i];
    out[i] = static_cast<float>(0.5 * v * std::erfc(-v * 0.70710678118654752440));
  }
}

}  // namespace dw::cpu
