// AVX2 loops for elementwise.cpp (compiled with -mavx2 -mfma; called only after use_avx2()).
#include <immintrin.h>

#include <cstdint>

namespace dw::cpu::avx2 {
namespace {

template <class Vec, class Sca>
inline void rows(const float* a, const float* b, float* out, int64_t n, Vec vop, Sca sop) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 r0 = vop(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
    __m256 r1 = vop(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
    __m256 r2 = vop(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
    __m256 r3 = vop(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
    _mm256_storeu_ps(out + i, r0);
    _mm256_storeu_ps(out + i + 8, r1);
    _mm256_storeu_ps(out + i + 16, r2);
    _mm256_storeu_ps(out + i + 24, r3);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, vop(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i)));
  for (; i < n; ++i) out[i] = sop(a[i], b[i]);
}

template <class Vec, class Sca>
inline void with_scalar(const float* a, float b, float* out, int64_t n, Vec vop, Sca sop) {
  const __m256 vb = _mm256_set1_ps(b);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256 r0 = vop(_mm256_loadu_ps(a + i), vb);
    __m256 r1 = vop(_mm256_loadu_ps(a + i + 8), vb);
    __m256 r2 = vop(_mm256_loadu_ps(a + i + 16), vb);
    __m256 r3 = vop(_mm256_loadu_ps(a + i + 24), vb);
    _mm256_storeu_ps(out + i, r0);
    _mm256_storeu_ps(out + i + 8, r1);
    _mm256_storeu_ps(out + i + 16, r2);
    _mm256_storeu_ps(out + i + 24, r3);
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, vop(_mm256_loadu_ps(a + i), vb));
  for (; i < n; ++i) out[i] = sop(a[i], b);
}

const auto vadd = [](__m256 x, __m256 y) { return _mm256_add_ps(x, y); };
const auto vmul = [](__m256 x, __m256 y) { return _mm256_mul_ps(x, y); };
const auto sadd = [](float x, float y) { return x + y; };
const auto smul = [](float x, float y) { return x * y; };

}  // namespace

void add_rows(const float* a, const float* b, float* out, int64_t n) { rows(a, b, out, n, vadd, sadd); }
void mul_rows(const float* a, const float* b, float* out, int64_t n) { rows(a, b, out, n, vmul, smul); }
void add_scalar(const float* a, float b, float* out, int64_t n) { with_scalar(a, b, out, n, vadd, sadd); }
void mul_scalar(const float* a, float b, float* out, int64_t n) { with_scalar(a, b, out, n, vmul, smul); }

}  // namespace dw::cpu::avx2
