// Register-blocked tile kernels of the blocked attention paths, shared by the forward
// (attention_avx2.cpp) and the backward (attention_backward_avx2.cpp). Include only from *_avx2.cpp
// files; everything has internal linkage (see simd_math_avx2.h).
//
// Layouts: a key tile holds kTile keys. Kt is a tile of K (or V) transposed, [Dp][kTile] with zero
// columns past the last key; row-major operands (Q, Vp, O, ...) have rows of Dp = D rounded up to
// 8 floats; score-like tiles (S, P) have rows of kTile floats.
#pragma once

#include <immintrin.h>

#include <algorithm>
#include <cstdint>

namespace dw::cpu::avx2 {
namespace {

constexpr int64_t kTile = 64;  // keys per tile (columns of S)

// Transposes an 8×8 block held in eight rows.
inline void transpose8(__m256& r0, __m256& r1, __m256& r2, __m256& r3, __m256& r4, __m256& r5, __m256& r6, __m256& r7) {
  const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r0 = _mm256_permute2f128_ps(u0, u4, 0x20);
  r1 = _mm256_permute2f128_ps(u1, u5, 0x20);
  r2 = _mm256_permute2f128_ps(u2, u6, 0x20);
  r3 = _mm256_permute2f128_ps(u3, u7, 0x20);
  r4 = _mm256_permute2f128_ps(u0, u4, 0x31);
  r5 = _mm256_permute2f128_ps(u1, u5, 0x31);
  r6 = _mm256_permute2f128_ps(u2, u6, 0x31);
  r7 = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Kt[d·kTile + j] = k_j[d] for j < nk, d < D; columns nk … ncols (a multiple of 16) are zeroed.
void pack_kt(const float* k, int64_t ks, int64_t nk, int64_t ncols, int64_t D, float* Kt) {
  int64_t j = 0;
  const int64_t d8 = D / 8 * 8;
  for (; j + 8 <= nk; j += 8) {
    const float* kr = k + j * ks;
    for (int64_t d = 0; d < d8; d += 8) {
      __m256 r0 = _mm256_loadu_ps(kr + d), r1 = _mm256_loadu_ps(kr + ks + d), r2 = _mm256_loadu_ps(kr + 2 * ks + d),
             r3 = _mm256_loadu_ps(kr + 3 * ks + d), r4 = _mm256_loadu_ps(kr + 4 * ks + d), r5 = _mm256_loadu_ps(kr + 5 * ks + d),
             r6 = _mm256_loadu_ps(kr + 6 * ks + d), r7 = _mm256_loadu_ps(kr + 7 * ks + d);
      transpose8(r0, r1, r2, r3, r4, r5, r6, r7);
      float* o = Kt + d * kTile + j;
      _mm256_storeu_ps(o, r0);
      _mm256_storeu_ps(o + kTile, r1);
      _mm256_storeu_ps(o + 2 * kTile, r2);
      _mm256_storeu_ps(o + 3 * kTile, r3);
      _mm256_storeu_ps(o + 4 * kTile, r4);
      _mm256_storeu_ps(o + 5 * kTile, r5);
      _mm256_storeu_ps(o + 6 * kTile, r6);
      _mm256_storeu_ps(o + 7 * kTile, r7);
    }
    for (int64_t d = d8; d < D; ++d)
      for (int64_t u = 0; u < 8; ++u) Kt[d * kTile + j + u] = kr[u * ks + d];
  }
  for (; j < nk; ++j)
    for (int64_t d = 0; d < D; ++d) Kt[d * kTile + j] = k[j * ks + d];
  if (nk < ncols)
    for (int64_t d = 0; d < D; ++d) std::fill(Kt + d * kTile + nk, Kt + d * kTile + ncols, 0.0f);
}

// S[r][0:ncols] = Q[r] · Kt for R rows (Q rows Dp apart, S rows kTile apart).
template <int R>
void qk_rows(const float* Q, int64_t Dp, const float* Kt, int64_t D, int64_t ncols, float* S) {
  for (int64_t j0 = 0; j0 < ncols; j0 += 16) {
    __m256 a[R][2];
    for (int r = 0; r < R; ++r) a[r][0] = a[r][1] = _mm256_setzero_ps();
    for (int64_t d = 0; d < D; ++d) {
      const __m256 k0 = _mm256_loadu_ps(Kt + d * kTile + j0), k1 = _mm256_loadu_ps(Kt + d * kTile + j0 + 8);
      for (int r = 0; r < R; ++r) {
        const __m256 qb = _mm256_broadcast_ss(Q + r * Dp + d);
        a[r][0] = _mm256_fmadd_ps(qb, k0, a[r][0]);
        a[r][1] = _mm256_fmadd_ps(qb, k1, a[r][1]);
      }
    }
    for (int r = 0; r < R; ++r) {
      _mm256_storeu_ps(S + r * kTile + j0, a[r][0]);
      _mm256_storeu_ps(S + r * kTile + j0 + 8, a[r][1]);
    }
  }
}

// O[r][c0 : c0 + 8·NV] += Σ_j P[r][j] · Vp[j][c0 : …] for R rows (O and Vp rows Dp apart, P rows
// kTile apart). Vp is zero-padded to Dp columns, so no column needs masking.
template <int R, int NV>
void pv_rows(const float* P, const float* Vp, int64_t nk, float* O, int64_t Dp, int64_t c0) {
  __m256 a[R][NV];
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NV; ++c) a[r][c] = _mm256_loadu_ps(O + r * Dp + c0 + 8 * c);
  for (int64_t j = 0; j < nk; ++j) {
    const float* vj = Vp + j * Dp + c0;
    __m256 vv[NV];
    for (int c = 0; c < NV; ++c) vv[c] = _mm256_loadu_ps(vj + 8 * c);
    for (int r = 0; r < R; ++r) {
      const __m256 pb = _mm256_broadcast_ss(P + r * kTile + j);
      for (int c = 0; c < NV; ++c) a[r][c] = _mm256_fmadd_ps(pb, vv[c], a[r][c]);
    }
  }
  for (int r = 0; r < R; ++r)
    for (int c = 0; c < NV; ++c) _mm256_storeu_ps(O + r * Dp + c0 + 8 * c, a[r][c]);
}

// pv_rows<6, 2> with its twelve accumulators as named values: GCC keeps an array of them in
// memory (a store after every FMA), which halves the speed of this hottest case. Same operations
// in the same order as the template, so the results are identical.
inline void pv_6x16(const float* P, const float* Vp, int64_t nk, float* O, int64_t Dp, int64_t c0) {
  float* o = O + c0;
  __m256 a00 = _mm256_loadu_ps(o), a01 = _mm256_loadu_ps(o + 8);
  __m256 a10 = _mm256_loadu_ps(o + Dp), a11 = _mm256_loadu_ps(o + Dp + 8);
  __m256 a20 = _mm256_loadu_ps(o + 2 * Dp), a21 = _mm256_loadu_ps(o + 2 * Dp + 8);
  __m256 a30 = _mm256_loadu_ps(o + 3 * Dp), a31 = _mm256_loadu_ps(o + 3 * Dp + 8);
  __m256 a40 = _mm256_loadu_ps(o + 4 * Dp), a41 = _mm256_loadu_ps(o + 4 * Dp + 8);
  __m256 a50 = _mm256_loadu_ps(o + 5 * Dp), a51 = _mm256_loadu_ps(o + 5 * Dp + 8);
  const float* vj = Vp + c0;
  for (int64_t j = 0; j < nk; ++j, vj += Dp) {
    const __m256 v0 = _mm256_loadu_ps(vj), v1 = _mm256_loadu_ps(vj + 8);
    __m256 pb = _mm256_broadcast_ss(P + j);
    a00 = _mm256_fmadd_ps(pb, v0, a00);
    a01 = _mm256_fmadd_ps(pb, v1, a01);
    pb = _mm256_broadcast_ss(P + kTile + j);
    a10 = _mm256_fmadd_ps(pb, v0, a10);
    a11 = _mm256_fmadd_ps(pb, v1, a11);
    pb = _mm256_broadcast_ss(P + 2 * kTile + j);
    a20 = _mm256_fmadd_ps(pb, v0, a20);
    a21 = _mm256_fmadd_ps(pb, v1, a21);
    pb = _mm256_broadcast_ss(P + 3 * kTile + j);
    a30 = _mm256_fmadd_ps(pb, v0, a30);
    a31 = _mm256_fmadd_ps(pb, v1, a31);
    pb = _mm256_broadcast_ss(P + 4 * kTile + j);
    a40 = _mm256_fmadd_ps(pb, v0, a40);
    a41 = _mm256_fmadd_ps(pb, v1, a41);
    pb = _mm256_broadcast_ss(P + 5 * kTile + j);
    a50 = _mm256_fmadd_ps(pb, v0, a50);
    a51 = _mm256_fmadd_ps(pb, v1, a51);
  }
  const __m256 acc[6][2] = {{a00, a01}, {a10, a11}, {a20, a21}, {a30, a31}, {a40, a41}, {a50, a51}};
  for (int r = 0; r < 6; ++r) {
    _mm256_storeu_ps(o + r * Dp, acc[r][0]);
    _mm256_storeu_ps(o + r * Dp + 8, acc[r][1]);
  }
}

template <int R>
void pv_cols(const float* P, const float* Vp, int64_t nk, float* O, int64_t Dp) {
  int64_t c0 = 0;
  for (; c0 + 16 <= Dp; c0 += 16) {
    if (R == 6) pv_6x16(P, Vp, nk, O, Dp, c0);
    else pv_rows<R, 2>(P, Vp, nk, O, Dp, c0);
  }
  if (c0 < Dp) pv_rows<R, 1>(P, Vp, nk, O, Dp, c0);
}

// S = Q·Kt for nq rows, six rows per register block.
void qk_all(const float* Q, int64_t Dp, const float* Kt, int64_t D, int64_t ncols, float* S, int64_t nq) {
  int64_t r = 0;
  for (; r + 6 <= nq; r += 6) qk_rows<6>(Q + r * Dp, Dp, Kt, D, ncols, S + r * kTile);
  switch (nq - r) {
    case 5: qk_rows<5>(Q + r * Dp, Dp, Kt, D, ncols, S + r * kTile); break;
    case 4: qk_rows<4>(Q + r * Dp, Dp, Kt, D, ncols, S + r * kTile); break;
    case 3: qk_rows<3>(Q + r * Dp, Dp, Kt, D, ncols, S + r * kTile); break;
    case 2: qk_rows<2>(Q + r * Dp, Dp, Kt, D, ncols, S + r * kTile); break;
    case 1: qk_rows<1>(Q + r * Dp, Dp, Kt, D, ncols, S + r * kTile); break;
    default: break;
  }
}

// O += P·Vp for nq rows, six rows per register block.
void pv_all(const float* P, const float* Vp, int64_t nk, float* O, int64_t Dp, int64_t nq) {
  int64_t r = 0;
  for (; r + 6 <= nq; r += 6) pv_cols<6>(P + r * kTile, Vp, nk, O + r * Dp, Dp);
  switch (nq - r) {
    case 5: pv_cols<5>(P + r * kTile, Vp, nk, O + r * Dp, Dp); break;
    case 4: pv_cols<4>(P + r * kTile, Vp, nk, O + r * Dp, Dp); break;
    case 3: pv_cols<3>(P + r * kTile, Vp, nk, O + r * Dp, Dp); break;
    case 2: pv_cols<2>(P + r * kTile, Vp, nk, O + r * Dp, Dp); break;
    case 1: pv_cols<1>(P + r * kTile, Vp, nk, O + r * Dp, Dp); break;
    default: break;
  }
}

}  // namespace
}  // namespace dw::cpu::avx2
