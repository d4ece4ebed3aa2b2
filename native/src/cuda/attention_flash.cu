// Attention v2: FlashAttention-2 style forward for f16 with head_dim 64 or 128.
//
// Each warp owns 16 query rows. Its Q fragment stays in registers for the whole key loop; K/V
// tiles of 64 keys are staged in shared memory by cp.async, double buffered. S = Q·Kᵀ and
// O += P·V are mma.sync m16n8k16 (f16 in, f32 accumulate) written in PTX, so the accumulator
// layout is known: lane (g = lane/4, t = lane%4) holds rows g and g+8, columns 2t and 2t+1 of
// every 8-wide block. The online softmax (row max, row sum, rescale of O) therefore runs on
// registers, with only two shuffles per row reduction, and the probabilities become the A
// operand of P·V without leaving the registers (an S accumulator pair is exactly an A pair).
//
// CTA shape, reasoning for H100 (132 SMs, 64K registers and 228 KB shared memory per SM):
//  * D = 64: 8 warps (128 queries), ≈128 registers per thread → 2 CTAs = 16 warps per SM, K/V
//    smem 36 KB per CTA. A 128-row CTA halves the K/V traffic per query against 64 rows at the
//    same occupancy; Whisper's 1500 × 20 heads is 240 CTAs, one wave.
//  * D = 128: 4 warps (64 queries): the O accumulator alone is 64 registers, so 8 warps would
//    leave one CTA per SM; 4-warp CTAs fit 2–3 per SM (K/V smem 68 KB each).
// Q is staged through the second K/V buffer before the loop starts, so it costs no extra smem.
// Scores stay in the log2 domain (exp2 with scale·log2 e folded into one FMA); the natural
// log-sum-exp is written for a backward pass.
#include <cuda_fp16.h>

#include <mutex>

#include "attention_impl.h"
#include "device_types.cuh"

namespace dw::cuda {
namespace {

constexpr float kLn2 = 0.6931471805599453f;
constexpr int kBc = 64;  // keys per tile

struct FlashParams {
  int64_t Lq, Lk, H;
  int64_t qs[3], ks[3], vs[3];
  float scale_log2;  // > 0
  bool causal;
};

template <int D>
struct FlashConfig {
  static constexpr int kWarps = D == 64 ? 8 : 4;
  static constexpr int kThreads = kWarps * 32;
  static constexpr int kBr = kWarps * 16;  // queries per CTA
  static constexpr int kLd = D + 8;        // halves per smem row: 16-byte pad, conflict-free ldmatrix
  static constexpr int kTile = kBc * kLd;  // halves per K or V tile
  static constexpr size_t kSmemBytes = sizeof(__half) * 4 * kTile;  // K0 V0 K1 V1
  static_assert(kBr <= 2 * kBc, "Q is staged in the second K/V buffer");
};

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global -> shared, bypassing L1; zero-fills when !pred (src is then not read).
__device__ __forceinline__ void cp_async16(uint32_t dst, const void* src, bool pred) {
  const int n = pred ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(n));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

__device__ __forceinline__ void ldmatrix_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// c += a (16×16, row) · b (16×8, col), f16 inputs, f32 accumulators.
__device__ __forceinline__ void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ float fast_exp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// Two floats as an f16x2 register, the lower column in the low half (the mma operand order).
__device__ __forceinline__ uint32_t pack_half2(float lo, float hi) {
  const __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&h);
}

// Copies rows [row0, row0 + ROWS) of an [L, D] operand (row stride rs) into a smem tile,
// zero-filling rows at or past `valid` (their P or V contribution must be exactly 0, not NaN).
template <int D, int ROWS, int THREADS>
__device__ __forceinline__ void load_rows_async(__half* dst, const __half* src, int64_t rs, int64_t row0,
                                                int64_t valid) {
  constexpr int kChunks = D / 8, kLd = D + 8;
  static_assert(ROWS * kChunks % THREADS == 0, "whole passes only");
  const uint32_t base = smem_addr(dst);
#pragma unroll
  for (int it = 0; it < ROWS * kChunks / THREADS; ++it) {
    const int idx = it * THREADS + static_cast<int>(threadIdx.x);
    const int r = idx / kChunks, c = (idx % kChunks) * 8;
    const int64_t row = row0 + r;
    const bool ok = row < valid;
    cp_async16(base + static_cast<uint32_t>((r * kLd + c) * sizeof(__half)), src + (ok ? row : 0) * rs + c, ok);
  }
}

template <int D>
__global__ void __launch_bounds__(FlashConfig<D>::kThreads, 2)
attention_flash_kernel(const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
                       __half* __restrict__ out, float* __restrict__ lse, FlashParams p) {
  using C = FlashConfig<D>;
  constexpr int kLd = C::kLd, kTile = C::kTile, kBr = C::kBr, kT = C::kThreads;
  constexpr int kNd = D / 8;   // 8-wide output blocks
  constexpr int kNs = kBc / 8; // 8-wide score blocks
  extern __shared__ __align__(128) __half smem[];
  // Stage s holds K at smem + 2s·kTile and V right after it (pointer arithmetic, not an array
  // indexed at run time, which would live on the stack).
  __half* const q_tile = smem + 2 * kTile;  // aliases K1/V1 until the first Q fragment load

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, tq = lane & 3;
  const int64_t bh = blockIdx.y, b = bh / p.H, h = bh % p.H;
  // Reverse order: under a causal mask the last query tiles have the most keys; start them first.
  const int64_t i0 = static_cast<int64_t>(gridDim.x - 1 - blockIdx.x) * kBr;
  const int64_t Lq = p.Lq, Lk = p.Lk, shift = Lk - Lq;
  const __half* qb = q + b * p.qs[0] + h * p.qs[2];
  const __half* kb = k + b * p.ks[0] + h * p.ks[2];
  const __half* vb = v + b * p.vs[0] + h * p.vs[2];
  const float c = p.scale_log2;

  int64_t kend = Lk;
  if (p.causal) {
    const int64_t last_q = (i0 + kBr < Lq ? i0 + kBr : Lq) - 1;
    if (kend > last_q + shift + 1) kend = last_q + shift + 1;
  }
  const int ntiles = static_cast<int>((kend + kBc - 1) / kBc);

  load_rows_async<D, kBr, kT>(q_tile, qb, p.qs[1], i0, Lq);
  load_rows_async<D, kBc, kT>(smem, kb, p.ks[1], 0, Lk);
  load_rows_async<D, kBc, kT>(smem + kTile, vb, p.vs[1], 0, Lk);
  cp_async_commit();
  cp_async_wait<0>();
  __syncthreads();

  const int r0 = warp * 16;
  uint32_t qf[D / 16][4];
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    const int row = r0 + (lane & 7) + ((lane >> 3) & 1) * 8, col = kk * 16 + (lane >> 4) * 8;
    ldmatrix_x4(qf[kk], smem_addr(q_tile + row * kLd + col));
  }
  __syncthreads();  // Q's smem is K1/V1 from here on

