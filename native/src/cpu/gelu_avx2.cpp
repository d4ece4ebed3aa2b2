// Vectorised exact GELU. Φ(x) comes from erfc, not erf, so both tails keep their relative accuracy:
//   z = |x|/√2,  Φ(x) = 0.5·erfc(z) for x < 0,  1 − 0.5·erfc(z) for x ≥ 0,
//   erfc(z) ≈ t·exp(−z² + P(t)),  t = 1/(1 + z/2),
// with the degree-9 Chebyshev-fitted P of Numerical Recipes (erfcc; fractional error < 1.2e-7 for
// every z ≥ 0). Measured against std::erf in double, max |gelu error| stays below 1e-6 (the test
// checks it on [−12, 12] and at the special values).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "simd_math_avx2.h"

namespace dw::cpu::avx2 {
namespace {


inline __m256 gelu_ps(__m256 x) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 z = _mm256_mul_ps(_mm256_andnot_ps(sign_mask, x), _mm256_set1_ps(0.70710678118654752f));
  const __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(z, _mm256_set1_ps(0.5f), _mm256_set1_ps(1.0f)));
  __m256 p = _mm256_set1_ps(0.17087277f);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.82215223f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.48851587f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.13520398f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.27886807f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.18628806f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.09678418f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.37409196f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.00002368f));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.26551223f));
  const __m256 arg = _mm256_fnmadd_ps(z, z, p);
  const __m256 half_erfc = _mm256_mul_ps(_mm256_mul_ps(t, exp_ps(arg)), _mm256_set1_ps(0.5f));
  const __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  const __m256 phi = _mm256_blendv_ps(_mm256_sub_ps(_mm256_set1_ps(1.0f), half_erfc), half_erfc, neg);
  return _mm256_mul_ps(x, phi);
}

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
