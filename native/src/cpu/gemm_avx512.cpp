// AVX-512 (F/BW/VL) pieces of the GEMM: a 12×32 micro-kernel — 24 ZMM accumulators, two B vectors
// and a broadcast fit the 32 registers AVX-512 has, twice the work per k of the AVX2 6×16 — and
// packing into 32-column panels. The streaming GEMV (memory bound: wider registers do not help)
// is the AVX2 one. Reached only when the CPU has AVX-512 and the kernels passed their self-test
// against the portable reference (gemm.cpp).
#include <immintrin.h>

#include <cstdint>

#include "gemm_kernels.h"
#include "gemm_x86_loads.h"

namespace dw::cpu::gemm_detail {
namespace {

constexpr int MR = 12;
constexpr int NR = 32;

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// A block rows [i0, i0 + mc) × k [k0, k0 + kc) into 12-row panels, k-major inside each panel.
// A is packed once per GEMM and read NR/MR-fold less often than B, so plain loops suffice.
void pack_a(const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t rows = min64(MR, mc - ir);
    float* d = dst + ir * kc;
    for (int r = 0; r < MR; ++r) {
      const float* a = A + (i0 + ir + r) * lda + k0;
      if (r < rows)
        for (int64_t k = 0; k < kc; ++k) d[k * MR + r] = a[k];
      else
        for (int64_t k = 0; k < kc; ++k) d[k * MR + r] = 0.0f;
    }
  }
}

// op(A) = Aᵀ, A stored [K, M]: row k of A holds the panel's 12 values for depth k side by side.
void pack_a_trans(const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t rows = min64(MR, mc - ir);
    float* d = dst + ir * kc;
    for (int64_t k = 0; k < kc; ++k) {
      const float* a = A + (k0 + k) * lda + i0 + ir;
      for (int r = 0; r < MR; ++r) d[k * MR + r] = r < rows ? a[r] : 0.0f;
    }
  }
}

// B stored [N, K] (a Linear weight): 8 rows × 8 k at a time through an in-register transpose.
template <DType D>
void pack_b_trans(const BView& B, int64_t j0, int64_t nc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t cols = min64(NR, nc - jr);
    float* d = dst + jr * kc;
    if (cols == NR) {
      int64_t k = 0;
      for (; k + 8 <= kc; k += 8) {
        for (int h = 0; h < NR / 8; ++h) {
          __m256 r[8];
          for (int i = 0; i < 8; ++i) r[i] = load8<D>(B.data, (j0 + jr + h * 8 + i) * B.ld + k0 + k);
          if constexpr (D == DType::I8)
            for (int i = 0; i < 8; ++i) r[i] = _mm256_mul_ps(r[i], _mm256_set1_ps(B.scale[j0 + jr + h * 8 + i]));
          transpose8(r);
          for (int i = 0; i < 8; ++i) _mm256_storeu_ps(d + (k + i) * NR + h * 8, r[i]);
        }
      }
      for (; k < kc; ++k)
        for (int c = 0; c < NR; ++c) d[k * NR + c] = load1<D>(B.data, (j0 + jr + c) * B.ld + k0 + k) * col_scale(B, j0 + jr + c);
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int c = 0; c < NR; ++c) d[k * NR + c] = c < cols ? load1<D>(B.data, (j0 + jr + c) * B.ld + k0 + k) * col_scale(B, j0 + jr + c) : 0.0f;
    }
  }
}

// B stored [K, N]: each k is 32 adjacent values.
template <DType D>
void pack_b_plain(const BView& B, int64_t j0, int64_t nc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t cols = min64(NR, nc - jr);
    float* d = dst + jr * kc;
    for (int64_t k = 0; k < kc; ++k) {
      const int64_t idx = (k0 + k) * B.ld + j0 + jr;
      if (cols == NR)
        for (int h = 0; h < NR / 8; ++h) _mm256_storeu_ps(d + k * NR + h * 8, load8<D>(B.data, idx + h * 8));
      else
        for (int c = 0; c < NR; ++c) d[k * NR + c] = c < cols ? load1<D>(B.data, idx + c) : 0.0f;
    }
  }
}

void pack_b(const BView& B, int64_t j0, int64_t nc, int64_t k0, int64_t kc, float* dst) {
  switch (B.dtype) {
    case DType::I8:  // int8 weights are always Linear weights, stored [N, K]
      return pack_b_trans<DType::I8>(B, j0, nc, k0, kc, dst);
    case DType::F16:
      return B.trans ? pack_b_trans<DType::F16>(B, j0, nc, k0, kc, dst) : pack_b_plain<DType::F16>(B, j0, nc, k0, kc, dst);
    case DType::BF16:
      return B.trans ? pack_b_trans<DType::BF16>(B, j0, nc, k0, kc, dst) : pack_b_plain<DType::BF16>(B, j0, nc, k0, kc, dst);
    default:
      return B.trans ? pack_b_trans<DType::F32>(B, j0, nc, k0, kc, dst) : pack_b_plain<DType::F32>(B, j0, nc, k0, kc, dst);
  }
}

void micro_12x32(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr, int nr,
                 const float* bias, bool accumulate) {
  __m512 acc[MR][2];
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kc; ++k) {
    _mm_prefetch(reinterpret_cast<const char*>(b) + 1024, _MM_HINT_T0);
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512 av = _mm512_set1_ps(a[r]);
      acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
      acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
    }
    a += MR;
    b += NR;
  }
  // Partial tiles (right and bottom edges) store through lane masks: nothing outside C's tile is
  // read or written.
  const __mmask16 m0 = nr >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << nr) - 1u);
  const __mmask16 m1 = nr >= 32 ? __mmask16(0xFFFF) : nr <= 16 ? __mmask16(0) : __mmask16((1u << (nr - 16)) - 1u);
  const __m512 bias0 = bias ? _mm512_maskz_loadu_ps(m0, bias) : _mm512_setzero_ps();
  const __m512 bias1 = bias ? _mm512_maskz_loadu_ps(m1, bias + 16) : _mm512_setzero_ps();
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
    if (r >= mr) break;
    float* c = C + r * ldc;
    const __m512 base0 = accumulate ? _mm512_maskz_loadu_ps(m0, c) : bias0;
    const __m512 base1 = accumulate ? _mm512_maskz_loadu_ps(m1, c + 16) : bias1;
    _mm512_mask_storeu_ps(c, m0, _mm512_add_ps(acc[r][0], base0));
    _mm512_mask_storeu_ps(c + 16, m1, _mm512_add_ps(acc[r][1], base1));
  }
}

}  // namespace

const Kernels& avx512_kernels() {
  static const Kernels kernels{MR, NR, &pack_a, &pack_a_trans, &pack_b, &micro_12x32, avx2_kernels().gemv};
  return kernels;
}

}  // namespace dw::cpu::gemm_detail
