// layer_norm_backward and gelu_backward against their double references: odd row widths (not
// multiples of 8 or 16), badly scaled rows, dγ/dβ accumulated into existing contents, the same
// bits for any thread count, GELU's derivative over [−12, 12], and the dw::ops paths.
#include <cmath>
#include <vector>

#include "dw/ops.h"
#include "dw/thread_pool.h"
#include "kernels.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;
using dwtest::expect_close;
using dwtest::expect_true;

namespace {

struct LnCase {
  int64_t rows, cols;
  float offset, spread;
};

void test_layer_norm_backward() {
  for (LnCase c : {LnCase{1, 1, 0, 1}, LnCase{3, 7, 0, 1}, LnCase{5, 8, 0, 1}, LnCase{4, 33, 2, 3},
                   LnCase{65, 17, 0, 1}, LnCase{17, 384, 0, 1}, LnCase{9, 512, 50, 0.5f}, LnCase{3, 1283, -5, 10},
                   LnCase{300, 64, 0, 1}}) {
    const size_t n = static_cast<size_t>(c.rows * c.cols), C = static_cast<size_t>(c.cols);
    auto x = dwtest::random_vec(n, 21, c.offset - c.spread, c.offset + c.spread);
    auto g = dwtest::random_vec(C, 22, 0.5f, 1.5f);
    auto dy = dwtest::random_vec(n, 23);
    std::vector<float> dx(n), dx_ref(n);
    auto dg = dwtest::random_vec(C, 24), db = dwtest::random_vec(C, 25);
    auto dg_ref = dg, db_ref = db;
    cpu::layer_norm_backward(x.data(), g.data(), dy.data(), 1e-5f, c.rows, c.cols, dx.data(), dg.data(), db.data());
    cpu::layer_norm_backward_reference(x.data(), g.data(), dy.data(), 1e-5f, c.rows, c.cols, dx_ref.data(),
                                       dg_ref.data(), db_ref.data());
    const std::string tag = " " + std::to_string(c.rows) + "x" + std::to_string(c.cols);
    // dx is rstd times O(1) terms that cancel; a large mean costs the centring's precision.
    const float atol = (c.offset > 10 ? 3e-5f : 2e-6f) / c.spread;
    expect_close("layer_norm_backward dx" + tag, dx.data(), dx_ref.data(), n, atol, 1e-4f);
    const float p_atol = 2e-6f * std::sqrt(static_cast<float>(c.rows)) * (c.offset > 10 ? 20.0f : 1.0f);
    expect_close("layer_norm_backward dgamma" + tag, dg.data(), dg_ref.data(), C, p_atol, 1e-5f);
    expect_close("layer_norm_backward dbeta" + tag, db.data(), db_ref.data(), C, p_atol, 1e-5f);
    // Without dγ/dβ the same dx.
    std::vector<float> dx2(n);
    cpu::layer_norm_backward(x.data(), g.data(), dy.data(), 1e-5f, c.rows, c.cols, dx2.data(), nullptr, nullptr);
    expect_close("layer_norm_backward dx without params" + tag, dx2.data(), dx.data(), n, 0, 0);
  }
}

void test_layer_norm_deterministic() {
  const int64_t rows = 1000, cols = 96;
  auto x = dwtest::random_vec(static_cast<size_t>(rows * cols), 31), dy = dwtest::random_vec(x.size(), 32);
  auto g = dwtest::random_vec(static_cast<size_t>(cols), 33, 0.5f, 1.5f);
  std::vector<float> runs[3];
  for (int t = 1; t <= 3; ++t) {
    set_num_threads(t);
    std::vector<float> dx(x.size());
    runs[t - 1].assign(static_cast<size_t>(2 * cols), 0.0f);
    cpu::layer_norm_backward(x.data(), g.data(), dy.data(), 1e-5f, rows, cols, dx.data(), runs[t - 1].data(),
                             runs[t - 1].data() + cols);
    runs[t - 1].insert(runs[t - 1].end(), dx.begin(), dx.end());
  }
  set_num_threads(0);
  expect_true("layer_norm_backward same bits for 1/2/3 threads", runs[0] == runs[1] && runs[0] == runs[2]);
}

void test_gelu_backward() {
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{8}, int64_t{9}, int64_t{20001}}) {
    auto x = dwtest::random_vec(static_cast<size_t>(n), 41, -12, 12), dy = dwtest::random_vec(x.size(), 42, -2, 2);
    std::vector<float> got(x.size()), want(x.size());
    cpu::gelu_backward(x.data(), dy.data(), got.data(), n);
    cpu::gelu_backward_reference(x.data(), dy.data(), want.data(), n);
    // Φ to ~1.2e-7 relative, φ through the vector exp; |dY| <= 2.
    expect_close("gelu_backward n=" + std::to_string(n), got.data(), want.data(), want.size(), 1e-6f, 2e-6f);
  }
  // Special values: 0 (derivative 1/2), the tails (0 and 1), NaN propagates.
  std::vector<float> x = {0.0f, -30.0f, 30.0f, -5.0f, 5.0f, NAN, 1.0f, -1.0f, 0.5f}, dy(x.size(), 1.0f);
  std::vector<float> got(x.size()), want(x.size());
  cpu::gelu_backward(x.data(), dy.data(), got.data(), static_cast<int64_t>(x.size()));
  cpu::gelu_backward_reference(x.data(), dy.data(), want.data(), static_cast<int64_t>(x.size()));
  expect_close("gelu_backward special values", got.data(), want.data(), x.size(), 1e-6f, 2e-6f);
}

