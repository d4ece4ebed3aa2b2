// Validation and dispatch for every op. The rule: nothing reaches a backend until shapes, dtypes,
// devices and layout have been checked here, with a message that names the argument, what was
// expected and what was received.
#include "dw/ops.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

namespace dw::ops {
namespace {

[[noreturn]] void expected(ErrorCode code, const char* op, const char* name, const std::string& what,
                           const std::string& got) {
  fail(code, std::string(op) + ": expected " + what + " for " + name + " but received " + got);
}

void check_live(const Tensor& t, const char* op, const char* name) {
  if (!t.buffer) fail(ErrorCode::Disposed, std::string(op) + ": " + name + " has been disposed");
}

void check_dtype(const Tensor& t, DType d, const char* op, const char* name) {
  check_live(t, op, name);
  if (t.dtype != d) expected(ErrorCode::DTypeMismatch, op, name, dtype_name(d), dtype_name(t.dtype));
}

void check_float_weight(const Tensor& t, const char* op, const char* name) {
  check_live(t, op, name);
  if (!is_float(t.dtype))
    expected(ErrorCode::DTypeMismatch, op, name, "f32, f16 or bf16", dtype_name(t.dtype));
}

void check_contiguous(const Tensor& t, const char* op, const char* name) {
  if (!t.is_contiguous())
    fail(ErrorCode::InvalidArgument,
         std::string(op) + ": " + name + " must be contiguous (call contiguous() on the view first)");
}

void check_ndim(const Tensor& t, int lo, int hi, const char* op, const char* name) {
  if (t.ndim() < lo || t.ndim() > hi)
    expected(ErrorCode::ShapeMismatch, op, name,
             lo == hi ? std::to_string(lo) + "-d tensor"
                      : std::to_string(lo) + "-d to " + std::to_string(hi) + "-d tensor",
             shape_str(t.shape));
}

Device same_device(std::initializer_list<const Tensor*> ts, const char* op) {
  Device d = (*ts.begin())->device();
  for (const Tensor* t : ts)
    if (t && t->device() != d)
      fail(ErrorCode::DeviceMismatch, std::string(op) + ": tensors are on different devices (" +
                                          device_name(d) + " and " + device_name(t->device()) +
                                          "); move them with to()");
  return d;
}

// CPU kernels compute in f32; the CUDA backend also accepts f16 activations.
void check_activation(const Tensor& t, const char* op, const char* name) {
  check_live(t, op, name);
  if (t.dtype == DType::F32) return;
  if (t.device() == Device::CUDA && t.dtype == DType::F16) return;
  expected(ErrorCode::DTypeMismatch, op, name,
           t.device() == Device::CUDA ? "f32 or f16 activations" : "f32 activations",
           dtype_name(t.dtype));
}

void check_suffix_broadcast(const Tensor& a, const Tensor& b, const char* op) {
  bool ok = b.ndim() <= a.ndim();
  for (int i = 1; ok && i <= b.ndim(); ++i) ok = a.dim(-i) == b.dim(-i);
  if (!ok || (b.numel() == 0 && a.numel() != 0))
    expected(ErrorCode::ShapeMismatch, op, "b",
             "a shape equal to a trailing part of " + shape_str(a.shape), shape_str(b.shape));
}

// The byte range a view can touch (strides are never negative here).
std::pair<uintptr_t, uintptr_t> byte_span(const Tensor& t) {
  const auto lo = reinterpret_cast<uintptr_t>(t.raw());
  int64_t last = 0;
  for (int i = 0; i < t.ndim(); ++i) {
    if (t.shape[static_cast<size_t>(i)] == 0) return {lo, lo};
    last += (t.shape[static_cast<size_t>(i)] - 1) * t.strides[static_cast<size_t>(i)];
  }
  return {lo, lo + static_cast<uintptr_t>(last + 1) * dtype_size(t.dtype)};
}

// An output written in place must not share memory with an input it is computed from: the
// kernels read inputs after they have started writing the output.
void check_disjoint(const Tensor& dst, const Tensor& src, const char* op, const char* dst_name, const char* src_name) {
  const auto d = byte_span(dst), s = byte_span(src);
  if (d.first < s.second && s.first < d.second)
    fail(ErrorCode::InvalidArgument,
         std::string(op) + ": " + dst_name + " overlaps " + src_name + " in memory; write into a separate tensor");
}

void check_shape(const Tensor& t, const Shape& want, const char* op, const char* name) {
  if (t.shape != want) expected(ErrorCode::ShapeMismatch, op, name, shape_str(want), shape_str(t.shape));
}

// A tensor an op writes into: live, f32, contiguous, on `device`.
void check_output(const Tensor& t, Device device, const char* op, const char* name) {
  check_dtype(t, DType::F32, op, name);
  check_contiguous(t, op, name);
  if (t.device() != device)
    fail(ErrorCode::DeviceMismatch, std::string(op) + ": " + name + " is on " + device_name(t.device()) +
                                        " but the inputs are on " + device_name(device));
}

}  // namespace

Tensor empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape)
    DW_CHECK(d >= 0, ErrorCode::ShapeMismatch, "empty: negative dimension in " + shape_str(shape));
  // Guard the byte count against overflow before asking any allocator.
  size_t elems = 1;
  for (int64_t d : shape) {
    DW_CHECK(d == 0 || elems <= std::numeric_limits<size_t>::max() / 16 / static_cast<size_t>(d),
             ErrorCode::OutOfMemory, "empty: shape " + shape_str(shape) + " is too large");
    elems *= static_cast<size_t>(d);
  }
  Tensor t;
  t.buffer = backend_for(device).allocate(elems * dtype_size(dtype));
  t.shape = shape;
  t.strides = contiguous_strides(shape);
  t.dtype = dtype;
  return t;
}

