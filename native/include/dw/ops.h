// The validated op set. Each function checks shapes, dtypes, devices and layout, allocates its
// output on the inputs' device and dispatches to that device's Backend. This is the only entry
// point the N-API binding (and the C++ tests) use, so no unchecked request reaches a kernel.
#pragma once

#include <optional>
#include <vector>

#include "dw/backend.h"

namespace dw::ops {

Tensor empty(const Shape& shape, DType dtype, Device device);
Tensor zeros(const Shape& shape, DType dtype, Device device);
Tensor from_host(const void* data, size_t bytes, const Shape& shape, DType dtype, Device device);
void to_host(const Tensor& t, void* data, size_t bytes);  // any layout; copies if strided
Tensor to_device(const Tensor& t, Device device);

Tensor contiguous(const Tensor& t);  // returns t itself when already contiguous
void copy_into(Tensor& dst, const Tensor& src);  // dst may be a strided view (KV cache)
Tensor cast(const Tensor& t, DType dtype);

Tensor matmul(const Tensor& a, const Tensor& b, const Tensor* bias, bool trans_b);
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias);  // x·wᵀ + b

Tensor add(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& a, float s);

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps);
Tensor gelu(const Tensor& x);
Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);

Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor* bias, int stride, int padding);
Tensor embedding(const Tensor& ids, const Tensor& table);

struct AttentionResult {
  Tensor out;
  std::optional<Tensor> lse;
};
AttentionResult attention(const Tensor& q, const Tensor& k, const Tensor& v,
                          const AttentionParams& params, bool want_lse);

Tensor argmax(const Tensor& x);
std::pair<Tensor, Tensor> topk(const Tensor& x, int k);
Tensor concat(const std::vector<Tensor>& inputs, int dim);

}  // namespace dw::ops
