// Fused scaled-dot-product attention, flash style: for each block of queries, keys and values are
// visited in tiles; every query keeps a running max m, running denominator l and an unnormalised
// output row, rescaled by exp(m_old − m_new) whenever a tile raises the max. The [Lq, Lk] score
// matrix is never materialised (only one tile of scores per query at a time).
//
// Two paths, both parallel through parallel_for:
//  - per-query (scalar builds, and any call with fewer than 4 queries, e.g. a decode step with
//    Lq = 1 against a long KV cache): one task per (batch, head, 16 queries), so a decode step runs
//    one head per task; each query scores a key tile with dot products and accumulates P·V.
//  - blocked (AVX2, 4+ queries): one task per (batch, head, run of 48-query blocks) packs that
//    head's K and V once, then attention_avx2.cpp runs GEMM-style register-blocked micro-kernels
//    for S = Q·Kᵀ and O += P·V per 64-key tile.
// Causal masks are bottom-right aligned (backend.h): query i sees keys j ≤ i + (Lk − Lq), so
// whole tiles past that limit are skipped.
// A query row that sees no key at all (only possible when called with Lk < Lq, which ops.cpp
// rejects) gets a zero output and lse = −inf.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace avx2 {
float row_max(const float* x, int64_t n);
float exp_shift_sum(const float* x, float shift, float* out, int64_t n);
void scale_row(float* x, float s, int64_t n);
void attention_scores(const float* q, const float* k, int64_t k_stride, int64_t n, int64_t D, float* out);
void attention_pv(const float* p, const float* v, int64_t v_stride, int64_t n, int64_t D, float* acc);
void attention_scores_f16(const float* q, const uint16_t* k, int64_t k_stride, int64_t n, int64_t D, float* out);
void attention_pv_f16(const float* p, const uint16_t* v, int64_t v_stride, int64_t n, int64_t D, float* acc);
int64_t attention_block_rows();
int64_t attention_tile_keys();
void attention_pack_kv(const float* k, int64_t k_stride, const float* v, int64_t v_stride, int64_t n, int64_t D,
                       float* Kt, float* Vp);
void attention_block(const float* q, int64_t q_stride, const float* Kt, const float* Vp, int64_t nq, int64_t Lk,
                     int64_t D, float scale, int64_t limit0, bool causal, float* out, int64_t out_stride, float* lse);
}  // namespace avx2

namespace {

constexpr int64_t kQueryBlock = 16;  // queries sharing one pass over a key/value tile (per-query path)
// Below this many queries per block the AVX2 build uses the per-query primitives too: the blocked
// path's transposed copy of each K tile would cost as much as the scores themselves.
constexpr int64_t kMinBlockedQueries = 4;
constexpr int64_t kKeyTile = 64;     // keys per tile (per-query path)

// The per-tile primitives, scalar or AVX2. q and acc rows are padded to a multiple of 8 floats
// (zeros past D), so SIMD code may read/write whole vectors there; k and v rows are exactly D.
struct TilePrims {
  float (*row_max)(const float* x, int64_t n);
  float (*exp_shift_sum)(const float* x, float shift, float* out, int64_t n);
  void (*scale_row)(float* x, float s, int64_t n);
  void (*scores)(const float* q, const float* k, int64_t k_stride, int64_t n, int64_t D, float* out);
  void (*pv)(const float* p, const float* v, int64_t v_stride, int64_t n, int64_t D, float* acc);
};

float row_max_scalar(const float* x, int64_t n) {
  float m = -INFINITY;
  for (int64_t i = 0; i < n; ++i) m = x[i] > m || std::isnan(x[i]) ? x[i] : m;
  return m;
}
float exp_shift_sum_scalar(const float* x, float shift, float* out, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += out[i] = std::exp(x[i] - shift);
  return s;
}
void scale_row_scalar(float* x, float s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] *= s;
}
void scores_scalar(const float* q, const float* k, int64_t k_stride, int64_t n, int64_t D, float* out) {
  for (int64_t j = 0; j < n; ++j) {
    const float* kj = k + j * k_stride;
    float s = 0;
    for (int64_t d = 0; d < D; ++d) s += q[d] * kj[d];
    out[j] = s;
  }
}
void pv_scalar(const float* p, const float* v, int64_t v_stride, int64_t n, int64_t D, float* acc) {
  for (int64_t j = 0; j < n; ++j) {
    const float* vj = v + j * v_stride;
    const float pj = p[j];
    for (int64_t d = 0; d < D; ++d) acc[d] += pj * vj[d];
  }
}

