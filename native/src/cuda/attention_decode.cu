// Attention for a few queries (a decode step, a short prompt) against a long KV cache.
//
// The work is streaming K and V once, so the kernel is built for memory-level parallelism: the
// grid is (key splits) × (B·H), sized so the GPU holds about four 128-thread CTAs per SM whatever
// the batch (batch 1 splits the 448-key cache 14 ways; batch 16 already has 320 (b, h) pairs and
// splits it twice). Inside a CTA, a group of G lanes reads one key row in 16-byte vectors (G =
// head_dim·sizeof(T)/16 rounded up to a power of two), so 128/G rows are in flight per pass and
// four passes are loaded before any is used. Scores go to shared memory, each query's softmax is
// one warp's reduction over the chunk, then the same lane groups stream V and accumulate P·V in
// registers, reduced across groups with shuffles and across warps in shared memory.
// With one split the result is final; otherwise per-split (m, l, o) go to the workspace and
// attention_combine_splits merges them. Scores are in the log2 domain (q pre-scaled by
// scale·log2 e), as in the SIMT kernel whose workspace layout this shares.
#include "attention_impl.h"
#include "device_types.cuh"

namespace dw::cuda {
namespace {

constexpr float kLn2 = 0.6931471805599453f;
constexpr int kThreads = 128;
constexpr int kMaxChunk = 256;  // keys per CTA (shared-memory scores: kDecodeMaxQ × 256 floats)
constexpr int kUnroll = 4;      // key rows loaded per lane group before use
constexpr int kQ = static_cast<int>(kDecodeMaxQ);

struct DecodeParams {
  int64_t Lq, Lk, H, D;
  int64_t qs[3], ks[3], vs[3];
  float scale_log2;
  bool causal;
  int64_t chunk;
};

template <class T>
struct Vec {
  static constexpr int kN = 16 / sizeof(T);  // elements per 16-byte vector
};

template <class T>
__device__ __forceinline__ void load_vec(const T* p, float (&x)[Vec<T>::kN]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  if constexpr (sizeof(T) == 4) {
    x[0] = __uint_as_float(raw.x);
    x[1] = __uint_as_float(raw.y);
    x[2] = __uint_as_float(raw.z);
    x[3] = __uint_as_float(raw.w);
  } else {
    const __half2* h = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const float2 f = __half22float2(h[i]);
      x[2 * i] = f.x;
      x[2 * i + 1] = f.y;
    }
  }
}

// G lanes per key row (a power of two, 8..32).
template <class T, int G>
__global__ void __launch_bounds__(kThreads)
attention_decode_kernel(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ out,
                        float* __restrict__ lse, DecodeParams p, float* __restrict__ ws) {
  constexpr int kN = Vec<T>::kN, kGroups = kThreads / G, kWarps = kThreads / 32;
  __shared__ float scores[kQ][kMaxChunk];
  __shared__ float red[kWarps][kQ][128];
  __shared__ float stat_m[kQ], stat_l[kQ];

  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int grp = tid / G, li = tid % G;
  const int64_t bh = blockIdx.y, b = bh / p.H, h = bh % p.H;
  const int64_t Lq = p.Lq, Lk = p.Lk, D = p.D, shift = Lk - Lq;
  const int nq = static_cast<int>(Lq);
  const int64_t kbeg = static_cast<int64_t>(blockIdx.x) * p.chunk;
  const int64_t kend = kbeg + p.chunk < Lk ? kbeg + p.chunk : Lk;
  const int n = kend > kbeg ? static_cast<int>(kend - kbeg) : 0;
  const int d0 = li * kN;
  const bool lane_has_dims = d0 < D;  // D is a multiple of kN

  const T* kb = k + b * p.ks[0] + h * p.ks[2] + d0;
  const T* vb = v + b * p.vs[0] + h * p.vs[2] + d0;

  float qv[kQ][kN];
#pragma unroll
  for (int i = 0; i < kQ; ++i) {
    if (i < nq && lane_has_dims) {
      load_vec<T>(q + b * p.qs[0] + i * p.qs[1] + h * p.qs[2] + d0, qv[i]);
#pragma unroll
      for (int e = 0; e < kN; ++e) qv[i][e] *= p.scale_log2;
    } else {
#pragma unroll
      for (int e = 0; e < kN; ++e) qv[i][e] = 0.0f;
    }
  }

  // ---- scores ----
  for (int j0 = 0; j0 < n; j0 += kGroups * kUnroll) {
    float kv[kUnroll][kN];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int j = j0 + u * kGroups + grp;
      if (j < n && lane_has_dims) load_vec<T>(kb + (kbeg + j) * p.ks[1], kv[u]);
      else
#pragma unroll
        for (int e = 0; e < kN; ++e) kv[u][e] = 0.0f;
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int j = j0 + u * kGroups + grp;
#pragma unroll
      for (int i = 0; i < kQ; ++i) {
        float s = 0.0f;
#pragma unroll
        for (int e = 0; e < kN; ++e) s = fmaf(qv[i][e], kv[u][e], s);
#pragma unroll
        for (int off = G / 2; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
        if (li == 0 && j < n && i < nq) {
          const bool ok = !p.causal || kbeg + j <= i + shift;
          scores[i][j] = ok ? s : -INFINITY;
        }
      }
    }
  }
  __syncthreads();

  // ---- softmax over the chunk: warp i owns query i ----
  if (warp < nq) {
    float mx = -INFINITY;
    for (int j = lane; j < n; j += 32) mx = fmaxf(mx, scores[warp][j]);
    mx = warp_max(mx);
    float sum = 0.0f;
    for (int j = lane; j < n; j += 32) {
      const float e = mx == -INFINITY ? 0.0f : exp2f(scores[warp][j] - mx);
      scores[warp][j] = e;
      sum += e;
    }
    sum = warp_sum(sum);
    if (lane == 0) {
      stat_m[warp] = mx;
      stat_l[warp] = sum;
    }
  }
  __syncthreads();

  // ---- O = P·V over this CTA's keys ----
  float o[kQ][kN];
#pragma unroll
  for (int i = 0; i < kQ; ++i)
#pragma unroll
    for (int e = 0; e < kN; ++e) o[i][e] = 0.0f;
  for (int j0 = 0; j0 < n; j0 += kGroups * kUnroll) {
    float vv[kUnroll][kN];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int j = j0 + u * kGroups + grp;
      if (j < n && lane_has_dims) load_vec<T>(vb + (kbeg + j) * p.vs[1], vv[u]);
      else
#pragma unroll
        for (int e = 0; e < kN; ++e) vv[u][e] = 0.0f;
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int j = j0 + u * kGroups + grp;
      if (j >= n) continue;
#pragma unroll
      for (int i = 0; i < kQ; ++i) {
        if (i >= nq) continue;
        const float pij = scores[i][j];
#pragma unroll
        for (int e = 0; e < kN; ++e) o[i][e] = fmaf(pij, vv[u][e], o[i][e]);
      }
    }
  }
  // Lane groups of one warp hold the same dims: fold them, then the warps through smem.
#pragma unroll
  for (int i = 0; i < kQ; ++i)
#pragma unroll
    for (int e = 0; e < kN; ++e)
#pragma unroll
      for (int off = G; off < 32; off <<= 1) o[i][e] += __shfl_xor_sync(0xffffffffu, o[i][e], off);
  if (lane < G && lane_has_dims) {
#pragma unroll
    for (int i = 0; i < kQ; ++i)
#pragma unroll
      for (int e = 0; e < kN; ++e) red[warp][i][d0 + e] = o[i][e];
  }
  __syncthreads();

