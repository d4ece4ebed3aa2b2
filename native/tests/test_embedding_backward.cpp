// embedding_backward (scatter-add into the token-embedding gradient) against the sequential
// reference: repeated ids, odd row widths, accumulation into existing contents, the same bits for
// any thread count, and the dw::ops path with its range check.
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

std::vector<int32_t> random_ids(int64_t n, int32_t V, uint32_t seed) {
  auto u = dwtest::random_vec(static_cast<size_t>(n), seed, 0.0f, 1.0f);
  std::vector<int32_t> ids(u.size());
  // Squared draws crowd the low ids, so many repeat (as padding and frequent tokens do).
  for (size_t i = 0; i < u.size(); ++i) ids[i] = std::min<int32_t>(V - 1, static_cast<int32_t>(u[i] * u[i] * V));
  return ids;
}

void test_kernel() {
  struct Case { int64_t n; int32_t V; int64_t C; };
  for (Case c : {Case{1, 1, 1}, Case{11, 53, 7}, Case{64, 10, 9}, Case{1000, 51865, 64}, Case{777, 300, 385},
                 Case{3000, 5, 16}}) {
    auto ids = random_ids(c.n, c.V, static_cast<uint32_t>(c.n));
    auto d_out = dwtest::random_vec(static_cast<size_t>(c.n * c.C), 3);
    auto got = dwtest::random_vec(static_cast<size_t>(c.V * c.C), 4), want = got;
    cpu::embedding_backward(ids.data(), c.n, d_out.data(), c.C, got.data());
    cpu::embedding_backward_reference(ids.data(), c.n, d_out.data(), c.C, want.data());
    // Same additions in the same order per row: identical results.
    expect_close("embedding_backward n=" + std::to_string(c.n) + " V=" + std::to_string(c.V) + " C=" +
                     std::to_string(c.C),
                 got.data(), want.data(), want.size(), 0, 0);
  }
}

void test_deterministic() {
  const int64_t n = 5000, C = 33;
  const int32_t V = 40;
  auto ids = random_ids(n, V, 5);
  auto d_out = dwtest::random_vec(static_cast<size_t>(n * C), 6);
  std::vector<float> runs[3];
  for (int t = 1; t <= 3; ++t) {
    set_num_threads(t);
    runs[t - 1].assign(static_cast<size_t>(V * C), 0.25f);
    cpu::embedding_backward(ids.data(), n, d_out.data(), C, runs[t - 1].data());
  }
  set_num_threads(0);
  expect_true("embedding_backward same bits for 1/2/3 threads", runs[0] == runs[1] && runs[0] == runs[2]);
}

void test_ops() {
  const std::vector<int32_t> ids = {3, 0, 3, 2, 3, 1};
  const int64_t C = 5, V = 4;
  auto d_out = dwtest::random_vec(ids.size() * C, 7);
  Tensor ti = ops::from_host(ids.data(), ids.size() * 4, {2, 3}, DType::I32, Device::CPU);
  Tensor td = dwtest::host_f32(d_out, {2, 3, C});
  std::vector<float> table(V * C, 1.0f), want = table;
  Tensor tt = dwtest::host_f32(table, {V, C});
  ops::embedding_backward(ti, td, tt);
  cpu::embedding_backward_reference(ids.data(), 6, d_out.data(), C, want.data());
  auto got = dwtest::to_vec(tt);
  expect_close("ops::embedding_backward", got.data(), want.data(), want.size(), 0, 0);
  // An id out of range is refused before anything is written.
  const std::vector<int32_t> bad = {1, 4};
  Tensor tb = ops::from_host(bad.data(), 8, {2}, DType::I32, Device::CPU);
  dwtest::expect_error("ops::embedding_backward id = V", ErrorCode::InvalidArgument,
                       [&] { ops::embedding_backward(tb, dwtest::host_f32(std::vector<float>(10, 9.0f), {2, C}), tt); });
  auto after = dwtest::to_vec(tt);
  expect_true("failed embedding_backward leaves d_table", after == got);
}

}  // namespace

int main() {
  set_num_threads(2);
  test_kernel();
  test_deterministic();
  test_ops();
  return dwtest::summary("test_embedding_backward");
}