const TilePrims kScalar{row_max_scalar, exp_shift_sum_scalar, scale_row_scalar, scores_scalar, pv_scalar};
const TilePrims kAvx2{avx2::row_max, avx2::exp_shift_sum, avx2::scale_row, avx2::attention_scores,
                      avx2::attention_pv};

}  // namespace

namespace {

// The per-query path for queries [i0, i1) of one (b, h): each query row walks the key tiles with
// its own running max / sum, the K and V tiles staying hot in cache across the block's rows.
void attend_rows(const TilePrims& P, const float* q, const void* k, const void* v, DType kv, const AttentionShape& s,
                 float scale, bool causal, int64_t b, int64_t h, int64_t i0, int64_t i1, float* out, float* lse) {
  const int64_t Lk = s.Lk, Lq = s.Lq, H = s.H, D = s.D, Dp = (D + 7) / 8 * 8, nq = i1 - i0;
  const int64_t shift = causal ? Lk - Lq : 0;
  thread_local std::vector<float> qbuf, acc;
  qbuf.resize(static_cast<size_t>(kQueryBlock * Dp));
  acc.resize(qbuf.size());
  float m[kQueryBlock], l[kQueryBlock], scores[kKeyTile];
  for (int64_t r = 0; r < nq; ++r) {
    const float* qi = q + b * s.q_strides[0] + (i0 + r) * s.q_strides[1] + h * s.q_strides[2];
    float* qr = &qbuf[static_cast<size_t>(r * Dp)];
    for (int64_t d = 0; d < D; ++d) qr[d] = qi[d] * scale;  // scale folded into q once
    std::fill(qr + D, qr + Dp, 0.0f);
    std::fill(&acc[static_cast<size_t>(r * Dp)], &acc[static_cast<size_t>(r * Dp)] + Dp, 0.0f);
    m[r] = -INFINITY;
    l[r] = 0;
  }
  const int64_t key_end = causal ? std::clamp<int64_t>(i1 - 1 + shift + 1, 0, Lk) : Lk;
  const size_t esz = dtype_size(kv);
  const char* kb = static_cast<const char*>(k) + (b * s.k_strides[0] + h * s.k_strides[2]) * esz;
  const char* vb = static_cast<const char*>(v) + (b * s.v_strides[0] + h * s.v_strides[2]) * esz;
  // f16 keys/values: read in registers by the AVX2 primitives where the head dim allows; otherwise
  // each tile is converted once into f32 rows shared by the block's queries.
  const bool half_simd = kv == DType::F16 && &P == &kAvx2 && D % 8 == 0;
  thread_local std::vector<float> ktile, vtile;
  if (kv != DType::F32 && !half_simd) {
    ktile.resize(static_cast<size_t>(kKeyTile * D));
    vtile.resize(ktile.size());
  }
  for (int64_t t0 = 0; t0 < key_end; t0 += kKeyTile) {
    const float* kt = reinterpret_cast<const float*>(kb) + t0 * s.k_strides[1];
    const float* vt = reinterpret_cast<const float*>(vb) + t0 * s.v_strides[1];
    int64_t kst = s.k_strides[1], vst = s.v_strides[1];
    if (kv != DType::F32 && !half_simd) {
      const int64_t n_tile = std::min(kKeyTile, key_end - t0);
      for (int64_t j = 0; j < n_tile; ++j) {
        cast(kb + (t0 + j) * s.k_strides[1] * esz, kv, &ktile[static_cast<size_t>(j * D)], DType::F32, D);
        cast(vb + (t0 + j) * s.v_strides[1] * esz, kv, &vtile[static_cast<size_t>(j * D)], DType::F32, D);
      }
      kt = ktile.data();
      vt = vtile.data();
      kst = vst = D;
    }
    for (int64_t r = 0; r < nq; ++r) {
      const int64_t limit = causal ? std::min(Lk, i0 + r + shift + 1) : Lk;
      const int64_t n = std::min(kKeyTile, limit - t0);
      if (n <= 0) continue;
      float* ar = &acc[static_cast<size_t>(r * Dp)];
      const auto* kh = reinterpret_cast<const uint16_t*>(kb) + t0 * s.k_strides[1];
      if (half_simd) avx2::attention_scores_f16(&qbuf[static_cast<size_t>(r * Dp)], kh, s.k_strides[1], n, D, scores);
      else P.scores(&qbuf[static_cast<size_t>(r * Dp)], kt, kst, n, D, scores);
      const float m_new = std::max(m[r], P.row_max(scores, n));
      const float sum = P.exp_shift_sum(scores, m_new, scores, n);
      if (m_new != m[r]) {
        const float corr = std::exp(m[r] - m_new);  // 0 on the first tile (m = −inf)
        l[r] *= corr;
        P.scale_row(ar, corr, Dp);
        m[r] = m_new;
      }
      l[r] += sum;
      if (half_simd)
        avx2::attention_pv_f16(scores, reinterpret_cast<const uint16_t*>(vb) + t0 * s.v_strides[1], s.v_strides[1], n,
                               D, ar);
      else
        P.pv(scores, vt, vst, n, D, ar);
    }
  }
  for (int64_t r = 0; r < nq; ++r) {
    const int64_t i = i0 + r;
    float* o = out + ((b * Lq + i) * H + h) * D;
    const float* ar = &acc[static_cast<size_t>(r * Dp)];
    const float inv = l[r] > 0 ? 1.0f / l[r] : 0.0f;
    for (int64_t d = 0; d < D; ++d) o[d] = ar[d] * inv;
    if (lse) lse[(b * H + h) * Lq + i] = l[r] > 0 ? m[r] + std::log(l[r]) : -INFINITY;
  }
}

}  // namespace

