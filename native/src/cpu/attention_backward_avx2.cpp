// AVX2 tile kernels of attention_backward.cpp. The two score-shaped products (S = Q·Kᵀ and
// dP = dO·Vᵀ) and dQ += dS·K reuse the forward's register-blocked kernels (attention_tiles_avx2.h);
// the products that contract over queries, dV += Pᵀ·dO and dK += dSᵀ·Q, get their own 6×16
// micro-kernel here, which reads P column-wise (six keys' probabilities per query row) so that no
// transpose of P is ever stored.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "attention_tiles_avx2.h"
#include "simd_math_avx2.h"

namespace dw::cpu::avx2 {
namespace {

// O[j][c0 : c0 + 8·NV] += Σ_r P[r][j0 + j] · X[r][c0 : …] for J ≤ 6 keys j and nq query rows r
// (P rows kTile apart, X and O rows Dp apart), NV ∈ {1, 2}. The X vectors are named values, not
// an array: with an array GCC keeps the accumulators in memory and the loop becomes store-bound.
template <int J, int NV>
void ptx_block(const float* P, int64_t j0, const float* X, int64_t nq, float* O, int64_t Dp, int64_t c0) {
  static_assert(NV == 1 || NV == 2, "one or two vectors of columns");
  __m256 a[J][2];
  for (int j = 0; j < J; ++j) a[j][0] = a[j][1] = _mm256_setzero_ps();
  for (int64_t r = 0; r < nq; ++r) {
    const __m256 x0 = _mm256_loadu_ps(X + r * Dp + c0);
    const __m256 x1 = NV == 2 ? _mm256_loadu_ps(X + r * Dp + c0 + 8) : x0;
    const float* pr = P + r * kTile + j0;
    for (int j = 0; j < J; ++j) {
      const __m256 pb = _mm256_broadcast_ss(pr + j);
      a[j][0] = _mm256_fmadd_ps(pb, x0, a[j][0]);
      if (NV == 2) a[j][1] = _mm256_fmadd_ps(pb, x1, a[j][1]);
    }
  }
  for (int j = 0; j < J; ++j)
    for (int c = 0; c < NV; ++c) {
      float* o = O + (j0 + j) * Dp + c0 + 8 * c;
      _mm256_storeu_ps(o, _mm256_add_ps(_mm256_loadu_ps(o), a[j][c]));
    }
}

// The full 6 × 16 block with its twelve accumulators as named values: GCC keeps an array of
// accumulators in memory here (a store per FMA), which halves the speed.
void ptx_6x16(const float* P, int64_t j0, const float* X, int64_t nq, float* O, int64_t Dp, int64_t c0) {
  __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
  __m256 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
  const float* x = X + c0;
  const float* pr = P + j0;
  for (int64_t r = 0; r < nq; ++r, x += Dp, pr += kTile) {
    const __m256 x0 = _mm256_loadu_ps(x), x1 = _mm256_loadu_ps(x + 8);
    __m256 pb = _mm256_broadcast_ss(pr);
    a00 = _mm256_fmadd_ps(pb, x0, a00);
    a01 = _mm256_fmadd_ps(pb, x1, a01);
    pb = _mm256_broadcast_ss(pr + 1);
    a10 = _mm256_fmadd_ps(pb, x0, a10);
    a11 = _mm256_fmadd_ps(pb, x1, a11);
    pb = _mm256_broadcast_ss(pr + 2);
    a20 = _mm256_fmadd_ps(pb, x0, a20);
    a21 = _mm256_fmadd_ps(pb, x1, a21);
    pb = _mm256_broadcast_ss(pr + 3);
    a30 = _mm256_fmadd_ps(pb, x0, a30);
    a31 = _mm256_fmadd_ps(pb, x1, a31);
    pb = _mm256_broadcast_ss(pr + 4);
    a40 = _mm256_fmadd_ps(pb, x0, a40);
    a41 = _mm256_fmadd_ps(pb, x1, a41);
    pb = _mm256_broadcast_ss(pr + 5);
    a50 = _mm256_fmadd_ps(pb, x0, a50);
    a51 = _mm256_fmadd_ps(pb, x1, a51);
  }
  const __m256 acc[6][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}, {a40, a41}, {a50, a51}};
  for (int j = 0; j < 6; ++j) {
    float* o = O + (j0 + j) * Dp + c0;
    _mm256_storeu_ps(o, _mm256_add_ps(_mm256_loadu_ps(o), acc[j][0]));
    _mm256_storeu_ps(o + 8, _mm256_add_ps(_mm256_loadu_ps(o + 8), acc[j][1]));
  }
}

template <int J>
void ptx_cols(const float* P, int64_t j0, const float* X, int64_t nq, float* O, int64_t Dp) {
  int64_t c0 = 0;
  for (; c0 + 16 <= Dp; c0 += 16) {
    if (J == 6) ptx_6x16(P, j0, X, nq, O, Dp, c0);
    else ptx_block<J, 2>(P, j0, X, nq, O, Dp, c0);
  }
  if (c0 < Dp) ptx_block<J, 1>(P, j0, X, nq, O, Dp, c0);
}

}  // namespace

