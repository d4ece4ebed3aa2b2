// Flash attention forward: tiles of keys, an online softmax, never an [Lq, Lk] matrix in memory.
// Scores live in the log2 domain (q·k·scale·log2 e, exp2) and every path writes the natural
// log-sum-exp a backward pass needs.
//
// Kernel versions (attention_impl.h); this file holds v1, SIMT and the dispatcher:
//  * v2 (attention_flash.cu): mma.sync FlashAttention-2 kernel, the default for f16 with head_dim
//    64 or 128 and more than kDecodeMaxQ queries; attention_flash_f32.cu: its f32 counterpart on
//    CUDA cores (same tiling, register-blocked), the default for f32 at those head dims.
//  * decode (attention_decode.cu): the default for up to kDecodeMaxQ queries (f32 and f16).
//  * v1, the tensor-core (WMMA) kernel for f16 with head_dim 64 or 128 and Lq >= 16: 64 queries per
//    block of 4 warps, 64-key tiles; S = Q·Kᵀ and O += P·V on tensor cores with f32 accumulators.
//    WMMA's accumulator layout is opaque, so the running output lives in shared memory where the
//    per-row rescale of the online softmax can reach it. Kept as the fallback of v2.
//  * SIMT kernel for everything else (f32, other head dims up to 128, unaligned rows): one warp per
//    query, 32-key tiles, optionally split over the keys (flash-decoding); a second kernel merges
//    the splits.
// DW_CUDA_ATTENTION=v1 restores the previous default exactly (v1 where it applies, else SIMT);
// v2, decode and simt force that kernel where it applies (else SIMT); unset or auto: the defaults.
#include <mma.h>

#include <cstdlib>
#include <string>

#include "attention_impl.h"
#include "device_types.cuh"
#include "kernels.h"

