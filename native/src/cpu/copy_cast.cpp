// Strided copies (contiguous(), concat, writes into a KV-cache view) and dtype casts.
//
// Cast rules (documented for the JS API too):
//   float → float   round to nearest, ties to even; overflow to f16 gives ±inf; NaN stays NaN.
//   float → integer round to nearest, ties to even (2.5 → 2, −3.5 → −4), then saturate to the
//                   target range (i8: [−128, 127], i32: [−2³¹, 2³¹−1]); NaN → 0.
//   int → float     round to nearest even (exact for |v| ≤ 2²⁴ in f32, 2¹¹ in f16, 2⁸ in bf16).
//   int → int       saturate (i32 → i8).
#include <algorithm>
#include <cmath>
#include <cstring>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace avx2 {
void f32_to_f16(const float* src, uint16_t* dst, int64_t n);
void f16_to_f32(const uint16_t* src, float* dst, int64_t n);
void f32_to_bf16(const float* src, uint16_t* dst, int64_t n);
void bf16_to_f32(const uint16_t* src, float* dst, int64_t n);
}  // namespace avx2

namespace {

constexpr int kMaxDims = 16;

// ---- strided copy ----

// Merges dims that are contiguous with respect to each other in both src and dst and drops size-1
// dims, so e.g. a slice of a KV cache becomes a few long rows. Returns the new ndim.
int coalesce(const int64_t* shape, const int64_t* ss, const int64_t* ds, int ndim, int64_t* oshape, int64_t* oss,
             int64_t* ods) {
  int n = 0;
  for (int i = 0; i < ndim; ++i) {
    if (shape[i] == 1) continue;
    if (n > 0 && oss[n - 1] == ss[i] * shape[i] && ods[n - 1] == ds[i] * shape[i]) {
      oshape[n - 1] *= shape[i];
      oss[n - 1] = ss[i];
      ods[n - 1] = ds[i];
    } else {
      oshape[n] = shape[i];
      oss[n] = ss[i];
      ods[n] = ds[i];
      ++n;
    }
  }
  return n;
}

template <class T>
void copy_row(const char* src, int64_t ss, char* dst, int64_t ds, int64_t n) {
  const T* s = reinterpret_cast<const T*>(src);
  T* d = reinterpret_cast<T*>(dst);
  for (int64_t i = 0; i < n; ++i) d[i * ds] = s[i * ss];
}

void copy_inner(const char* src, int64_t ss, char* dst, int64_t ds, int64_t n, size_t elem) {
  if (ss == 1 && ds == 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * elem);
    return;
  }
  switch (elem) {
    case 1: copy_row<uint8_t>(src, ss, dst, ds, n); return;
    case 2: copy_row<uint16_t>(src, ss, dst, ds, n); return;
    case 4: copy_row<uint32_t>(src, ss, dst, ds, n); return;
    case 8: copy_row<uint64_t>(src, ss, dst, ds, n); return;
    default:
      for (int64_t i = 0; i < n; ++i)
        std::memcpy(dst + static_cast<size_t>(i * ds) * elem, src + static_cast<size_t>(i * ss) * elem, elem);
  }
}

// ---- casts ----

float load_float(const void* p, DType d, int64_t i) {
  switch (d) {
    case DType::F16: return f16_to_f32(static_cast<const uint16_t*>(p)[i]);
    case DType::BF16: return bf16_to_f32(static_cast<const uint16_t*>(p)[i]);
    default: return static_cast<const float*>(p)[i];
  }
}

int32_t load_int(const void* p, DType d, int64_t i) {
  return d == DType::I8 ? static_cast<const int8_t*>(p)[i] : static_cast<const int32_t*>(p)[i];
}

template <class T>
T float_to_int(float f, double lo, double hi) {
  if (std::isnan(f)) return 0;
  const double r = std::nearbyint(static_cast<double>(f));  // default mode: ties to even
  return static_cast<T>(std::clamp(r, lo, hi));
}

// i32 → bf16 in one rounding: round the integer to bf16's 8 significant bits (ties to even), after
// which the value converts exactly. (Going through f32 would round twice above 2²⁴.)
uint16_t int_to_bf16(int32_t v) {
  const bool neg = v < 0;
  uint64_t u = neg ? static_cast<uint64_t>(-static_cast<int64_t>(v)) : static_cast<uint64_t>(v);
  int bits = 0;
  for (uint64_t t = u; t; t >>= 1) ++bits;
  if (bits > 8) {
    const int s = bits - 8;
    uint64_t q = u >> s;
    const uint64_t rem = u & ((uint64_t{1} << s) - 1), half = uint64_t{1} << (s - 1);
    if (rem > half || (rem == half && (q & 1))) ++q;
    u = q << s;
  }
  const float f = static_cast<float>(u);
  return f32_to_bf16(neg ? -f : f);
}

