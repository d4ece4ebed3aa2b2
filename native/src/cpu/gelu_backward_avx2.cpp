// AVX2 GELU derivative for gelu_backward.cpp: Φ(x) from normal_cdf_ps (erfc-based, as the forward)
// plus x·φ(x) with φ from exp_ps.
#include <immintrin.h>

#include <cstdint>

#include "simd_math_avx2.h"

namespace dw::cpu::avx2 {
namespace {

inline __m256 gelu_grad_ps(__m256 x, __m256 dy) {
  const __m256 e = exp_ps(_mm256_mul_ps(_mm256_mul_ps(x, x), _mm256_set1_ps(-0.5f)));
  const __m256 pdf = _mm256_mul_ps(e, _mm256_set1_ps(0.39894228040143268f));
  return _mm256_mul_ps(dy, _mm256_fmadd_ps(x, pdf, normal_cdf_ps(x)));
}

}  // namespace

void gelu_backward(const float* x, const float* d_out, float* dx, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dx + i, gelu_grad_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(d_out + i)));
  if (i < n) {
    // Tail through padded copies so every element takes the same code path as the body.
    alignas(32) float bx[8] = {0, 0, 0, 0, 0, 0, 0, 0}, bd[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = i; j < n; ++j) {
      bx[j - i] = x[j];
      bd[j - i] = d_out[j];
    }
    _mm256_store_ps(bx, gelu_grad_ps(_mm256_load_ps(bx), _mm256_load_ps(bd)));
    for (int64_t j = i; j < n; ++j) dx[j] = bx[j - i];
  }
}

}  // namespace dw::cpu::avx2