void attention(const float* q, const float* k, const float* v, const AttentionShape& s, float scale,
               bool causal, float* out, float* lse) {
  attention(q, k, v, DType::F32, s, scale, causal, out, lse);
}

void attention(const float* q, const void* kv_k, const void* kv_v, DType kv, const AttentionShape& s, float scale,
               bool causal, float* out, float* lse) {
  const int64_t B = s.B, H = s.H, Lq = s.Lq, Lk = s.Lk, D = s.D;
  // The blocked path packs f32 K/V directly; f16 ones go through the per-query path's tile buffers.
  const float* k = kv == DType::F32 ? static_cast<const float*>(kv_k) : nullptr;
  const float* v = kv == DType::F32 ? static_cast<const float*>(kv_v) : nullptr;
  if (B <= 0 || H <= 0 || Lq <= 0 || D <= 0) return;
  const bool simd = use_avx2();
  const int64_t shift = causal ? Lk - Lq : 0;
  // Enough multiply-adds per task to pay for waking a worker (~tens of µs).
  constexpr int64_t kMinWork = 1 << 15;

  // The blocked path keeps a packed copy of one head's K and V per thread (2·Lk·D floats); past
  // 32 MiB of it the per-query path, which needs no such buffer, takes over.
  const bool blocked =
      simd && kv == DType::F32 && Lq >= kMinBlockedQueries && Lk * ((D + 7) / 8 * 8) <= (int64_t{4} << 20);
  if (!blocked) {
    const TilePrims& P = simd ? kAvx2 : kScalar;
    const int64_t q_blocks = (Lq + kQueryBlock - 1) / kQueryBlock;
    const int64_t work = std::min(Lq, kQueryBlock) * std::max<int64_t>(Lk, 1) * D;
    parallel_for(B * H * q_blocks, std::max<int64_t>(1, kMinWork / std::max<int64_t>(work, 1)), [&](int64_t begin, int64_t end) {
      for (int64_t item = begin; item < end; ++item) {
        const int64_t b = item / (H * q_blocks), h = item / q_blocks % H, i0 = item % q_blocks * kQueryBlock;
        attend_rows(P, q, kv_k, kv_v, kv, s, scale, causal, b, h, i0, std::min(Lq, i0 + kQueryBlock), out, lse);
      }
    });
    return;
  }

  // Blocked AVX2 path. A task is one (b, h) and a run of query blocks: it packs that head's K/V
  // once and reuses them for all its blocks. Heads are split into several runs only when there
  // are too few heads to keep every thread busy.
  const int64_t block = avx2::attention_block_rows(), tile = avx2::attention_tile_keys();
  const int64_t q_blocks = (Lq + block - 1) / block;
  const int64_t want_tasks = 4 * static_cast<int64_t>(num_threads());
  const int64_t runs = std::clamp<int64_t>((want_tasks + B * H - 1) / (B * H), 1, q_blocks);
  const int64_t per_run = (q_blocks + runs - 1) / runs;
  const int64_t Dp = (D + 7) / 8 * 8;
  parallel_for(B * H * runs, 1, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> kt, vp;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t b = item / (H * runs), h = item / runs % H, run = item % runs;
      const int64_t qb0 = run * per_run, qb1 = std::min(q_blocks, qb0 + per_run);
      if (qb0 >= qb1) continue;
      const int64_t last_query = std::min(Lq, qb1 * block) - 1;
      const int64_t keys = causal ? std::clamp<int64_t>(last_query + shift + 1, 0, Lk) : Lk;
      const size_t packed = static_cast<size_t>((keys + tile - 1) / tile * tile * Dp);
      if (kt.size() < packed) {
        kt.resize(packed);
        vp.resize(packed);
      }
      avx2::attention_pack_kv(k + b * s.k_strides[0] + h * s.k_strides[2], s.k_strides[1],
                              v + b * s.v_strides[0] + h * s.v_strides[2], s.v_strides[1], keys, D, kt.data(), vp.data());
      for (int64_t qb = qb0; qb < qb1; ++qb) {
        const int64_t i0 = qb * block, i1 = std::min(Lq, i0 + block);
        avx2::attention_block(q + b * s.q_strides[0] + i0 * s.q_strides[1] + h * s.q_strides[2], s.q_strides[1],
                              kt.data(), vp.data(), i1 - i0, keys, D, scale, i0 + shift + 1, causal,
                              out + ((b * Lq + i0) * H + h) * D, H * D, lse ? lse + (b * H + h) * Lq + i0 : nullptr);
      }
    }
  });
}