namespace dw::cuda {
namespace {

constexpr float kLn2 = 0.6931471805599453f;

struct Geometry {
  int64_t Lq, Lk, H, D;
  int64_t qs[3], ks[3], vs[3];
  float scale_log2;  // scale · log2 e
  bool causal;
};

__device__ __forceinline__ int64_t row_offset(const int64_t* s, int64_t b, int64_t l, int64_t h) {
  return b * s[0] + l * s[1] + h * s[2];
}

// ================================ SIMT kernel ==================================================
constexpr int kSimtWarps = 8;  // queries per block
constexpr int kSimtKeys = 32;  // keys per tile (one per lane)

// grid: x = query tiles, y = B·H, z = key splits. With splits > 1 it writes unnormalised partial
// results (o, m, l) to the workspace instead of out/lse.
template <class T, int DMAX>
__global__ void __launch_bounds__(kSimtWarps * 32)
attention_simt(const T* __restrict__ q, const T* __restrict__ k, const T* __restrict__ v, T* __restrict__ out,
               float* __restrict__ lse, Geometry g, int64_t chunk, float* __restrict__ ws) {
  constexpr int DV = DMAX / 32;
  __shared__ float Ks[kSimtKeys][DMAX + 1];
  __shared__ float Vs[kSimtKeys][DMAX];
  __shared__ float Qs[kSimtWarps][DMAX];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = blockDim.x >> 5;
  const int64_t bh = blockIdx.y, b = bh / g.H, h = bh % g.H;
  const int64_t D = g.D, Lq = g.Lq, Lk = g.Lk;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * nwarps + warp;  // this warp's query
  const bool active = i < Lq;
  const int64_t shift = Lk - Lq;  // causal: query i sees keys <= i + shift

  if (active)
    for (int64_t d = lane; d < D; d += 32) Qs[warp][d] = to_f32(q[row_offset(g.qs, b, i, h) + d]) * g.scale_log2;

  int64_t kbeg = static_cast<int64_t>(blockIdx.z) * chunk;
  int64_t kend = kbeg + chunk < Lk ? kbeg + chunk : Lk;
  if (g.causal) {
    int64_t last_q = static_cast<int64_t>(blockIdx.x) * nwarps + nwarps - 1;
    if (last_q > Lq - 1) last_q = Lq - 1;
    if (kend > last_q + shift + 1) kend = last_q + shift + 1;
  }

  float m = -INFINITY, l = 0.0f, o[DV];
#pragma unroll
  for (int e = 0; e < DV; ++e) o[e] = 0.0f;

  for (int64_t kt = kbeg; kt < kend; kt += kSimtKeys) {
    __syncthreads();  // previous tile fully consumed (and Qs written, on the first pass)
    for (int64_t idx = threadIdx.x; idx < kSimtKeys * D; idx += blockDim.x) {
      const int64_t j = idx / D, d = idx % D, key = kt + j;
      const bool ok = key < kend;
      Ks[j][d] = ok ? to_f32(k[row_offset(g.ks, b, key, h) + d]) : 0.0f;
      Vs[j][d] = ok ? to_f32(v[row_offset(g.vs, b, key, h) + d]) : 0.0f;
    }
    __syncthreads();
    if (active) {
      const int64_t key = kt + lane;
      const bool valid = key < kend && (!g.causal || key <= i + shift);
      float s = 0.0f;
      for (int64_t d = 0; d < D; ++d) s += Qs[warp][d] * Ks[lane][d];
      s = valid ? s : -INFINITY;
      const float m_new = fmaxf(m, warp_max(s));
      if (m_new != -INFINITY) {  // else: no visible key yet for this query
        const float alpha = exp2f(m - m_new);
        const float p = valid ? exp2f(s - m_new) : 0.0f;
        l = l * alpha + warp_sum(p);
#pragma unroll
        for (int e = 0; e < DV; ++e) o[e] *= alpha;
        for (int j = 0; j < kSimtKeys; ++j) {
          const float pj = __shfl_sync(0xffffffffu, p, j);
#pragma unroll
          for (int e = 0; e < DV; ++e) {
            const int64_t d = lane + 32 * e;
            if (d < D) o[e] += pj * Vs[j][d];
          }
        }
        m = m_new;
      }
    }
  }
  if (!active) return;
  if (gridDim.z == 1) {
    const float inv = 1.0f / l;
    T* orow = out + ((b * Lq + i) * g.H + h) * D;
#pragma unroll
    for (int e = 0; e < DV; ++e) {
      const int64_t d = lane + 32 * e;
      if (d < D) orow[d] = from_f32<T>(o[e] * inv);
    }
    if (lse && lane == 0) lse[bh * Lq + i] = (m + log2f(l)) * kLn2;
    return;
  }
  // Partial result of this split: [bh][split][i] -> (m, l, o[D]).
  float* p = ws + ((bh * gridDim.z + blockIdx.z) * Lq + i) * (D + 2);
  if (lane == 0) {
    p[0] = m;
    p[1] = l;
  }
#pragma unroll
  for (int e = 0; e < DV; ++e) {
    const int64_t d = lane + 32 * e;
    if (d < D) p[2 + d] = o[e];
  }
}

// One block per (bh, query): merges the splits' partial softmax states.
template <class T>
__global__ void attention_combine(const float* __restrict__ ws, int splits, Geometry g, T* __restrict__ out,
                                  float* __restrict__ lse) {
  const int64_t bh = blockIdx.y, i = blockIdx.x, b = bh / g.H, h = bh % g.H;
  const int64_t D = g.D, Lq = g.Lq;
  const float* base = ws + (bh * splits * Lq + i) * (D + 2);
  const int64_t split_step = Lq * (D + 2);
  float M = -INFINITY;
  for (int s = 0; s < splits; ++s) M = fmaxf(M, base[s * split_step]);
  float L = 0.0f;
  for (int s = 0; s < splits; ++s) {
    const float ms = base[s * split_step];
    if (ms != -INFINITY) L += base[s * split_step + 1] * exp2f(ms - M);
  }
  const float inv = 1.0f / L;
  T* orow = out + ((b * Lq + i) * g.H + h) * D;
  for (int64_t d = threadIdx.x; d < D; d += blockDim.x) {
    float acc = 0.0f;
    for (int s = 0; s < splits; ++s) {
      const float ms = base[s * split_step];
      if (ms != -INFINITY) acc += base[s * split_step + 2 + d] * exp2f(ms - M);
    }
    orow[d] = from_f32<T>(acc * inv);
  }
  if (lse && threadIdx.x == 0) lse[bh * Lq + i] = (M + log2f(L)) * kLn2;
}

// ================================ WMMA kernel ==================================================
using namespace nvcuda;

constexpr int kBr = 64;           // queries per block
constexpr int kBc = 64;           // keys per tile
constexpr int kWmmaWarps = kBr / 16;
constexpr int kSLd = kBc + 4;     // f32 score rows (ldm multiple of 4)
constexpr int kPLd = kBc + 8;     // f16 probability rows (ldm multiple of 8)

template <int D>
struct WmmaLayout {
  static constexpr int kHLd = D + 8;  // f16 rows of Q/K/V (16-byte pad against bank conflicts)
  static constexpr int kOLd = D + 4;  // f32 output rows
  static constexpr size_t q_off = 0;
  static constexpr size_t k_off = q_off + sizeof(__half) * kBr * kHLd;
  static constexpr size_t v_off = k_off + sizeof(__half) * kBc * kHLd;
  static constexpr size_t s_off = v_off + sizeof(__half) * kBc * kHLd;
  static constexpr size_t p_off = s_off + sizeof(float) * kBr * kSLd;
  static constexpr size_t o_off = p_off + sizeof(__half) * kBr * kPLd;
  static constexpr size_t stat_off = o_off + sizeof(float) * kBr * kOLd;
  static constexpr size_t bytes = stat_off + sizeof(float) * kBr * 2;  // alpha, l per row
};

// Copies rows [row0, row0 + rows) of a [L, D] f16 operand (row stride `rs` elements) into shared
// memory, zero-filling rows at or past `valid`. VEC: 16-byte loads (checked alignment).
template <int D, bool VEC>
__device__ __forceinline__ void load_tile(__half* dst, const __half* src, int64_t rs, int64_t row0, int64_t valid,
                                          int rows) {
  constexpr int kHLd = D + 8;
  if (VEC) {
    constexpr int kChunks = D / 8;
    for (int idx = threadIdx.x; idx < rows * kChunks; idx += blockDim.x) {
      const int r = idx / kChunks, c = (idx % kChunks) * 8;
      uint4 val = make_uint4(0, 0, 0, 0);
      if (row0 + r < valid) val = *reinterpret_cast<const uint4*>(src + (row0 + r) * rs + c);
      *reinterpret_cast<uint4*>(dst + r * kHLd + c) = val;
    }
  } else {
    for (int idx = threadIdx.x; idx < rows * D; idx += blockDim.x) {
      const int r = idx / D, c = idx % D;
      dst[r * kHLd + c] = row0 + r < valid ? src[(row0 + r) * rs + c] : __float2half(0.0f);
    }
  }
}

template <int D, bool VEC>
__global__ void __launch_bounds__(kWmmaWarps * 32)
attention_wmma(const __half* __restrict__ q, const __half* __restrict__ k, const __half* __restrict__ v,
               __half* __restrict__ out, float* __restrict__ lse, Geometry g) {
  using L = WmmaLayout<D>;
  constexpr int kHLd = L::kHLd, kOLd = L::kOLd;
  extern __shared__ __align__(128) unsigned char smem[];
  __half* Qs = reinterpret_cast<__half*>(smem + L::q_off);
  __half* Ks = reinterpret_cast<__half*>(smem + L::k_off);
  __half* Vs = reinterpret_cast<__half*>(smem + L::v_off);
  float* Ss = reinterpret_cast<float*>(smem + L::s_off);
  __half* Ps = reinterpret_cast<__half*>(smem + L::p_off);
  float* Os = reinterpret_cast<float*>(smem + L::o_off);
  float* alpha_s = reinterpret_cast<float*>(smem + L::stat_off);
  float* l_s = alpha_s + kBr;

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t bh = blockIdx.y, b = bh / g.H, h = bh % g.H;
  const int64_t Lq = g.Lq, Lk = g.Lk, shift = Lk - Lq;
  const int64_t i0 = static_cast<int64_t>(blockIdx.x) * kBr;

  // Q tile and a zeroed output accumulator.
  load_tile<D, VEC>(Qs, q + row_offset(g.qs, b, 0, h), g.qs[1], i0, Lq, kBr);
  for (int idx = threadIdx.x; idx < kBr * kOLd; idx += blockDim.x) Os[idx] = 0.0f;
  __syncthreads();

  const int r0 = warp * 16;  // this warp's 16 query rows within the tile
  wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> qf[D / 16];
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) wmma::load_matrix_sync(qf[kk], Qs + r0 * kHLd + kk * 16, kHLd);

