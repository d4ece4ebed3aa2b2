// Internal to the CUDA attention: the kernel versions beside the dispatcher in attention.cu.
//   v1     attention.cu          WMMA tensor cores, output accumulator in shared memory
//   v2     attention_flash.cu    f16: mma.sync (FlashAttention-2 layout), everything in registers
//          attention_flash_f32.cu f32: the same tiling on CUDA cores, register-blocked
//   decode attention_decode.cu   few queries against a long cache, split over the keys
//   simt   attention.cu          any shape and dtype, one warp per query
// DW_CUDA_ATTENTION=v1|v2|decode|simt forces one where it applies (the SIMT kernel otherwise).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels.h"

namespace dw::cuda {

// True when every row of q, k and v starts on a 16-byte boundary (vector loads, cp.async).
bool attention_rows_aligned16(const AttentionArgs& a);

constexpr float kLog2e = 1.4426950408889634f;

// Fills the geometry every kernel version's parameter block shares (lengths, heads, strides of
// dims B/L/H, the scale pre-multiplied by log2(e) for exp2-based softmax, causal flag).
template <class Params>
void fill_attention_geometry(Params& p, const AttentionArgs& a) {
  p.Lq = a.Lq;
  p.Lk = a.Lk;
  p.H = a.H;
  for (int i = 0; i < 3; ++i) {
    p.qs[i] = a.q_strides[i];
    p.ks[i] = a.k_strides[i];
    p.vs[i] = a.v_strides[i];
  }
  p.scale_log2 = a.scale * kLog2e;
  p.causal = a.causal;
}

// ---- v2: f16, head_dim 64 or 128, scale > 0, 16-byte aligned rows -----------------------------
bool flash_supported(const AttentionArgs& a);
void flash_attention(const AttentionArgs& a, cudaStream_t stream);
// ---- v2 for f32 (attention_flash_f32.cu): head_dim 64 or 128, 16-byte aligned rows, CUDA cores --
bool flash_f32_supported(const AttentionArgs& a);
void flash_attention_f32(const AttentionArgs& a, cudaStream_t stream);

// ---- decode: Lq <= kDecodeMaxQ, head_dim <= 128 in 16-byte chunks, aligned rows -------------------
constexpr int64_t kDecodeMaxQ = 4;
bool decode_supported(const AttentionArgs& a);
size_t decode_workspace_bytes(const AttentionArgs& a, int num_sms);
void decode_attention(const AttentionArgs& a, void* workspace, int num_sms, cudaStream_t stream);

// Merges per-split partial results laid out as [B·H][splits][Lq] × (m (log2 domain), l, o[D])
// into out (normalised) and lse. Shared by the SIMT and decode kernels.
void attention_combine_splits(const AttentionArgs& a, const float* workspace, int splits, cudaStream_t stream);

}  // namespace dw::cuda
