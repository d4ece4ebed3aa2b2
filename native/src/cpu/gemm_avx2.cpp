// AVX2 / FMA / F16C pieces of the GEMM: a 6×16 micro-kernel (12 accumulators keep both FMA pipes
// busy across their 4-cycle latency), packing routines that convert f16 / bf16 weights to f32 while
// they transpose them into micro-panels, and a streaming GEMV for the one-token decoder products.
// Everything except avx2_kernels() has internal linkage and no standard-library templates are
// used, so no code compiled here with -mavx2 can leak into the portable parts of the library.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "gemm_kernels.h"
#include "gemm_x86_loads.h"
#include "simd_math_avx2.h"

namespace dw::cpu::gemm_detail {
namespace {

using avx2::hsum;

constexpr int MR = 6;
constexpr int NR = 16;

inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// ---- packing ------------------------------------------------------------------------------------

void pack_a(const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += MR) {
    const int64_t rows = min64(MR, mc - ir);
    float* d = dst + ir * kc;
    if (rows == MR) {
      const float* a[MR];
      for (int r = 0; r < MR; ++r) a[r] = A + (i0 + ir + r) * lda + k0;
      int64_t k = 0;
      // 8 k at a time through a transpose; each 8-float store spills 2 floats into the next
      // k-group, which a later store overwrites. The last k-group always goes through the scalar
      // tail so nothing is written past this panel (another thread may own the next one).
      for (; k + 8 < kc; k += 8) {
        __m256 r[8];
        for (int i = 0; i < MR; ++i) r[i] = _mm256_loadu_ps(a[i] + k);
        r[6] = _mm256_setzero_ps();
        r[7] = _mm256_setzero_ps();
        transpose8(r);
        for (int i = 0; i < 8; ++i) _mm256_storeu_ps(d + (k + i) * MR, r[i]);
      }
      for (; k < kc; ++k)
        for (int r = 0; r < MR; ++r) d[k * MR + r] = a[r][k];
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int r = 0; r < MR; ++r) d[k * MR + r] = r < rows ? A[(i0 + ir + r) * lda + k0 + k] : 0.0f;
    }
  }
}

// op(A) = Aᵀ with A stored [K, M]: for each k, the rows of a micro-panel are MR adjacent floats of
// row k of A, so each is one masked load (lanes past the block's rows read nothing and pack as 0).
// An 8-wide store spills 2 floats into the next k-group, which the next store overwrites; the last
// k of a panel is stored masked so nothing lands in the next panel (another thread may own it).
void pack_a_trans(const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i six = _mm256_cmpgt_epi32(_mm256_set1_epi32(MR), lane);
  for (int64_t k = 0; k < kc; ++k) {
    const float* a = A + (k0 + k) * lda + i0;
    for (int64_t ir = 0; ir < mc; ir += MR) {
      const int rows = static_cast<int>(min64(MR, mc - ir));
      const __m256i mask = rows == MR ? six : _mm256_cmpgt_epi32(_mm256_set1_epi32(rows), lane);
      const __m256 v = _mm256_maskload_ps(a + ir, mask);
      float* d = dst + ir * kc + k * MR;
      if (k + 1 < kc) _mm256_storeu_ps(d, v);
      else _mm256_maskstore_ps(d, six, v);
    }
  }
}

template <DType D>
void pack_b_trans(const BView& B, int64_t j0, int64_t nc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t cols = min64(NR, nc - jr);
    float* d = dst + jr * kc;
    if (cols == NR) {
      int64_t k = 0;
      for (; k + 8 <= kc; k += 8) {
        for (int h = 0; h < 2; ++h) {
          __m256 r[8];
          for (int i = 0; i < 8; ++i) r[i] = load8<D>(B.data, (j0 + jr + h * 8 + i) * B.ld + k0 + k);
          if constexpr (D == DType::I8)
            for (int i = 0; i < 8; ++i) r[i] = _mm256_mul_ps(r[i], _mm256_set1_ps(B.scale[j0 + jr + h * 8 + i]));
          transpose8(r);
          for (int i = 0; i < 8; ++i) _mm256_store_ps(d + (k + i) * NR + h * 8, r[i]);
        }
      }
      for (; k < kc; ++k)
        for (int c = 0; c < NR; ++c) d[k * NR + c] = load1<D>(B.data, (j0 + jr + c) * B.ld + k0 + k) * col_scale(B, j0 + jr + c);
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int c = 0; c < NR; ++c)
          d[k * NR + c] = c < cols ? load1<D>(B.data, (j0 + jr + c) * B.ld + k0 + k) * col_scale(B, j0 + jr + c) : 0.0f;
    }
  }
}

