// Backward of the fused attention (attention.cpp), FlashAttention-2 style. With S = scale·Q·Kᵀ
// (masked), P = softmax(S) per query row, O = P·V, and the forward's lse (log-sum-exp of S):
//   Di = Σ_d dO[i, d]·O[i, d]          (= Σ_j P_ij·dP_ij, since O = P·V)
//   P  = exp(S − lse)                   recomputed per key tile, never stored beyond one tile
//   dV += Pᵀ·dO,  dP = dO·Vᵀ,  dS = P ⊙ (dP − Di)
//   dQ += scale·dS·K,  dK += scale·dSᵀ·Q
// Work is split into tasks of one (batch, head) and one fixed chunk of kKeyChunk keys. A task walks
// its key tiles (kTile keys) in order; for each it packs K (transposed and as rows) and V
// (transposed), then visits the query blocks (kBlockRows queries) that see any of those keys,
// accumulating that tile's dK/dV rows in local buffers (each key belongs to one task, so dK and dV
// are written, not added) and the task's dQ in a local [Lq, D] buffer. With several key chunks
// per head, each chunk's dQ goes to its own slice of a partial buffer and the slices are summed in
// chunk order afterwards: the result never depends on how tasks fall on threads.
// Causal masks are bottom-right aligned as in the forward: query i sees keys j ≤ i + (Lk − Lq), so
// query blocks entirely above a tile's first key are skipped.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace avx2 {
int64_t attention_tile_keys();
void attention_bwd_scores(const float* A, int64_t Dp, const float* Bt, int64_t D, int64_t ncols, float* S, int64_t nq);
void attention_bwd_p_b(const float* P, const float* B, int64_t nk, float* O, int64_t Dp, int64_t nq);
void attention_bwd_pt_x(const float* P, const float* X, int64_t nq, float* O, int64_t Dp, int64_t nk);
void attention_bwd_pack_t(const float* k, int64_t k_stride, int64_t nk, int64_t D, float* Kt);
void attention_bwd_softmax_grad(float* S, float* dP, float lse, float di, int64_t n, int64_t nk);
}  // namespace avx2

