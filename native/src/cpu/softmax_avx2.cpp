// AVX2 row primitives shared by softmax.cpp and attention.cpp (max, exp-and-sum, scaling).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "simd_math_avx2.h"

namespace dw::cpu::avx2 {
// Max of a row; NaN wins (so a NaN row softmaxes to NaN instead of silently dropping it).
float row_max(const float* x, int64_t n) {
  __m256 m = _mm256_set1_ps(-INFINITY);
  __m256 has_nan = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(x + i);
    m = _mm256_max_ps(m, v);
    has_nan = _mm256_or_ps(has_nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
  }
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float r = lanes[0];
  for (int k = 1; k < 8; ++k) r = lanes[k] > r ? lanes[k] : r;
  bool nan = _mm256_movemask_ps(has_nan) != 0;
  for (; i < n; ++i) {
    if (std::isnan(x[i])) nan = true;
    r = x[i] > r ? x[i] : r;
  }
  return nan ? NAN : r;
}

// out[i] = exp(x[i] − shift); returns the sum. x and out may alias.
float exp_shift_sum(const float* x, float shift, float* out, int64_t n) {
  const __m256 vs = _mm256_set1_ps(shift);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 e0 = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vs));
    const __m256 e1 = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8), vs));
    _mm256_storeu_ps(out + i, e0);
    _mm256_storeu_ps(out + i + 8, e1);
    s0 = _mm256_add_ps(s0, e0);
    s1 = _mm256_add_ps(s1, e1);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vs));
    _mm256_storeu_ps(out + i, e);
    s0 = _mm256_add_ps(s0, e);
  }
  if (i < n) {
    // Masked tail: lanes past n are −inf, whose exp is 0, so the sum is unaffected.
    alignas(32) float buf[8];
    for (int k = 0; k < 8; ++k) buf[k] = i + k < n ? x[i + k] - shift : -INFINITY;
    const __m256 e = exp_ps(_mm256_load_ps(buf));
    s1 = _mm256_add_ps(s1, e);
    _mm256_store_ps(buf, e);
    for (int64_t k = i; k < n; ++k) out[k] = buf[k - i];
  }
  return hsum(_mm256_add_ps(s0, s1));
}

void scale_row(float* x, float s, int64_t n) {
  const __m256 vs = _mm256_set1_ps(s);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), vs));
  for (; i < n; ++i) x[i] *= s;
}

// out[i] = (x[i] − m) − log_sum. Subtracting the max first keeps x − m exact; folding m + log_sum
// into one float would round it at the magnitude of m (an error of ~3e-5 for logits near 1000).
void sub_row(const float* x, float m, float log_sum, float* out, int64_t n) {
  const __m256 vm = _mm256_set1_ps(m);
  const __m256 vl = _mm256_set1_ps(log_sum);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(out + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), vm), vl));
  for (; i < n; ++i) out[i] = (x[i] - m) - log_sum;
}

}  // namespace dw::cpu::avx2
