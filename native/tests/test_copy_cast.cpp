// strided_copy (contiguous(), copy_into a KV-cache view, concat) and cast between every dtype
// pair: SIMD conversions bit-exact against the scalar ones of tensor.h, and the documented
// float → int rule (ties to even, saturation, NaN → 0).
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "dw/ops.h"
#include "kernels.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;
using dwtest::expect_close;
using dwtest::host_f32;
using dwtest::to_vec;
using dwtest::expect_true;

namespace {

template <class T>
std::vector<T> to_vec(const Tensor& t) {
  std::vector<T> v(static_cast<size_t>(t.numel()));
  ops::to_host(t, v.data(), v.size() * sizeof(T));
  return v;
}

void test_copies() {
  // Transpose of a [5, 7, 3] tensor (dims 0 and 2) made contiguous, checked element by element.
  auto x = dwtest::random_vec(105, 1);
  Tensor t = host_f32(x, {5, 7, 3});
  Tensor tt = ops::contiguous(view_transpose(t, 0, 2));
  expect_true("contiguous(transpose) shape", tt.shape == Shape({3, 7, 5}) && tt.is_contiguous());
  auto got = to_vec<float>(tt);
  bool ok = true;
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 7; ++b)
      for (int c = 0; c < 5; ++c) ok &= got[static_cast<size_t>((a * 7 + b) * 5 + c)] == x[static_cast<size_t>((c * 7 + b) * 3 + a)];
  expect_true("contiguous(transpose) values", ok);

  // A slice in the middle dim (inner rows stay contiguous: memcpy path).
  Tensor s = ops::contiguous(view_slice(t, 1, 2, 6));
  auto gs = to_vec<float>(s);
  ok = gs.size() == 5 * 4 * 3;
  for (int a = 0; a < 5 && ok; ++a)
    for (int b = 0; b < 4; ++b)
      for (int c = 0; c < 3; ++c) ok &= gs[static_cast<size_t>((a * 4 + b) * 3 + c)] == x[static_cast<size_t>((a * 7 + b + 2) * 3 + c)];
  expect_true("contiguous(slice) values", ok);

  // Writing new keys into a KV cache view [1, 448, 6, 64] at positions 10..12, other rows untouched.
  const int64_t cap = 448, H = 6, D = 64;
  Tensor cache = ops::zeros({1, cap, H, D}, DType::F32, Device::CPU);
  auto nk = dwtest::random_vec(3 * H * D, 2);
  Tensor dst = view_slice(cache, 1, 10, 13);
  ops::copy_into(dst, host_f32(nk, {1, 3, H, D}));
  auto c = to_vec<float>(cache);
  ok = true;
  for (int64_t i = 0; i < cap * H * D; ++i) {
    const int64_t pos = i / (H * D);
    const float want = pos >= 10 && pos < 13 ? nk[static_cast<size_t>(i - 10 * H * D)] : 0.0f;
    ok &= c[static_cast<size_t>(i)] == want;
  }
  expect_true("copy_into kv cache view", ok);

