// AVX2 code of attention.cpp: per-query tile primitives (scores of one query against up to 64
// keys, probability-weighted sum of value rows), used for a handful of queries such as a decode
// step, and a register-blocked path for blocks of many queries (further down).
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "attention_tiles_avx2.h"

namespace dw::cpu::avx2 {
namespace {

// Lanes [0, rem) set: loads only the valid tail of a k/v row (never past its end).
inline __m256i tail_mask(int64_t rem) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(rem)), idx);
}

// Horizontal sums of eight vectors, returned as one vector [Σa0, …, Σa7].
inline __m256 hsum8(__m256 a0, __m256 a1, __m256 a2, __m256 a3, __m256 a4, __m256 a5, __m256 a6, __m256 a7) {
  const __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(a0, a1), _mm256_hadd_ps(a2, a3));
  const __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(a4, a5), _mm256_hadd_ps(a6, a7));
  return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

}  // namespace

// out[j] = q · k_j for j < n. q is zero-padded to a multiple of 8; k rows are D floats, k_stride
// apart. Eight keys at a time share each load of q; a group past n repeats the last key and its
// results are dropped, so every key takes the same path.
void attention_scores(const float* q, const float* k, int64_t k_stride, int64_t n, int64_t D, float* out) {
  const int64_t full = D / 8 * 8;
  const __m256i mask = tail_mask(D - full);
  for (int64_t j0 = 0; j0 < n; j0 += 8) {
    const float* kr[8];
    for (int u = 0; u < 8; ++u) kr[u] = k + std::min<int64_t>(j0 + u, n - 1) * k_stride;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
    int64_t d = 0;
    for (; d < full; d += 8) {
      const __m256 qv = _mm256_loadu_ps(q + d);
      a0 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kr[0] + d), a0);
      a1 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kr[1] + d), a1);
      a2 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kr[2] + d), a2);
      a3 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kr[3] + d), a3);
      a4 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kr[4] + d), a4);
      a5 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kr[5] + d), a5);
      a6 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kr[6] + d), a6);
      a7 = _mm256_fmadd_ps(qv, _mm256_loadu_ps(kr[7] + d), a7);
    }
    if (d < D) {
      const __m256 qv = _mm256_loadu_ps(q + d);
      a0 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kr[0] + d, mask), a0);
      a1 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kr[1] + d, mask), a1);
      a2 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kr[2] + d, mask), a2);
      a3 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kr[3] + d, mask), a3);
      a4 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kr[4] + d, mask), a4);
      a5 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kr[5] + d, mask), a5);
      a6 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kr[6] + d, mask), a6);
      a7 = _mm256_fmadd_ps(qv, _mm256_maskload_ps(kr[7] + d, mask), a7);
    }
    const __m256 sums = hsum8(a0, a1, a2, a3, a4, a5, a6, a7);
    if (j0 + 8 <= n) {
      _mm256_storeu_ps(out + j0, sums);
    } else {
      alignas(32) float buf[8];
      _mm256_store_ps(buf, sums);
      for (int64_t u = 0; u < n - j0; ++u) out[j0 + u] = buf[u];
    }
  }
}

// acc[d] += Σ_j p[j] · v_j[d]. acc is padded to a multiple of 8 (its padding stays 0 because the
// masked loads of v read 0 there). Columns in blocks of 32 keep four accumulators in registers
// across all n keys.
void attention_pv(const float* p, const float* v, int64_t v_stride, int64_t n, int64_t D, float* acc) {
  const int64_t full = D / 8 * 8;
  int64_t d = 0;
  for (; d + 32 <= full; d += 32) {
    __m256 c0 = _mm256_loadu_ps(acc + d), c1 = _mm256_loadu_ps(acc + d + 8);
    __m256 c2 = _mm256_loadu_ps(acc + d + 16), c3 = _mm256_loadu_ps(acc + d + 24);
    for (int64_t j = 0; j < n; ++j) {
      const float* vj = v + j * v_stride + d;
      const __m256 pj = _mm256_broadcast_ss(p + j);
      c0 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj), c0);
      c1 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 8), c1);
      c2 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 16), c2);
      c3 = _mm256_fmadd_ps(pj, _mm256_loadu_ps(vj + 24), c3);
    }
    _mm256_storeu_ps(acc + d, c0);
    _mm256_storeu_ps(acc + d + 8, c1);
    _mm256_storeu_ps(acc + d + 16, c2);
    _mm256_storeu_ps(acc + d + 24, c3);
  }
  for (; d < full; d += 8) {
    __m256 c0 = _mm256_loadu_ps(acc + d), c1 = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) {
      c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j), _mm256_loadu_ps(v + j * v_stride + d), c0);
      c1 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j + 1), _mm256_loadu_ps(v + (j + 1) * v_stride + d), c1);
    }
    if (j < n) c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j), _mm256_loadu_ps(v + j * v_stride + d), c0);
    _mm256_storeu_ps(acc + d, _mm256_add_ps(c0, c1));
  }
  if (d < D) {
    const __m256i mask = tail_mask(D - d);
    __m256 c0 = _mm256_loadu_ps(acc + d);
    for (int64_t j = 0; j < n; ++j)
      c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j), _mm256_maskload_ps(v + j * v_stride + d, mask), c0);
    _mm256_storeu_ps(acc + d, c0);
  }
}