Tensor zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  backend_for(device).memset_zero(t);
  return t;
}

Tensor from_host(const void* data, size_t bytes, const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  if (bytes != t.nbytes())
    fail(ErrorCode::ShapeMismatch, "from_host: shape " + shape_str(shape) + " of " + dtype_name(dtype) +
                                       " needs " + std::to_string(t.nbytes()) + " bytes but " +
                                       std::to_string(bytes) + " were given");
  if (bytes) backend_for(device).upload(t, data, bytes);
  return t;
}

void to_host(const Tensor& t, void* data, size_t bytes) {
  check_live(t, "to_host", "tensor");
  Tensor c = contiguous(t);
  if (bytes != c.nbytes())
    fail(ErrorCode::ShapeMismatch, "to_host: tensor holds " + std::to_string(c.nbytes()) +
                                       " bytes but the destination has " + std::to_string(bytes));
  if (bytes) backend_for(c.device()).download(data, c, bytes);
}

Tensor to_device(const Tensor& t, Device device) {
  check_live(t, "to", "tensor");
  if (t.device() == device) return t;
  Tensor c = contiguous(t);
  std::vector<char> host(c.nbytes());
  if (!host.empty()) backend_for(c.device()).download(host.data(), c, host.size());
  return from_host(host.data(), host.size(), c.shape, c.dtype, device);
}

Tensor contiguous(const Tensor& t) {
  check_live(t, "contiguous", "tensor");
  if (t.is_contiguous()) return t;
  Tensor out = empty(t.shape, t.dtype, t.device());
  backend_for(t.device()).copy(t, out);
  return out;
}

void copy_into(Tensor& dst, const Tensor& src) {
  check_live(dst, "copy_into", "dst");
  check_live(src, "copy_into", "src");
  same_device({&dst, &src}, "copy_into");
  if (dst.shape != src.shape)
    expected(ErrorCode::ShapeMismatch, "copy_into", "src", shape_str(dst.shape), shape_str(src.shape));
  if (dst.dtype != src.dtype)
    expected(ErrorCode::DTypeMismatch, "copy_into", "src", dtype_name(dst.dtype), dtype_name(src.dtype));
  if (dst.numel()) backend_for(dst.device()).copy(src, dst);
}

Tensor cast(const Tensor& t, DType dtype) {
  Tensor c = contiguous(t);
  if (c.dtype == dtype) return c;
  Tensor out = empty(c.shape, dtype, c.device());
  if (c.numel()) backend_for(c.device()).cast(c, out);
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b, const Tensor* bias, bool trans_b) {
  const char* op = "matmul";
  check_activation(a, op, "a");
  check_float_weight(b, op, "b");
  same_device({&a, &b, bias}, op);
  check_contiguous(a, op, "a");
  check_contiguous(b, op, "b");
  check_ndim(a, 1, 8, op, "a");
  check_ndim(b, 2, 8, op, "b");
  const int64_t K = a.dim(-1);
  const int64_t M = a.ndim() >= 2 ? a.dim(-2) : 1;
  const int64_t N = trans_b ? b.dim(-2) : b.dim(-1);
  const int64_t Kb = trans_b ? b.dim(-1) : b.dim(-2);
  if (Kb != K)
    expected(ErrorCode::ShapeMismatch, op, "b",
             std::string(trans_b ? "[N, K] with K = " : "[K, N] with K = ") + std::to_string(K) +
                 " (the last dim of a " + shape_str(a.shape) + ")",
             shape_str(b.shape));
  if (b.ndim() > 2) {
    bool ok = b.ndim() == a.ndim();
    for (int i = 0; ok && i < a.ndim() - 2; ++i) ok = a.shape[static_cast<size_t>(i)] == b.shape[static_cast<size_t>(i)];
    if (!ok)
      expected(ErrorCode::ShapeMismatch, op, "b",
               "a 2-d weight or batch dims equal to those of a " + shape_str(a.shape), shape_str(b.shape));
  }
  if (bias) {
    check_dtype(*bias, DType::F32, op, "bias");
    check_contiguous(*bias, op, "bias");
    if (bias->ndim() != 1 || bias->dim(0) != N)
      expected(ErrorCode::ShapeMismatch, op, "bias", "[" + std::to_string(N) + "]", shape_str(bias->shape));
  }
  Shape out_shape = a.shape;
  if (a.ndim() == 1) out_shape = {N};
  else out_shape.back() = N;
  (void)M;
  Tensor out = empty(out_shape, a.dtype, a.device());
  if (out.numel()) backend_for(a.device()).matmul(a, b, bias, trans_b, out);
  return out;
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias) {
  return matmul(x, weight, bias, true);
}

