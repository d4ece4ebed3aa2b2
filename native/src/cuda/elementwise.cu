// Elementwise kernels: add/mul with suffix broadcast, scale, GELU, bias adds, casts, strided
// copies, embedding gathers and the im2col step of conv1d. All memory bound: grid-stride loops,
// math in f32 whatever the storage dtype.
#include <climits>

#include "device_types.cuh"
#include "kernels.h"

namespace dw::cuda {
namespace {

constexpr int kThreads = 256;

template <class T, BinaryOp OP>
__global__ void binary_kernel(const T* __restrict__ a, const T* __restrict__ b, T* __restrict__ out, int64_t n,
                              int64_t nb) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float x = to_f32(a[i]);
    const float y = to_f32(b[nb == n ? i : i % nb]);
    out[i] = from_f32<T>(OP == BinaryOp::Add ? x + y : x * y);
  }
}

template <class T>
__global__ void scale_kernel(const T* __restrict__ a, float s, T* __restrict__ out, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = from_f32<T>(to_f32(a[i]) * s);
}

template <class T>
__global__ void gelu_kernel(const T* __restrict__ x, T* __restrict__ out, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float v = to_f32(x[i]);
    out[i] = from_f32<T>(0.5f * v * (1.0f + erff(v * 0.70710678118654752f)));
  }
}

template <class T>
__global__ void bias_rows_kernel(T* __restrict__ out, const float* __restrict__ bias, int64_t n, int64_t cols) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = from_f32<T>(to_f32(out[i]) + bias[i % cols]);
}

template <class T>
__global__ void bias_channels_kernel(T* __restrict__ out, const float* __restrict__ bias, int64_t n, int64_t C,
                                     int64_t L) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = from_f32<T>(to_f32(out[i]) + bias[(i / L) % C]);
}

// ---- casts (rules of src/cpu/copy_cast.cpp) ----

__device__ __forceinline__ bool is_int(DType d) { return d == DType::I32 || d == DType::I8; }

__device__ __forceinline__ float load_as_float(const void* p, DType d, int64_t i) {
  switch (d) {
    case DType::F32: return static_cast<const float*>(p)[i];
    case DType::F16: return __half2float(static_cast<const __half*>(p)[i]);
    case DType::BF16: return __bfloat162float(static_cast<const __nv_bfloat16*>(p)[i]);
    case DType::I32: return static_cast<float>(static_cast<const int32_t*>(p)[i]);
    default: return static_cast<float>(static_cast<const int8_t*>(p)[i]);
  }
}

__device__ __forceinline__ int64_t load_as_int(const void* p, DType d, int64_t i) {
  return d == DType::I32 ? static_cast<int64_t>(static_cast<const int32_t*>(p)[i])
                         : static_cast<int64_t>(static_cast<const int8_t*>(p)[i]);
}

__device__ __forceinline__ void store_int(void* p, DType d, int64_t i, int64_t v) {
  if (d == DType::I32) {
    static_cast<int32_t*>(p)[i] = static_cast<int32_t>(v < INT_MIN ? INT_MIN : v > INT_MAX ? INT_MAX : v);
  } else {
    static_cast<int8_t*>(p)[i] = static_cast<int8_t>(v < -128 ? -128 : v > 127 ? 127 : v);
  }
}

__global__ void cast_kernel(const void* __restrict__ src, DType sd, void* __restrict__ dst, DType dd, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    if (is_int(dd)) {
      int64_t v;
      if (is_int(sd)) {
        v = load_as_int(src, sd, i);
      } else {
        const float f = load_as_float(src, sd, i);
        if (isnan(f)) v = 0;
        else {
          const float r = rintf(f);  // ties to even
          v = r >= 2147483648.0f ? INT64_C(2147483648) : r <= -2147483649.0f ? INT64_C(-2147483649)
                                                                               : static_cast<int64_t>(r);
        }
      }
      store_int(dst, dd, i, v);
      continue;
    }
    const float f = load_as_float(src, sd, i);
    switch (dd) {
      case DType::F32: static_cast<float*>(dst)[i] = f; break;
      case DType::F16: static_cast<__half*>(dst)[i] = __float2half_rn(f); break;
      default: static_cast<__nv_bfloat16*>(dst)[i] = __float2bfloat16_rn(f); break;
    }
  }
}

// ---- strided copy ----

struct CopyGeometry {
  int64_t shape[kMaxDims];
  int64_t src_strides[kMaxDims];
  int64_t dst_strides[kMaxDims];
  int ndim;
};

template <class T>
__global__ void strided_copy_kernel(const T* __restrict__ src, T* __restrict__ dst, CopyGeometry g, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rem = i, so = 0, d_o = 0;
    for (int d = g.ndim - 1; d >= 0; --d) {
      const int64_t c = rem % g.shape[d];
      rem /= g.shape[d];
      so += c * g.src_strides[d];
      d_o += c * g.dst_strides[d];
    }
    dst[d_o] = src[so];
  }
}

template <class T>
__global__ void embedding_kernel(const int32_t* __restrict__ ids, const T* __restrict__ table, int64_t C,
                                 float* __restrict__ out) {
  const int64_t row = blockIdx.x;
  const T* src = table + static_cast<int64_t>(ids[row]) * C;
  float* dst = out + row * C;
  for (int64_t j = threadIdx.x; j < C; j += blockDim.x) dst[j] = to_f32(src[j]);
}