  float o[kNd][4];
#pragma unroll
  for (int n = 0; n < kNd; ++n) o[n][0] = o[n][1] = o[n][2] = o[n][3] = 0.0f;
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.0f, 0.0f};
  const int64_t warp_first = i0 + r0, warp_last = warp_first + 15;
  const int64_t row_of[2] = {warp_first + g, warp_first + g + 8};
  const bool warp_active = warp_first < Lq;

  for (int t = 0; t < ntiles; ++t) {
    const int st = t & 1;
    if (t + 1 < ntiles) {
      const int64_t next = static_cast<int64_t>(t + 1) * kBc;
      __half* const nk = smem + (st ^ 1) * 2 * kTile;
      load_rows_async<D, kBc, kT>(nk, kb, p.ks[1], next, Lk);
      load_rows_async<D, kBc, kT>(nk + kTile, vb, p.vs[1], next, Lk);
    }
    cp_async_commit();
    cp_async_wait<1>();  // tile t has landed (only tile t+1 may still be in flight)
    __syncthreads();

    const int64_t kt = static_cast<int64_t>(t) * kBc;
    if (warp_active && (!p.causal || kt <= warp_last + shift)) {
      // ---- S = Q·Kᵀ: 16 rows × 64 keys ----
      float s[kNs][4];
#pragma unroll
      for (int j = 0; j < kNs; ++j) s[j][0] = s[j][1] = s[j][2] = s[j][3] = 0.0f;
      const __half* kt_s = smem + st * 2 * kTile;
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
#pragma unroll
        for (int jj = 0; jj < kBc / 16; ++jj) {
          // matrices: keys 0–7 × dims 0–7, keys 0–7 × dims 8–15, keys 8–15 × dims 0–7, keys 8–15 × dims 8–15
          const int key = jj * 16 + (lane & 7) + (lane >> 4) * 8, col = kk * 16 + ((lane >> 3) & 1) * 8;
          uint32_t bf[4];
          ldmatrix_x4(bf, smem_addr(kt_s + key * kLd + col));
          mma_16816(s[2 * jj], qf[kk], bf[0], bf[1]);
          mma_16816(s[2 * jj + 1], qf[kk], bf[2], bf[3]);
        }
      }

      // ---- mask: only the ragged last tile and tiles crossing the causal diagonal ----
      const bool need_mask = kt + kBc > Lk || (p.causal && kt + kBc - 1 > warp_first + shift);
      if (need_mask) {
#pragma unroll
        for (int j = 0; j < kNs; ++j)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int64_t key = kt + j * 8 + tq * 2 + (e & 1);
            const bool ok = key < Lk && (!p.causal || key <= row_of[e >> 1] + shift);
            if (!ok) s[j][e] = -INFINITY;
          }
      }

      // ---- online softmax on registers ----
      float mx[2] = {m[0], m[1]};