  float* Sw = Ss + r0 * kSLd;
  __half* Pw = Ps + r0 * kPLd;
  float* Ow = Os + r0 * kOLd;
  // Softmax state: lanes 2r and 2r+1 share row r, each owning 32 of the 64 tile columns.
  const int srow = lane >> 1, scol0 = (lane & 1) * 32;
  const int64_t qi = i0 + r0 + srow;
  float m_run = -INFINITY, l_run = 0.0f;

  int64_t kend = Lk;
  if (g.causal) {
    int64_t last_q = i0 + kBr - 1 < Lq - 1 ? i0 + kBr - 1 : Lq - 1;
    if (kend > last_q + shift + 1) kend = last_q + shift + 1;
  }

  for (int64_t kt = 0; kt < kend; kt += kBc) {
    __syncthreads();  // every warp is done with the previous K/V tile
    load_tile<D, VEC>(Ks, k + row_offset(g.ks, b, 0, h), g.ks[1], kt, Lk, kBc);
    load_tile<D, VEC>(Vs, v + row_offset(g.vs, b, 0, h), g.vs[1], kt, Lk, kBc);
    __syncthreads();

    // S = Q·Kᵀ for this warp's 16 rows × 64 keys.
#pragma unroll
    for (int nb = 0; nb < kBc / 16; ++nb) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> sf;
      wmma::fill_fragment(sf, 0.0f);
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::col_major> kf;
        wmma::load_matrix_sync(kf, Ks + nb * 16 * kHLd + kk * 16, kHLd);
        wmma::mma_sync(sf, qf[kk], kf, sf);
      }
      wmma::store_matrix_sync(Sw + nb * 16, sf, kSLd, wmma::mem_row_major);
    }
    __syncwarp();

