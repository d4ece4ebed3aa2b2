// AVX2 loops of the int8 Linear (compiled with -mavx2; reached only after use_avx2()).
//
// AVX2 has no signed×signed byte product: VPMADDUBSW multiplies unsigned by signed bytes. The
// sign of x is moved onto w (|x| · (w · sign x) = x · w), which keeps both factors within ±127, so
// the pairwise int16 sums (≤ 2·127·127) never saturate; VPMADDWD with ones widens them to int32.
#include <immintrin.h>

#include <cstdint>

#include "linear_i8.h"

namespace dw::cpu::i8_detail {
namespace {

inline int32_t hsum_epi32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

inline __m256i dot32(__m256i ax, __m256i x, __m256i w, __m256i ones) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(ax, _mm256_sign_epi8(w, x)), ones);
}

inline float finish(int32_t acc, float sx, float sw, const float* bias, int64_t n) {
  return static_cast<float>(acc) * (sx * sw) + (bias ? bias[n] : 0.0f);
}

}  // namespace

float max_abs_avx2(const float* x, int64_t n) {
  const __m256 mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF));
  __m256 m = _mm256_setzero_ps();
  int64_t i = 0;
  // max_ps returns its second operand when either is NaN: keeping the data second lets a NaN
  // through to the caller, which must see it.
  for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_and_ps(_mm256_loadu_ps(x + i), mask));
  alignas(32) float lanes[8];
  _mm256_store_ps(lanes, m);
  float r = 0.0f;
  for (float v : lanes) r = (v > r || v != v) ? v : r;
  for (; i < n; ++i) {
    const float v = x[i] < 0 ? -x[i] : x[i];
    r = (v > r || v != v) ? v : r;
  }
  return r;
}

void quantize_row_avx2(const float* x, int64_t n, float inv, int8_t* q) {
  const __m256 s = _mm256_set1_ps(inv);
  const __m256 hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    __m256i v[4];
    for (int j = 0; j < 4; ++j) {
      __m256 f = _mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * j), s);
      f = _mm256_min_ps(hi, _mm256_max_ps(lo, f));
      v[j] = _mm256_cvtps_epi32(f);  // round half to even (MXCSR default), as nearbyint
    }
    // packs interleave 128-bit lanes; the permute puts the 32 bytes back in order.
    const __m256i p01 = _mm256_packs_epi32(v[0], v[1]), p23 = _mm256_packs_epi32(v[2], v[3]);
    const __m256i b = _mm256_packs_epi16(p01, p23);
    const __m256i ordered = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), ordered);
  }
  for (; i < n; ++i) {
    float f = x[i] * inv;
    f = f > 127.0f ? 127.0f : (f < -127.0f ? -127.0f : f);
    q[i] = static_cast<int8_t>(_mm_cvtss_si32(_mm_set_ss(f)));
  }
}

