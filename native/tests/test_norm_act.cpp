// layer_norm, GELU (exact erf) and softmax / log_softmax against their references, with odd row
// lengths, badly scaled inputs and special values.
#include <cmath>
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

namespace {


void test_layer_norm() {
  struct Case { int64_t rows, cols; float offset, spread; };
  for (Case c : {Case{1, 1, 0, 1}, Case{3, 7, 0, 1}, Case{5, 8, 0, 1}, Case{4, 33, 2, 3}, Case{17, 384, 0, 1},
                 Case{9, 768, 100, 0.5f}, Case{3, 1283, -5, 10}, Case{1500, 64, 0, 1}}) {
    const size_t n = static_cast<size_t>(c.rows * c.cols);
    auto x = dwtest::random_vec(n, 11, c.offset - c.spread, c.offset + c.spread);
    auto g = dwtest::random_vec(static_cast<size_t>(c.cols), 12, 0.5f, 1.5f);
    auto b = dwtest::random_vec(static_cast<size_t>(c.cols), 13);
    std::vector<float> got(n), want(n);
    cpu::layer_norm(x.data(), g.data(), b.data(), 1e-5f, got.data(), c.rows, c.cols);
    cpu::layer_norm_reference(x.data(), g.data(), b.data(), 1e-5f, want.data(), c.rows, c.cols);
    // Normalised values are O(1); a large mean costs relative precision of the centring.
    const float atol = c.offset > 10 ? 2e-4f : 2e-5f;
    expect_close("layer_norm " + std::to_string(c.rows) + "x" + std::to_string(c.cols), got.data(), want.data(), n,
                 atol, 1e-5f);
  }
  // A constant row normalises to beta (variance 0, eps keeps it finite).
  {
    std::vector<float> x(37, 3.0f), g(37, 2.0f), b(37, 0.25f), got(37);
    cpu::layer_norm(x.data(), g.data(), b.data(), 1e-5f, got.data(), 1, 37);
    expect_close("layer_norm constant row", got.data(), b.data(), 37, 1e-6f, 0);
  }
  // Through ops, on a [2, 3, 50] tensor.
  {
    auto x = dwtest::random_vec(300, 14), g = dwtest::random_vec(50, 15), b = dwtest::random_vec(50, 16);
    std::vector<float> want(300);
    cpu::layer_norm_reference(x.data(), g.data(), b.data(), 1e-5f, want.data(), 6, 50);
    Tensor out = ops::layer_norm(host_f32(x, {2, 3, 50}), host_f32(g, {50}), host_f32(b, {50}), 1e-5f);
    expect_close("ops::layer_norm", to_vec(out).data(), want.data(), 300, 2e-5f, 1e-5f);
  }
}

void test_gelu() {
  // Dense sweep of [-12, 12] (covers both erf tails and the switch-over of Φ at 0) plus tails.
  std::vector<float> x;
  for (int i = -240000; i <= 240000; ++i) x.push_back(static_cast<float>(i) * 5e-5f);
  for (float v : {1e-30f, -1e-30f, 1e-7f, -1e-7f, 0.0f, -0.0f, 20.0f, -20.0f, 1e4f, -1e4f, 3e38f, -3e38f})
    x.push_back(v);
  x.push_back(std::numeric_limits<float>::infinity());
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  std::vector<float> got(x.size()), want(x.size());
  cpu::gelu(x.data(), got.data(), static_cast<int64_t>(x.size()));
  cpu::gelu_reference(x.data(), want.data(), static_cast<int64_t>(x.size()));
  // The acceptance bound: max abs error 1e-6 (relative 1e-6 for the large linear part).
  expect_close("gelu vs erf", got.data(), want.data(), x.size(), 1e-6f, 1e-6f);
  double worst_abs = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (std::fabs(x[i]) <= 12) worst_abs = std::max(worst_abs, std::fabs(static_cast<double>(got[i]) - want[i]));
  std::printf("gelu: max abs error on [-12, 12] = %.3g\n", worst_abs);
  // Relative accuracy in the negative tail (small outputs) stays good too.
  double worst_rel = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (x[i] < -0.5f && x[i] > -8.0f && want[i] != 0)
      worst_rel = std::max(worst_rel, std::fabs((got[i] - want[i]) / static_cast<double>(want[i])));
  if (worst_rel >= 2e-5)
    for (size_t i = 0; i < x.size(); ++i)
      if (x[i] < -0.5f && x[i] > -8.0f && want[i] != 0 && std::fabs((got[i] - want[i]) / static_cast<double>(want[i])) > 2e-5) {
        std::printf("  x=%.7g got %.9g want %.9g\n", x[i], got[i], want[i]);
        break;
      }
  dwtest::expect_true("gelu negative tail relative error < 2e-5 (was " + std::to_string(worst_rel) + ")",
                      worst_rel < 2e-5);
  // Odd lengths exercise the padded tail.
  for (int64_t n : {1, 5, 9, 15, 17, 1001}) {
    auto v = dwtest::random_vec(static_cast<size_t>(n), 20, -6, 6);
    std::vector<float> g(v.size()), w(v.size());
    cpu::gelu(v.data(), g.data(), n);
    cpu::gelu_reference(v.data(), w.data(), n);
    expect_close("gelu n=" + std::to_string(n), g.data(), w.data(), v.size(), 1e-6f, 1e-6f);
  }
  auto v = dwtest::random_vec(60, 21, -4, 4);
  std::vector<float> w(60);
  cpu::gelu_reference(v.data(), w.data(), 60);
  expect_close("ops::gelu", to_vec(ops::gelu(host_f32(v, {3, 4, 5}))).data(), w.data(), 60, 1e-6f, 1e-6f);
}

void test_softmax() {
  struct Case { int64_t rows, cols; float lo, hi; };
  for (Case c : {Case{1, 1, -1, 1}, Case{3, 7, -3, 3}, Case{2, 8, -3, 3}, Case{5, 17, -30, 30}, Case{4, 448, 1e4f, 1e4f + 20},
                 Case{2, 51865, -20, 20}, Case{64, 1500, -10, 10}}) {
    const size_t n = static_cast<size_t>(c.rows * c.cols);
    auto x = dwtest::random_vec(n, 30, c.lo, c.hi);
    for (bool log : {false, true}) {
      std::vector<float> got(n), want(n);
      cpu::softmax(x.data(), got.data(), c.rows, c.cols, log);
      cpu::softmax_reference(x.data(), want.data(), c.rows, c.cols, log);
      // log_softmax of offset inputs: x − m is exact-ish, the log-sum adds ~1 ulp of |x| ≈ 1e4.
      const float atol = log ? (c.lo > 100 ? 2e-3f : 2e-5f) : 1e-7f;
      expect_close(std::string(log ? "log_softmax " : "softmax ") + std::to_string(c.rows) + "x" + std::to_string(c.cols),
                   got.data(), want.data(), n, atol, log ? 1e-6f : 2e-5f);
    }
  }
  // −inf entries (masked logits) get probability 0 / log-probability −inf; a NaN poisons its row.
  {
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<float> x = {0.5f, -inf, 1.5f, -inf, 0.0f, 2.0f, -inf, -1.0f, 3.0f, 0.25f,
                            1.0f, std::nanf(""), 2.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    for (bool log : {false, true}) {
      std::vector<float> got(x.size()), want(x.size());
      cpu::softmax(x.data(), got.data(), 2, 10, log);
      cpu::softmax_reference(x.data(), want.data(), 2, 10, log);
      expect_close(log ? "log_softmax masked" : "softmax masked", got.data(), want.data(), 10, 1e-6f, 1e-6f);
      dwtest::expect_true("softmax masked entry", log ? got[1] == -inf : got[1] == 0.0f);
      dwtest::expect_true("softmax NaN row", std::isnan(got[10]) && std::isnan(got[19]));
    }
  }
  // Rows sum to one through ops.
  {
    auto x = dwtest::random_vec(3 * 29, 31, -5, 5);
    auto p = to_vec(ops::softmax(host_f32(x, {3, 29})));
    for (int r = 0; r < 3; ++r) {
      double s = 0;
      for (int j = 0; j < 29; ++j) s += p[static_cast<size_t>(r * 29 + j)];
      dwtest::expect_true("ops::softmax row sums to 1", std::fabs(s - 1) < 1e-5);
    }
    std::vector<float> want(x.size());
    cpu::softmax_reference(x.data(), want.data(), 3, 29, true);
    expect_close("ops::log_softmax", to_vec(ops::log_softmax(host_f32(x, {3, 29}))).data(), want.data(), x.size(), 2e-5f,
                 1e-6f);
  }
}

}  // namespace

int main() {
  test_layer_norm();
  test_gelu();
  test_softmax();
  return dwtest::summary("test_norm_act");
}