static Tensor binary(const Tensor& a, const Tensor& b, const char* op, bool is_add) {
  check_activation(a, op, "a");
  check_live(b, op, "b");
  if (b.dtype != a.dtype) expected(ErrorCode::DTypeMismatch, op, "b", dtype_name(a.dtype), dtype_name(b.dtype));
  same_device({&a, &b}, op);
  check_contiguous(a, op, "a");
  check_contiguous(b, op, "b");
  check_suffix_broadcast(a, b, op);
  Tensor out = empty(a.shape, a.dtype, a.device());
  if (out.numel()) {
    Backend& be = backend_for(a.device());
    if (is_add) be.add(a, b, out);
    else be.mul(a, b, out);
  }
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) { return binary(a, b, "add", true); }
Tensor mul(const Tensor& a, const Tensor& b) { return binary(a, b, "mul", false); }

Tensor scale(const Tensor& a, float s) {
  check_activation(a, "scale", "a");
  check_contiguous(a, "scale", "a");
  Tensor out = empty(a.shape, a.dtype, a.device());
  if (out.numel()) backend_for(a.device()).scale(a, s, out);
  return out;
}

Tensor layer_norm(const Tensor& x, const Tensor& gamma, const Tensor& beta, float eps) {
  const char* op = "layer_norm";
  check_activation(x, op, "x");
  check_dtype(gamma, DType::F32, op, "gamma");
  check_dtype(beta, DType::F32, op, "beta");
  same_device({&x, &gamma, &beta}, op);
  check_contiguous(x, op, "x");
  check_ndim(x, 1, 8, op, "x");
  const int64_t C = x.dim(-1);
  for (const Tensor* p : {&gamma, &beta})
    if (p->ndim() != 1 || p->dim(0) != C || !p->is_contiguous())
      expected(ErrorCode::ShapeMismatch, op, p == &gamma ? "gamma" : "beta",
               "contiguous [" + std::to_string(C) + "]", shape_str(p->shape));
  DW_CHECK(eps > 0.0f, ErrorCode::InvalidArgument, "layer_norm: eps must be positive");
  Tensor out = empty(x.shape, x.dtype, x.device());
  if (out.numel()) backend_for(x.device()).layer_norm(x, gamma, beta, eps, out);
  return out;
}

Tensor gelu(const Tensor& x) {
  check_activation(x, "gelu", "x");
  check_contiguous(x, "gelu", "x");
  Tensor out = empty(x.shape, x.dtype, x.device());
  if (out.numel()) backend_for(x.device()).gelu(x, out);
  return out;
}

static Tensor softmax_impl(const Tensor& x, bool log) {
  const char* op = log ? "log_softmax" : "softmax";
  check_activation(x, op, "x");
  check_contiguous(x, op, "x");
  check_ndim(x, 1, 8, op, "x");
  Tensor out = empty(x.shape, x.dtype, x.device());
  if (out.numel()) backend_for(x.device()).softmax(x, log, out);
  return out;
}
Tensor softmax(const Tensor& x) { return softmax_impl(x, false); }
Tensor log_softmax(const Tensor& x) { return softmax_impl(x, true); }