void attention_reference(const float* q, const float* k, const float* v, const AttentionShape& s, float scale,
                         bool causal, float* out, float* lse) {
  std::vector<double> p(static_cast<size_t>(s.Lk));
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t h = 0; h < s.H; ++h)
      for (int64_t i = 0; i < s.Lq; ++i) {
        const float* qi = q + b * s.q_strides[0] + i * s.q_strides[1] + h * s.q_strides[2];
        const int64_t limit = causal ? std::min(s.Lk, i + s.Lk - s.Lq + 1) : s.Lk;
        double m = -INFINITY;
        for (int64_t j = 0; j < limit; ++j) {
          const float* kj = k + b * s.k_strides[0] + j * s.k_strides[1] + h * s.k_strides[2];
          double dot = 0;
          for (int64_t d = 0; d < s.D; ++d) dot += static_cast<double>(qi[d]) * kj[d];
          p[static_cast<size_t>(j)] = dot * scale;
          m = std::max(m, p[static_cast<size_t>(j)]);
        }
        double sum = 0;
        for (int64_t j = 0; j < limit; ++j) sum += p[static_cast<size_t>(j)] = std::exp(p[static_cast<size_t>(j)] - m);
        float* o = out + ((b * s.Lq + i) * s.H + h) * s.D;
        for (int64_t d = 0; d < s.D; ++d) {
          double acc = 0;
          for (int64_t j = 0; j < limit; ++j)
            acc += p[static_cast<size_t>(j)] * v[b * s.v_strides[0] + j * s.v_strides[1] + h * s.v_strides[2] + d];
          o[d] = limit > 0 ? static_cast<float>(acc / sum) : 0.0f;
        }
        if (lse) lse[(b * s.H + h) * s.Lq + i] = limit > 0 ? static_cast<float>(m + std::log(sum)) : -INFINITY;
      }
}

}  // namespace dw::cpu