void store_from_float(float f, void* p, DType d, int64_t i) {
  switch (d) {
    case DType::F32: static_cast<float*>(p)[i] = f; return;
    case DType::F16: static_cast<uint16_t*>(p)[i] = f32_to_f16(f); return;
    case DType::BF16: static_cast<uint16_t*>(p)[i] = f32_to_bf16(f); return;
    case DType::I32: static_cast<int32_t*>(p)[i] = float_to_int<int32_t>(f, -2147483648.0, 2147483647.0); return;
    case DType::I8: static_cast<int8_t*>(p)[i] = float_to_int<int8_t>(f, -128.0, 127.0); return;
  }
}

void store_from_int(int32_t v, void* p, DType d, int64_t i) {
  switch (d) {
    case DType::F32: static_cast<float*>(p)[i] = static_cast<float>(v); return;
    case DType::F16: static_cast<uint16_t*>(p)[i] = f32_to_f16(static_cast<float>(v)); return;  // exact below 2²⁴, inf above 65504
    case DType::BF16: static_cast<uint16_t*>(p)[i] = int_to_bf16(v); return;
    case DType::I32: static_cast<int32_t*>(p)[i] = v; return;
    case DType::I8: static_cast<int8_t*>(p)[i] = static_cast<int8_t>(std::clamp(v, -128, 127)); return;
  }
}

void cast_span(const void* src, DType sd, void* dst, DType dd, int64_t begin, int64_t end) {
  const int64_t n = end - begin;
  if (use_avx2()) {
    const float* sf = static_cast<const float*>(src) + begin;
    const uint16_t* sh = static_cast<const uint16_t*>(src) + begin;
    float* df = static_cast<float*>(dst) + begin;
    uint16_t* dh = static_cast<uint16_t*>(dst) + begin;
    if (sd == DType::F32 && dd == DType::F16) return avx2::f32_to_f16(sf, dh, n);
    if (sd == DType::F16 && dd == DType::F32) return avx2::f16_to_f32(sh, df, n);
    if (sd == DType::F32 && dd == DType::BF16) return avx2::f32_to_bf16(sf, dh, n);
    if (sd == DType::BF16 && dd == DType::F32) return avx2::bf16_to_f32(sh, df, n);
  }
  if (is_float(sd))
    for (int64_t i = begin; i < end; ++i) store_from_float(load_float(src, sd, i), dst, dd, i);
  else
    for (int64_t i = begin; i < end; ++i) store_from_int(load_int(src, sd, i), dst, dd, i);
}

}  // namespace

void strided_copy(const void* src, const int64_t* src_strides, void* dst, const int64_t* dst_strides,
                  const int64_t* shape, int ndim, size_t elem) {
  for (int i = 0; i < ndim; ++i)
    if (shape[i] == 0) return;
  if (ndim > kMaxDims) fail(ErrorCode::InvalidArgument, "copy: more than 16 dimensions");
  int64_t sh[kMaxDims], ss[kMaxDims], ds[kMaxDims];
  int nd = coalesce(shape, src_strides, dst_strides, ndim, sh, ss, ds);
  if (nd == 0) {  // a single element
    std::memcpy(dst, src, elem);
    return;
  }
  const int64_t inner = sh[nd - 1], sin = ss[nd - 1], din = ds[nd - 1];
  int64_t rows = 1;
  for (int i = 0; i < nd - 1; ++i) rows *= sh[i];
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(inner * static_cast<int64_t>(elem), 1));
  const char* s0 = static_cast<const char*>(src);
  char* d0 = static_cast<char*>(dst);
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    // Odometer over the outer dims, started at `begin`.
    int64_t idx[kMaxDims] = {};
    int64_t rem = begin, so = 0, dof = 0;
    for (int i = nd - 2; i >= 0; --i) {
      idx[i] = rem % sh[i];
      rem /= sh[i];
      so += idx[i] * ss[i];
      dof += idx[i] * ds[i];
    }
    for (int64_t r = begin; r < end; ++r) {
      copy_inner(s0 + static_cast<size_t>(so) * elem, sin, d0 + static_cast<size_t>(dof) * elem, din, inner, elem);
      for (int i = nd - 2; i >= 0; --i) {
        so += ss[i];
        dof += ds[i];
        if (++idx[i] < sh[i]) break;
        so -= ss[i] * sh[i];
        dof -= ds[i] * sh[i];
        idx[i] = 0;
      }
    }
  });
}

void cast(const void* src, DType src_dtype, void* dst, DType dst_dtype, int64_t n) {
  if (n <= 0) return;
  if (src_dtype == dst_dtype) {
    std::memcpy(dst, src, static_cast<size_t>(n) * dtype_size(src_dtype));
    return;
  }
  parallel_for(n, 1 << 16, [&](int64_t begin, int64_t end) { cast_span(src, src_dtype, dst, dst_dtype, begin, end); });
}

}  // namespace dw::cpu