// The same two primitives over f16 keys/values (a half-size KV cache), converted in registers
// (F16C) as they are loaded. Only for D a multiple of 8 (attention.cpp checks; Whisper's heads are
// 64 wide), so no masked tail is needed.
namespace {
inline __m256 load_half8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
}  // namespace

void attention_scores_f16(const float* q, const uint16_t* k, int64_t k_stride, int64_t n, int64_t D, float* out) {
  for (int64_t j0 = 0; j0 < n; j0 += 8) {
    const uint16_t* kr[8];
    for (int u = 0; u < 8; ++u) kr[u] = k + std::min<int64_t>(j0 + u, n - 1) * k_stride;
    __m256 a[8];
    for (auto& x : a) x = _mm256_setzero_ps();
    for (int64_t d = 0; d < D; d += 8) {
      const __m256 qv = _mm256_loadu_ps(q + d);
      for (int u = 0; u < 8; ++u) a[u] = _mm256_fmadd_ps(qv, load_half8(kr[u] + d), a[u]);
    }
    const __m256 sums = hsum8(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    if (j0 + 8 <= n) {
      _mm256_storeu_ps(out + j0, sums);
    } else {
      alignas(32) float buf[8];
      _mm256_store_ps(buf, sums);
      for (int64_t u = 0; u < n - j0; ++u) out[j0 + u] = buf[u];
    }
  }
}

void attention_pv_f16(const float* p, const uint16_t* v, int64_t v_stride, int64_t n, int64_t D, float* acc) {
  int64_t d = 0;
  for (; d + 32 <= D; d += 32) {
    __m256 c0 = _mm256_loadu_ps(acc + d), c1 = _mm256_loadu_ps(acc + d + 8);
    __m256 c2 = _mm256_loadu_ps(acc + d + 16), c3 = _mm256_loadu_ps(acc + d + 24);
    for (int64_t j = 0; j < n; ++j) {
      const uint16_t* vj = v + j * v_stride + d;
      const __m256 pj = _mm256_broadcast_ss(p + j);
      c0 = _mm256_fmadd_ps(pj, load_half8(vj), c0);
      c1 = _mm256_fmadd_ps(pj, load_half8(vj + 8), c1);
      c2 = _mm256_fmadd_ps(pj, load_half8(vj + 16), c2);
      c3 = _mm256_fmadd_ps(pj, load_half8(vj + 24), c3);
    }
    _mm256_storeu_ps(acc + d, c0);
    _mm256_storeu_ps(acc + d + 8, c1);
    _mm256_storeu_ps(acc + d + 16, c2);
    _mm256_storeu_ps(acc + d + 24, c3);
  }
  for (; d < D; d += 8) {
    __m256 c0 = _mm256_loadu_ps(acc + d);
    for (int64_t j = 0; j < n; ++j)
      c0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j), load_half8(v + j * v_stride + d), c0);
    _mm256_storeu_ps(acc + d, c0);
  }
}

// ---- blocked path: one (batch, head) and a block of up to kMaxRows queries -------------------
//
// K and V of one (batch, head) are packed once (attention_pack_kv). Per 64-key tile: S = Q·Kᵀ by
// a 6×16 register-blocked micro-kernel over the transposed K tile, the online-softmax update row
// by row, then O += P·V by a 6×16 micro-kernel over the packed V rows. This is the shape of a
// GEMM, so the FMA units stay busy instead of waiting on horizontal sums as in the
// one-query-at-a-time primitives above.

float row_max(const float* x, int64_t n);                                    // softmax_avx2.cpp
float exp_shift_sum(const float* x, float shift, float* out, int64_t n);     // softmax_avx2.cpp

namespace {

constexpr int64_t kMaxRows = 48;  // queries per block

}  // namespace

int64_t attention_block_rows() { return kMaxRows; }
int64_t attention_tile_keys() { return kTile; }

