// dw::ops rejects malformed requests with the right ErrorCode before touching any memory. Most
// inputs here are "poisoned": tensors whose buffer points at address 0, so a kernel (or a
// validation step) that read them would crash the test instead of passing it.
#include <limits>
#include <memory>
#include <vector>

#include "dw/ops.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;
using dwtest::expect_error;
using dwtest::expect_true;
using E = ErrorCode;

namespace {

Tensor poison(const Shape& shape, DType dtype = DType::F32, Device device = Device::CPU) {
  Tensor t;
  size_t bytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  t.buffer = std::make_shared<Buffer>(nullptr, bytes, device, nullptr, nullptr);
  t.shape = shape;
  t.strides = contiguous_strides(shape);
  t.dtype = dtype;
  return t;
}

Tensor disposed(const Shape& shape) {
  Tensor t = poison(shape);
  t.buffer.reset();
  return t;
}

Tensor real_f32(const Shape& shape, float value = 1.0f) {
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)), value);
  return ops::from_host(v.data(), v.size() * 4, shape, DType::F32, Device::CPU);
}

Tensor real_i32(const std::vector<int32_t>& v, const Shape& shape) {
  return ops::from_host(v.data(), v.size() * 4, shape, DType::I32, Device::CPU);
}

void test_matmul() {
  Tensor a = poison({4, 8}), b = poison({5, 8}), bias5 = poison({5}), bias4 = poison({4});
  expect_error("matmul K mismatch", E::ShapeMismatch, [&] { ops::linear(a, poison({5, 7}), nullptr); });
  expect_error("matmul K mismatch (no trans)", E::ShapeMismatch, [&] { ops::matmul(a, poison({7, 5}), nullptr, false); });
  expect_error("matmul bias length", E::ShapeMismatch, [&] { ops::linear(a, b, &bias4); });
  expect_error("matmul bias 2-d", E::ShapeMismatch, [&] { Tensor bb = poison({1, 5}); ops::linear(a, b, &bb); });
  expect_error("matmul bias dtype", E::DTypeMismatch, [&] { Tensor bb = poison({5}, DType::F16); ops::linear(a, b, &bb); });
  expect_error("matmul a dtype", E::DTypeMismatch, [&] { ops::linear(poison({4, 8}, DType::F16), b, &bias5); });
  expect_error("matmul b dtype i32", E::DTypeMismatch, [&] { ops::linear(a, poison({5, 8}, DType::I32), nullptr); });
  expect_error("matmul b 1-d", E::ShapeMismatch, [&] { ops::linear(a, poison({8}), nullptr); });
  expect_error("matmul batch dims", E::ShapeMismatch,
               [&] { ops::matmul(poison({2, 4, 8}), poison({3, 5, 8}), nullptr, true); });
  expect_error("matmul strided a", E::InvalidArgument,
               [&] { ops::linear(view_transpose(poison({8, 4}), 0, 1), b, nullptr); });
  expect_error("matmul device", E::DeviceMismatch,
               [&] { ops::linear(a, poison({5, 8}, DType::F32, Device::CUDA), nullptr); });
  expect_error("matmul disposed", E::Disposed, [&] { ops::linear(disposed({4, 8}), b, nullptr); });
  expect_error("matmul disposed weight", E::Disposed, [&] { ops::linear(a, disposed({5, 8}), nullptr); });
}