template <DType D>
void pack_b_plain(const BView& B, int64_t j0, int64_t nc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += NR) {
    const int64_t cols = min64(NR, nc - jr);
    float* d = dst + jr * kc;
    if (cols == NR) {
      for (int64_t k = 0; k < kc; ++k) {
        const int64_t idx = (k0 + k) * B.ld + j0 + jr;
        _mm256_store_ps(d + k * NR, load8<D>(B.data, idx));
        _mm256_store_ps(d + k * NR + 8, load8<D>(B.data, idx + 8));
      }
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int c = 0; c < NR; ++c) d[k * NR + c] = c < cols ? load1<D>(B.data, (k0 + k) * B.ld + j0 + jr + c) : 0.0f;
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

// ---- micro-kernel ---------------------------------------------------------------------------------

#ifndef DW_GEMM_PF_B  // software prefetch distance into the B micro-panel, bytes (tuning builds override)
#define DW_GEMM_PF_B 1024
#endif

void micro_6x16(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr, int nr,
                const float* bias, bool accumulate) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  // The C tile is touched only after the loop: start fetching both lines of each row now.
  for (int r = 0; r < mr; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(C + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(C + r * ldc + NR - 1), _MM_HINT_T0);
  }
#pragma GCC unroll 4
  for (int64_t k = 0; k < kc; ++k) {
    // The first pass over a B micro-panel pulls it from L2/L3; later passes find it in L1.
    _mm_prefetch(reinterpret_cast<const char*>(b) + DW_GEMM_PF_B, _MM_HINT_T0);
    const __m256 b0 = _mm256_load_ps(b);
    const __m256 b1 = _mm256_load_ps(b + 8);
    __m256 av = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(av, b0, c00);
    c01 = _mm256_fmadd_ps(av, b1, c01);
    av = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(av, b0, c10);
    c11 = _mm256_fmadd_ps(av, b1, c11);
    av = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(av, b0, c20);
    c21 = _mm256_fmadd_ps(av, b1, c21);
    av = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(av, b0, c30);
    c31 = _mm256_fmadd_ps(av, b1, c31);
    av = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(av, b0, c40);
    c41 = _mm256_fmadd_ps(av, b1, c41);
    av = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(av, b0, c50);
    c51 = _mm256_fmadd_ps(av, b1, c51);
    a += MR;
    b += NR;
  }
  const __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == MR && nr == NR) {
    const __m256 bias0 = bias ? _mm256_loadu_ps(bias) : _mm256_setzero_ps();
    const __m256 bias1 = bias ? _mm256_loadu_ps(bias + 8) : _mm256_setzero_ps();
    for (int r = 0; r < MR; ++r) {
      float* c = C + r * ldc;
      const __m256 base0 = accumulate ? _mm256_loadu_ps(c) : bias0;
      const __m256 base1 = accumulate ? _mm256_loadu_ps(c + 8) : bias1;
      _mm256_storeu_ps(c, _mm256_add_ps(acc[r][0], base0));
      _mm256_storeu_ps(c + 8, _mm256_add_ps(acc[r][1], base1));
    }
    return;
  }
  alignas(32) float tile[MR][NR];
  for (int r = 0; r < MR; ++r) {
    _mm256_store_ps(tile[r], acc[r][0]);
    _mm256_store_ps(tile[r] + 8, acc[r][1]);
  }
  for (int r = 0; r < mr; ++r) {
    float* c = C + r * ldc;
    for (int j = 0; j < nr; ++j) c[j] = tile[r][j] + (accumulate ? c[j] : bias ? bias[j] : 0.0f);
  }
}

