// Shared by the op declaration files: host-side helpers for references and in-place ops.
#pragma once

#include <vector>

#include "dw/op_list.h"
#include "dw/ops.h"
#include "kernels.h"

namespace dw::opdecl {

using Inputs = std::vector<Tensor>;
using HostInputs = std::vector<HostTensor>;
using HostOutputs = std::vector<HostTensor>;

// Host f32 copy of any float/int input (references take f32 unless they read a dtype themselves).
inline std::vector<float> as_f32(const HostTensor& h) {
  std::vector<float> v(static_cast<size_t>(h.numel()));
  for (int64_t i = 0; i < h.numel(); ++i) v[static_cast<size_t>(i)] = h.get(i);
  return v;
}

inline HostTensor f32_from(const Shape& shape, const std::vector<float>& v) {
  HostTensor h = HostTensor::zeros(shape, DType::F32);
  for (size_t i = 0; i < v.size(); ++i) h.f32()[i] = v[i];
  return h;
}

// A writable copy on the same device, for ops that update a tensor in place: the op list
// returns results as new tensors, so the harness can compare them with the reference.
inline Tensor clone(const Tensor& t) {
  Tensor c = ops::empty(t.shape, t.dtype, t.device());
  ops::copy_into(c, t);
  return c;
}

inline const Tensor* optional(const Inputs& in, size_t i) { return in.size() > i ? &in[i] : nullptr; }

inline int64_t rows_of(const Shape& s) {
  if (s.empty()) return 1;
  return s.back() ? shape_numel(s) / s.back() : 0;
}

}  // namespace dw::opdecl