void test_elementwise_norm() {
  Tensor a = poison({3, 5, 7});
  expect_error("add non-suffix", E::ShapeMismatch, [&] { ops::add(a, poison({5})); });
  expect_error("add longer b", E::ShapeMismatch, [&] { ops::add(poison({7}), poison({5, 7})); });
  expect_error("mul non-suffix", E::ShapeMismatch, [&] { ops::mul(a, poison({3, 7})); });
  expect_error("add dtype", E::DTypeMismatch, [&] { ops::add(a, poison({7}, DType::F16)); });
  expect_error("add i32", E::DTypeMismatch, [&] { ops::add(poison({7}, DType::I32), poison({7}, DType::I32)); });
  expect_error("add device", E::DeviceMismatch, [&] { ops::add(a, poison({7}, DType::F32, Device::CUDA)); });
  expect_error("add disposed", E::Disposed, [&] { ops::add(a, disposed({7})); });
  expect_error("scale strided", E::InvalidArgument, [&] { ops::scale(view_transpose(a, 0, 2), 2.0f); });
  expect_error("layer_norm gamma length", E::ShapeMismatch, [&] { ops::layer_norm(a, poison({6}), poison({7}), 1e-5f); });
  expect_error("layer_norm beta length", E::ShapeMismatch, [&] { ops::layer_norm(a, poison({7}), poison({1, 7}), 1e-5f); });
  expect_error("layer_norm eps", E::InvalidArgument, [&] { ops::layer_norm(a, poison({7}), poison({7}), 0.0f); });
  expect_error("layer_norm gamma dtype", E::DTypeMismatch,
               [&] { ops::layer_norm(a, poison({7}, DType::BF16), poison({7}), 1e-5f); });
  expect_error("layer_norm disposed", E::Disposed, [&] { ops::layer_norm(disposed({7}), poison({7}), poison({7}), 1e-5f); });
  expect_error("gelu dtype", E::DTypeMismatch, [&] { ops::gelu(poison({4}, DType::I32)); });
  expect_error("gelu strided", E::InvalidArgument, [&] { ops::gelu(view_slice(poison({4, 6}), 1, 1, 3)); });
  expect_error("gelu disposed", E::Disposed, [&] { ops::gelu(disposed({4})); });
  expect_error("softmax dtype", E::DTypeMismatch, [&] { ops::softmax(poison({4}, DType::F16)); });
  expect_error("log_softmax 0-d", E::ShapeMismatch, [&] { ops::log_softmax(poison({})); });
  expect_error("softmax disposed", E::Disposed, [&] { ops::softmax(disposed({4})); });
}

void test_conv_embedding() {
  Tensor x = poison({1, 80, 3000});
  expect_error("conv1d Cin mismatch", E::ShapeMismatch, [&] { ops::conv1d(x, poison({384, 81, 3}), nullptr, 1, 1); });
  expect_error("conv1d bias length", E::ShapeMismatch,
               [&] { Tensor b = poison({383}); ops::conv1d(x, poison({384, 80, 3}), &b, 1, 1); });
  expect_error("conv1d x 2-d", E::ShapeMismatch, [&] { ops::conv1d(poison({80, 3000}), poison({384, 80, 3}), nullptr, 1, 1); });
  expect_error("conv1d stride 0", E::InvalidArgument, [&] { ops::conv1d(x, poison({384, 80, 3}), nullptr, 0, 1); });
  expect_error("conv1d negative padding", E::InvalidArgument, [&] { ops::conv1d(x, poison({384, 80, 3}), nullptr, 1, -1); });
  expect_error("conv1d input shorter than kernel", E::ShapeMismatch,
               [&] { ops::conv1d(poison({1, 2, 2}), poison({4, 2, 5}), nullptr, 1, 1); });
  expect_error("conv1d weight i8", E::DTypeMismatch, [&] { ops::conv1d(x, poison({384, 80, 3}, DType::I8), nullptr, 1, 1); });
  expect_error("conv1d disposed", E::Disposed, [&] { ops::conv1d(disposed({1, 80, 30}), poison({4, 80, 3}), nullptr, 1, 1); });

  Tensor table = poison({10, 16}, DType::F16);  // never read: every call below must fail first
  expect_error("embedding id = V", E::InvalidArgument, [&] { ops::embedding(real_i32({1, 10, 2}, {3}), table); });
  expect_error("embedding negative id", E::InvalidArgument, [&] { ops::embedding(real_i32({-1}, {1}), table); });
  expect_error("embedding huge id", E::InvalidArgument,
               [&] { ops::embedding(real_i32({std::numeric_limits<int32_t>::max()}, {1}), table); });
  expect_error("embedding ids dtype", E::DTypeMismatch, [&] { ops::embedding(real_f32({2}), table); });
  expect_error("embedding table dtype", E::DTypeMismatch, [&] { ops::embedding(real_i32({0}, {1}), poison({10, 16}, DType::I32)); });
  expect_error("embedding table 3-d", E::ShapeMismatch, [&] { ops::embedding(real_i32({0}, {1}), poison({10, 16, 1})); });
  expect_error("embedding disposed", E::Disposed, [&] { ops::embedding(real_i32({0}, {1}), disposed({10, 16})); });
}