Tensor conv1d(const Tensor& x, const Tensor& w, const Tensor* bias, int stride, int padding) {
  const char* op = "conv1d";
  check_activation(x, op, "x");
  check_float_weight(w, op, "w");
  same_device({&x, &w, bias}, op);
  check_contiguous(x, op, "x");
  check_contiguous(w, op, "w");
  check_ndim(x, 3, 3, op, "x");
  check_ndim(w, 3, 3, op, "w");
  if (w.dim(1) != x.dim(1))
    expected(ErrorCode::ShapeMismatch, op, "w",
             "[Cout, " + std::to_string(x.dim(1)) + ", K] (Cin of x " + shape_str(x.shape) + ")", shape_str(w.shape));
  DW_CHECK(stride >= 1 && stride <= 1024, ErrorCode::InvalidArgument, "conv1d: stride must be in [1, 1024]");
  DW_CHECK(padding >= 0 && padding <= 1 << 20, ErrorCode::InvalidArgument, "conv1d: padding must be >= 0");
  const int64_t K = w.dim(2);
  DW_CHECK(K >= 1, ErrorCode::ShapeMismatch, "conv1d: kernel size must be >= 1");
  const int64_t span = x.dim(2) + 2 * padding - K;
  DW_CHECK(span >= 0, ErrorCode::ShapeMismatch,
           "conv1d: input length " + std::to_string(x.dim(2)) + " is shorter than the kernel");
  if (bias) {
    check_dtype(*bias, DType::F32, op, "bias");
    if (bias->ndim() != 1 || bias->dim(0) != w.dim(0) || !bias->is_contiguous())
      expected(ErrorCode::ShapeMismatch, op, "bias", "[" + std::to_string(w.dim(0)) + "]", shape_str(bias->shape));
  }
  Tensor out = empty({x.dim(0), w.dim(0), span / stride + 1}, x.dtype, x.device());
  if (out.numel()) backend_for(x.device()).conv1d(x, w, bias, stride, padding, out);
  return out;
}

Tensor embedding(const Tensor& ids, const Tensor& table) {
  const char* op = "embedding";
  check_dtype(ids, DType::I32, op, "ids");
  check_float_weight(table, op, "table");
  same_device({&ids, &table}, op);
  check_contiguous(ids, op, "ids");
  check_contiguous(table, op, "table");
  check_ndim(table, 2, 2, op, "table");
  const int64_t V = table.dim(0);
  // Range-check ids on the host: an out-of-range id must never become an out-of-bounds read.
  Tensor host_ids = ids.device() == Device::CPU ? ids : to_device(ids, Device::CPU);
  const int32_t* p = host_ids.data<int32_t>();
  for (int64_t i = 0; i < host_ids.numel(); ++i)
    if (p[i] < 0 || p[i] >= V)
      fail(ErrorCode::InvalidArgument, "embedding: id " + std::to_string(p[i]) + " at position " +
                                           std::to_string(i) + " is outside the table of " +
                                           std::to_string(V) + " rows");
  Shape out_shape = ids.shape;
  out_shape.push_back(table.dim(1));
  Tensor out = empty(out_shape, DType::F32,
                     ids.device());
  if (out.numel()) backend_for(ids.device()).embedding(ids, table, out);
  return out;
}

AttentionResult attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionParams& params,
                          bool want_lse) {
  const char* op = "attention";
  check_activation(q, op, "q");
  // The CPU also takes f16 keys/values with f32 queries (a KV cache kept in half the memory);
  // otherwise k and v have q's dtype.
  const bool f16_kv_on_cpu = q.device() == Device::CPU && q.dtype == DType::F32 && k.buffer && k.dtype == DType::F16;
  const DType kv_dtype = f16_kv_on_cpu ? DType::F16 : q.dtype;
  for (const Tensor* t : {&k, &v}) {
    check_live(*t, op, t == &k ? "k" : "v");
    if (t->dtype != kv_dtype)
      expected(ErrorCode::DTypeMismatch, op, t == &k ? "k" : "v",
               q.device() == Device::CPU ? std::string(dtype_name(q.dtype)) + " (or f16 for both k and v)"
                                          : std::string(dtype_name(q.dtype)),
               dtype_name(t->dtype));
  }
  same_device({&q, &k, &v}, op);
  check_ndim(q, 4, 4, op, "q");
  check_ndim(k, 4, 4, op, "k");
  check_ndim(v, 4, 4, op, "v");
  const int64_t B = q.dim(0), Lq = q.dim(1), H = q.dim(2), D = q.dim(3), Lk = k.dim(1);
  for (const Tensor* t : {&k, &v})
    if (t->dim(0) != B || t->dim(1) != Lk || t->dim(2) != H || t->dim(3) != D)
      expected(ErrorCode::ShapeMismatch, op, t == &k ? "k" : "v",
               "[" + std::to_string(B) + ", Lk, " + std::to_string(H) + ", " + std::to_string(D) + "] matching q " +
                   shape_str(q.shape) + " and k",
               shape_str(t->shape));
  for (const Tensor* t : {&q, &k, &v})
    DW_CHECK(t->stride(3) == 1 || t->dim(3) == 1, ErrorCode::InvalidArgument,
             "attention: the head dim of q, k and v must be contiguous (stride 1)");
  DW_CHECK(std::isfinite(params.scale), ErrorCode::InvalidArgument, "attention: scale must be finite");
  DW_CHECK(!params.causal || Lk >= Lq, ErrorCode::ShapeMismatch,
           "attention: causal attention needs at least as many keys as queries (Lk >= Lq)");
  AttentionResult r;
  r.out = empty({B, Lq, H, D}, q.dtype, q.device());
  Tensor lse;
  if (want_lse) lse = empty({B, H, Lq}, DType::F32, q.device());
  if (r.out.numel()) {
    DW_CHECK(Lk > 0, ErrorCode::ShapeMismatch, "attention: no keys (Lk = 0)");
    backend_for(q.device()).attention(q, k, v, params, r.out, want_lse ? &lse : nullptr);
  }
  if (want_lse) r.lse = lse;
  return r;
}

