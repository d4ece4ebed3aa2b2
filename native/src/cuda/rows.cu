// Row-wise kernels over the last dim: layer_norm, softmax / log_softmax, argmax and top-k. One
// block per row; rows are at most a few tens of thousands of elements (a vocabulary), so a
// block-stride loop with the row kept in L1/L2 between passes is enough.
#include "device_types.cuh"
#include "kernels.h"

namespace dw::cuda {
namespace {

int threads_for(int64_t cols) {
  if (cols >= 2048) return 512;
  if (cols >= 512) return 256;
  if (cols >= 128) return 128;
  return 32;
}

// Two passes (mean, then centred squares) as the CPU kernel does, biased variance.
template <class T>
__global__ void layer_norm_kernel(const T* __restrict__ x, const float* __restrict__ gamma,
                                  const float* __restrict__ beta, float eps, T* __restrict__ out, int64_t cols) {
  __shared__ float scratch[32];
  const T* row = x + blockIdx.x * cols;
  T* orow = out + blockIdx.x * cols;
  float s = 0.0f;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += to_f32(row[j]);
  const float mean = block_sum(s, scratch) / static_cast<float>(cols);
  float sq = 0.0f;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
    const float d = to_f32(row[j]) - mean;
    sq += d * d;
  }
  const float rstd = rsqrtf(block_sum(sq, scratch) / static_cast<float>(cols) + eps);
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x)
    orow[j] = from_f32<T>((to_f32(row[j]) - mean) * rstd * gamma[j] + beta[j]);
}

template <class T>
__global__ void softmax_kernel(const T* __restrict__ x, T* __restrict__ out, int64_t cols, bool log) {
  __shared__ float scratch[32];
  const T* row = x + blockIdx.x * cols;
  T* orow = out + blockIdx.x * cols;
  float m = -INFINITY;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) m = fmaxf(m, to_f32(row[j]));
  m = block_max(m, scratch);
  float s = 0.0f;
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) s += expf(to_f32(row[j]) - m);
  s = block_sum(s, scratch);
  if (log) {
    const float shift = m + logf(s);
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) orow[j] = from_f32<T>(to_f32(row[j]) - shift);
  } else {
    const float inv = 1.0f / s;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) orow[j] = from_f32<T>(expf(to_f32(row[j]) - m) * inv);
  }
}

// The total order of argmax/top-k (as the CPU kernels): NaN above every number, then larger
// values, then lower indices.
__device__ __forceinline__ bool ranks_before(float a, int ia, float b, int ib) {
  const bool na = isnan(a), nb = isnan(b);
  if (na != nb) return na;
  if (!na && a != b) return a > b;
  return ia < ib;
}

struct Best {
  float v;
  int i;  // -1: none
};

__device__ __forceinline__ Best pick(Best a, Best b) {
  if (a.i < 0) return b;
  if (b.i < 0) return a;
  return ranks_before(a.v, a.i, b.v, b.i) ? a : b;
}

__device__ Best block_best(Best b, Best* scratch) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  for (int o = 16; o > 0; o >>= 1) {
    Best other{__shfl_xor_sync(0xffffffffu, b.v, o), __shfl_xor_sync(0xffffffffu, b.i, o)};
    b = pick(b, other);
  }
  __syncthreads();
  if (lane == 0) scratch[warp] = b;
  __syncthreads();
  b = lane < warps ? scratch[lane] : Best{0.0f, -1};
  for (int o = 16; o > 0; o >>= 1) {
    Best other{__shfl_xor_sync(0xffffffffu, b.v, o), __shfl_xor_sync(0xffffffffu, b.i, o)};
    b = pick(b, other);
  }
  return b;
}

template <class T>
__global__ void argmax_kernel(const T* __restrict__ x, int32_t* __restrict__ out, int64_t cols) {
  __shared__ Best scratch[32];
  const T* row = x + blockIdx.x * cols;
  Best b{0.0f, -1};
  for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) b = pick(b, Best{to_f32(row[j]), static_cast<int>(j)});
  b = block_best(b, scratch);
  if (threadIdx.x == 0) out[blockIdx.x] = b.i;
}

// k rounds of "best element ranked after the previous pick": no mask and no sort, O(k·cols) reads
// of a row that stays in cache; k is small (beam search, sampling).
template <class T>
__global__ void topk_kernel(const T* __restrict__ x, int64_t cols, int k, float* __restrict__ values,
                            int32_t* __restrict__ indices) {
  __shared__ Best scratch[32];
  const T* row = x + blockIdx.x * cols;
  Best prev{0.0f, -1};
  for (int r = 0; r < k; ++r) {
    Best b{0.0f, -1};
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const float v = to_f32(row[j]);
      if (prev.i < 0 || ranks_before(prev.v, prev.i, v, static_cast<int>(j))) b = pick(b, Best{v, static_cast<int>(j)});
    }
    b = block_best(b, scratch);
    if (threadIdx.x == 0) {
      values[blockIdx.x * k + r] = b.v;
      indices[blockIdx.x * k + r] = b.i;
    }
    prev = b;
  }
}

}  // namespace

void layer_norm(const void* x, const float* gamma, const float* beta, float eps, void* out, int64_t rows,
                int64_t cols, DType dt, cudaStream_t stream) {
  dispatch_act(dt, [&](auto t) {
    using T = decltype(t);
    layer_norm_kernel<T><<<static_cast<unsigned>(rows), threads_for(cols), 0, stream>>>(
        static_cast<const T*>(x), gamma, beta, eps, static_cast<T*>(out), cols);
  });
  check_launch("layer_norm");
}

void softmax(const void* x, void* out, int64_t rows, int64_t cols, bool log, DType dt, cudaStream_t stream) {
  dispatch_act(dt, [&](auto t) {
    using T = decltype(t);
    softmax_kernel<T><<<static_cast<unsigned>(rows), threads_for(cols), 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(out), cols, log);
  });
  check_launch("softmax");
}

void argmax(const void* x, int32_t* out, int64_t rows, int64_t cols, DType dt, cudaStream_t stream) {
  dispatch_act(dt, [&](auto t) {
    using T = decltype(t);
    argmax_kernel<T><<<static_cast<unsigned>(rows), threads_for(cols), 0, stream>>>(static_cast<const T*>(x), out, cols);
  });
  check_launch("argmax");
}

void topk(const void* x, int64_t rows, int64_t cols, int k, float* values, int32_t* indices, DType dt,
          cudaStream_t stream) {
  dispatch_act(dt, [&](auto t) {
    using T = decltype(t);
    topk_kernel<T><<<static_cast<unsigned>(rows), threads_for(cols), 0, stream>>>(static_cast<const T*>(x), cols, k,
                                                                                  values, indices);
  });
  check_launch("topk");
}

}  // namespace dw::cuda