void attention_bwd_scores(const float* A, int64_t Dp, const float* Bt, int64_t D, int64_t ncols, float* S,
                          int64_t nq) {
  qk_all(A, Dp, Bt, D, ncols, S, nq);
}

void attention_bwd_p_b(const float* P, const float* B, int64_t nk, float* O, int64_t Dp, int64_t nq) {
  pv_all(P, B, nk, O, Dp, nq);
}

void attention_bwd_pt_x(const float* P, const float* X, int64_t nq, float* O, int64_t Dp, int64_t nk) {
  int64_t j0 = 0;
  for (; j0 + 6 <= nk; j0 += 6) ptx_cols<6>(P, j0, X, nq, O, Dp);
  switch (nk - j0) {
    case 5: ptx_cols<5>(P, j0, X, nq, O, Dp); break;
    case 4: ptx_cols<4>(P, j0, X, nq, O, Dp); break;
    case 3: ptx_cols<3>(P, j0, X, nq, O, Dp); break;
    case 2: ptx_cols<2>(P, j0, X, nq, O, Dp); break;
    case 1: ptx_cols<1>(P, j0, X, nq, O, Dp); break;
    default: break;
  }
}

void attention_bwd_pack_t(const float* k, int64_t k_stride, int64_t nk, int64_t D, float* Kt) {
  pack_kt(k, k_stride, nk, kTile, D, Kt);
}

// One query row of a tile: P = exp(S − lse) on the n keys the row sees, 0 on the rest of the nk;
// then dS = P ⊙ (dP − Di). S becomes P and dP becomes dS, in place. Both rows hold at least nk
// rounded up to 8 floats.
void attention_bwd_softmax_grad(float* S, float* dP, float lse, float di, int64_t n, int64_t nk) {
  const __m256 vl = _mm256_set1_ps(lse), vd = _mm256_set1_ps(di), vn = _mm256_set1_ps(static_cast<float>(n));
  const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
  for (int64_t j = 0; j < nk; j += 8) {
    const __m256 seen = _mm256_cmp_ps(_mm256_add_ps(lane, _mm256_set1_ps(static_cast<float>(j))), vn, _CMP_LT_OQ);
    const __m256 p = _mm256_and_ps(seen, exp_ps(_mm256_sub_ps(_mm256_loadu_ps(S + j), vl)));
    _mm256_storeu_ps(S + j, p);
    _mm256_storeu_ps(dP + j, _mm256_mul_ps(p, _mm256_sub_ps(_mm256_loadu_ps(dP + j), vd)));
  }
}

}  // namespace dw::cpu::avx2
