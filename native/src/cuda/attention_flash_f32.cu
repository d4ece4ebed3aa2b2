// Attention v2 for f32 (head_dim 64 or 128): the same tiled online softmax as the f16 kernel, on
// CUDA cores in full f32 (tensor-core TF32 would not match the CPU to f32 tolerances).
//
// A CTA of 256 threads takes 64 queries and loops over 64-key tiles. Thread (ty, tx) = (tid/16,
// tid%16) owns a 4×4 block of the score tile — rows 4ty.., keys 4tx.. — and the same 4 rows of the
// output (dims 4tx.., and 64+4tx.. at D = 128), so the online-softmax rescale of its output rows
// uses statistics it holds itself; a row's 16 owners are one half-warp, reduced with 4 shuffles.
// Q and K are stored transposed ([d][row]) so each step of Q·Kᵀ is two float4 loads for 16 FMAs;
// P goes through shared memory (it is shared by the half-warp only) with an XOR swizzle that keeps
// the float4 stores conflict-free. q is pre-scaled by scale·log2 e (as the SIMT kernel does).
#include "attention_impl.h"
#include "device_types.cuh"

namespace dw::cuda {
namespace {

constexpr float kLn2 = 0.6931471805599453f;
constexpr int kBr = 64, kBc = 64, kThreads = 256;

struct F32Params {
  int64_t Lq, Lk, H;
  int64_t qs[3], ks[3], vs[3];
  float scale_log2;
  bool causal;
};

template <int D>
struct F32Layout {
  static constexpr int qt = 0;                 // [D][kBr]
  static constexpr int kt = qt + D * kBr;      // [D][kBc]
  static constexpr int vs = kt + D * kBc;      // [kBc][D]
  static constexpr int ps = vs + kBc * D;      // [kBc][kBr], float4 chunks swizzled
  static constexpr size_t bytes = sizeof(float) * (ps + kBc * kBr);
};

// Rows [row0, row0 + 64) of an [L, D] operand into a transposed [D][64] tile (scaled by mul),
// zero past `valid`. Consecutive threads take consecutive rows: conflict-free scalar stores.
template <int D>
__device__ __forceinline__ void load_transposed(float* dst, const float* src, int64_t rs, int64_t row0, int64_t valid,
                                                float mul) {
#pragma unroll
  for (int it = 0; it < kBr * D / 4 / kThreads; ++it) {
    const int idx = it * kThreads + static_cast<int>(threadIdx.x);
    const int j = idx % kBr, dc = (idx / kBr) * 4;
    float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
    if (row0 + j < valid) x = *reinterpret_cast<const float4*>(src + (row0 + j) * rs + dc);
    dst[(dc + 0) * kBr + j] = x.x * mul;
    dst[(dc + 1) * kBr + j] = x.y * mul;
    dst[(dc + 2) * kBr + j] = x.z * mul;
    dst[(dc + 3) * kBr + j] = x.w * mul;
  }
}

template <int D>
__global__ void __launch_bounds__(kThreads)
attention_flash_f32_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                           float* __restrict__ out, float* __restrict__ lse, F32Params p) {
  using L = F32Layout<D>;
  constexpr int kDc = D / 64;  // float4 output chunks per thread (1 or 2)
  extern __shared__ __align__(16) float sm[];
  float* Qt = sm + L::qt;
  float* Kt = sm + L::kt;
  float* Vs = sm + L::vs;
  float* Ps = sm + L::ps;

  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  const int64_t bh = blockIdx.y, b = bh / p.H, h = bh % p.H;
  const int64_t i0 = static_cast<int64_t>(gridDim.x - 1 - blockIdx.x) * kBr;  // heavy causal tiles first
  const int64_t Lq = p.Lq, Lk = p.Lk, shift = Lk - Lq;
  const float* qb = q + b * p.qs[0] + h * p.qs[2];
  const float* kb = k + b * p.ks[0] + h * p.ks[2];
  const float* vb = v + b * p.vs[0] + h * p.vs[2];

  int64_t kend = Lk;
  if (p.causal) {
    const int64_t last_q = (i0 + kBr < Lq ? i0 + kBr : Lq) - 1;
    if (kend > last_q + shift + 1) kend = last_q + shift + 1;
  }

  load_transposed<D>(Qt, qb, p.qs[1], i0, Lq, p.scale_log2);

  float o[4][kDc][4];
#pragma unroll
  for (int r = 0; r < 4; ++r)
#pragma unroll
    for (int c = 0; c < kDc; ++c) o[r][c][0] = o[r][c][1] = o[r][c][2] = o[r][c][3] = 0.0f;
  float m[4], l[4];
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    m[r] = -INFINITY;
    l[r] = 0.0f;
  }

  for (int64_t kt = 0; kt < kend; kt += kBc) {
    __syncthreads();  // the previous tile is consumed (and Qt written, on the first pass)
    load_transposed<D>(Kt, kb, p.ks[1], kt, Lk, 1.0f);
#pragma unroll
    for (int it = 0; it < kBc * D / 4 / kThreads; ++it) {
      const int idx = it * kThreads + tid;
      const int j = idx / (D / 4), dc = (idx % (D / 4)) * 4;
      float4 x = make_float4(0.f, 0.f, 0.f, 0.f);
      if (kt + j < Lk) x = *reinterpret_cast<const float4*>(vb + (kt + j) * p.vs[1] + dc);
      *reinterpret_cast<float4*>(Vs + j * D + dc) = x;
    }
    __syncthreads();

    float s[4][4];
#pragma unroll
    for (int r = 0; r < 4; ++r) s[r][0] = s[r][1] = s[r][2] = s[r][3] = 0.0f;
#pragma unroll 8
    for (int d = 0; d < D; ++d) {
      const float4 a = *reinterpret_cast<const float4*>(Qt + d * kBr + ty * 4);
      const float4 bb = *reinterpret_cast<const float4*>(Kt + d * kBc + tx * 4);
      const float av[4] = {a.x, a.y, a.z, a.w}, bv[4] = {bb.x, bb.y, bb.z, bb.w};
#pragma unroll
      for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) s[r][c] = fmaf(av[r], bv[c], s[r][c]);
    }

