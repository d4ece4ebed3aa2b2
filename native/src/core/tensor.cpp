#include "dw/tensor.h"

#include <cstring>
#include <sstream>

namespace dw {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument: return "INVALID_ARGUMENT";
    case ErrorCode::ShapeMismatch: return "SHAPE_MISMATCH";
    case ErrorCode::DTypeMismatch: return "DTYPE_MISMATCH";
    case ErrorCode::DeviceMismatch: return "DEVICE_MISMATCH";
    case ErrorCode::OutOfMemory: return "OUT_OF_MEMORY";
    case ErrorCode::Unsupported: return "UNSUPPORTED";
    case ErrorCode::DeviceUnavailable: return "DEVICE_UNAVAILABLE";
    case ErrorCode::Disposed: return "DISPOSED";
    case ErrorCode::Internal: return "INTERNAL";
  }
  return "INTERNAL";
}

size_t dtype_size(DType dtype) {
  switch (dtype) {
    case DType::F32: return 4;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I32: return 4;
    case DType::I8: return 1;
  }
  fail(ErrorCode::DTypeMismatch, "unknown dtype");
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::F32: return "f32";
    case DType::F16: return "f16";
    case DType::BF16: return "bf16";
    case DType::I32: return "i32";
    case DType::I8: return "i8";
  }
  return "unknown";
}

const char* device_name(Device device) { return device == Device::CPU ? "cpu" : "cuda"; }

std::string shape_str(const Shape& shape) {
  std::ostringstream s;
  s << '[';
  for (size_t i = 0; i < shape.size(); ++i) s << (i ? ", " : "") << shape[i];
  s << ']';
  return s.str();
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

bool Tensor::is_contiguous() const {
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] != 1 && strides[i] != s) return false;
    s *= shape[i];
  }
  return true;
}

static int normalise_dim(int dim, int ndim, const char* what) {
  int d = dim < 0 ? dim + ndim : dim;
  DW_CHECK(d >= 0 && d < ndim, ErrorCode::InvalidArgument,
           std::string(what) + ": dim " + std::to_string(dim) + " out of range for a " +
               std::to_string(ndim) + "-d tensor");
  return d;
}

Tensor view_reshape(const Tensor& t, const Shape& shape) {
  DW_CHECK(t.is_contiguous(), ErrorCode::InvalidArgument,
           "reshape: tensor is a strided view; call contiguous() first");
  Shape out = shape;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      DW_CHECK(infer < 0, ErrorCode::ShapeMismatch, "reshape: at most one -1 allowed");
      infer = static_cast<int>(i);
    } else {
      DW_CHECK(out[i] >= 0, ErrorCode::ShapeMismatch, "reshape: negative dimension in " + shape_str(shape));
      known *= out[i];
    }
  }
  if (infer >= 0) {
    DW_CHECK(known > 0 && t.numel() % known == 0, ErrorCode::ShapeMismatch,
             "reshape: cannot infer -1 of " + shape_str(shape) + " from " + std::to_string(t.numel()) +
                 " elements");
    out[static_cast<size_t>(infer)] = t.numel() / known;
  }
  DW_CHECK(shape_numel(out) == t.numel(), ErrorCode::ShapeMismatch,
           "reshape: " + shape_str(t.shape) + " has " + std::to_string(t.numel()) +
               " elements, target " + shape_str(out) + " has " + std::to_string(shape_numel(out)));
  Tensor v = t;
  v.shape = out;
  v.strides = contiguous_strides(out);
  return v;
}

Tensor view_slice(const Tensor& t, int dim, int64_t start, int64_t end) {
  int d = normalise_dim(dim, t.ndim(), "slice");
  int64_t n = t.shape[static_cast<size_t>(d)];
  DW_CHECK(start >= 0 && start <= end && end <= n, ErrorCode::InvalidArgument,
           "slice: range [" + std::to_string(start) + ", " + std::to_string(end) +
               ") invalid for dimension " + std::to_string(d) + " of size " + std::to_string(n));
  Tensor v = t;
  v.shape[static_cast<size_t>(d)] = end - start;
  v.offset += static_cast<size_t>(start * t.strides[static_cast<size_t>(d)]) * dtype_size(t.dtype);
  return v;
}

Tensor view_transpose(const Tensor& t, int dim0, int dim1) {
  int a = normalise_dim(dim0, t.ndim(), "transpose");
  int b = normalise_dim(dim1, t.ndim(), "transpose");
  Tensor v = t;
  std::swap(v.shape[static_cast<size_t>(a)], v.shape[static_cast<size_t>(b)]);
  std::swap(v.strides[static_cast<size_t>(a)], v.strides[static_cast<size_t>(b)]);
  return v;
}

float f16_to_f32(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: renormalise
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400u) == 0);
      bits = sign | (static_cast<uint32_t>(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
  if (absx >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds to inf
  if (absx < 0x38800000u) {  // subnormal or zero in f16
    float a;
    std::memcpy(&a, &absx, 4);
    // Adding 0.5 shifts the value into a float whose low mantissa bits are the f16 subnormal,
    // with the FPU doing round-to-nearest-even.
    float r = a + 0.5f;
    uint32_t rb;
    std::memcpy(&rb, &r, 4);
    return static_cast<uint16_t>(sign | (rb - 0x3f000000u));
  }
  uint32_t mant_odd = (absx >> 13) & 1u;
  absx += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
  return static_cast<uint16_t>(sign | (absx >> 13));
}

uint16_t f32_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

}  // namespace dw