#pragma unroll
      for (int j = 0; j < kNs; ++j) {
        mx[0] = fmaxf(mx[0], fmaxf(s[j][0], s[j][1]));
        mx[1] = fmaxf(mx[1], fmaxf(s[j][2], s[j][3]));
      }
      float base[2];
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
        mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
        // A row with no visible key so far keeps m = -inf; a finite base keeps exp2 away from NaN.
        base[r] = mx[r] == -INFINITY ? 0.0f : mx[r] * c;
        const float alpha = fast_exp2(m[r] * c - base[r]);
        m[r] = mx[r];
        l[r] *= alpha;
#pragma unroll
        for (int n = 0; n < kNd; ++n) {
          o[n][2 * r] *= alpha;
          o[n][2 * r + 1] *= alpha;
        }
      }
#pragma unroll
      for (int j = 0; j < kNs; ++j) {
#pragma unroll
        for (int e = 0; e < 4; ++e) s[j][e] = fast_exp2(fmaf(s[j][e], c, -base[e >> 1]));
        l[0] += s[j][0] + s[j][1];
        l[1] += s[j][2] + s[j][3];
      }

      // ---- O += P·V: P straight from the S accumulators ----
      const __half* vt_s = smem + st * 2 * kTile + kTile;
#pragma unroll
      for (int kk = 0; kk < kBc / 16; ++kk) {
        uint32_t a[4];
        a[0] = pack_half2(s[2 * kk][0], s[2 * kk][1]);
        a[1] = pack_half2(s[2 * kk][2], s[2 * kk][3]);
        a[2] = pack_half2(s[2 * kk + 1][0], s[2 * kk + 1][1]);
        a[3] = pack_half2(s[2 * kk + 1][2], s[2 * kk + 1][3]);
#pragma unroll
        for (int nd = 0; nd < D / 16; ++nd) {
          // transposed matrices: keys 0–7 × dims 0–7, keys 8–15 × dims 0–7, keys 0–7 × dims 8–15, keys 8–15 × dims 8–15
          const int key = kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8, col = nd * 16 + (lane >> 4) * 8;
          uint32_t bf[4];
          ldmatrix_x4_trans(bf, smem_addr(vt_s + key * kLd + col));
          mma_16816(o[2 * nd], a, bf[0], bf[1]);
          mma_16816(o[2 * nd + 1], a, bf[2], bf[3]);
        }
      }
    }
    __syncthreads();  // everyone is done with stage st before tile t+2 is loaded into it
  }

  if (!warp_active) return;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
    const int64_t row = row_of[r];
    if (row >= Lq) continue;
    const float inv = 1.0f / l[r];
    __half* orow = out + ((b * Lq + row) * p.H + h) * D;
#pragma unroll
    for (int n = 0; n < kNd; ++n)
      *reinterpret_cast<__half2*>(orow + n * 8 + tq * 2) = __floats2half2_rn(o[n][2 * r] * inv, o[n][2 * r + 1] * inv);
    if (lse && tq == 0) lse[bh * Lq + row] = (m[r] * c + log2f(l[r])) * kLn2;
  }
}

template <int D>
void launch_flash(const AttentionArgs& a, const FlashParams& p, cudaStream_t stream) {
  using C = FlashConfig<D>;
  static std::once_flag once;
  std::call_once(once, [] {
    check(cudaFuncSetAttribute(attention_flash_kernel<D>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(C::kSmemBytes)),
          "attention v2: shared memory opt-in");
  });
  const dim3 grid(static_cast<unsigned>((a.Lq + C::kBr - 1) / C::kBr), static_cast<unsigned>(a.B * a.H));
  attention_flash_kernel<D><<<grid, C::kThreads, C::kSmemBytes, stream>>>(
      static_cast<const __half*>(a.q), static_cast<const __half*>(a.k), static_cast<const __half*>(a.v),
      static_cast<__half*>(a.out), a.lse, p);
  check_launch("attention v2 (mma.sync flash)");
}

}  // namespace

bool flash_supported(const AttentionArgs& a) {
  return a.dt == DType::F16 && (a.D == 64 || a.D == 128) && a.scale > 0.0f && attention_rows_aligned16(a);
}

void flash_attention(const AttentionArgs& a, cudaStream_t stream) {
  FlashParams p{};
  fill_attention_geometry(p, a);
  if (a.D == 64) launch_flash<64>(a, p, stream);
  else launch_flash<128>(a, p, stream);
}

}  // namespace dw::cuda