    if (kt + kBc > Lk || (p.causal && kt + kBc - 1 > i0 + shift)) {
#pragma unroll
      for (int r = 0; r < 4; ++r)
#pragma unroll
        for (int c = 0; c < 4; ++c) {
          const int64_t key = kt + tx * 4 + c, row = i0 + ty * 4 + r;
          if (key >= Lk || (p.causal && key > row + shift)) s[r][c] = -INFINITY;
        }
    }

#pragma unroll
    for (int r = 0; r < 4; ++r) {
      float mx = fmaxf(fmaxf(m[r], fmaxf(s[r][0], s[r][1])), fmaxf(s[r][2], s[r][3]));
#pragma unroll
      for (int off = 1; off < 16; off <<= 1) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, off));
      const float base = mx == -INFINITY ? 0.0f : mx;  // no visible key yet: keep exp2 off NaN
      const float alpha = exp2f(m[r] - base);
      m[r] = mx;
      l[r] *= alpha;
#pragma unroll
      for (int c = 0; c < kDc; ++c)
#pragma unroll
        for (int e = 0; e < 4; ++e) o[r][c][e] *= alpha;
#pragma unroll
      for (int c = 0; c < 4; ++c) {
        s[r][c] = exp2f(s[r][c] - base);
        l[r] += s[r][c];
      }
    }
    // P[key][rows 4ty..4ty+3] as one float4 per key; chunk index ty ^ tx spreads a quarter-warp's
    // stores over 8 bank groups (key = 4tx + c, so the reader recovers tx as key / 4).
#pragma unroll
    for (int c = 0; c < 4; ++c)
      *reinterpret_cast<float4*>(Ps + (tx * 4 + c) * kBr + ((ty ^ tx) * 4)) =
          make_float4(s[0][c], s[1][c], s[2][c], s[3][c]);
    __syncwarp();  // P rows 4ty.. are written and read by the same half-warp

    const int kn = kend - kt < kBc ? static_cast<int>(kend - kt) : kBc;
#pragma unroll 4
    for (int j = 0; j < kn; ++j) {
      const float4 pv = *reinterpret_cast<const float4*>(Ps + j * kBr + ((ty ^ (j >> 2)) * 4));
      const float pr[4] = {pv.x, pv.y, pv.z, pv.w};
#pragma unroll
      for (int c = 0; c < kDc; ++c) {
        const float4 vv = *reinterpret_cast<const float4*>(Vs + j * D + c * 64 + tx * 4);
#pragma unroll
        for (int r = 0; r < 4; ++r) {
          o[r][c][0] = fmaf(pr[r], vv.x, o[r][c][0]);
          o[r][c][1] = fmaf(pr[r], vv.y, o[r][c][1]);
          o[r][c][2] = fmaf(pr[r], vv.z, o[r][c][2]);
          o[r][c][3] = fmaf(pr[r], vv.w, o[r][c][3]);
        }
      }
    }
  }

#pragma unroll
  for (int r = 0; r < 4; ++r) {
#pragma unroll
    for (int off = 1; off < 16; off <<= 1) l[r] += __shfl_xor_sync(0xffffffffu, l[r], off);
    const int64_t row = i0 + ty * 4 + r;
    if (row >= Lq) continue;
    const float inv = 1.0f / l[r];
    float* orow = out + ((b * Lq + row) * p.H + h) * D;
#pragma unroll
    for (int c = 0; c < kDc; ++c)
      *reinterpret_cast<float4*>(orow + c * 64 + tx * 4) =
          make_float4(o[r][c][0] * inv, o[r][c][1] * inv, o[r][c][2] * inv, o[r][c][3] * inv);
    if (lse && tx == 0) lse[bh * Lq + row] = (m[r] + log2f(l[r])) * kLn2;
  }
}

template <int D>
void launch_f32(const AttentionArgs& a, const F32Params& p, cudaStream_t stream) {
  using L = F32Layout<D>;
  auto kernel = attention_flash_f32_kernel<D>;
  check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(L::bytes)),
        "attention v2 f32: shared memory opt-in");
  const dim3 grid(static_cast<unsigned>((a.Lq + kBr - 1) / kBr), static_cast<unsigned>(a.B * a.H));
  kernel<<<grid, kThreads, L::bytes, stream>>>(static_cast<const float*>(a.q), static_cast<const float*>(a.k),
                                               static_cast<const float*>(a.v), static_cast<float*>(a.out), a.lse, p);
  check_launch("attention v2 f32");
}

}  // namespace

bool flash_f32_supported(const AttentionArgs& a) {
  return a.dt == DType::F32 && (a.D == 64 || a.D == 128) && attention_rows_aligned16(a);
}

void flash_attention_f32(const AttentionArgs& a, cudaStream_t stream) {
  F32Params p{};
  fill_attention_geometry(p, a);
  if (a.D == 64) launch_f32<64>(a, p, stream);
  else launch_f32<128>(a, p, stream);
}

}  // namespace dw::cuda