void test_attention_reduce() {
  Tensor q = poison({1, 4, 6, 64}), k = poison({1, 9, 6, 64}), v = poison({1, 9, 6, 64});
  AttentionParams p;
  expect_error("attention k heads", E::ShapeMismatch, [&] { ops::attention(q, poison({1, 9, 5, 64}), v, p, false); });
  expect_error("attention v length", E::ShapeMismatch, [&] { ops::attention(q, k, poison({1, 8, 6, 64}), p, false); });
  expect_error("attention head dim", E::ShapeMismatch, [&] { ops::attention(q, k, poison({1, 9, 6, 32}), p, false); });
  expect_error("attention batch", E::ShapeMismatch, [&] { ops::attention(q, poison({2, 9, 6, 64}), v, p, false); });
  expect_error("attention 3-d q", E::ShapeMismatch, [&] { ops::attention(poison({4, 6, 64}), k, v, p, false); });
  expect_error("attention dtype", E::DTypeMismatch, [&] { ops::attention(q, poison({1, 9, 6, 64}, DType::F16), v, p, false); });
  expect_error("attention strided head dim", E::InvalidArgument,
               [&] { ops::attention(q, view_transpose(poison({1, 9, 64, 6}), 2, 3), v, p, false); });
  AttentionParams bad_scale;
  bad_scale.scale = std::numeric_limits<float>::quiet_NaN();
  expect_error("attention NaN scale", E::InvalidArgument, [&] { ops::attention(q, k, v, bad_scale, false); });
  AttentionParams causal;
  causal.causal = true;
  expect_error("attention causal Lk < Lq", E::ShapeMismatch,
               [&] { ops::attention(poison({1, 10, 6, 64}), k, v, causal, true); });
  expect_error("attention device", E::DeviceMismatch,
               [&] { ops::attention(q, k, poison({1, 9, 6, 64}, DType::F32, Device::CUDA), p, false); });
  expect_error("attention disposed", E::Disposed, [&] { ops::attention(q, disposed({1, 9, 6, 64}), v, p, false); });

  expect_error("topk k = 0", E::InvalidArgument, [&] { ops::topk(poison({3, 10}), 0); });
  expect_error("topk k > cols", E::InvalidArgument, [&] { ops::topk(poison({3, 10}), 11); });
  expect_error("topk negative k", E::InvalidArgument, [&] { ops::topk(poison({3, 10}), -2); });
  expect_error("topk dtype", E::DTypeMismatch, [&] { ops::topk(poison({3, 10}, DType::I32), 1); });
  expect_error("argmax empty last dim", E::ShapeMismatch, [&] { ops::argmax(poison({3, 0})); });
  expect_error("argmax dtype", E::DTypeMismatch, [&] { ops::argmax(poison({3}, DType::BF16)); });
  expect_error("argmax disposed", E::Disposed, [&] { ops::argmax(disposed({3})); });
}