// Packs keys [0, n) of one (batch, head) for attention_block: per tile of kTile keys, K transposed
// ([Dp][kTile], zero columns past the last key) and V as contiguous zero-padded rows
// ([kTile][Dp]). Rows of a [B, L, H, D] tensor are H·D floats apart, a stride that maps a tile
// onto few L1 sets; packing once per head also stops every query block from re-reading K and V
// through that stride. Kt and Vp need ceil(n / kTile) · kTile · Dp floats each.
void attention_pack_kv(const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t n, int64_t D,
                       float* Kt, float* Vp) {
  const int64_t Dp = (D + 7) / 8 * 8;
  for (int64_t t0 = 0; t0 < n; t0 += kTile) {
    const int64_t nk = std::min(kTile, n - t0);
    float* kt = Kt + t0 * Dp;
    pack_kt(k + t0 * k_stride, k_stride, nk, kTile, D, kt);
    for (int64_t d = D; d < Dp; ++d) std::fill(kt + d * kTile, kt + (d + 1) * kTile, 0.0f);
    float* vp = Vp + t0 * Dp;
    for (int64_t j = 0; j < nk; ++j) {
      std::copy(v + (t0 + j) * v_stride, v + (t0 + j) * v_stride + D, vp + j * Dp);
      std::fill(vp + j * Dp + D, vp + (j + 1) * Dp, 0.0f);
    }
  }
}

// One (batch, head) pair and nq ≤ kMaxRows consecutive queries against K/V packed by
// attention_pack_kv. Row r sees keys [0, min(Lk, limit0 + r)) when causal, else all Lk. q/out rows
// are q_stride/out_stride floats apart with D contiguous floats each; lse (stride 1) may be null.
void attention_block(const float* q, int64_t q_stride, const float* Kt, const float* Vp, int64_t nq, int64_t Lk,
                     int64_t D, float scale, int64_t limit0, bool causal, float* out, int64_t out_stride, float* lse) {
  const int64_t Dp = (D + 7) / 8 * 8;
  thread_local std::vector<float> scratch;
  const size_t need = static_cast<size_t>(2 * kMaxRows * Dp + kMaxRows * kTile);
  if (scratch.size() < need) scratch.resize(need);
  float* Q = scratch.data();
  float* O = Q + kMaxRows * Dp;
  float* S = O + kMaxRows * Dp;
  float m[kMaxRows], l[kMaxRows];
  int64_t limit[kMaxRows];
  int64_t key_end = 0;
  for (int64_t r = 0; r < nq; ++r) {
    const float* qr = q + r * q_stride;
    for (int64_t d = 0; d < D; ++d) Q[r * Dp + d] = qr[d] * scale;
    std::fill(Q + r * Dp + D, Q + (r + 1) * Dp, 0.0f);
    std::fill(O + r * Dp, O + (r + 1) * Dp, 0.0f);
    m[r] = -INFINITY;
    l[r] = 0;
    limit[r] = causal ? std::clamp<int64_t>(limit0 + r, 0, Lk) : Lk;
    key_end = std::max(key_end, limit[r]);
  }
  for (int64_t t0 = 0; t0 < key_end; t0 += kTile) {
    const int64_t nk = std::min(kTile, key_end - t0);
    const int64_t ncols = (nk + 15) / 16 * 16;
    qk_all(Q, Dp, Kt + t0 * Dp, D, ncols, S, nq);
    for (int64_t r = 0; r < nq; ++r) {
      float* sr = S + r * kTile;
      const int64_t n = std::clamp<int64_t>(limit[r] - t0, 0, nk);
      if (n > 0) {
        const float m_new = std::max(m[r], row_max(sr, n));
        const float sum = exp_shift_sum(sr, m_new, sr, n);
        if (m_new != m[r]) {
          const float corr = std::exp(m[r] - m_new);  // 0 on the first tile (m = −inf)
          l[r] *= corr;
          const __m256 vc = _mm256_set1_ps(corr);
          for (int64_t d = 0; d < Dp; d += 8) _mm256_storeu_ps(O + r * Dp + d, _mm256_mul_ps(_mm256_loadu_ps(O + r * Dp + d), vc));
          m[r] = m_new;
        }
        l[r] += sum;
      }
      std::fill(sr + n, sr + nk, 0.0f);  // masked keys contribute nothing to P·V
    }
    pv_all(S, Vp + t0 * Dp, nk, O, Dp, nq);
  }
  for (int64_t r = 0; r < nq; ++r) {
    const float inv = l[r] > 0 ? 1.0f / l[r] : 0.0f;
    float* o = out + r * out_stride;
    for (int64_t d = 0; d < D; ++d) o[d] = O[r * Dp + d] * inv;
    if (lse) lse[r] = l[r] > 0 ? m[r] + std::log(l[r]) : -INFINITY;
  }
}

}  // namespace dw::cpu::avx2