Tensor argmax(const Tensor& x) {
  check_activation(x, "argmax", "x");
  check_contiguous(x, "argmax", "x");
  check_ndim(x, 1, 8, "argmax", "x");
  DW_CHECK(x.dim(-1) > 0, ErrorCode::ShapeMismatch, "argmax: the last dim is empty");
  Shape s(x.shape.begin(), x.shape.end() - 1);
  Tensor out = empty(s, DType::I32, x.device());
  if (out.numel()) backend_for(x.device()).argmax(x, out);
  return out;
}

std::pair<Tensor, Tensor> topk(const Tensor& x, int k) {
  check_activation(x, "topk", "x");
  check_contiguous(x, "topk", "x");
  check_ndim(x, 1, 8, "topk", "x");
  DW_CHECK(k >= 1 && k <= x.dim(-1), ErrorCode::InvalidArgument,
           "topk: k = " + std::to_string(k) + " must be in [1, " + std::to_string(x.dim(-1)) + "]");
  Shape s = x.shape;
  s.back() = k;
  Tensor values = empty(s, DType::F32, x.device());
  Tensor indices = empty(s, DType::I32, x.device());
  if (values.numel()) backend_for(x.device()).topk(x, k, values, indices);
  return {values, indices};
}

Tensor concat(const std::vector<Tensor>& inputs, int dim) {
  DW_CHECK(!inputs.empty(), ErrorCode::InvalidArgument, "concat: no inputs");
  const Tensor& first = inputs.front();
  check_live(first, "concat", "inputs[0]");
  const int nd = first.ndim();
  const int d = dim < 0 ? dim + nd : dim;
  DW_CHECK(d >= 0 && d < nd, ErrorCode::InvalidArgument, "concat: dim out of range");
  Shape out_shape = first.shape;
  out_shape[static_cast<size_t>(d)] = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    std::string name = "inputs[" + std::to_string(i) + "]";
    check_live(t, "concat", name.c_str());
    if (t.dtype != first.dtype) expected(ErrorCode::DTypeMismatch, "concat", name.c_str(), dtype_name(first.dtype), dtype_name(t.dtype));
    if (t.device() != first.device()) fail(ErrorCode::DeviceMismatch, "concat: inputs are on different devices");
    bool ok = t.ndim() == nd;
    for (int j = 0; ok && j < nd; ++j) ok = j == d || t.shape[static_cast<size_t>(j)] == first.shape[static_cast<size_t>(j)];
    if (!ok)
      expected(ErrorCode::ShapeMismatch, "concat", name.c_str(),
               "a shape equal to " + shape_str(first.shape) + " except in dim " + std::to_string(d), shape_str(t.shape));
    out_shape[static_cast<size_t>(d)] += t.dim(d);
  }
  Tensor out = empty(out_shape, first.dtype, first.device());
  int64_t at = 0;
  for (const Tensor& t : inputs) {
    Tensor dst = view_slice(out, d, at, at + t.dim(d));
    if (t.numel()) backend_for(out.device()).copy(t, dst);
    at += t.dim(d);
  }
  return out;
}

// ---- training (backward) ops ---------------------------------------------------------------------