  const int64_t splits = gridDim.x;
  for (int idx = tid; idx < nq * D; idx += kThreads) {
    const int i = idx / static_cast<int>(D), d = idx % static_cast<int>(D);
    float acc = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) acc += red[w][i][d];
    if (splits == 1) {
      out[((b * Lq + i) * p.H + h) * D + d] = from_f32<T>(acc / stat_l[i]);
    } else {
      float* part = ws + ((bh * splits + blockIdx.x) * Lq + i) * (D + 2);
      part[2 + d] = acc;
      if (d == 0) {
        part[0] = stat_m[i];
        part[1] = stat_l[i];
      }
    }
  }
  if (splits == 1 && lse && tid < nq) lse[bh * Lq + tid] = (stat_m[tid] + log2f(stat_l[tid])) * kLn2;
}

struct DecodePlan {
  int64_t chunk;
  int splits;
};

DecodePlan plan_decode(const AttentionArgs& a, int num_sms) {
  const int64_t bh = a.B * a.H;
  const int64_t target = 4LL * num_sms;  // CTAs wanted in flight
  int64_t splits = (target + bh - 1) / bh;
  const int64_t min_splits = (a.Lk + kMaxChunk - 1) / kMaxChunk;
  const int64_t max_splits = (a.Lk + 31) / 32;  // at least 32 keys per split
  if (splits < min_splits) splits = min_splits;
  if (splits > max_splits) splits = max_splits;
  if (splits < 1) splits = 1;
  int64_t chunk = (a.Lk + splits - 1) / splits;
  chunk = (chunk + 31) / 32 * 32;
  if (chunk > kMaxChunk) chunk = kMaxChunk;
  DecodePlan p{};
  p.chunk = chunk;
  p.splits = static_cast<int>((a.Lk + chunk - 1) / chunk);
  return p;
}