  // Element sizes 1, 2 and 4 through a transposed copy, against a direct loop.
  for (size_t elem : {size_t{1}, size_t{2}, size_t{4}, size_t{8}, size_t{3}}) {
    const int64_t R = 9, C = 13;
    std::vector<uint8_t> src(static_cast<size_t>(R * C) * elem), dst(src.size());
    for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 7 + 3);
    const int64_t shape[2] = {C, R}, ss[2] = {1, C}, ds[2] = {R, 1};
    cpu::strided_copy(src.data(), ss, dst.data(), ds, shape, 2, elem);
    ok = true;
    for (int64_t r = 0; r < R; ++r)
      for (int64_t cc = 0; cc < C; ++cc)
        ok &= std::memcmp(&dst[static_cast<size_t>(cc * R + r) * elem], &src[static_cast<size_t>(r * C + cc) * elem], elem) == 0;
    expect_true("strided_copy transpose elem=" + std::to_string(elem), ok);
  }
  // 0-d copies one element; an empty dim copies nothing.
  {
    float a = 3.25f, b = 0;
    cpu::strided_copy(&a, nullptr, &b, nullptr, nullptr, 0, 4);
    expect_true("strided_copy 0-d", b == 3.25f);
    const int64_t shape[2] = {0, 4}, st[2] = {4, 1};
    cpu::strided_copy(&a, st, &b, st, shape, 2, 4);
    expect_true("strided_copy empty", b == 3.25f);
  }
  // A large copy spans several parallel chunks.
  {
    auto big = dwtest::random_vec(300 * 1001, 3);
    Tensor bt = host_f32(big, {300, 1001});
    auto g = to_vec<float>(ops::contiguous(view_transpose(bt, 0, 1)));
    ok = true;
    for (int i = 0; i < 300; ++i)
      for (int j = 0; j < 1001; ++j) ok &= g[static_cast<size_t>(j * 300 + i)] == big[static_cast<size_t>(i * 1001 + j)];
    expect_true("contiguous large transpose", ok);
  }
  // concat along the first, middle and last dims.
  {
    auto a = dwtest::random_vec(2 * 3 * 4, 4), b = dwtest::random_vec(2 * 5 * 4, 5);
    Tensor cat = ops::concat({host_f32(a, {2, 3, 4}), host_f32(b, {2, 5, 4})}, 1);
    expect_true("concat dim 1 shape", cat.shape == Shape({2, 8, 4}));
    auto g = to_vec<float>(cat);
    ok = true;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 8; ++j)
        for (int k = 0; k < 4; ++k)
          ok &= g[static_cast<size_t>((i * 8 + j) * 4 + k)] ==
                (j < 3 ? a[static_cast<size_t>((i * 3 + j) * 4 + k)] : b[static_cast<size_t>((i * 5 + j - 3) * 4 + k)]);
    expect_true("concat dim 1 values", ok);
    Tensor c0 = ops::concat({host_f32(a, {2, 3, 4}), host_f32(a, {2, 3, 4})}, 0);
    auto g0 = to_vec<float>(c0);
    expect_true("concat dim 0", c0.shape == Shape({4, 3, 4}) && std::equal(a.begin(), a.end(), g0.begin()) &&
                                    std::equal(a.begin(), a.end(), g0.begin() + 24));
    auto d = dwtest::random_vec(2 * 3 * 2, 6);
    Tensor c2 = ops::concat({host_f32(a, {2, 3, 4}), host_f32(d, {2, 3, 2})}, -1);
    auto g2 = to_vec<float>(c2);
    ok = c2.shape == Shape({2, 3, 6});
    for (int r = 0; r < 6; ++r)
      for (int k = 0; k < 6; ++k)
        ok &= g2[static_cast<size_t>(r * 6 + k)] == (k < 4 ? a[static_cast<size_t>(r * 4 + k)] : d[static_cast<size_t>(r * 2 + k - 4)]);
    expect_true("concat last dim", ok);
  }
}

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