void test_ops() {
  const int64_t rows = 6, C = 10;
  auto x = dwtest::random_vec(rows * C, 51), dy = dwtest::random_vec(rows * C, 52);
  auto g = dwtest::random_vec(C, 53, 0.5f, 1.5f);
  Tensor tx = dwtest::host_f32(x, {2, 3, C}), tdy = dwtest::host_f32(dy, {2, 3, C}), tg = dwtest::host_f32(g, {C});
  Tensor tdg = dwtest::host_f32(std::vector<float>(C, 1.0f), {C}), tdb = dwtest::host_f32(std::vector<float>(C, 2.0f), {C});
  auto dx = dwtest::to_vec(ops::layer_norm_backward(tx, tg, tdy, 1e-5f, &tdg, &tdb));
  std::vector<float> dx_ref(rows * C), dg_ref(C, 1.0f), db_ref(C, 2.0f);
  cpu::layer_norm_backward_reference(x.data(), g.data(), dy.data(), 1e-5f, rows, C, dx_ref.data(), dg_ref.data(),
                                     db_ref.data());
  expect_close("ops::layer_norm_backward dx", dx.data(), dx_ref.data(), dx.size(), 2e-5f, 1e-4f);
  auto dg = dwtest::to_vec(tdg), db = dwtest::to_vec(tdb);
  expect_close("ops::layer_norm_backward dgamma", dg.data(), dg_ref.data(), C, 2e-5f, 1e-5f);
  expect_close("ops::layer_norm_backward dbeta", db.data(), db_ref.data(), C, 2e-5f, 1e-5f);

  auto gd = dwtest::to_vec(ops::gelu_backward(tx, tdy));
  std::vector<float> gd_ref(rows * C);
  cpu::gelu_backward_reference(x.data(), dy.data(), gd_ref.data(), rows * C);
  expect_close("ops::gelu_backward", gd.data(), gd_ref.data(), gd.size(), 1e-6f, 2e-6f);
}

}  // namespace

int main() {
  set_num_threads(2);
  test_layer_norm_backward();
  test_layer_norm_deterministic();
  test_gelu_backward();
  test_ops();
  return dwtest::summary("test_norm_act_backward");
}
