// Column sums over all leading rows: the gradient of a bias (and of LayerNorm's β) is dY summed
// over every token. Deterministic whatever the thread count: each fixed chunk of kRowChunk rows
// gets its own double partial per column, and the chunks are combined in order. Tasks are
// (chunk, column block) pairs, so both tall (12 000 × 512) and short-wide inputs spread over the
// threads. The inner loop runs across columns, which the compiler vectorises without reordering
// any one column's sum (no AVX2 variant needed: the op reads each float once and is memory bound).
#include <algorithm>
#include <vector>

#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace {

constexpr int64_t kRowChunk = 256;   // rows per partial: part of the result's definition, never tuned per machine
constexpr int64_t kColBlock = 1024;  // columns per task

}  // namespace

void sum_rows(const float* x, int64_t rows, int64_t cols, float* out, bool accumulate) {
  if (cols <= 0) return;
  const int64_t chunks = std::max<int64_t>(1, (rows + kRowChunk - 1) / kRowChunk);
  const int64_t col_blocks = (cols + kColBlock - 1) / kColBlock;
  std::vector<double> partial(static_cast<size_t>(chunks * cols), 0.0);  // allocated before any work
  parallel_for(chunks * col_blocks, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t c = t / col_blocks, j0 = t % col_blocks * kColBlock, j1 = std::min(cols, j0 + kColBlock);
      double* p = partial.data() + c * cols;
      const int64_t r1 = std::min(rows, (c + 1) * kRowChunk);
      for (int64_t r = c * kRowChunk; r < r1; ++r) {
        const float* xr = x + r * cols;
        for (int64_t j = j0; j < j1; ++j) p[j] += xr[j];
      }
    }
  });
  parallel_for(cols, 4096, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      double s = accumulate ? out[j] : 0.0;
      for (int64_t c = 0; c < chunks; ++c) s += partial[static_cast<size_t>(c * cols + j)];
      out[j] = static_cast<float>(s);
    }
  });
}

void sum_rows_reference(const float* x, int64_t rows, int64_t cols, float* out, bool accumulate) {
  for (int64_t j = 0; j < cols; ++j) {
    double s = 0;
    for (int64_t r = 0; r < rows; ++r) s += x[r * cols + j];
    out[j] = static_cast<float>(accumulate ? out[j] + s : s);
  }
}

}  // namespace dw::cpu