void test_casts() {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  // Random floats of every magnitude f16 cares about (subnormals, overflow) plus special values;
  // long enough for the SIMD body, several parallel chunks and a tail.
  std::vector<float> x = dwtest::random_vec(200003, 7, -2, 2);
  for (size_t i = 0; i < x.size(); i += 3) x[i] *= std::ldexp(1.0f, static_cast<int>(i % 50) - 30);
  for (float v : {0.0f, -0.0f, inf, -inf, nan, 65504.0f, 65520.0f, 6e-8f, 3e-8f, 1e-45f, 3.4e38f}) x.push_back(v);
  const int64_t n = static_cast<int64_t>(x.size());

  std::vector<uint16_t> h(x.size()), b(x.size());
  cpu::cast(x.data(), DType::F32, h.data(), DType::F16, n);
  cpu::cast(x.data(), DType::F32, b.data(), DType::BF16, n);
  bool ok_h = true, ok_b = true;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i])) {
      ok_h &= (h[i] & 0x7c00) == 0x7c00 && (h[i] & 0x3ff) != 0;
      ok_b &= (b[i] & 0x7f80) == 0x7f80 && (b[i] & 0x7f) != 0;
    } else {
      ok_h &= h[i] == f32_to_f16(x[i]);
      ok_b &= b[i] == f32_to_bf16(x[i]);
    }
  }
  expect_true("cast f32→f16 matches scalar RNE", ok_h);
  expect_true("cast f32→bf16 matches scalar RNE", ok_b);
  std::vector<float> back_h(x.size()), back_b(x.size());
  cpu::cast(h.data(), DType::F16, back_h.data(), DType::F32, n);
  cpu::cast(b.data(), DType::BF16, back_b.data(), DType::F32, n);
  ok_h = ok_b = true;
  for (size_t i = 0; i < x.size(); ++i) {
    ok_h &= std::isnan(x[i]) ? std::isnan(back_h[i]) : bits(back_h[i]) == bits(f16_to_f32(h[i]));
    ok_b &= std::isnan(x[i]) ? std::isnan(back_b[i]) : bits(back_b[i]) == bits(bf16_to_f32(b[i]));
  }
  expect_true("cast f16→f32 exact", ok_h);
  expect_true("cast bf16→f32 exact", ok_b);

  // float → integer: ties to even, saturation, NaN → 0.
  {
    std::vector<float> v = {0.5f, 1.5f, 2.5f, -2.5f, -3.5f, 2.4999998f, 126.5f, 127.5f, -128.5f, -200.0f,
                            1e10f, -1e10f, 2147483520.0f, -2147483648.0f, inf, -inf, nan, -0.0f};
    std::vector<int32_t> want_i32 = {0, 2, 2, -2, -4, 2, 126, 128, -128, -200, 2147483647, -2147483647 - 1,
                                     2147483520, -2147483647 - 1, 2147483647, -2147483647 - 1, 0, 0};
    std::vector<int8_t> want_i8 = {0, 2, 2, -2, -4, 2, 126, 127, -128, -128, 127, -128, 127, -128, 127, -128, 0, 0};
    std::vector<int32_t> gi(v.size());
    std::vector<int8_t> g8(v.size());
    cpu::cast(v.data(), DType::F32, gi.data(), DType::I32, static_cast<int64_t>(v.size()));
    cpu::cast(v.data(), DType::F32, g8.data(), DType::I8, static_cast<int64_t>(v.size()));
    expect_true("cast f32→i32 rule", gi == want_i32);
    expect_true("cast f32→i8 rule", g8 == want_i8);
    // The same through f16 and bf16 sources (values exactly representable there).
    std::vector<float> small = {0.5f, 1.5f, 2.5f, -2.5f, -3.5f, 126.5f, -128.5f, nan};
    std::vector<int32_t> want_small = {0, 2, 2, -2, -4, 126, -128, 0};
    for (DType d : {DType::F16, DType::BF16}) {
      std::vector<uint16_t> hs(small.size());
      cpu::cast(small.data(), DType::F32, hs.data(), d, static_cast<int64_t>(small.size()));
      std::vector<int32_t> g(small.size());
      cpu::cast(hs.data(), d, g.data(), DType::I32, static_cast<int64_t>(small.size()));
      expect_true(std::string("cast ") + dtype_name(d) + "→i32 rule", g == want_small);
    }
  }
  // integer → float / integer.
  {
    std::vector<int32_t> v = {0, 1, -1, 127, 128, -129, 257, 259, 16777217, 2147483647, -2147483647 - 1, 65519, 65520};
    std::vector<float> f(v.size());
    cpu::cast(v.data(), DType::I32, f.data(), DType::F32, static_cast<int64_t>(v.size()));
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) ok &= f[i] == static_cast<float>(v[i]);
    expect_true("cast i32→f32", ok);
    std::vector<uint16_t> bb(v.size()), hh(v.size());
    cpu::cast(v.data(), DType::I32, bb.data(), DType::BF16, static_cast<int64_t>(v.size()));
    cpu::cast(v.data(), DType::I32, hh.data(), DType::F16, static_cast<int64_t>(v.size()));
    // bf16 keeps 8 significant bits: 257 → 256 (tie, even), 259 → 260, 2^24 + 1 → 2^24, 2^31 − 1 → 2^31.
    std::vector<float> want_b = {0, 1, -1, 127, 128, -129, 256, 260, 16777216, 2147483648.0f, -2147483648.0f, 65536, 65536};
    ok = true;
    for (size_t i = 0; i < v.size(); ++i) ok &= bf16_to_f32(bb[i]) == want_b[i];
    expect_true("cast i32→bf16 single rounding", ok);
    expect_true("cast i32→f16 (65519 → 65504, 65520 → inf, 2^24+1 → inf)",
                f16_to_f32(hh[11]) == 65504.0f && std::isinf(f16_to_f32(hh[12])) && std::isinf(f16_to_f32(hh[8])) &&
                    f16_to_f32(hh[6]) == 257.0f);
    std::vector<int8_t> i8(v.size());
    cpu::cast(v.data(), DType::I32, i8.data(), DType::I8, static_cast<int64_t>(v.size()));
    expect_true("cast i32→i8 saturates", i8[3] == 127 && i8[4] == 127 && i8[5] == -128 && i8[2] == -1 && i8[10] == -128);
    std::vector<int32_t> back(v.size());
    cpu::cast(i8.data(), DType::I8, back.data(), DType::I32, static_cast<int64_t>(v.size()));
    expect_true("cast i8→i32", back[2] == -1 && back[3] == 127 && back[5] == -128);
    std::vector<float> f8(v.size());
    cpu::cast(i8.data(), DType::I8, f8.data(), DType::F32, static_cast<int64_t>(v.size()));
    expect_true("cast i8→f32", f8[2] == -1.0f && f8[4] == 127.0f && f8[10] == -128.0f);
  }
  // f16 ↔ bf16 go through f32 exactly once rounding.
  {
    std::vector<float> v = {1.0f, 1.00390625f, 3.140625f, -65504.0f, 1e-3f};
    std::vector<uint16_t> hv(v.size()), bv(v.size()), hb(v.size());
    cpu::cast(v.data(), DType::F32, hv.data(), DType::F16, 5);
    cpu::cast(hv.data(), DType::F16, bv.data(), DType::BF16, 5);
    cpu::cast(bv.data(), DType::BF16, hb.data(), DType::F16, 5);
    bool ok = true;
    for (size_t i = 0; i < v.size(); ++i) {
      ok &= bv[i] == f32_to_bf16(f16_to_f32(hv[i]));
      ok &= hb[i] == f32_to_f16(bf16_to_f32(bv[i]));
    }
    expect_true("cast f16↔bf16", ok);
  }
  // Through ops, on a strided view (cast makes it contiguous first).
  {
    auto v = dwtest::random_vec(6 * 5, 9, -100, 100);
    Tensor t = view_transpose(host_f32(v, {6, 5}), 0, 1);
    Tensor c = ops::cast(t, DType::I32);
    auto g = to_vec<int32_t>(c);
    bool ok = c.shape == Shape({5, 6}) && c.dtype == DType::I32;
    for (int i = 0; i < 5; ++i)
      for (int j = 0; j < 6; ++j)
        ok &= g[static_cast<size_t>(i * 6 + j)] == static_cast<int32_t>(std::nearbyint(v[static_cast<size_t>(j * 5 + i)]));
    expect_true("ops::cast strided f32→i32", ok);
  }
}

}  // namespace

int main() {
  test_copies();
  test_casts();
  return dwtest::summary("test_copy_cast");
}