    // Online softmax on the row pair.
    float tile_max = -INFINITY;
    const float* srow_p = Sw + srow * kSLd + scol0;
    for (int c = 0; c < 32; ++c) {
      const int64_t key = kt + scol0 + c;
      const bool valid = key < Lk && (!g.causal || key <= qi + shift);
      if (valid) tile_max = fmaxf(tile_max, srow_p[c] * g.scale_log2);
    }
    tile_max = fmaxf(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, 1));
    const float m_new = fmaxf(m_run, tile_max);
    float alpha = 1.0f, rowsum = 0.0f;
    __half* prow = Pw + srow * kPLd + scol0;
    if (m_new == -INFINITY) {
      for (int c = 0; c < 32; ++c) prow[c] = __float2half(0.0f);
    } else {
      alpha = exp2f(m_run - m_new);
      for (int c = 0; c < 32; ++c) {
        const int64_t key = kt + scol0 + c;
        const bool valid = key < Lk && (!g.causal || key <= qi + shift);
        const __half p = __float2half(valid ? exp2f(srow_p[c] * g.scale_log2 - m_new) : 0.0f);
        prow[c] = p;
        rowsum += __half2float(p);  // the rounded values are what P·V sums
      }
      m_run = m_new;
    }
    rowsum += __shfl_xor_sync(0xffffffffu, rowsum, 1);
    l_run = l_run * alpha + rowsum;
    if ((lane & 1) == 0) alpha_s[r0 + srow] = alpha;
    __syncwarp();

    // O *= alpha (per row), then O += P·V.
    for (int idx = lane; idx < 16 * D; idx += 32) {
      const int r = idx / D, c = idx % D;
      Ow[r * kOLd + c] *= alpha_s[r0 + r];
    }
    __syncwarp();
#pragma unroll
    for (int nd = 0; nd < D / 16; ++nd) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> of;
      wmma::load_matrix_sync(of, Ow + nd * 16, kOLd, wmma::mem_row_major);
