// argmax / top-k over the last dim: against a sort-based reference, with ties (lowest index
// first), NaN (ranks above every number), ±inf, k = 1 and k = cols, and through dw::ops.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "dw/ops.h"
#include "kernels.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;

namespace {

// Reference order: NaN first (lower index first among NaNs), then descending value, ties by index.
std::vector<int32_t> ranked(const float* x, int64_t n) {
  std::vector<int32_t> idx(static_cast<size_t>(n));
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](int32_t a, int32_t b) {
    const bool na = std::isnan(x[a]), nb = std::isnan(x[b]);
    if (na != nb) return na;
    if (na) return false;
    return x[a] > x[b];
  });
  return idx;
}

void check_rows(const std::string& what, const std::vector<float>& x, int64_t rows, int64_t cols, int k) {
  std::vector<int32_t> am(static_cast<size_t>(rows));
  std::vector<float> vals(static_cast<size_t>(rows * k));
  std::vector<int32_t> idx(vals.size());
  cpu::argmax(x.data(), am.data(), rows, cols);
  cpu::topk(x.data(), rows, cols, k, vals.data(), idx.data());
  bool ok_am = true, ok_tk = true;
  for (int64_t r = 0; r < rows; ++r) {
    auto want = ranked(x.data() + r * cols, cols);
    ok_am &= am[static_cast<size_t>(r)] == want[0];
    for (int i = 0; i < k; ++i) {
      const int32_t wi = want[static_cast<size_t>(i)];
      const float wv = x[static_cast<size_t>(r * cols + wi)], gv = vals[static_cast<size_t>(r * k + i)];
      ok_tk &= idx[static_cast<size_t>(r * k + i)] == wi && (gv == wv || (std::isnan(gv) && std::isnan(wv)));
    }
  }
  dwtest::expect_true("argmax " + what, ok_am);
  dwtest::expect_true("topk k=" + std::to_string(k) + " " + what, ok_tk);
}

}  // namespace

int main() {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  // Random rows of odd lengths, a vocabulary-sized row, and quantised values for many ties.
  for (int64_t cols : {1, 2, 7, 33, 1000, 51865}) {
    const int64_t rows = cols > 1000 ? 2 : 5;
    auto x = dwtest::random_vec(static_cast<size_t>(rows * cols), static_cast<uint32_t>(cols), -10, 10);
    for (int k : {1, 3, 5, 50}) {
      if (k > cols) continue;
      check_rows("random cols=" + std::to_string(cols), x, rows, cols, k);
    }
    for (auto& v : x) v = std::round(v / 4);  // only a handful of distinct values: ties everywhere
    check_rows("ties cols=" + std::to_string(cols), x, rows, cols, static_cast<int>(std::min<int64_t>(cols, 9)));
  }
  // Special values.
  check_rows("all equal", std::vector<float>(12, 1.5f), 2, 6, 6);
  check_rows("nan", {1, nan, 3, nan, 2, -inf, 0, inf, 4, inf, -1, nan}, 2, 6, 4);
  check_rows("infs", {-inf, -inf, -inf, inf, -inf, inf, 0, -inf}, 2, 4, 4);
  check_rows("k = cols", dwtest::random_vec(3 * 17, 9), 3, 17, 17);
  {
    std::vector<float> x = {nan, 5, nan};
    int32_t am = -1;
    cpu::argmax(x.data(), &am, 1, 3);
    dwtest::expect_true("argmax first NaN", am == 0);
  }
  // Through ops: [2, 3, 11] → argmax [2, 3], topk [2, 3, 4].
  {
    auto x = dwtest::random_vec(66, 77);
    Tensor t = ops::from_host(x.data(), x.size() * 4, {2, 3, 11}, DType::F32, Device::CPU);
    Tensor am = ops::argmax(t);
    auto [vals, idx] = ops::topk(t, 4);
    dwtest::expect_true("ops::argmax shape", am.shape == Shape({2, 3}) && am.dtype == DType::I32);
    dwtest::expect_true("ops::topk shapes", vals.shape == Shape({2, 3, 4}) && idx.shape == Shape({2, 3, 4}) &&
                                                idx.dtype == DType::I32 && vals.dtype == DType::F32);
    std::vector<int32_t> a(6), ix(24);
    std::vector<float> v(24);
    ops::to_host(am, a.data(), 24);
    ops::to_host(idx, ix.data(), 96);
    ops::to_host(vals, v.data(), 96);
    bool ok = true;
    for (int r = 0; r < 6; ++r) {
      auto want = ranked(x.data() + r * 11, 11);
      ok &= a[static_cast<size_t>(r)] == want[0];
      for (int i = 0; i < 4; ++i)
        ok &= ix[static_cast<size_t>(r * 4 + i)] == want[static_cast<size_t>(i)] &&
              v[static_cast<size_t>(r * 4 + i)] == x[static_cast<size_t>(r * 11 + want[static_cast<size_t>(i)])];
    }
    dwtest::expect_true("ops::argmax / ops::topk values", ok);
  }
  return dwtest::summary("test_reduce");
}
