// Device-side helpers shared by the kernels: f32 <-> storage dtype conversions, grid sizing and
// dispatch from a runtime DType to a template parameter.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "cuda_common.h"

namespace dw::cuda {

__device__ __forceinline__ float to_f32(float x) { return x; }
__device__ __forceinline__ float to_f32(__half x) { return __half2float(x); }
__device__ __forceinline__ float to_f32(__nv_bfloat16 x) { return __bfloat162float(x); }

template <class T>
__device__ __forceinline__ T from_f32(float x);
template <>
__device__ __forceinline__ float from_f32<float>(float x) { return x; }
template <>
__device__ __forceinline__ __half from_f32<__half>(float x) { return __float2half_rn(x); }
template <>
__device__ __forceinline__ __nv_bfloat16 from_f32<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// Blocks for a grid-stride loop over n items: enough to fill the GPU, never more than n needs.
inline unsigned grid_for(int64_t n, int threads, int64_t max_blocks = 65535LL * 8) {
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks < 1) blocks = 1;
  if (blocks > max_blocks) blocks = max_blocks;
  return static_cast<unsigned>(blocks);
}

// Calls fn(T{}) with T the storage type of an activation dtype (f32 or f16).
template <class Fn>
void dispatch_act(DType dt, Fn&& fn) {
  switch (dt) {
    case DType::F32: fn(float{}); return;
    case DType::F16: fn(__half{}); return;
    default: fail(ErrorCode::DTypeMismatch, std::string("cuda: activations must be f32 or f16, not ") + dtype_name(dt));
  }
}

// Calls fn(T{}) for any floating dtype (weights).
template <class Fn>
void dispatch_float(DType dt, Fn&& fn) {
  switch (dt) {
    case DType::F32: fn(float{}); return;
    case DType::F16: fn(__half{}); return;
    case DType::BF16: fn(__nv_bfloat16{}); return;
    default: fail(ErrorCode::DTypeMismatch, std::string("cuda: expected a float dtype, not ") + dtype_name(dt));
  }
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Block-wide reductions for blocks of up to 1024 threads (a multiple of 32). `scratch` holds 32
// floats in shared memory; every thread receives the result.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();  // scratch may still be read by a previous reduction
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : 0.0f;
  return warp_sum(v);
}
__device__ __forceinline__ float block_max(float v, float* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  v = lane < warps ? scratch[lane] : -INFINITY;
  return warp_max(v);
}

}  // namespace dw::cuda