Tensor gemm(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b, Tensor* out, bool accumulate) {
  const char* op = "gemm";
  check_dtype(a, DType::F32, op, "a");
  check_float_weight(b, op, "b");
  same_device({&a, &b}, op);
  check_ndim(a, 2, 2, op, "a");
  check_ndim(b, 2, 2, op, "b");
  check_contiguous(a, op, "a");
  check_contiguous(b, op, "b");
  const int64_t M = trans_a ? a.dim(1) : a.dim(0), K = trans_a ? a.dim(0) : a.dim(1);
  const int64_t N = trans_b ? b.dim(0) : b.dim(1), Kb = trans_b ? b.dim(1) : b.dim(0);
  if (Kb != K)
    expected(ErrorCode::ShapeMismatch, op, "b",
             std::string(trans_b ? "[N, K]" : "[K, N]") + " with K = " + std::to_string(K) + " (from a " +
                 shape_str(a.shape) + (trans_a ? " stored [K, M]" : "") + ")",
             shape_str(b.shape));
  DW_CHECK(!accumulate || out, ErrorCode::InvalidArgument, "gemm: accumulate needs out (the tensor to add to)");
  Tensor result;
  if (out) {
    check_output(*out, a.device(), op, "out");
    check_shape(*out, {M, N}, op, "out");
    check_disjoint(*out, a, op, "out", "a");
    check_disjoint(*out, b, op, "out", "b");
    result = *out;
  } else {
    result = empty({M, N}, DType::F32, a.device());
  }
  if (result.numel()) backend_for(a.device()).gemm(a, b, trans_a, trans_b, accumulate, result);
  return result;
}

Tensor sum_rows(const Tensor& x, Tensor* out, bool accumulate) {
  const char* op = "sum_rows";
  check_dtype(x, DType::F32, op, "x");
  check_contiguous(x, op, "x");
  check_ndim(x, 1, 8, op, "x");
  const int64_t N = x.dim(-1);
  DW_CHECK(!accumulate || out, ErrorCode::InvalidArgument, "sum_rows: accumulate needs out (the tensor to add to)");
  Tensor result;
  if (out) {
    check_output(*out, x.device(), op, "out");
    check_shape(*out, {N}, op, "out");
    check_disjoint(*out, x, op, "out", "x");
    result = *out;
  } else {
    result = empty({N}, DType::F32, x.device());
  }
  if (N) backend_for(x.device()).sum_rows(x, accumulate, result);
  return result;
}

// Ids must index rows of a table with `rows` rows: checked on the host before any kernel runs.
static void check_ids_in_range(const Tensor& ids, int64_t rows, const char* op) {
  Tensor host_ids = ids.device() == Device::CPU ? ids : to_device(ids, Device::CPU);
  const int32_t* p = host_ids.data<int32_t>();
  for (int64_t i = 0; i < host_ids.numel(); ++i)
    if (p[i] < 0 || p[i] >= rows)
      fail(ErrorCode::InvalidArgument, std::string(op) + ": id " + std::to_string(p[i]) + " at position " +
                                           std::to_string(i) + " is outside the table of " + std::to_string(rows) +
                                           " rows");
}

void embedding_backward(const Tensor& ids, const Tensor& d_out, Tensor& d_table) {
  const char* op = "embedding_backward";
  check_dtype(ids, DType::I32, op, "ids");
  check_dtype(d_out, DType::F32, op, "d_out");
  check_live(d_table, op, "d_table");
  same_device({&ids, &d_out}, op);
  check_output(d_table, ids.device(), op, "d_table");
  check_contiguous(ids, op, "ids");
  check_contiguous(d_out, op, "d_out");
  check_ndim(d_table, 2, 2, op, "d_table");
  Shape want = ids.shape;
  want.push_back(d_table.dim(1));
  check_shape(d_out, want, op, "d_out");
  check_disjoint(d_table, d_out, op, "d_table", "d_out");
  check_disjoint(d_table, ids, op, "d_table", "ids");
  check_ids_in_range(ids, d_table.dim(0), op);
  if (d_out.numel()) backend_for(ids.device()).embedding_backward(ids, d_out, d_table);
}

Tensor layer_norm_backward(const Tensor& x, const Tensor& gamma, const Tensor& d_out, float eps, Tensor* d_gamma,
                           Tensor* d_beta) {
  const char* op = "layer_norm_backward";
  check_dtype(x, DType::F32, op, "x");
  check_dtype(gamma, DType::F32, op, "gamma");
  check_dtype(d_out, DType::F32, op, "d_out");
  same_device({&x, &gamma, &d_out}, op);
  check_contiguous(x, op, "x");
  check_contiguous(d_out, op, "d_out");
  check_ndim(x, 1, 8, op, "x");
  const int64_t C = x.dim(-1);
  if (gamma.ndim() != 1 || gamma.dim(0) != C || !gamma.is_contiguous())
    expected(ErrorCode::ShapeMismatch, op, "gamma", "contiguous [" + std::to_string(C) + "]", shape_str(gamma.shape));
  check_shape(d_out, x.shape, op, "d_out");
  DW_CHECK(eps > 0.0f && std::isfinite(eps), ErrorCode::InvalidArgument, "layer_norm_backward: eps must be positive");
  for (Tensor* p : {d_gamma, d_beta}) {
    if (!p) continue;
    const char* name = p == d_gamma ? "d_gamma" : "d_beta";
    check_output(*p, x.device(), op, name);
    check_shape(*p, {C}, op, name);
    for (const Tensor* in : {&x, &gamma, &d_out}) check_disjoint(*p, *in, op, name, "an input");
  }
  if (d_gamma && d_beta) check_disjoint(*d_gamma, *d_beta, op, "d_gamma", "d_beta");
  Tensor dx = empty(x.shape, DType::F32, x.device());
  if (dx.numel()) backend_for(x.device()).layer_norm_backward(x, gamma, d_out, eps, dx, d_gamma, d_beta);
  return dx;
}