void dots_avx2(const int8_t* qx, int64_t m0, int64_t m1, const int8_t* w, int64_t n0, int64_t n1, int64_t K,
               const float* sx, const float* w_scale, const float* bias, float* y, int64_t N) {
  const __m256i ones = _mm256_set1_epi16(1);
  const int64_t K32 = K / 32 * 32;
  auto tail = [&](int64_t m, int64_t n) {
    int32_t acc = 0;
    for (int64_t k = K32; k < K; ++k) acc += int32_t{qx[m * K + k]} * int32_t{w[n * K + k]};
    return acc;
  };
  int64_t m = m0;
  // A few rows of x (beams, a batch of windows, a few new tokens): memory bound, so weight rows
  // are read in storage order, each 32-byte piece loaded once and used for up to four rows of x,
  // whose |x| is computed once per call.
  const int64_t rows = m1 - m0;
  if (rows > 16) {
  // Many rows (the encoder): two rows of x against four rows of w, 8 accumulators, each weight
  // load used twice — fewer instructions per product than the streaming form below.
  for (; m + 2 <= m1; m += 2) {
    const int8_t* x0 = qx + m * K;
    const int8_t* x1 = x0 + K;
    int64_t n = n0;
    for (; n + 4 <= n1; n += 4) {
      __m256i a[2][4];
      for (auto& row : a)
        for (auto& v : row) v = _mm256_setzero_si256();
      for (int64_t k = 0; k < K32; k += 32) {
        const __m256i xv0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x0 + k));
        const __m256i xv1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x1 + k));
        const __m256i ax0 = _mm256_sign_epi8(xv0, xv0), ax1 = _mm256_sign_epi8(xv1, xv1);
        for (int c = 0; c < 4; ++c) {
          const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + (n + c) * K + k));
          a[0][c] = _mm256_add_epi32(a[0][c], dot32(ax0, xv0, wv, ones));
          a[1][c] = _mm256_add_epi32(a[1][c], dot32(ax1, xv1, wv, ones));
        }
      }
      for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 4; ++c)
          y[(m + r) * N + n + c] =
              finish(hsum_epi32(a[r][c]) + tail(m + r, n + c), sx[m + r], w_scale[n + c], bias, n + c);
    }
    for (; n < n1; ++n)
      for (int r = 0; r < 2; ++r) {
        __m256i acc = _mm256_setzero_si256();
        const int8_t* xr = qx + (m + r) * K;
        for (int64_t k = 0; k < K32; k += 32) {
          const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xr + k));
          const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + n * K + k));
          acc = _mm256_add_epi32(acc, dot32(_mm256_sign_epi8(xv, xv), xv, wv, ones));
        }
        y[(m + r) * N + n] = finish(hsum_epi32(acc) + tail(m + r, n), sx[m + r], w_scale[n], bias, n);
      }
  }
  } else if (rows >= 2) {
    // |x| of the rows this call covers, so the inner loop does one sign per (row, piece).
    alignas(32) int8_t ax_buf[4 * 4096];
    const bool cache_abs = K <= 4096;
    for (; m + 2 <= m1; m += 4) {
      const int mm = static_cast<int>(m1 - m < 4 ? m1 - m : 4);
      const int8_t* xr[4];
      const int8_t* ar[4];
      for (int r = 0; r < 4; ++r) {
        xr[r] = qx + (m + (r < mm ? r : 0)) * K;
        ar[r] = cache_abs ? ax_buf + r * 4096 : nullptr;
        if (cache_abs && r < mm)
          for (int64_t k = 0; k < K32; k += 32) {
            const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xr[r] + k));
            _mm256_store_si256(reinterpret_cast<__m256i*>(ax_buf + r * 4096 + k), _mm256_sign_epi8(v, v));
          }
      }
      for (int64_t n = n0; n < n1; ++n) {
        const int8_t* wr = w + n * K;
        _mm_prefetch(reinterpret_cast<const char*>(wr + 2 * K), _MM_HINT_T0);
        __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256(), a2 = _mm256_setzero_si256(),
                a3 = _mm256_setzero_si256();
        for (int64_t k = 0; k < K32; k += 32) {
          const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + k));
          auto piece = [&](int r) {
            const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xr[r] + k));
            const __m256i av = cache_abs ? _mm256_load_si256(reinterpret_cast<const __m256i*>(ar[r] + k))
                                         : _mm256_sign_epi8(xv, xv);
            return dot32(av, xv, wv, ones);
          };
          a0 = _mm256_add_epi32(a0, piece(0));
          a1 = _mm256_add_epi32(a1, piece(1));
          if (mm > 2) a2 = _mm256_add_epi32(a2, piece(2));
          if (mm > 3) a3 = _mm256_add_epi32(a3, piece(3));
        }
        const __m256i acc[4] = {a0, a1, a2, a3};
        for (int r = 0; r < mm; ++r)
          y[(m + r) * N + n] = finish(hsum_epi32(acc[r]) + tail(m + r, n), sx[m + r], w_scale[n], bias, n);
      }
    }
  }
  // One row left (the decoder's single token lands here). Memory bound: each weight row is read
  // front to back with four independent accumulators, rows in storage order, so the hardware
  // prefetcher sees one sequential stream; a software prefetch runs a few rows ahead.
  for (; m < m1; ++m) {
    const int8_t* x0 = qx + m * K;
    const int64_t K128 = K / 128 * 128;
    for (int64_t n = n0; n < n1; ++n) {
      const int8_t* wr = w + n * K;
      _mm_prefetch(reinterpret_cast<const char*>(wr + 4 * K), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(wr + 4 * K + 64), _MM_HINT_T0);
      __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256(), a2 = _mm256_setzero_si256(),
              a3 = _mm256_setzero_si256();
      int64_t k = 0;
      for (; k < K128; k += 128) {
        const __m256i xv0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x0 + k));
        const __m256i xv1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x0 + k + 32));
        const __m256i xv2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x0 + k + 64));
        const __m256i xv3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x0 + k + 96));
        a0 = _mm256_add_epi32(a0, dot32(_mm256_sign_epi8(xv0, xv0), xv0,
                                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + k)), ones));
        a1 = _mm256_add_epi32(a1, dot32(_mm256_sign_epi8(xv1, xv1), xv1,
                                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + k + 32)), ones));
        a2 = _mm256_add_epi32(a2, dot32(_mm256_sign_epi8(xv2, xv2), xv2,
                                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + k + 64)), ones));
        a3 = _mm256_add_epi32(a3, dot32(_mm256_sign_epi8(xv3, xv3), xv3,
                                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + k + 96)), ones));
      }
      for (; k < K32; k += 32) {
        const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x0 + k));
        a0 = _mm256_add_epi32(a0, dot32(_mm256_sign_epi8(xv, xv), xv,
                                        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wr + k)), ones));
      }
      const __m256i acc = _mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3));
      y[m * N + n] = finish(hsum_epi32(acc) + tail(m, n), sx[m], w_scale[n], bias, n);
    }
  }
}

}  // namespace dw::cpu::i8_detail
