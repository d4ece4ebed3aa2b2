// Skinny GEMM for f32 or f16 activations against a weight kept in f16/bf16/f32: one warp per
// output column reads that weight row once, in its own dtype, with 16-byte loads, and dots it with
// up to kGemvMaxM activation rows (decode steps and beam search), accumulating in f32. cuBLAS
// cannot mix f32 activations with f16 weights (upcasting the weight would triple the bytes
// streamed per token), and for f16·f16 at one row its GEMM costs ~1.5x this kernel per call.
#include "device_types.cuh"
#include "kernels.h"

namespace dw::cuda {
namespace {

constexpr int kWarps = 8;
// 16-byte weight loads each lane issues before consuming any: a decode-size row (K = 1280) is
// then one or two round trips to memory instead of five dependent ones, which is what bounds a
// kernel that moves only a few MB.
constexpr int kUnroll = 4;

// Loads kPer (a multiple of 4) activations starting at p into f32. p must be aligned to
// 4 elements (float4 / 8-byte loads); the launcher checks that.
template <int kPer>
__device__ __forceinline__ void load_act(const float* p, float (&x)[kPer]) {
#pragma unroll
  for (int e = 0; e < kPer; e += 4) {
    const float4 v = __ldg(reinterpret_cast<const float4*>(p + e));
    x[e] = v.x;
    x[e + 1] = v.y;
    x[e + 2] = v.z;
    x[e + 3] = v.w;
  }
}
template <int kPer>
__device__ __forceinline__ void load_act(const __half* p, float (&x)[kPer]) {
#pragma unroll
  for (int e = 0; e < kPer; e += 4) {
    const uint2 raw = __ldg(reinterpret_cast<const uint2*>(p + e));
    const __half2* h = reinterpret_cast<const __half2*>(&raw);
    const float2 lo = __half22float2(h[0]), hi = __half22float2(h[1]);
    x[e] = lo.x;
    x[e + 1] = lo.y;
    x[e + 2] = hi.x;
    x[e + 3] = hi.y;
  }
}

// A: activation/output storage (float or __half); T: weight storage.
template <class A, class T, bool VEC>
__global__ void __launch_bounds__(kWarps * 32)
gemv_kernel(const A* __restrict__ a, int M, int64_t K, const T* __restrict__ w, const float* __restrict__ bias,
            A* __restrict__ out, int64_t N) {
  const int lane = threadIdx.x & 31;
  const int64_t n = static_cast<int64_t>(blockIdx.x) * kWarps + (threadIdx.x >> 5);
  if (n >= N) return;
  const T* wrow = w + n * K;
  float acc[kGemvMaxM];
#pragma unroll
  for (int m = 0; m < kGemvMaxM; ++m) acc[m] = 0.0f;
  if (VEC) {
    constexpr int kPer = 16 / sizeof(T);
    constexpr int64_t kStep = 32 * kPer;  // elements one warp-wide load covers
    for (int64_t base = static_cast<int64_t>(lane) * kPer; base < K; base += kStep * kUnroll) {
      uint4 raw[kUnroll];
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t k0 = base + u * kStep;
        raw[u] = k0 < K ? __ldg(reinterpret_cast<const uint4*>(wrow + k0)) : make_uint4(0, 0, 0, 0);
      }
#pragma unroll
      for (int u = 0; u < kUnroll; ++u) {
        const int64_t k0 = base + u * kStep;
        if (k0 >= K) break;
        const T* wv = reinterpret_cast<const T*>(&raw[u]);
        float wf[kPer];
#pragma unroll
        for (int e = 0; e < kPer; ++e) wf[e] = to_f32(wv[e]);
#pragma unroll
        for (int m = 0; m < kGemvMaxM; ++m) {
          if (m < M) {
            float av[kPer];
            load_act<kPer>(a + m * K + k0, av);
            float s = 0.0f;
#pragma unroll
            for (int e = 0; e < kPer; ++e) s = fmaf(av[e], wf[e], s);
            acc[m] += s;
          }
        }
      }
    }
  } else {
    for (int64_t k = lane; k < K; k += 32) {
      const float wf = to_f32(wrow[k]);
#pragma unroll
      for (int m = 0; m < kGemvMaxM; ++m)
        if (m < M) acc[m] += to_f32(a[m * K + k]) * wf;
    }
  }
#pragma unroll
  for (int m = 0; m < kGemvMaxM; ++m) {
    if (m < M) {
      const float s = warp_sum(acc[m]);
      if (lane == 0) out[m * N + n] = from_f32<A>(s + (bias ? bias[n] : 0.0f));
    }
  }
}

}  // namespace

void gemv(const void* a, DType act_dt, int64_t M, int64_t K, const void* w, DType w_dt, const float* bias, void* out,
          int64_t N, cudaStream_t stream) {
  DW_CHECK(M >= 1 && M <= kGemvMaxM, ErrorCode::Internal, "gemv: M out of range");
  const unsigned grid = static_cast<unsigned>((N + kWarps - 1) / kWarps);
  // 16-byte weight loads and 8/16-byte activation loads need every row start aligned: with
  // 16-byte-aligned bases, K % 8 == 0 is enough for every dtype pair (rows of 16 or 32 bytes).
  const bool vec = K % 8 == 0 && reinterpret_cast<uintptr_t>(w) % 16 == 0 &&
                   reinterpret_cast<uintptr_t>(a) % 16 == 0;
  dispatch_act(act_dt, [&](auto at) {
    using A = decltype(at);
    dispatch_float(w_dt, [&](auto wt) {
      using T = decltype(wt);
      const A* ap = static_cast<const A*>(a);
      const T* wp = static_cast<const T*>(w);
      A* op = static_cast<A*>(out);
      if (vec)
        gemv_kernel<A, T, true><<<grid, kWarps * 32, 0, stream>>>(ap, static_cast<int>(M), K, wp, bias, op, N);
      else
        gemv_kernel<A, T, false><<<grid, kWarps * 32, 0, stream>>>(ap, static_cast<int>(M), K, wp, bias, op, N);
    });
  });
  check_launch("gemv");
}

}  // namespace dw::cuda
