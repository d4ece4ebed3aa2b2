// The small training ops against their references: sum_rows (bias gradients), sum_squares
// (gradient norms), add_in_place / scale_in_place / fill_zero, including the same bits whatever
// the thread count, accumulate on and off, and the dw::ops entry points.
#include <cmath>
#include <cstring>
#include <vector>

#include "dw/ops.h"
#include "dw/thread_pool.h"
#include "kernels.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;
using dwtest::expect_close;
using dwtest::expect_true;
using dwtest::host_f32;
using dwtest::to_vec;

namespace {

void test_sum_rows() {
  struct Case { int64_t rows, cols; };
  for (Case c : {Case{1, 1}, Case{0, 5}, Case{3, 7}, Case{255, 9}, Case{257, 33}, Case{1000, 512}, Case{12001, 13},
                 Case{5, 2049}}) {
    const size_t n = static_cast<size_t>(c.rows * c.cols);
    auto x = dwtest::random_vec(n, 7, -2, 2);
    for (bool acc : {false, true}) {
      auto got = dwtest::random_vec(static_cast<size_t>(c.cols), 8), want = got;
      cpu::sum_rows(x.data(), c.rows, c.cols, got.data(), acc);
      cpu::sum_rows_reference(x.data(), c.rows, c.cols, want.data(), acc);
      // Both sum in double; only the final rounding to float may differ.
      expect_close("sum_rows " + std::to_string(c.rows) + "x" + std::to_string(c.cols) + (acc ? " acc" : ""),
                   got.data(), want.data(), want.size(), 1e-6f, 1e-6f);
    }
  }
}

void test_sum_squares() {
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{65535}, int64_t{65537}, int64_t{1000003}}) {
    auto x = dwtest::random_vec(static_cast<size_t>(n), 9, -3, 3);
    const double got = cpu::sum_squares(x.data(), n), want = cpu::sum_squares_reference(x.data(), n);
    expect_true("sum_squares n=" + std::to_string(n), std::fabs(got - want) <= 1e-12 * want + 1e-300);
  }
}

void test_add_scale() {
  for (int64_t n : {int64_t{1}, int64_t{31}, int64_t{100003}}) {
    auto d = dwtest::random_vec(static_cast<size_t>(n), 10), s = dwtest::random_vec(static_cast<size_t>(n), 11);
    for (float alpha : {1.0f, -0.37f}) {
      auto got = d, want = d;
      cpu::add_in_place(got.data(), s.data(), alpha, n);
      cpu::add_in_place_reference(want.data(), s.data(), alpha, n);
      expect_close("add_in_place n=" + std::to_string(n), got.data(), want.data(), want.size(), 1e-7f, 1e-6f);
    }
  }
}

// Reductions over fixed chunks: 1, 2 and 3 threads give the same bits.
void test_deterministic() {
  const int64_t rows = 3001, cols = 70;
  auto x = dwtest::random_vec(static_cast<size_t>(rows * cols), 12, -5, 5);
  std::vector<float> runs[3];
  double sq[3];
  for (int t = 1; t <= 3; ++t) {
    set_num_threads(t);
    runs[t - 1].assign(static_cast<size_t>(cols), 0.5f);
    cpu::sum_rows(x.data(), rows, cols, runs[t - 1].data(), true);
    sq[t - 1] = cpu::sum_squares(x.data(), rows * cols);
  }
  set_num_threads(0);
  expect_true("sum_rows same bits for 1/2/3 threads", runs[0] == runs[1] && runs[0] == runs[2]);
  expect_true("sum_squares same bits for 1/2/3 threads",
              std::memcmp(&sq[0], &sq[1], 8) == 0 && std::memcmp(&sq[0], &sq[2], 8) == 0);
}

void test_ops() {
  auto xv = dwtest::random_vec(4 * 3 * 5, 13);
  Tensor x = host_f32(xv, {4, 3, 5});
  std::vector<float> want(5, 0.0f);
  cpu::sum_rows_reference(xv.data(), 12, 5, want.data(), false);
  auto got = to_vec(ops::sum_rows(x, nullptr, false));
  expect_close("ops::sum_rows", got.data(), want.data(), 5, 1e-6f, 1e-6f);
  Tensor acc = host_f32(std::vector<float>(5, 1.0f), {5});
  Tensor r = ops::sum_rows(x, &acc, true);
  expect_true("ops::sum_rows returns out", r.buffer == acc.buffer);
  for (float& w : want) w += 1.0f;
  got = to_vec(acc);
  expect_close("ops::sum_rows accumulate", got.data(), want.data(), 5, 1e-6f, 1e-6f);

  double sq = 0;
  for (float v : xv) sq += static_cast<double>(v) * v;
  expect_true("ops::sum_squares", std::fabs(ops::sum_squares(x) - sq) <= 1e-12 * sq);

  Tensor d = host_f32(std::vector<float>(60, 2.0f), {4, 3, 5});
  ops::add_in_place(d, x, 0.5f);
  ops::scale_in_place(d, 4.0f);
  auto dv = to_vec(d);
  std::vector<float> dw(60);
  for (size_t i = 0; i < 60; ++i) dw[i] = (2.0f + 0.5f * xv[i]) * 4.0f;
  expect_close("ops::add_in_place + scale_in_place", dv.data(), dw.data(), 60, 1e-6f, 1e-6f);
  ops::add_in_place(d, d, 1.0f);  // exact alias: doubles every element
  auto d2 = to_vec(d);
  for (float& w : dw) w *= 2.0f;
  expect_close("ops::add_in_place dst += dst", d2.data(), dw.data(), 60, 1e-6f, 1e-6f);
  ops::fill_zero(d);
  auto z = to_vec(d);
  expect_true("ops::fill_zero", z == std::vector<float>(60, 0.0f));
}

}  // namespace

int main() {
  set_num_threads(2);
  test_sum_rows();
  test_sum_squares();
  test_add_scale();
  test_deterministic();
  test_ops();
  return dwtest::summary("test_sums");
}