// ---- streaming GEMV (M <= kGemvMaxM) --------------------------------------------------------------

#ifndef DW_GEMV_PREFETCH  // bytes ahead of the read position; 0 disables (tuning builds only)
#define DW_GEMV_PREFETCH 1024
#endif

template <DType D>
constexpr int64_t elem_bytes() {
  return D == DType::F32 ? 4 : 2;
}

// B stored [N, K]: one row of B at a time, read front to back, so the whole call is a single
// sequential stream (rows are adjacent when ldb == K), which the hardware prefetchers follow best.
// UU independent accumulators per row of A cover the FMA latency; A stays in L1.
template <DType D, int MM, int UU>
void gemv_trans_row(int64_t K, const float* A, int64_t lda, const BView& B, const float* bias, float* C,
                    int64_t ldc, int64_t j) {
  __m256 acc[MM][UU];
  for (int m = 0; m < MM; ++m)
    for (int u = 0; u < UU; ++u) acc[m][u] = _mm256_setzero_ps();
  const int64_t row = j * B.ld;
  const char* bytes = static_cast<const char*>(B.data) + row * elem_bytes<D>();
  int64_t k = 0;
  for (; k + 8 * UU <= K; k += 8 * UU) {
    if (DW_GEMV_PREFETCH > 0)
      _mm_prefetch(bytes + k * elem_bytes<D>() + DW_GEMV_PREFETCH, _MM_HINT_T0);
    for (int u = 0; u < UU; ++u) {
      const __m256 bv = load8<D>(B.data, row + k + 8 * u);
      for (int m = 0; m < MM; ++m)
        acc[m][u] = _mm256_fmadd_ps(_mm256_loadu_ps(A + m * lda + k + 8 * u), bv, acc[m][u]);
    }
  }
  for (; k + 8 <= K; k += 8) {
    const __m256 bv = load8<D>(B.data, row + k);
    for (int m = 0; m < MM; ++m) acc[m][0] = _mm256_fmadd_ps(_mm256_loadu_ps(A + m * lda + k), bv, acc[m][0]);
  }
  for (int m = 0; m < MM; ++m) {
    __m256 sum = acc[m][0];
    for (int u = 1; u < UU; ++u) sum = _mm256_add_ps(sum, acc[m][u]);
    float s = hsum(sum);
    for (int64_t kk = k; kk < K; ++kk) s += A[m * lda + kk] * load1<D>(B.data, row + kk);
    C[m * ldc + j] = s + (bias ? bias[j] : 0.0f);
  }
}

template <DType D, int MM>
void gemv_trans(int64_t K, const float* A, int64_t lda, const BView& B, const float* bias, float* C, int64_t ldc,
                int64_t j0, int64_t j1) {
  constexpr int UU = MM == 1 ? 4 : 2;
  for (int64_t j = j0; j < j1; ++j) gemv_trans_row<D, MM, UU>(K, A, lda, B, bias, C, ldc, j);
}

// B stored [K, N]: a strip of NV·8 output columns stays in registers while every row of B streams by.
template <DType D, int MM, int NV>
void gemv_plain_strip(int64_t K, const float* A, int64_t lda, const BView& B, const float* bias, float* C,
                      int64_t ldc, int64_t j) {
  __m256 acc[MM][NV];
  for (int m = 0; m < MM; ++m)
    for (int v = 0; v < NV; ++v) acc[m][v] = bias ? _mm256_loadu_ps(bias + j + v * 8) : _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    __m256 bv[NV];
    for (int v = 0; v < NV; ++v) bv[v] = load8<D>(B.data, k * B.ld + j + v * 8);
    for (int m = 0; m < MM; ++m) {
      const __m256 av = _mm256_broadcast_ss(A + m * lda + k);
      for (int v = 0; v < NV; ++v) acc[m][v] = _mm256_fmadd_ps(av, bv[v], acc[m][v]);
    }
  }
  for (int m = 0; m < MM; ++m)
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(C + m * ldc + j + v * 8, acc[m][v]);
}