namespace {

constexpr int64_t kTile = 64;         // keys per tile; equals the AVX2 kernels' tile (checked at run time)
constexpr int64_t kBlockRows = 48;    // queries per block
constexpr int64_t kKeyChunk = 512;    // keys per task: fixed, so the dQ summation order is too
static_assert(kKeyChunk % kTile == 0, "a key chunk is whole tiles");

// The tile kernels, portable or AVX2. Layouts (see attention_tiles_avx2.h): Bt / Kt are [Dp][kTile]
// transposed tiles with zero columns past the last key; row operands have rows of Dp floats (zero
// past D); S / P / dP / dS tiles have rows of kTile floats.
struct Prims {
  // S[r][0:ncols] = A[r]·Bt[:, j]
  void (*scores)(const float* A, int64_t Dp, const float* Bt, int64_t D, int64_t ncols, float* S, int64_t nq);
  // O[r] += Σ_{j<nk} P[r][j]·B[j]
  void (*p_b)(const float* P, const float* B, int64_t nk, float* O, int64_t Dp, int64_t nq);
  // O[j] += Σ_{r<nq} P[r][j]·X[r] for j < nk
  void (*pt_x)(const float* P, const float* X, int64_t nq, float* O, int64_t Dp, int64_t nk);
  // Bt = transposed tile of nk rows of k (k_stride apart), zero columns up to kTile
  void (*pack_t)(const float* k, int64_t k_stride, int64_t nk, int64_t D, float* Kt);
  // S ← P = exp(S − lse) on the first n keys, 0 up to nk; dP ← P ⊙ (dP − di)
  void (*softmax_grad)(float* S, float* dP, float lse, float di, int64_t n, int64_t nk);
};

void scores_scalar(const float* A, int64_t Dp, const float* Bt, int64_t D, int64_t ncols, float* S, int64_t nq) {
  for (int64_t r = 0; r < nq; ++r) {
    float* s = S + r * kTile;
    for (int64_t j = 0; j < ncols; ++j) s[j] = 0.0f;
    for (int64_t d = 0; d < D; ++d) {
      const float a = A[r * Dp + d];
      const float* b = Bt + d * kTile;
      for (int64_t j = 0; j < ncols; ++j) s[j] += a * b[j];
    }
  }
}

void p_b_scalar(const float* P, const float* B, int64_t nk, float* O, int64_t Dp, int64_t nq) {
  for (int64_t r = 0; r < nq; ++r)
    for (int64_t j = 0; j < nk; ++j) {
      const float p = P[r * kTile + j];
      for (int64_t d = 0; d < Dp; ++d) O[r * Dp + d] += p * B[j * Dp + d];
    }
}

void pt_x_scalar(const float* P, const float* X, int64_t nq, float* O, int64_t Dp, int64_t nk) {
  for (int64_t r = 0; r < nq; ++r)
    for (int64_t j = 0; j < nk; ++j) {
      const float p = P[r * kTile + j];
      for (int64_t d = 0; d < Dp; ++d) O[j * Dp + d] += p * X[r * Dp + d];
    }
}

void pack_t_scalar(const float* k, int64_t k_stride, int64_t nk, int64_t D, float* Kt) {
  for (int64_t d = 0; d < D; ++d) {
    for (int64_t j = 0; j < nk; ++j) Kt[d * kTile + j] = k[j * k_stride + d];
    for (int64_t j = nk; j < kTile; ++j) Kt[d * kTile + j] = 0.0f;
  }
}

void softmax_grad_scalar(float* S, float* dP, float lse, float di, int64_t n, int64_t nk) {
  for (int64_t j = 0; j < nk; ++j) {
    const float p = j < n ? std::exp(S[j] - lse) : 0.0f;
    S[j] = p;
    dP[j] = p * (dP[j] - di);
  }
}

const Prims kScalar{scores_scalar, p_b_scalar, pt_x_scalar, pack_t_scalar, softmax_grad_scalar};
const Prims kAvx2{avx2::attention_bwd_scores, avx2::attention_bwd_p_b, avx2::attention_bwd_pt_x,
                  avx2::attention_bwd_pack_t, avx2::attention_bwd_softmax_grad};

// Per-thread scratch, carved from one caller-allocated block (no allocation once work starts).
struct Scratch {
  float *Qs, *dO, *dQ, *lse, *di;  // [Lq][Dp] ×3, [Lq] ×2
  float *Kt, *Vt, *Kp, *dK, *dV;   // [Dp][kTile] ×2, [kTile][Dp] ×3
  float *S, *dP;                   // [kBlockRows][kTile] ×2
  static int64_t floats(int64_t Lq, int64_t Dp) { return 3 * Lq * Dp + 2 * Lq + 5 * kTile * Dp + 2 * kBlockRows * kTile; }
  Scratch(float* p, int64_t Lq, int64_t Dp) {
    Qs = p, dO = Qs + Lq * Dp, dQ = dO + Lq * Dp, lse = dQ + Lq * Dp, di = lse + Lq;
    Kt = di + Lq, Vt = Kt + Dp * kTile, Kp = Vt + Dp * kTile, dK = Kp + kTile * Dp, dV = dK + kTile * Dp;
    S = dV + kTile * Dp, dP = S + kBlockRows * kTile;
  }
};

struct Task {
  const float *q, *k, *v, *out, *lse, *d_out;
  const AttentionBackwardShape* s;
  float scale;
  bool causal;
  float *dk, *dv;
  int64_t dq_row_stride;  // floats between query rows of the dq destination of one (b, h)
};

// Keys [c0, c1) of head (b, h). dq receives this chunk's whole dQ for the head (rows
// dq_row_stride apart): the final tensor when there is one chunk, else the chunk's partial slice.
void run_chunk(const Prims& P, const Task& t, int64_t b, int64_t h, int64_t c0, int64_t c1, Scratch& w, float* dq) {
  const AttentionShape& s = t.s->s;
  const int64_t Lq = s.Lq, Lk = s.Lk, H = s.H, D = s.D, Dp = (D + 7) / 8 * 8;
  const int64_t shift = t.causal ? Lk - Lq : 0;
  // Queries below q_lo see none of this chunk's keys.
  const int64_t q_lo = t.causal ? std::clamp<int64_t>(c0 - shift, 0, Lq) : 0;
  for (int64_t i = q_lo; i < Lq; ++i) {
    const float* qi = t.q + b * s.q_strides[0] + i * s.q_strides[1] + h * s.q_strides[2];
    const float* oi = t.out + b * t.s->o_strides[0] + i * t.s->o_strides[1] + h * t.s->o_strides[2];
    const float* gi = t.d_out + b * t.s->do_strides[0] + i * t.s->do_strides[1] + h * t.s->do_strides[2];
    float* qs = w.Qs + i * Dp;
    float* go = w.dO + i * Dp;
    double di = 0;
    for (int64_t d = 0; d < D; ++d) {
      qs[d] = qi[d] * t.scale;  // as the forward scales q, so S and P are recomputed alike
      go[d] = gi[d];
      di += static_cast<double>(gi[d]) * oi[d];
    }
    std::fill(qs + D, qs + Dp, 0.0f);
    std::fill(go + D, go + Dp, 0.0f);
    std::fill(w.dQ + i * Dp, w.dQ + (i + 1) * Dp, 0.0f);
    w.di[i] = static_cast<float>(di);
    w.lse[i] = t.lse[(b * H + h) * Lq + i];
  }
  const float* kb = t.k + b * s.k_strides[0] + h * s.k_strides[2];
  const float* vb = t.v + b * s.v_strides[0] + h * s.v_strides[2];
  for (int64_t t0 = c0; t0 < c1; t0 += kTile) {
    const int64_t nk = std::min(kTile, c1 - t0), ncols = (nk + 15) / 16 * 16;
    P.pack_t(kb + t0 * s.k_strides[1], s.k_strides[1], nk, D, w.Kt);
    P.pack_t(vb + t0 * s.v_strides[1], s.v_strides[1], nk, D, w.Vt);
    for (int64_t j = 0; j < nk; ++j) {
      const float* kj = kb + (t0 + j) * s.k_strides[1];
      std::copy(kj, kj + D, w.Kp + j * Dp);
      std::fill(w.Kp + j * Dp + D, w.Kp + (j + 1) * Dp, 0.0f);
    }
    std::fill(w.dK, w.dK + nk * Dp, 0.0f);
    std::fill(w.dV, w.dV + nk * Dp, 0.0f);
    const int64_t i_start = t.causal ? std::clamp<int64_t>(t0 - shift, q_lo, Lq) : 0;
    for (int64_t i0 = i_start; i0 < Lq; i0 += kBlockRows) {
      const int64_t nq = std::min(kBlockRows, Lq - i0);
      P.scores(w.Qs + i0 * Dp, Dp, w.Kt, D, ncols, w.S, nq);
      P.scores(w.dO + i0 * Dp, Dp, w.Vt, D, ncols, w.dP, nq);
      for (int64_t r = 0; r < nq; ++r) {
        const int64_t i = i0 + r;
        int64_t n = t.causal ? std::clamp<int64_t>(i + shift + 1 - t0, 0, nk) : nk;
        if (std::isinf(w.lse[i]) && w.lse[i] < 0) n = 0;  // a row that saw no key has P = 0
        P.softmax_grad(w.S + r * kTile, w.dP + r * kTile, w.lse[i], w.di[i], n, nk);
      }
      P.pt_x(w.S, w.dO + i0 * Dp, nq, w.dV, Dp, nk);   // dV += Pᵀ·dO
      P.pt_x(w.dP, w.Qs + i0 * Dp, nq, w.dK, Dp, nk);  // dK += dSᵀ·(scale·Q)
      P.p_b(w.dP, w.Kp, nk, w.dQ + i0 * Dp, Dp, nq);   // dQ += dS·K (scaled at the end)
    }
    for (int64_t j = 0; j < nk; ++j) {
      const int64_t row = ((b * Lk + t0 + j) * H + h) * D;
      std::copy(w.dK + j * Dp, w.dK + j * Dp + D, t.dk + row);
      std::copy(w.dV + j * Dp, w.dV + j * Dp + D, t.dv + row);
    }
  }
  for (int64_t i = 0; i < Lq; ++i) {
    float* o = dq + i * t.dq_row_stride;
    if (i < q_lo) std::fill(o, o + D, 0.0f);
    else
      for (int64_t d = 0; d < D; ++d) o[d] = t.scale * w.dQ[i * Dp + d];
  }
}

}  // namespace

void attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse,
                        const float* d_out, const AttentionBackwardShape& shape, float scale, bool causal, float* dq,
                        float* dk, float* dv) {
  const AttentionShape& s = shape.s;
  const int64_t B = s.B, H = s.H, Lq = s.Lq, Lk = s.Lk, D = s.D, Dp = (D + 7) / 8 * 8;
  if (B <= 0 || H <= 0 || D <= 0) return;
  if (Lq <= 0 || Lk <= 0) {  // nothing attends: every gradient is zero
    std::fill(dq, dq + B * Lq * H * D, 0.0f);
    std::fill(dk, dk + B * Lk * H * D, 0.0f);
    std::fill(dv, dv + B * Lk * H * D, 0.0f);
    return;
  }
  const bool simd = use_avx2();
  if (simd && avx2::attention_tile_keys() != kTile) fail(ErrorCode::Internal, "attention_backward: tile size mismatch");
  const Prims& P = simd ? kAvx2 : kScalar;
  const int64_t chunks = (Lk + kKeyChunk - 1) / kKeyChunk;
  const int64_t tasks = B * H * chunks;
  const int64_t slots = std::max<int64_t>(1, std::min<int64_t>(num_threads(), tasks));
  // All memory up front, on the calling thread: per-thread scratch and, with several key chunks,
  // one dQ slice per chunk ([chunk][B][H][Lq][D]).
  const int64_t per_slot = Scratch::floats(Lq, Dp);
  std::vector<float> scratch(static_cast<size_t>(slots * per_slot));
  std::vector<float> partial(chunks > 1 ? static_cast<size_t>(chunks * B * H * Lq * D) : 0);
  Task t{q, k, v, out, lse, d_out, &shape, scale, causal, dk, dv, 0};
  // Tasks are claimed from a counter by `slots` workers, each owning one scratch slot, so uneven
  // tasks (causal heads, a short last chunk) balance themselves.
  std::atomic<int64_t> next{0};
  parallel_for(slots, 1, [&](int64_t s0, int64_t s1) {
    for (int64_t slot = s0; slot < s1; ++slot) {
      Scratch w(scratch.data() + slot * per_slot, Lq, Dp);
      for (int64_t task = next.fetch_add(1); task < tasks; task = next.fetch_add(1)) {
        const int64_t b = task / (H * chunks), h = task / chunks % H, c = task % chunks;
        const int64_t c0 = c * kKeyChunk, c1 = std::min(Lk, c0 + kKeyChunk);
        Task tt = t;
        float* dst;
        if (chunks == 1) {
          tt.dq_row_stride = H * D;
          dst = dq + (b * Lq * H + h) * D;
        } else {
          tt.dq_row_stride = D;
          dst = partial.data() + ((c * B + b) * H + h) * Lq * D;
        }
        run_chunk(P, tt, b, h, c0, c1, w, dst);
      }
    }
  });
  if (chunks == 1) return;
  // dQ = Σ over chunks in chunk order.
  parallel_for(B * H * Lq, std::max<int64_t>(1, 4096 / D), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t b = r / (H * Lq), h = r / Lq % H, i = r % Lq;
      float* o = dq + ((b * Lq + i) * H + h) * D;
      const float* p0 = partial.data() + ((b * H + h) * Lq + i) * D;
      const int64_t chunk_stride = B * H * Lq * D;
      for (int64_t d = 0; d < D; ++d) {
        float acc = p0[d];
        for (int64_t c = 1; c < chunks; ++c) acc += p0[c * chunk_stride + d];
        o[d] = acc;
      }
    }
  });
}

