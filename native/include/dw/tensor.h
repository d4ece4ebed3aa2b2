// Tensors of the kernel library: a reference-counted device buffer plus a strided view of it.
// Kernels only ever receive tensors that ops.cpp has validated (shapes, dtypes, devices, layout).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dw/error.h"

namespace dw {

enum class DType : int32_t { F32 = 0, F16 = 1, BF16 = 2, I32 = 3, I8 = 4 };
enum class Device : int32_t { CPU = 0, CUDA = 1 };

size_t dtype_size(DType dtype);
const char* dtype_name(DType dtype);
const char* device_name(Device device);
inline bool is_float(DType d) { return d == DType::F32 || d == DType::F16 || d == DType::BF16; }

using Shape = std::vector<int64_t>;

std::string shape_str(const Shape& shape);
int64_t shape_numel(const Shape& shape);

// Owns one allocation on one device. The deleter comes from the backend that allocated it, so a
// buffer can outlive any particular handle to its backend.
class Buffer {
 public:
  using Deleter = void (*)(void* ctx, void* data, size_t bytes);
  Buffer(void* data, size_t bytes, Device device, Deleter deleter, void* ctx)
      : data_(data), bytes_(bytes), device_(device), deleter_(deleter), ctx_(ctx) {}
  ~Buffer() {
    if (deleter_ && data_) deleter_(ctx_, data_, bytes_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }
  // Who frees the memory: lets a caller recognise buffers of a particular kind (e.g. a mapping).
  Deleter deleter() const { return deleter_; }

 private:
  void* data_;
  size_t bytes_;
  Device device_;
  Deleter deleter_;
  void* ctx_;
};

struct Tensor {
  std::shared_ptr<Buffer> buffer;
  size_t offset = 0;  // in bytes, into buffer
  Shape shape;
  Shape strides;  // in elements
  DType dtype = DType::F32;

  int ndim() const { return static_cast<int>(shape.size()); }
  int64_t numel() const { return shape_numel(shape); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  Device device() const { return buffer ? buffer->device() : Device::CPU; }
  bool is_contiguous() const;
  // Size of dimension i; negative i counts from the end.
  int64_t dim(int i) const { return shape.at(static_cast<size_t>(i < 0 ? i + ndim() : i)); }
  int64_t stride(int i) const { return strides.at(static_cast<size_t>(i < 0 ? i + ndim() : i)); }

  void* raw() const { return static_cast<char*>(buffer->data()) + offset; }
  template <class T>
  T* data() const {
    return reinterpret_cast<T*>(raw());
  }
};

Shape contiguous_strides(const Shape& shape);

// Cheap views: share the buffer, change shape/strides/offset. All validate their arguments.
Tensor view_reshape(const Tensor& t, const Shape& shape);  // contiguous input only; one -1 allowed
Tensor view_slice(const Tensor& t, int dim, int64_t start, int64_t end);
Tensor view_transpose(const Tensor& t, int dim0, int dim1);

// f16 / bf16 <-> f32 scalar conversions (round-to-nearest-even), used by reference code and
// tails of the SIMD kernels.
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  __builtin_memcpy(&f, &bits, 4);
  return f;
}
uint16_t f32_to_bf16(float f);

}  // namespace dw