Tensor gelu_backward(const Tensor& x, const Tensor& d_out) {
  const char* op = "gelu_backward";
  check_dtype(x, DType::F32, op, "x");
  check_dtype(d_out, DType::F32, op, "d_out");
  same_device({&x, &d_out}, op);
  check_contiguous(x, op, "x");
  check_contiguous(d_out, op, "d_out");
  check_shape(d_out, x.shape, op, "d_out");
  Tensor dx = empty(x.shape, DType::F32, x.device());
  if (dx.numel()) backend_for(x.device()).gelu_backward(x, d_out, dx);
  return dx;
}

void adamw_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const AdamWParams& p) {
  const char* op = "adamw_step";
  check_live(param, op, "param");
  const Tensor* all[] = {&param, &grad, &m, &v};
  const char* names[] = {"param", "grad", "m", "v"};
  for (int i = 0; i < 4; ++i) {
    check_output(*all[i], param.device(), op, names[i]);
    check_shape(*all[i], param.shape, op, names[i]);
    for (int j = 0; j < i; ++j) check_disjoint(*all[i], *all[j], op, names[i], names[j]);
  }
  // The ranges torch.optim.AdamW accepts.
  DW_CHECK(std::isfinite(p.lr) && p.lr >= 0.0, ErrorCode::InvalidArgument, "adamw_step: lr must be >= 0");
  DW_CHECK(std::isfinite(p.eps) && p.eps >= 0.0, ErrorCode::InvalidArgument, "adamw_step: eps must be >= 0");
  DW_CHECK(p.beta1 >= 0.0 && p.beta1 < 1.0, ErrorCode::InvalidArgument, "adamw_step: beta1 must be in [0, 1)");
  DW_CHECK(p.beta2 >= 0.0 && p.beta2 < 1.0, ErrorCode::InvalidArgument, "adamw_step: beta2 must be in [0, 1)");
  DW_CHECK(std::isfinite(p.weight_decay) && p.weight_decay >= 0.0, ErrorCode::InvalidArgument,
           "adamw_step: weight_decay must be >= 0");
  DW_CHECK(p.step >= 1, ErrorCode::InvalidArgument, "adamw_step: step is 1-based and must be >= 1");
  if (param.numel())
    backend_for(param.device()).adamw_step(param, grad, m, v, p.lr, p.beta1, p.beta2, p.eps, p.weight_decay, p.step);
}

double sum_squares(const Tensor& x) {
  check_dtype(x, DType::F32, "sum_squares", "x");
  check_contiguous(x, "sum_squares", "x");
  return x.numel() ? backend_for(x.device()).sum_squares(x) : 0.0;
}

void scale_in_place(Tensor& x, float s) {
  check_dtype(x, DType::F32, "scale_in_place", "x");
  check_contiguous(x, "scale_in_place", "x");
  DW_CHECK(std::isfinite(s), ErrorCode::InvalidArgument, "scale_in_place: the factor must be finite");
  if (x.numel()) backend_for(x.device()).scale_in_place(x, s);
}

void add_in_place(Tensor& dst, const Tensor& src, float alpha) {
  const char* op = "add_in_place";
  check_dtype(dst, DType::F32, op, "dst");
  check_dtype(src, DType::F32, op, "src");
  same_device({&dst, &src}, op);
  check_contiguous(dst, op, "dst");
  check_contiguous(src, op, "src");
  check_shape(src, dst.shape, op, "src");
  DW_CHECK(std::isfinite(alpha), ErrorCode::InvalidArgument, "add_in_place: alpha must be finite");
  // dst += alpha·dst is fine element by element; a partial overlap is not.
  if (dst.raw() != src.raw()) check_disjoint(dst, src, op, "dst", "src");
  if (dst.numel()) backend_for(dst.device()).add_in_place(dst, src, alpha);
}

void fill_zero(Tensor& x) {
  check_live(x, "fill_zero", "x");
  check_contiguous(x, "fill_zero", "x");
  if (x.numel()) backend_for(x.device()).memset_zero(x);
}

