// AVX2 row kernel for layer_norm.cpp. Four independent accumulators per pass hide the add latency.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "layer_norm_stats.h"
#include "simd_math_avx2.h"

namespace dw::cpu::avx2 {
RowStats layer_norm_stats(const float* x, int64_t cols, float eps) {
  // Sum relative to x[0] (see layer_norm.cpp).
  const float x0 = x[0];
  const __m256 v0 = _mm256_set1_ps(x0);
  __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  int64_t j = 0;
  for (; j + 32 <= cols; j += 32) {
    s0 = _mm256_add_ps(s0, _mm256_sub_ps(_mm256_loadu_ps(x + j), v0));
    s1 = _mm256_add_ps(s1, _mm256_sub_ps(_mm256_loadu_ps(x + j + 8), v0));
    s2 = _mm256_add_ps(s2, _mm256_sub_ps(_mm256_loadu_ps(x + j + 16), v0));
    s3 = _mm256_add_ps(s3, _mm256_sub_ps(_mm256_loadu_ps(x + j + 24), v0));
  }
  for (; j + 8 <= cols; j += 8) s0 = _mm256_add_ps(s0, _mm256_sub_ps(_mm256_loadu_ps(x + j), v0));
  float sum = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; j < cols; ++j) sum += x[j] - x0;
  const float mean = x0 + sum / static_cast<float>(cols);

  const __m256 vm = _mm256_set1_ps(mean);
  s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
  j = 0;
  for (; j + 32 <= cols; j += 32) {
    __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(x + j), vm);
    __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 8), vm);
    __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 16), vm);
    __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(x + j + 24), vm);
    s0 = _mm256_fmadd_ps(d0, d0, s0);
    s1 = _mm256_fmadd_ps(d1, d1, s1);
    s2 = _mm256_fmadd_ps(d2, d2, s2);
    s3 = _mm256_fmadd_ps(d3, d3, s3);
  }
  for (; j + 8 <= cols; j += 8) {
    __m256 d = _mm256_sub_ps(_mm256_loadu_ps(x + j), vm);
    s0 = _mm256_fmadd_ps(d, d, s0);
  }
  float sq = hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
  for (; j < cols; ++j) sq += (x[j] - mean) * (x[j] - mean);
  return {mean, 1.0f / std::sqrt(sq / static_cast<float>(cols) + eps)};
}

void layer_norm_row(const float* x, const float* gamma, const float* beta, float eps, float* out, int64_t cols) {
  const RowStats st = layer_norm_stats(x, cols, eps);
  const float mean = st.mean, rstd = st.rstd;
  const __m256 vm = _mm256_set1_ps(mean);
  const __m256 vr = _mm256_set1_ps(rstd);
  int64_t j = 0;
  for (; j + 8 <= cols; j += 8) {
    __m256 d = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vr);
    _mm256_storeu_ps(out + j, _mm256_fmadd_ps(d, _mm256_loadu_ps(gamma + j), _mm256_loadu_ps(beta + j)));
  }
  for (; j < cols; ++j) out[j] = (x[j] - mean) * rstd * gamma[j] + beta[j];
}

}  // namespace dw::cpu::avx2
