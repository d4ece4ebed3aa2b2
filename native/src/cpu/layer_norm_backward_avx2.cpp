// AVX2 row kernel for layer_norm_backward.cpp: one pass for the two row sums (and the dγ/dβ
// partials), one for dx; x̂ and dY·γ are recomputed in the second pass rather than stored.
#include <immintrin.h>

#include <cstdint>

#include "simd_math_avx2.h"

namespace dw::cpu::avx2 {

void layer_norm_backward_row(const float* x, const float* gamma, const float* dy, float mean, float rstd,
                             int64_t cols, float* dx, float* pg, float* pb) {
  const __m256 vm = _mm256_set1_ps(mean), vr = _mm256_set1_ps(rstd);
  __m256 s1a = _mm256_setzero_ps(), s1b = s1a, s2a = s1a, s2b = s1a;
  int64_t j = 0;
  for (; j + 16 <= cols; j += 16) {
    const __m256 xh0 = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vr);
    const __m256 xh1 = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j + 8), vm), vr);
    const __m256 d0 = _mm256_loadu_ps(dy + j), d1 = _mm256_loadu_ps(dy + j + 8);
    const __m256 g0 = _mm256_mul_ps(d0, _mm256_loadu_ps(gamma + j));
    const __m256 g1 = _mm256_mul_ps(d1, _mm256_loadu_ps(gamma + j + 8));
    s1a = _mm256_add_ps(s1a, g0);
    s1b = _mm256_add_ps(s1b, g1);
    s2a = _mm256_fmadd_ps(g0, xh0, s2a);
    s2b = _mm256_fmadd_ps(g1, xh1, s2b);
    if (pg) {
      _mm256_storeu_ps(pg + j, _mm256_fmadd_ps(d0, xh0, _mm256_loadu_ps(pg + j)));
      _mm256_storeu_ps(pg + j + 8, _mm256_fmadd_ps(d1, xh1, _mm256_loadu_ps(pg + j + 8)));
      _mm256_storeu_ps(pb + j, _mm256_add_ps(d0, _mm256_loadu_ps(pb + j)));
      _mm256_storeu_ps(pb + j + 8, _mm256_add_ps(d1, _mm256_loadu_ps(pb + j + 8)));
    }
  }
  float s1 = hsum(_mm256_add_ps(s1a, s1b)), s2 = hsum(_mm256_add_ps(s2a, s2b));
  for (; j < cols; ++j) {
    const float xh = (x[j] - mean) * rstd, g = dy[j] * gamma[j];
    s1 += g;
    s2 += g * xh;
    if (pg) {
      pg[j] += dy[j] * xh;
      pb[j] += dy[j];
    }
  }
  const float a = s1 / static_cast<float>(cols), b = s2 / static_cast<float>(cols);
  const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
  j = 0;
  for (; j + 8 <= cols; j += 8) {
    const __m256 xh = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vr);
    const __m256 g = _mm256_mul_ps(_mm256_loadu_ps(dy + j), _mm256_loadu_ps(gamma + j));
    _mm256_storeu_ps(dx + j, _mm256_mul_ps(vr, _mm256_fnmadd_ps(xh, vb, _mm256_sub_ps(g, va))));
  }
  for (; j < cols; ++j) {
    const float xh = (x[j] - mean) * rstd, g = dy[j] * gamma[j];
    dx[j] = rstd * (g - a - xh * b);
  }
}

}  // namespace dw::cpu::avx2