void test_views_copies_memory() {
  Tensor t = poison({4, 6});
  expect_error("reshape count", E::ShapeMismatch, [&] { view_reshape(t, {5, 5}); });
  expect_error("reshape two -1", E::ShapeMismatch, [&] { view_reshape(t, {-1, -1}); });
  expect_error("reshape -1 not dividing", E::ShapeMismatch, [&] { view_reshape(t, {-1, 5}); });
  expect_error("reshape negative", E::ShapeMismatch, [&] { view_reshape(t, {-2, -12}); });
  expect_error("reshape strided", E::InvalidArgument, [&] { view_reshape(view_transpose(t, 0, 1), {24}); });
  expect_error("slice end past size", E::InvalidArgument, [&] { view_slice(t, 1, 2, 7); });
  expect_error("slice start > end", E::InvalidArgument, [&] { view_slice(t, 0, 3, 2); });
  expect_error("slice negative start", E::InvalidArgument, [&] { view_slice(t, 0, -1, 2); });
  expect_error("slice dim", E::InvalidArgument, [&] { view_slice(t, 2, 0, 1); });
  expect_error("transpose dim", E::InvalidArgument, [&] { view_transpose(t, 0, -3); });

  expect_error("concat shape", E::ShapeMismatch, [&] { ops::concat({poison({2, 3}), poison({3, 3})}, 1); });
  expect_error("concat ndim", E::ShapeMismatch, [&] { ops::concat({poison({2, 3}), poison({2, 3, 1})}, 0); });
  expect_error("concat dtype", E::DTypeMismatch, [&] { ops::concat({poison({2, 3}), poison({2, 3}, DType::F16)}, 0); });
  expect_error("concat dim", E::InvalidArgument, [&] { ops::concat({poison({2, 3}), poison({2, 3})}, 2); });
  expect_error("concat none", E::InvalidArgument, [&] { ops::concat({}, 0); });
  expect_error("concat disposed", E::Disposed, [&] { ops::concat({poison({2, 3}), disposed({2, 3})}, 0); });

  // A failed copy_into leaves the destination untouched.
  Tensor dst = real_f32({2, 3}, 7.0f);
  expect_error("copy_into shape", E::ShapeMismatch, [&] { ops::copy_into(dst, poison({3, 2})); });
  expect_error("copy_into dtype", E::DTypeMismatch, [&] { ops::copy_into(dst, poison({2, 3}, DType::I32)); });
  expect_error("copy_into device", E::DeviceMismatch, [&] { ops::copy_into(dst, poison({2, 3}, DType::F32, Device::CUDA)); });
  std::vector<float> back(6);
  ops::to_host(dst, back.data(), 24);
  expect_true("copy_into failure leaves dst", back == std::vector<float>(6, 7.0f));

  expect_error("contiguous disposed", E::Disposed, [&] { ops::contiguous(disposed({2})); });
  expect_error("cast disposed", E::Disposed, [&] { ops::cast(disposed({2}), DType::F16); });
  expect_error("to_host disposed", E::Disposed, [&] { float f; ops::to_host(disposed({1}), &f, 4); });
  expect_error("to_host byte count", E::ShapeMismatch, [&] { float f[2]; ops::to_host(real_f32({3}), f, 8); });
  expect_error("from_host byte count", E::ShapeMismatch,
               [&] { float f[2] = {0, 0}; ops::from_host(f, 8, {3}, DType::F32, Device::CPU); });

  expect_error("empty negative dim", E::ShapeMismatch, [&] { ops::empty({2, -1}, DType::F32, Device::CPU); });
  expect_error("empty overflowing shape", E::OutOfMemory,
               [&] { ops::empty({int64_t{1} << 40, int64_t{1} << 40}, DType::F32, Device::CPU); });
  expect_error("empty 512 TiB", E::OutOfMemory, [&] { ops::empty({int64_t{1} << 47}, DType::F32, Device::CPU); });
  expect_error("ops output too large", E::OutOfMemory,
               [&] { ops::matmul(poison({int64_t{1} << 24, 1}), poison({int64_t{1} << 24, 1}), nullptr, true); });
}

