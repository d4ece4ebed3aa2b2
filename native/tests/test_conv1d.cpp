// conv1d (im2col + GEMM) against the naive reference: Whisper's stem shapes (K = 3, padding 1,
// stride 1 and 2), other kernel sizes and paddings, odd lengths, f16/bf16 weights, with and
// without bias, and through dw::ops.
#include <vector>

#include "dw/ops.h"
#include "kernels.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;
using dwtest::expect_close;

namespace {

struct Case {
  int64_t B, Cin, L, Cout, K;
  int stride, padding;
};

std::vector<uint16_t> to_half(const std::vector<float>& w, DType d) {
  std::vector<uint16_t> h(w.size());
  for (size_t i = 0; i < w.size(); ++i) h[i] = d == DType::F16 ? f32_to_f16(w[i]) : f32_to_bf16(w[i]);
  return h;
}

void run_case(const Case& c, DType wd, bool with_bias, uint32_t seed) {
  const int64_t Lout = (c.L + 2 * c.padding - c.K) / c.stride + 1;
  auto x = dwtest::random_vec(static_cast<size_t>(c.B * c.Cin * c.L), seed);
  auto w = dwtest::random_vec(static_cast<size_t>(c.Cout * c.Cin * c.K), seed + 1, -0.2f, 0.2f);
  auto bias = dwtest::random_vec(static_cast<size_t>(c.Cout), seed + 2);
  std::vector<uint16_t> wh;
  const void* wp = w.data();
  if (wd != DType::F32) {
    wh = to_half(w, wd);
    wp = wh.data();
  }
  std::vector<float> got(static_cast<size_t>(c.B * c.Cout * Lout)), want(got.size());
  const float* bp = with_bias ? bias.data() : nullptr;
  cpu::conv1d(x.data(), wp, wd, bp, got.data(), c.B, c.Cin, c.L, c.Cout, c.K, c.stride, c.padding);
  cpu::conv1d_reference(x.data(), wp, wd, bp, want.data(), c.B, c.Cin, c.L, c.Cout, c.K, c.stride, c.padding);
  // Sums of Cin·K products of magnitude ≤ 0.2 in f32: error grows like √(Cin·K)·ulp.
  const float atol = 2e-6f * static_cast<float>(std::sqrt(static_cast<double>(c.Cin * c.K))) + 1e-6f;
  expect_close("conv1d B=" + std::to_string(c.B) + " Cin=" + std::to_string(c.Cin) + " L=" + std::to_string(c.L) +
                   " Cout=" + std::to_string(c.Cout) + " K=" + std::to_string(c.K) + " s=" + std::to_string(c.stride) +
                   " p=" + std::to_string(c.padding) + " " + dtype_name(wd) + (with_bias ? " bias" : ""),
               got.data(), want.data(), got.size(), atol, 1e-5f);
}

}  // namespace

int main() {
  const Case cases[] = {
      {1, 80, 3000, 48, 3, 1, 1},   // Whisper conv1 (fewer output channels to keep the reference quick)
      {1, 64, 3000, 40, 3, 2, 1},   // Whisper conv2 pattern: stride 2 halves 3000 → 1500
      {2, 3, 7, 5, 3, 1, 1},    {2, 3, 8, 5, 3, 2, 1},  {1, 1, 1, 1, 3, 1, 1},  {1, 5, 9, 3, 1, 1, 0},
      {1, 4, 17, 6, 5, 2, 2},   {3, 7, 33, 9, 3, 3, 0}, {1, 2, 5, 2, 5, 1, 0},  {1, 130, 101, 67, 3, 2, 1},
      {2, 9400, 300, 3, 3, 1, 1},  // Cin·K so large that the output is built in two column blocks
  };
  uint32_t seed = 100;
  // Large cases (the naive reference dominates the test's run time) take one weight dtype each.
  int big = 0;
  for (const Case& c : cases) {
    const bool large = c.Cout * c.Cin * c.K * c.L > 2'000'000;
    const DType rotate[3] = {DType::F16, DType::F32, DType::BF16};
    for (DType wd : {DType::F32, DType::F16, DType::BF16})
      if (!large || wd == rotate[big % 3]) run_case(c, wd, true, seed += 3);
    big += large;
  }
  run_case(cases[2], DType::F32, false, 7);
  run_case(cases[3], DType::F16, false, 8);

  // Through ops, with the output shape checked.
  {
    auto x = dwtest::random_vec(2 * 6 * 11, 40), w = dwtest::random_vec(4 * 6 * 3, 41), b = dwtest::random_vec(4, 42);
    Tensor tx = ops::from_host(x.data(), x.size() * 4, {2, 6, 11}, DType::F32, Device::CPU);
    Tensor tw = ops::from_host(w.data(), w.size() * 4, {4, 6, 3}, DType::F32, Device::CPU);
    Tensor tb = ops::from_host(b.data(), b.size() * 4, {4}, DType::F32, Device::CPU);
    Tensor out = ops::conv1d(tx, tw, &tb, 2, 1);
    dwtest::expect_true("ops::conv1d shape [2, 4, 6]", out.shape == Shape({2, 4, 6}));
    std::vector<float> got(static_cast<size_t>(out.numel())), want(got.size());
    ops::to_host(out, got.data(), got.size() * 4);
    cpu::conv1d_reference(x.data(), w.data(), DType::F32, b.data(), want.data(), 2, 6, 11, 4, 3, 2, 1);
    expect_close("ops::conv1d", got.data(), want.data(), got.size(), 1e-5f, 1e-5f);
  }
  return dwtest::summary("test_conv1d");
}