template <class T>
__global__ void im2col_kernel(const T* __restrict__ x, int64_t Cin, int64_t L, int64_t K, int stride, int padding,
                              int64_t Lout, T* __restrict__ col, int64_t n) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t l = i % Lout;
    int64_t r = i / Lout;
    const int64_t t = r % K;
    r /= K;  // b * Cin + ci
    const int64_t p = l * stride + t - padding;
    col[i] = (p >= 0 && p < L) ? x[r * L + p] : from_f32<T>(0.0f);
  }
}

}  // namespace

void binary(BinaryOp op, const void* a, const void* b, void* out, int64_t n, int64_t nb, DType dt,
            cudaStream_t stream) {
  dispatch_act(dt, [&](auto t) {
    using T = decltype(t);
    if (op == BinaryOp::Add)
      binary_kernel<T, BinaryOp::Add><<<grid_for(n, kThreads), kThreads, 0, stream>>>(
          static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(out), n, nb);
    else
      binary_kernel<T, BinaryOp::Mul><<<grid_for(n, kThreads), kThreads, 0, stream>>>(
          static_cast<const T*>(a), static_cast<const T*>(b), static_cast<T*>(out), n, nb);
  });
  check_launch("binary");
}

void scale(const void* a, float s, void* out, int64_t n, DType dt, cudaStream_t stream) {
  dispatch_act(dt, [&](auto t) {
    using T = decltype(t);
    scale_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(static_cast<const T*>(a), s,
                                                                     static_cast<T*>(out), n);
  });
  check_launch("scale");
}

void gelu(const void* x, void* out, int64_t n, DType dt, cudaStream_t stream) {
  dispatch_act(dt, [&](auto t) {
    using T = decltype(t);
    gelu_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(out), n);
  });
  check_launch("gelu");
}

void add_bias_rows(void* out, const float* bias, int64_t rows, int64_t cols, DType dt, cudaStream_t stream) {
  const int64_t n = rows * cols;
  dispatch_act(dt, [&](auto t) {
    using T = decltype(t);
    bias_rows_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(static_cast<T*>(out), bias, n, cols);
  });
  check_launch("add_bias_rows");
}

void add_bias_channels(void* out, const float* bias, int64_t B, int64_t C, int64_t L, DType dt,
                       cudaStream_t stream) {
  const int64_t n = B * C * L;
  dispatch_act(dt, [&](auto t) {
    using T = decltype(t);
    bias_channels_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(static_cast<T*>(out), bias, n, C, L);
  });
  check_launch("add_bias_channels");
}

void cast(const void* src, DType src_dt, void* dst, DType dst_dt, int64_t n, cudaStream_t stream) {
  cast_kernel<<<grid_for(n, kThreads), kThreads, 0, stream>>>(src, src_dt, dst, dst_dt, n);
  check_launch("cast");
}

void strided_copy(const void* src, const int64_t* src_strides, void* dst, const int64_t* dst_strides,
                  const int64_t* shape, int ndim, size_t elem, cudaStream_t stream) {
  DW_CHECK(ndim <= kMaxDims, ErrorCode::Unsupported,
           "cuda copy: more than " + std::to_string(kMaxDims) + " non-mergeable dims");
  CopyGeometry g{};
  int64_t n = 1;
  for (int i = 0; i < ndim; ++i) {
    g.shape[i] = shape[i];
    g.src_strides[i] = src_strides[i];
    g.dst_strides[i] = dst_strides[i];
    n *= shape[i];
  }
  g.ndim = ndim;
  if (n == 0) return;
  const unsigned grid = grid_for(n, kThreads);
  switch (elem) {
    case 1: strided_copy_kernel<uint8_t><<<grid, kThreads, 0, stream>>>(static_cast<const uint8_t*>(src), static_cast<uint8_t*>(dst), g, n); break;
    case 2: strided_copy_kernel<uint16_t><<<grid, kThreads, 0, stream>>>(static_cast<const uint16_t*>(src), static_cast<uint16_t*>(dst), g, n); break;
    case 4: strided_copy_kernel<uint32_t><<<grid, kThreads, 0, stream>>>(static_cast<const uint32_t*>(src), static_cast<uint32_t*>(dst), g, n); break;
    case 8: strided_copy_kernel<uint64_t><<<grid, kThreads, 0, stream>>>(static_cast<const uint64_t*>(src), static_cast<uint64_t*>(dst), g, n); break;
    default: fail(ErrorCode::Unsupported, "cuda copy: element size " + std::to_string(elem));
  }
  check_launch("strided_copy");
}

void embedding(const int32_t* ids, int64_t n, const void* table, DType table_dt, int64_t C, float* out,
               cudaStream_t stream) {
  if (n == 0 || C == 0) return;
  const int threads = C >= 256 ? 256 : 64;
  dispatch_float(table_dt, [&](auto t) {
    using T = decltype(t);
    embedding_kernel<T><<<static_cast<unsigned>(n), threads, 0, stream>>>(ids, static_cast<const T*>(table), C, out);
  });
  check_launch("embedding");
}

void im2col(const void* x, DType dt, int64_t B, int64_t Cin, int64_t L, int64_t K, int stride, int padding,
            int64_t Lout, void* col, cudaStream_t stream) {
  const int64_t n = B * Cin * K * Lout;
  dispatch_act(dt, [&](auto t) {
    using T = decltype(t);
    im2col_kernel<T><<<grid_for(n, kThreads), kThreads, 0, stream>>>(static_cast<const T*>(x), Cin, L, K, stride,
                                                                      padding, Lout, static_cast<T*>(col), n);
  });
  check_launch("im2col");
}

}  // namespace dw::cuda