AttentionGrads attention_backward(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out,
                                  const Tensor& lse, const Tensor& d_out, const AttentionParams& params) {
  const char* op = "attention_backward";
  const Tensor* inputs[] = {&q, &k, &v, &out, &d_out};
  const char* names[] = {"q", "k", "v", "out", "d_out"};
  for (int i = 0; i < 5; ++i) {
    check_dtype(*inputs[i], DType::F32, op, names[i]);
    check_ndim(*inputs[i], 4, 4, op, names[i]);
  }
  check_dtype(lse, DType::F32, op, "lse");
  same_device({&q, &k, &v, &out, &lse, &d_out}, op);
  const int64_t B = q.dim(0), Lq = q.dim(1), H = q.dim(2), D = q.dim(3), Lk = k.dim(1);
  const Shape q_shape{B, Lq, H, D}, k_shape{B, Lk, H, D};
  for (int i = 1; i < 5; ++i) check_shape(*inputs[i], i < 3 ? k_shape : q_shape, op, names[i]);
  check_shape(lse, {B, H, Lq}, op, "lse");
  check_contiguous(lse, op, "lse");
  for (int i = 0; i < 5; ++i)
    if (inputs[i]->stride(3) != 1 && D != 1)
      fail(ErrorCode::InvalidArgument,
           std::string(op) + ": the head dim of " + names[i] + " must be contiguous (stride 1)");
  DW_CHECK(std::isfinite(params.scale), ErrorCode::InvalidArgument, "attention_backward: scale must be finite");
  DW_CHECK(!params.causal || Lk >= Lq, ErrorCode::ShapeMismatch,
           "attention_backward: causal attention needs at least as many keys as queries (Lk >= Lq)");
  DW_CHECK(Lk > 0 || B * Lq * H * D == 0, ErrorCode::ShapeMismatch, "attention_backward: no keys (Lk = 0)");
  AttentionGrads g{empty(q_shape, DType::F32, q.device()), empty(k_shape, DType::F32, q.device()),
                   empty(k_shape, DType::F32, q.device())};
  if (g.dq.numel() || g.dk.numel())
    backend_for(q.device()).attention_backward(q, k, v, out, lse, d_out, params, g.dq, g.dk, g.dv);
  return g;
}

LogitsLossResult logits_loss(const Tensor& student, const Tensor* teacher, const Tensor& labels,
                             const LogitsLossParams& params) {
  const char* op = "logits_loss";
  check_dtype(student, DType::F32, op, "student_logits");
  check_ndim(student, 2, 2, op, "student_logits");
  check_contiguous(student, op, "student_logits");
  check_dtype(labels, DType::I32, op, "labels");
  check_contiguous(labels, op, "labels");
  same_device({&student, teacher, &labels}, op);
  const int64_t R = student.dim(0), V = student.dim(1);
  if (teacher) {
    check_dtype(*teacher, DType::F32, op, "teacher_logits");
    check_contiguous(*teacher, op, "teacher_logits");
    check_shape(*teacher, student.shape, op, "teacher_logits");
    // In place, the gradient row overwrites the student row element by element after reading
    // both logits there: the teacher may be the student tensor itself, but not a shifted view.
    if (params.in_place && teacher->raw() != student.raw())
      check_disjoint(student, *teacher, op, "student_logits (written in place)", "teacher_logits");
  }
  check_shape(labels, {R}, op, "labels");
  DW_CHECK(std::isfinite(params.temperature) && params.temperature > 0.0f, ErrorCode::InvalidArgument,
           "logits_loss: temperature must be a positive number");
  DW_CHECK(std::isfinite(params.ce_scale) && std::isfinite(params.kl_scale), ErrorCode::InvalidArgument,
           "logits_loss: ce_scale and kl_scale must be finite");
  DW_CHECK(V > 0 || R == 0, ErrorCode::ShapeMismatch, "logits_loss: the vocabulary (last dim) is empty");
  // Labels index the vocabulary; negative values mark ignored rows. Checked before any work.
  {
    Tensor host = labels.device() == Device::CPU ? labels : to_device(labels, Device::CPU);
    const int32_t* p = host.data<int32_t>();
    for (int64_t r = 0; r < R; ++r)
      if (p[r] >= V)
        fail(ErrorCode::InvalidArgument, "logits_loss: label " + std::to_string(p[r]) + " of row " +
                                             std::to_string(r) + " is outside the vocabulary of " +
                                             std::to_string(V) + " (negative labels mark ignored rows)");
  }
  LogitsLossResult res;
  res.ce = empty({R}, DType::F32, student.device());
  res.kl = empty({R}, DType::F32, student.device());
  res.grad = params.in_place ? student : empty(student.shape, DType::F32, student.device());
  if (R)
    backend_for(student.device())
        .logits_loss(student, teacher, labels, params.temperature, params.ce_scale, params.kl_scale, res.ce, res.kl,
                     res.grad);
  return res;
}

}  // namespace dw::ops