void test_training_ops() {
  // gemm: shapes of op(a) / op(b), out, accumulate, overlap.
  Tensor a = poison({4, 8}), bt = poison({5, 8});
  expect_error("gemm K mismatch", E::ShapeMismatch, [&] { ops::gemm(a, poison({7, 5}), false, false, nullptr, false); });
  expect_error("gemm K mismatch trans_a", E::ShapeMismatch, [&] { ops::gemm(a, bt, true, true, nullptr, false); });
  expect_error("gemm a 3-d", E::ShapeMismatch, [&] { ops::gemm(poison({1, 4, 8}), bt, false, true, nullptr, false); });
  expect_error("gemm a f16", E::DTypeMismatch, [&] { ops::gemm(poison({4, 8}, DType::F16), bt, false, true, nullptr, false); });
  expect_error("gemm b i32", E::DTypeMismatch, [&] { ops::gemm(a, poison({5, 8}, DType::I32), false, true, nullptr, false); });
  expect_error("gemm strided a", E::InvalidArgument,
               [&] { ops::gemm(view_transpose(poison({8, 4}), 0, 1), bt, false, true, nullptr, false); });
  expect_error("gemm accumulate without out", E::InvalidArgument, [&] { ops::gemm(a, bt, false, true, nullptr, true); });
  {
    Tensor out = poison({4, 6});
    expect_error("gemm out shape", E::ShapeMismatch, [&] { ops::gemm(a, bt, false, true, &out, true); });
    Tensor out16 = poison({4, 5}, DType::F16);
    expect_error("gemm out dtype", E::DTypeMismatch, [&] { ops::gemm(a, bt, false, true, &out16, false); });
    Tensor out_strided = view_transpose(poison({5, 4}), 0, 1);
    expect_error("gemm out strided", E::InvalidArgument, [&] { ops::gemm(a, bt, false, true, &out_strided, false); });
    Tensor out_cuda = poison({4, 5}, DType::F32, Device::CUDA);
    expect_error("gemm out device", E::DeviceMismatch, [&] { ops::gemm(a, bt, false, true, &out_cuda, false); });
    Tensor sq = real_f32({4, 4});
    Tensor b44 = real_f32({4, 4});
    expect_error("gemm out aliases a", E::InvalidArgument, [&] { ops::gemm(sq, b44, false, false, &sq, true); });
  }

  Tensor x = poison({3, 5, 7});
  expect_error("sum_rows dtype", E::DTypeMismatch, [&] { ops::sum_rows(poison({3}, DType::I32), nullptr, false); });
  expect_error("sum_rows accumulate without out", E::InvalidArgument, [&] { ops::sum_rows(x, nullptr, true); });
  {
    Tensor out = poison({5});
    expect_error("sum_rows out shape", E::ShapeMismatch, [&] { ops::sum_rows(x, &out, true); });
  }

  // embedding_backward: range check before any write, shapes, dtypes.
  Tensor d_table = real_f32({10, 4}, 3.0f);
  expect_error("embedding_backward id = V", E::InvalidArgument,
               [&] { ops::embedding_backward(real_i32({1, 10}, {2}), real_f32({2, 4}), d_table); });
  expect_error("embedding_backward negative id", E::InvalidArgument,
               [&] { ops::embedding_backward(real_i32({-100}, {1}), real_f32({1, 4}), d_table); });
  expect_error("embedding_backward d_out shape", E::ShapeMismatch,
               [&] { ops::embedding_backward(real_i32({1, 2}, {2}), real_f32({2, 5}), d_table); });
  expect_error("embedding_backward ids dtype", E::DTypeMismatch,
               [&] { ops::embedding_backward(real_f32({2}), real_f32({2, 4}), d_table); });
  {
    Tensor t16 = poison({10, 4}, DType::BF16);
    expect_error("embedding_backward d_table dtype", E::DTypeMismatch,
                 [&] { ops::embedding_backward(real_i32({1}, {1}), real_f32({1, 4}), t16); });
  }
  std::vector<float> back(40);
  ops::to_host(d_table, back.data(), 160);
  expect_true("failed embedding_backward leaves d_table", back == std::vector<float>(40, 3.0f));

  // layer_norm_backward / gelu_backward.
  Tensor g7 = poison({7});
  expect_error("layer_norm_backward gamma", E::ShapeMismatch, [&] { ops::layer_norm_backward(x, poison({6}), x, 1e-5f, nullptr, nullptr); });
  expect_error("layer_norm_backward d_out", E::ShapeMismatch,
               [&] { ops::layer_norm_backward(x, g7, poison({3, 7}), 1e-5f, nullptr, nullptr); });
  expect_error("layer_norm_backward eps", E::InvalidArgument, [&] { ops::layer_norm_backward(x, g7, x, 0.0f, nullptr, nullptr); });
  {
    Tensor dg = poison({6});
    expect_error("layer_norm_backward d_gamma shape", E::ShapeMismatch, [&] { ops::layer_norm_backward(x, g7, x, 1e-5f, &dg, nullptr); });
    Tensor db = poison({7}, DType::F16);
    expect_error("layer_norm_backward d_beta dtype", E::DTypeMismatch, [&] { ops::layer_norm_backward(x, g7, x, 1e-5f, nullptr, &db); });
  }
  expect_error("gelu_backward shape", E::ShapeMismatch, [&] { ops::gelu_backward(x, poison({3, 5, 6})); });
  expect_error("gelu_backward dtype", E::DTypeMismatch, [&] { ops::gelu_backward(x, poison({3, 5, 7}, DType::F16)); });
  expect_error("gelu_backward disposed", E::Disposed, [&] { ops::gelu_backward(disposed({3}), poison({3})); });

  // adamw_step: shapes, overlap, hyper-parameters.
  {
    Tensor p = real_f32({6}), g = real_f32({6}), m = real_f32({6}), v = real_f32({6});
    ops::AdamWParams ap;
    expect_error("adamw shape", E::ShapeMismatch, [&] { Tensor g5 = real_f32({5}); ops::adamw_step(p, g5, m, v, ap); });
    expect_error("adamw m is param", E::InvalidArgument, [&] { ops::adamw_step(p, g, p, v, ap); });
    expect_error("adamw dtype", E::DTypeMismatch, [&] { Tensor v16 = poison({6}, DType::F16); ops::adamw_step(p, g, m, v16, ap); });
    ap.step = 0;
    expect_error("adamw step 0", E::InvalidArgument, [&] { ops::adamw_step(p, g, m, v, ap); });
    ap.step = 1;
    ap.beta2 = 1.0;
    expect_error("adamw beta2 1", E::InvalidArgument, [&] { ops::adamw_step(p, g, m, v, ap); });
    ap.beta2 = 0.999;
    ap.lr = -1e-3;
    expect_error("adamw negative lr", E::InvalidArgument, [&] { ops::adamw_step(p, g, m, v, ap); });
  }

  // attention_backward: the forward's shapes, lse [B, H, Lq], contiguous head dims.
  {
    Tensor q = poison({1, 4, 6, 8}), k = poison({1, 9, 6, 8}), lse = poison({1, 6, 4});
    AttentionParams p;
    expect_error("attention_backward lse shape", E::ShapeMismatch,
                 [&] { ops::attention_backward(q, k, k, q, poison({1, 4, 6}), q, p); });
    expect_error("attention_backward d_out shape", E::ShapeMismatch,
                 [&] { ops::attention_backward(q, k, k, q, lse, poison({1, 4, 6, 7}), p); });
    expect_error("attention_backward v length", E::ShapeMismatch,
                 [&] { ops::attention_backward(q, k, poison({1, 8, 6, 8}), q, lse, q, p); });
    expect_error("attention_backward out dtype", E::DTypeMismatch,
                 [&] { ops::attention_backward(q, k, k, poison({1, 4, 6, 8}, DType::F16), lse, q, p); });
    expect_error("attention_backward strided head dim", E::InvalidArgument,
                 [&] { ops::attention_backward(q, view_transpose(poison({1, 9, 8, 6}), 2, 3), k, q, lse, q, p); });
    AttentionParams causal;
    causal.causal = true;
    expect_error("attention_backward causal Lk < Lq", E::ShapeMismatch,
                 [&] { ops::attention_backward(k, q, q, k, poison({1, 6, 9}), k, causal); });
  }

  // logits_loss: labels checked against V before any work; shapes, dtypes, temperature.
  {
    Tensor zs = real_f32({3, 5}, 0.5f);
    ops::LogitsLossParams p;
    expect_error("logits_loss label = V", E::InvalidArgument, [&] { ops::logits_loss(zs, nullptr, real_i32({0, 5, 1}, {3}), p); });
    expect_error("logits_loss labels dtype", E::DTypeMismatch, [&] { ops::logits_loss(zs, nullptr, real_f32({3}), p); });
    expect_error("logits_loss labels length", E::ShapeMismatch, [&] { ops::logits_loss(zs, nullptr, real_i32({0, 1}, {2}), p); });
    expect_error("logits_loss 3-d logits", E::ShapeMismatch,
                 [&] { ops::logits_loss(poison({1, 3, 5}), nullptr, real_i32({0, 1, 2}, {3}), p); });
    expect_error("logits_loss teacher shape", E::ShapeMismatch,
                 [&] { Tensor zt = poison({3, 6}); ops::logits_loss(zs, &zt, real_i32({0, 1, 2}, {3}), p); });
    ops::LogitsLossParams bad_t = p;
    bad_t.temperature = 0.0f;
    expect_error("logits_loss temperature 0", E::InvalidArgument, [&] { ops::logits_loss(zs, nullptr, real_i32({0, 1, 2}, {3}), bad_t); });
    ops::LogitsLossParams in_place = p;
    in_place.in_place = true;
    Tensor both = real_f32({4, 5});
    Tensor s3 = view_slice(both, 0, 0, 3), t3 = view_slice(both, 0, 1, 4);
    expect_error("logits_loss in place over a shifted teacher", E::InvalidArgument,
                 [&] { ops::logits_loss(s3, &t3, real_i32({0, 1, 2}, {3}), in_place); });
    std::vector<float> back(15);
    ops::to_host(zs, back.data(), 60);
    expect_true("failed logits_loss leaves the logits", back == std::vector<float>(15, 0.5f));
  }

  // In-place helpers.
  {
    Tensor d = real_f32({2, 3});
    expect_error("add_in_place shape", E::ShapeMismatch, [&] { ops::add_in_place(d, real_f32({3, 2}), 1.0f); });
    expect_error("add_in_place partial overlap", E::InvalidArgument,
                 [&] { Tensor big = real_f32({8}); Tensor a6 = view_slice(big, 0, 0, 6), b6 = view_slice(big, 0, 2, 8); ops::add_in_place(a6, b6, 1.0f); });
    Tensor strided = view_transpose(real_f32({3, 2}), 0, 1);
    expect_error("scale_in_place strided", E::InvalidArgument, [&] { ops::scale_in_place(strided, 2.0f); });
    expect_error("fill_zero strided", E::InvalidArgument, [&] { ops::fill_zero(strided); });
    expect_error("sum_squares dtype", E::DTypeMismatch, [&] { ops::sum_squares(poison({3}, DType::BF16)); });
  }
}

}  // namespace

int main() {
  test_matmul();
  test_elementwise_norm();
  test_conv_embedding();
  test_attention_reduce();
  test_views_copies_memory();
  test_training_ops();
  return dwtest::summary("test_ops_validation");
}
