// add / mul / scale: optimised kernels against the references, every broadcast shape and tail,
// and the same through dw::ops with suffix broadcasting.
#include <vector>

#include "dw/ops.h"
#include "kernels.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;
using dwtest::expect_close;
using dwtest::host_f32;
using dwtest::to_vec;

int main() {
  // Sizes around the SIMD widths (8, 32) and one that spans several parallel chunks.
  for (int64_t n : {1, 7, 8, 9, 31, 32, 33, 100, 1000, 200003}) {
    for (int64_t nb : {n, int64_t{1}, int64_t{7}, int64_t{33}}) {
      if (n % nb) continue;
      auto a = dwtest::random_vec(static_cast<size_t>(n), 1 + static_cast<uint32_t>(n));
      auto b = dwtest::random_vec(static_cast<size_t>(nb), 2 + static_cast<uint32_t>(nb));
      std::vector<float> got(a.size()), want(a.size());
      const std::string tag = " n=" + std::to_string(n) + " nb=" + std::to_string(nb);
      cpu::add(a.data(), b.data(), got.data(), n, nb);
      cpu::add_reference(a.data(), b.data(), want.data(), n, nb);
      expect_close("add" + tag, got.data(), want.data(), got.size(), 0, 0);
      cpu::mul(a.data(), b.data(), got.data(), n, nb);
      cpu::mul_reference(a.data(), b.data(), want.data(), n, nb);
      expect_close("mul" + tag, got.data(), want.data(), got.size(), 0, 0);
    }
    auto a = dwtest::random_vec(static_cast<size_t>(n), 3);
    std::vector<float> got(a.size()), want(a.size());
    cpu::scale(a.data(), -1.75f, got.data(), n);
    for (size_t i = 0; i < a.size(); ++i) want[i] = a[i] * -1.75f;
    expect_close("scale n=" + std::to_string(n), got.data(), want.data(), got.size(), 0, 0);
  }

  // In place (out aliases a), as the model code may do for residual adds.
  {
    auto a = dwtest::random_vec(1001, 4), b = dwtest::random_vec(1001, 5);
    std::vector<float> want(a.size());
    cpu::add_reference(a.data(), b.data(), want.data(), 1001, 1001);
    cpu::add(a.data(), b.data(), a.data(), 1001, 1001);
    expect_close("add in place", a.data(), want.data(), a.size(), 0, 0);
  }

  // Through ops: [3, 5, 7] with b of shape [7], [5, 7], [3, 5, 7].
  {
    auto av = dwtest::random_vec(105, 6);
    Tensor a = host_f32(av, {3, 5, 7});
    for (Shape bs : {Shape{7}, Shape{5, 7}, Shape{3, 5, 7}}) {
      auto bv = dwtest::random_vec(static_cast<size_t>(shape_numel(bs)), 7);
      Tensor b = host_f32(bv, bs);
      std::vector<float> want(105), want_mul(105);
      cpu::add_reference(av.data(), bv.data(), want.data(), 105, static_cast<int64_t>(bv.size()));
      cpu::mul_reference(av.data(), bv.data(), want_mul.data(), 105, static_cast<int64_t>(bv.size()));
      Tensor sum = ops::add(a, b), prod = ops::mul(a, b);
      dwtest::expect_true("ops::add keeps shape", sum.shape == a.shape);
      expect_close("ops::add b=" + shape_str(bs), to_vec(sum).data(), want.data(), 105, 0, 0);
      expect_close("ops::mul b=" + shape_str(bs), to_vec(prod).data(), want_mul.data(), 105, 0, 0);
    }
    std::vector<float> want(105);
    for (size_t i = 0; i < 105; ++i) want[i] = av[i] * 0.125f;
    expect_close("ops::scale", to_vec(ops::scale(a, 0.125f)).data(), want.data(), 105, 0, 0);
  }
  // Empty tensors are fine and produce empty outputs.
  {
    Tensor a = ops::empty({0, 4}, DType::F32, Device::CPU), b = ops::empty({4}, DType::F32, Device::CPU);
    dwtest::expect_true("ops::add empty", ops::add(a, b).numel() == 0);
  }
  return dwtest::summary("test_elementwise");
}