template <class T, int G>
void launch_decode(const AttentionArgs& a, const DecodeParams& p, int splits, float* ws, cudaStream_t stream) {
  const dim3 grid(static_cast<unsigned>(splits), static_cast<unsigned>(a.B * a.H));
  attention_decode_kernel<T, G><<<grid, kThreads, 0, stream>>>(static_cast<const T*>(a.q), static_cast<const T*>(a.k),
                                                               static_cast<const T*>(a.v), static_cast<T*>(a.out),
                                                               a.lse, p, ws);
  check_launch("attention (decode)");
}

// Lanes per key row: the 16-byte vectors of a row, rounded up to a power of two (at least 8).
int lanes_per_row(const AttentionArgs& a) {
  const int64_t vecs = a.D * static_cast<int64_t>(dtype_size(a.dt)) / 16;
  return vecs <= 8 ? 8 : vecs <= 16 ? 16 : 32;
}

}  // namespace

bool decode_supported(const AttentionArgs& a) {
  if (a.dt != DType::F32 && a.dt != DType::F16) return false;
  const int64_t vec = 16 / static_cast<int64_t>(dtype_size(a.dt));
  return a.Lq >= 1 && a.Lq <= kDecodeMaxQ && a.D <= 128 && a.D % vec == 0 && attention_rows_aligned16(a);
}

size_t decode_workspace_bytes(const AttentionArgs& a, int num_sms) {
  const DecodePlan p = plan_decode(a, num_sms);
  if (p.splits <= 1) return 0;
  return sizeof(float) * static_cast<size_t>(a.B * a.H * p.splits * a.Lq * (a.D + 2));
}

void decode_attention(const AttentionArgs& a, void* workspace, int num_sms, cudaStream_t stream) {
  const DecodePlan plan = plan_decode(a, num_sms);
  DW_CHECK(plan.splits <= 1 || workspace, ErrorCode::Internal, "cuda attention (decode): missing split workspace");
  DecodeParams p{};
  fill_attention_geometry(p, a);
  p.D = a.D;
  p.chunk = plan.chunk;
  float* ws = static_cast<float*>(workspace);
  const int G = lanes_per_row(a);
  if (a.dt == DType::F16) {
    if (G == 8) launch_decode<__half, 8>(a, p, plan.splits, ws, stream);
    else launch_decode<__half, 16>(a, p, plan.splits, ws, stream);  // D <= 128 f16 is at most 16 vectors
  } else {
    if (G == 8) launch_decode<float, 8>(a, p, plan.splits, ws, stream);
    else if (G == 16) launch_decode<float, 16>(a, p, plan.splits, ws, stream);
    else launch_decode<float, 32>(a, p, plan.splits, ws, stream);
  }
  if (plan.splits > 1) attention_combine_splits(a, ws, plan.splits, stream);
}

}  // namespace dw::cuda