#pragma unroll
      for (int kb = 0; kb < kBc / 16; ++kb) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __half, wmma::row_major> pf;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, __half, wmma::row_major> vf;
        wmma::load_matrix_sync(pf, Pw + kb * 16, kPLd);
        wmma::load_matrix_sync(vf, Vs + kb * 16 * kHLd + nd * 16, kHLd);
        wmma::mma_sync(of, pf, vf, of);
      }
      wmma::store_matrix_sync(Ow + nd * 16, of, kOLd, wmma::mem_row_major);
    }
    __syncwarp();
  }

  if ((lane & 1) == 0) {
    l_s[r0 + srow] = l_run;
    if (lse && qi < Lq) lse[bh * Lq + qi] = (m_run + log2f(l_run)) * kLn2;
  }
  __syncwarp();
  for (int idx = lane; idx < 16 * D; idx += 32) {
    const int r = idx / D, c = idx % D;
    const int64_t row = i0 + r0 + r;
    if (row < Lq) out[((b * Lq + row) * g.H + h) * D + c] = __float2half(Ow[r * kOLd + c] / l_s[r0 + r]);
  }
}

template <int D, bool VEC>
void launch_wmma(const AttentionArgs& a, const Geometry& g, cudaStream_t stream) {
  using L = WmmaLayout<D>;
  auto kernel = attention_wmma<D, VEC>;
  check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(L::bytes)),
        "attention: shared memory opt-in");
  const dim3 grid(static_cast<unsigned>((a.Lq + kBr - 1) / kBr), static_cast<unsigned>(a.B * a.H));
  kernel<<<grid, kWmmaWarps * 32, L::bytes, stream>>>(static_cast<const __half*>(a.q), static_cast<const __half*>(a.k),
                                                      static_cast<const __half*>(a.v), static_cast<__half*>(a.out),
                                                      a.lse, g);
  check_launch("attention (tensor cores)");
}

Geometry make_geometry(const AttentionArgs& a) {
  Geometry g{};
  fill_attention_geometry(g, a);
  g.D = a.D;
  return g;
}

bool wmma_supported(const AttentionArgs& a) {
  return a.dt == DType::F16 && (a.D == 64 || a.D == 128) && a.Lq >= 16;
}

enum class Kernel { Simt, Wmma, Flash, Decode };

// Read on every call: tests switch versions in one process.
Kernel choose_kernel(const AttentionArgs& a) {
  const char* env = std::getenv("DW_CUDA_ATTENTION");
  const std::string v = env ? env : "";
  if (v == "simt") return Kernel::Simt;
  if (v == "v1") return wmma_supported(a) ? Kernel::Wmma : Kernel::Simt;
  const bool flash = flash_supported(a) || flash_f32_supported(a);
  if (v == "v2") return flash ? Kernel::Flash : Kernel::Simt;
  if (v == "decode") return decode_supported(a) ? Kernel::Decode : Kernel::Simt;
  if (decode_supported(a)) return Kernel::Decode;  // Lq <= kDecodeMaxQ
  if (flash) return Kernel::Flash;
  if (wmma_supported(a)) return Kernel::Wmma;
  return Kernel::Simt;
}

bool aligned16(const void* p, const int64_t* strides) {
  if (reinterpret_cast<uintptr_t>(p) % 16) return false;
  for (int i = 0; i < 3; ++i)
    if (strides[i] % 8) return false;
  return true;
}

struct SimtPlan {
  int warps;
  int64_t qtiles, chunk;
  int splits;
};

// Split the keys only when the query tiles alone leave most of the GPU idle (decoding).
SimtPlan plan_simt(const AttentionArgs& a, int num_sms) {
  SimtPlan p{};
  p.warps = a.Lq < kSimtWarps ? static_cast<int>(a.Lq) : kSimtWarps;
  p.qtiles = (a.Lq + p.warps - 1) / p.warps;
  const int64_t blocks = p.qtiles * a.B * a.H;
  int64_t splits = 1;
  if (blocks < 2LL * num_sms && a.Lk > 2 * kSimtKeys) {
    splits = (2LL * num_sms + blocks - 1) / blocks;
    const int64_t max_splits = (a.Lk + kSimtKeys - 1) / kSimtKeys;
    if (splits > max_splits) splits = max_splits;
    if (splits > 64) splits = 64;
  }
  // Chunks are whole tiles so only the last one is ragged.
  int64_t chunk = (a.Lk + splits - 1) / splits;
  chunk = (chunk + kSimtKeys - 1) / kSimtKeys * kSimtKeys;
  p.splits = static_cast<int>((a.Lk + chunk - 1) / chunk);
  p.chunk = chunk;
  return p;
}

}  // namespace

