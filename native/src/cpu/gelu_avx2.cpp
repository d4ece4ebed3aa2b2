// Vectorised exact GELU, x·Φ(x), with Φ from erfc (normal_cdf_ps in simd_math_avx2.h), not erf,
// so both tails keep their relative accuracy. Measured against std::erf in double, max |gelu
// error| stays below 1e-6 (the test checks it on [−12, 12] and at the special values).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "simd_math_avx2.h"

namespace dw::cpu::avx2 {
namespace {

inline __m256 gelu_ps(__m256 x) { return _mm256_mul_ps(x, normal_cdf_ps(x)); }

}  // namespace

void gelu(const float* x, float* out, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, gelu_ps(_mm256_loadu_ps(x + i)));
  if (i < n) {
    // Tail through a padded copy so every element takes the same code path as the body.
    alignas(32) float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = i; j < n; ++j) buf[j - i] = x[j];
    _mm256_store_ps(buf, gelu_ps(_mm256_load_ps(buf)));
    for (int64_t j = i; j < n; ++j) out[j] = buf[j - i];
  }
}

}  // namespace dw::cpu::avx2