void attention_backward_reference(const float* q, const float* k, const float* v, const float* out, const float* lse,
                                  const float* d_out, const AttentionBackwardShape& shape, float scale, bool causal,
                                  float* dq, float* dk, float* dv) {
  const AttentionShape& s = shape.s;
  const int64_t Lq = s.Lq, Lk = s.Lk, H = s.H, D = s.D;
  std::fill(dq, dq + s.B * Lq * H * D, 0.0f);
  std::fill(dk, dk + s.B * Lk * H * D, 0.0f);
  std::fill(dv, dv + s.B * Lk * H * D, 0.0f);
  std::vector<double> Pm(static_cast<size_t>(Lq * Lk)), dS(Pm.size());
  std::vector<double> gq(static_cast<size_t>(Lq * D)), gk(static_cast<size_t>(Lk * D)), gv(gk.size());
  auto Q = [&](int64_t b, int64_t i, int64_t h) { return q + b * s.q_strides[0] + i * s.q_strides[1] + h * s.q_strides[2]; };
  auto K = [&](int64_t b, int64_t j, int64_t h) { return k + b * s.k_strides[0] + j * s.k_strides[1] + h * s.k_strides[2]; };
  auto V = [&](int64_t b, int64_t j, int64_t h) { return v + b * s.v_strides[0] + j * s.v_strides[1] + h * s.v_strides[2]; };
  auto G = [&](int64_t b, int64_t i, int64_t h) {
    return d_out + b * shape.do_strides[0] + i * shape.do_strides[1] + h * shape.do_strides[2];
  };
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t h = 0; h < H; ++h) {
      std::fill(gq.begin(), gq.end(), 0.0);
      std::fill(gk.begin(), gk.end(), 0.0);
      std::fill(gv.begin(), gv.end(), 0.0);
      for (int64_t i = 0; i < Lq; ++i) {
        const int64_t limit = causal ? std::min(Lk, i + Lk - Lq + 1) : Lk;
        double m = -INFINITY;
        double* p = &Pm[static_cast<size_t>(i * Lk)];
        for (int64_t j = 0; j < Lk; ++j) {
          p[j] = -INFINITY;
          if (j >= limit) continue;
          double dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += static_cast<double>(Q(b, i, h)[d]) * K(b, j, h)[d];
          p[j] = dot * scale;
          m = std::max(m, p[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j < Lk; ++j) sum += p[j] = j < limit ? std::exp(p[j] - m) : 0.0;
        for (int64_t j = 0; j < Lk; ++j) p[j] = sum > 0 ? p[j] / sum : 0.0;
        // dP_ij = dO_i · v_j; dS = P ⊙ (dP − Σ_j P·dP)
        double rowsum = 0;
        double* ds = &dS[static_cast<size_t>(i * Lk)];
        for (int64_t j = 0; j < Lk; ++j) {
          double dp = 0;
          for (int64_t d = 0; d < D; ++d) dp += static_cast<double>(G(b, i, h)[d]) * V(b, j, h)[d];
          ds[j] = dp;
          rowsum += p[j] * dp;
        }
        for (int64_t j = 0; j < Lk; ++j) ds[j] = p[j] * (ds[j] - rowsum);
      }
      for (int64_t i = 0; i < Lq; ++i)
        for (int64_t j = 0; j < Lk; ++j) {
          const double p = Pm[static_cast<size_t>(i * Lk + j)], ds = dS[static_cast<size_t>(i * Lk + j)];
          for (int64_t d = 0; d < D; ++d) {
            gv[static_cast<size_t>(j * D + d)] += p * G(b, i, h)[d];
            gq[static_cast<size_t>(i * D + d)] += scale * ds * K(b, j, h)[d];
            gk[static_cast<size_t>(j * D + d)] += scale * ds * Q(b, i, h)[d];
          }
        }
      for (int64_t i = 0; i < Lq; ++i)
        for (int64_t d = 0; d < D; ++d) dq[((b * Lq + i) * H + h) * D + d] = static_cast<float>(gq[static_cast<size_t>(i * D + d)]);
      for (int64_t j = 0; j < Lk; ++j)
        for (int64_t d = 0; d < D; ++d) {
          dk[((b * Lk + j) * H + h) * D + d] = static_cast<float>(gk[static_cast<size_t>(j * D + d)]);
          dv[((b * Lk + j) * H + h) * D + d] = static_cast<float>(gv[static_cast<size_t>(j * D + d)]);
        }
    }
  (void)out;
  (void)lse;
}

}  // namespace dw::cpu