bool attention_rows_aligned16(const AttentionArgs& a) {
  // Strides in elements: rows stay 16-byte aligned when they are multiples of 16 bytes.
  const int64_t per16 = 16 / static_cast<int64_t>(dtype_size(a.dt));
  auto ok = [&](const void* p, const int64_t* st) {
    if (reinterpret_cast<uintptr_t>(p) % 16) return false;
    for (int i = 0; i < 3; ++i)
      if (st[i] % per16) return false;
    return true;
  };
  return ok(a.q, a.q_strides) && ok(a.k, a.k_strides) && ok(a.v, a.v_strides);
}

void attention_combine_splits(const AttentionArgs& a, const float* workspace, int splits, cudaStream_t stream) {
  const Geometry g = make_geometry(a);
  dispatch_act(a.dt, [&](auto t) {
    using T = decltype(t);
    attention_combine<T><<<dim3(static_cast<unsigned>(a.Lq), static_cast<unsigned>(a.B * a.H)), 64, 0, stream>>>(
        workspace, splits, g, static_cast<T*>(a.out), a.lse);
    check_launch("attention (combine splits)");
  });
}

size_t attention_workspace_bytes(const AttentionArgs& a, int num_sms) {
  const Kernel kernel = choose_kernel(a);
  if (kernel == Kernel::Decode) return decode_workspace_bytes(a, num_sms);
  if (kernel != Kernel::Simt) return 0;
  const SimtPlan p = plan_simt(a, num_sms);
  if (p.splits <= 1) return 0;
  return sizeof(float) * static_cast<size_t>(a.B * a.H * p.splits * a.Lq * (a.D + 2));
}

void attention(const AttentionArgs& a, void* workspace, int num_sms, cudaStream_t stream) {
  DW_CHECK(a.D >= 1 && a.D <= 128, ErrorCode::Unsupported,
           "cuda attention: head_dim " + std::to_string(a.D) + " is not supported (at most 128)");
  DW_CHECK(a.B * a.H <= 65535, ErrorCode::Unsupported, "cuda attention: batch × heads above 65535");
  const Kernel kernel = choose_kernel(a);
  if (kernel == Kernel::Flash) return a.dt == DType::F16 ? flash_attention(a, stream) : flash_attention_f32(a, stream);
  if (kernel == Kernel::Decode) return decode_attention(a, workspace, num_sms, stream);
  const Geometry g = make_geometry(a);
  if (kernel == Kernel::Wmma) {
    const bool vec = aligned16(a.q, a.q_strides) && aligned16(a.k, a.k_strides) && aligned16(a.v, a.v_strides);
    if (a.D == 64) vec ? launch_wmma<64, true>(a, g, stream) : launch_wmma<64, false>(a, g, stream);
    else vec ? launch_wmma<128, true>(a, g, stream) : launch_wmma<128, false>(a, g, stream);
    return;
  }
  const SimtPlan p = plan_simt(a, num_sms);
  DW_CHECK(p.splits <= 1 || workspace, ErrorCode::Internal, "cuda attention: missing split workspace");
  const dim3 grid(static_cast<unsigned>(p.qtiles), static_cast<unsigned>(a.B * a.H), static_cast<unsigned>(p.splits));
  float* ws = static_cast<float*>(workspace);
  dispatch_act(a.dt, [&](auto t) {
    using T = decltype(t);
    const T* q = static_cast<const T*>(a.q);
    const T* k = static_cast<const T*>(a.k);
    const T* v = static_cast<const T*>(a.v);
    T* out = static_cast<T*>(a.out);
    if (a.D <= 64)
      attention_simt<T, 64><<<grid, p.warps * 32, 0, stream>>>(q, k, v, out, a.lse, g, p.chunk, ws);
    else
      attention_simt<T, 128><<<grid, p.warps * 32, 0, stream>>>(q, k, v, out, a.lse, g, p.chunk, ws);
    check_launch("attention (simt)");
  });
  if (p.splits > 1) attention_combine_splits(a, ws, p.splits, stream);
}

}  // namespace dw::cuda