template <DType D, int MM>
void gemv_plain(int64_t K, const float* A, int64_t lda, const BView& B, const float* bias, float* C, int64_t ldc,
                int64_t j0, int64_t j1) {
  constexpr int NV = MM == 1 ? 8 : MM == 2 ? 4 : 3;
  int64_t j = j0;
  for (; j + NV * 8 <= j1; j += NV * 8) gemv_plain_strip<D, MM, NV>(K, A, lda, B, bias, C, ldc, j);
  for (; j + 8 <= j1; j += 8) gemv_plain_strip<D, MM, 1>(K, A, lda, B, bias, C, ldc, j);
  for (; j < j1; ++j)
    for (int m = 0; m < MM; ++m) {
      float s = 0.0f;
      for (int64_t k = 0; k < K; ++k) s += A[m * lda + k] * load1<D>(B.data, k * B.ld + j);
      C[m * ldc + j] = s + (bias ? bias[j] : 0.0f);
    }
}

template <DType D>
void gemv_typed(int64_t M, int64_t K, const float* A, int64_t lda, const BView& B, const float* bias, float* C,
                int64_t ldc, int64_t j0, int64_t j1) {
  // Rows of A in groups the register file can hold. With more than one group (M > 4: beams,
  // speculative verification, a few decoder rows), the columns are walked in blocks whose slice
  // of B (≤ 64 KiB) stays in L2, so B comes from memory once and the other groups re-read it from
  // cache; a single group streams B straight through as before.
  const int64_t bytes = B.dtype == DType::F32 ? 4 : 2;
  const int64_t block = M <= 4 ? j1 - j0 : std::max<int64_t>(8, (int64_t{64} << 10) / (K * bytes) / 8 * 8);
  for (int64_t jb = j0; jb < j1; jb += block) {
    const int64_t je = std::min(j1, jb + block);
    for (int64_t m = 0; m < M;) {
      const int64_t left = M - m;
      const float* a = A + m * lda;
      float* c = C + m * ldc;
      if (B.trans) {
        if (left >= 4) gemv_trans<D, 4>(K, a, lda, B, bias, c, ldc, jb, je), m += 4;
        else if (left == 3) gemv_trans<D, 3>(K, a, lda, B, bias, c, ldc, jb, je), m += 3;
        else if (left == 2) gemv_trans<D, 2>(K, a, lda, B, bias, c, ldc, jb, je), m += 2;
        else gemv_trans<D, 1>(K, a, lda, B, bias, c, ldc, jb, je), m += 1;
      } else {
        if (left >= 4) gemv_plain<D, 4>(K, a, lda, B, bias, c, ldc, jb, je), m += 4;
        else if (left == 3) gemv_plain<D, 3>(K, a, lda, B, bias, c, ldc, jb, je), m += 3;
        else if (left == 2) gemv_plain<D, 2>(K, a, lda, B, bias, c, ldc, jb, je), m += 2;
        else gemv_plain<D, 1>(K, a, lda, B, bias, c, ldc, jb, je), m += 1;
      }
    }
  }
}

void gemv(int64_t M, int64_t K, const float* A, int64_t lda, const BView& B, const float* bias, float* C,
          int64_t ldc, int64_t j0, int64_t j1) {
  switch (B.dtype) {
    case DType::F16: return gemv_typed<DType::F16>(M, K, A, lda, B, bias, C, ldc, j0, j1);
    case DType::BF16: return gemv_typed<DType::BF16>(M, K, A, lda, B, bias, C, ldc, j0, j1);
    default: return gemv_typed<DType::F32>(M, K, A, lda, B, bias, C, ldc, j0, j1);
  }
}

const Kernels kAvx2Kernels{MR, NR, &pack_a, &pack_a_trans, &pack_b, &micro_6x16, &gemv};

}  // namespace

const Kernels& avx2_kernels() { return kAvx2Kernels; }

}  // namespace dw::cpu::gemm_detail
