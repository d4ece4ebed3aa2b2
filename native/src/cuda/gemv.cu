// Skinny GEMM for f32 activations against a weight kept in f16/bf16/f32: one warp per output
// column reads that weight row once, in its own dtype, with 16-byte loads, and dots it with up to
// kGemvMaxM activation rows (decode steps and beam search). cuBLAS cannot mix f32 activations
// with f16 weights, and upcasting the weight would triple the bytes streamed per token.
#include "device_types.cuh"
#include "kernels.h"

namespace dw::cuda {
namespace {

constexpr int kWarps = 8;

template <class T, bool VEC>
__global__ void __launch_bounds__(kWarps * 32)
gemv_kernel(const float* __restrict__ a, int M, int64_t K, const T* __restrict__ w, const float* __restrict__ bias,
            float* __restrict__ out, int64_t N) {
  const int lane = threadIdx.x & 31;
  const int64_t n = static_cast<int64_t>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (n >= N) return;
  const T* wrow = w + n * K;
  float acc[kGemvMaxM];
#pragma unroll
  for (int m = 0; m < kGemvMaxM; ++m) acc[m] = 0.0f;
  if (VEC) {
    constexpr int kPer = 16 / sizeof(T);
    for (int64_t k0 = static_cast<int64_t>(lane) * kPer; k0 < K; k0 += 32 * kPer) {
      const uint4 raw = *reinterpret_cast<const uint4*>(wrow + k0);
      const T* wv = reinterpret_cast<const T*>(&raw);
      float wf[kPer];
#pragma unroll
      for (int e = 0; e < kPer; ++e) wf[e] = to_f32(wv[e]);
#pragma unroll
      for (int m = 0; m < kGemvMaxM; ++m) {
        if (m < M) {
          const float* ar = a + m * K + k0;
#pragma unroll
          for (int e = 0; e < kPer; e += 4) {
            const float4 av = *reinterpret_cast<const float4*>(ar + e);
            acc[m] += av.x * wf[e] + av.y * wf[e + 1] + av.z * wf[e + 2] + av.w * wf[e + 3];
          }
        }
      }
    }
  } else {
    for (int64_t k = lane; k < K; k += 32) {
      const float wf = to_f32(wrow[k]);
#pragma unroll
      for (int m = 0; m < kGemvMaxM; ++m)
        if (m < M) acc[m] += a[m * K + k] * wf;
    }
  }
#pragma unroll
  for (int m = 0; m < kGemvMaxM; ++m) {
    if (m < M) {
      const float s = warp_sum(acc[m]);
      if (lane == 0) out[m * N + n] = s + (bias ? bias[n] : 0.0f);
    }
  }
}

}  // namespace

void gemv_f32(const float* a, int64_t M, int64_t K, const void* w, DType w_dt, const float* bias, float* out,
              int64_t N, cudaStream_t stream) {
  DW_CHECK(M >= 1 && M <= kGemvMaxM, ErrorCode::Internal, "gemv: M out of range");
  const unsigned grid = static_cast<unsigned>((N + kWarps - 1) / kWarps);
  dispatch_float(w_dt, [&](auto t) {
    using T = decltype(t);
    constexpr int kPer = 16 / sizeof(T);
    // 16-byte loads need every weight row and activation row 16-byte aligned.
    const bool vec = K % kPer == 0 && K % 4 == 0 && reinterpret_cast<uintptr_t>(w) % 16 == 0 &&
                     reinterpret_cast<uintptr_t>(a) % 16 == 0;
    if (vec)
      gemv_kernel<T, true><<<grid, kWarps * 32, 0, stream>>>(a, static_cast<int>(M), K, static_cast<const T*>(w),
                                                            bias, out, N);
    else
      gemv_kernel<T, false><<<grid, kWarps * 32, 0, stream>>>(a, static_cast<int>(M), K, static_cast<const T*>(w),
                                                             bias, out, N);
  });
  check_launch("gemv");
}

}  // namespace dw::cuda
