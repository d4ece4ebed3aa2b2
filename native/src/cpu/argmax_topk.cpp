// argmax / top-k over the last dim. Order: NaN ranks above every number (as torch), equal values
// rank by lower index, so results are deterministic and match torch.argmax / torch.topk on CPU
// (topk's order among equal values is not specified by torch; we pick lower index first).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace {

// True when (a, ia) ranks strictly before (b, ib).
inline bool ranks_before(float a, int32_t ia, float b, int32_t ib) {
  const bool na = std::isnan(a), nb = std::isnan(b);
  if (na || nb) return na && (!nb || ia < ib);
  return a > b || (a == b && ia < ib);
}

int32_t argmax_row(const float* x, int64_t n) {
  // Fast scan: the first strict maximum is the lowest-index one; the first NaN wins outright.
  int32_t best = 0;
  float bv = x[0];
  if (std::isnan(bv)) return 0;
  for (int64_t j = 1; j < n; ++j) {
    const float v = x[j];
    if (v > bv) {
      bv = v;
      best = static_cast<int32_t>(j);
    } else if (std::isnan(v)) {
      return static_cast<int32_t>(j);
    }
  }
  return best;
}

}  // namespace

void argmax(const float* x, int32_t* out, int64_t rows, int64_t cols) {
  const int64_t grain = cols >= 16384 ? 1 : (16384 + cols - 1) / cols;
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) out[r] = argmax_row(x + r * cols, cols);
  });
}

void topk(const float* x, int64_t rows, int64_t cols, int k, float* values, int32_t* indices) {
  const int64_t grain = cols >= 16384 ? 1 : (16384 + cols - 1) / cols;
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<int32_t> heap;
    heap.reserve(static_cast<size_t>(k));
    for (int64_t r = begin; r < end; ++r) {
      const float* xr = x + r * cols;
      // Heap of the best k seen so far, ordered so its front is the weakest kept candidate.
      auto rank_less = [&](int32_t a, int32_t b) { return ranks_before(xr[a], a, xr[b], b); };
      heap.clear();
      for (int32_t j = 0; j < static_cast<int32_t>(cols); ++j) {
        if (static_cast<int64_t>(heap.size()) < k) {
          heap.push_back(j);
          std::push_heap(heap.begin(), heap.end(), rank_less);
        } else if (ranks_before(xr[j], j, xr[heap.front()], heap.front())) {
          std::pop_heap(heap.begin(), heap.end(), rank_less);
          heap.back() = j;
          std::push_heap(heap.begin(), heap.end(), rank_less);
        }
      }
      std::sort_heap(heap.begin(), heap.end(), rank_less);
      for (int i = 0; i < k; ++i) {
        values[r * k + i] = xr[heap[static_cast<size_t>(i)]];
        indices[r * k + i] = heap[static_cast<size_t>(i)];
      }
    }
  });
}

}  // namespace dw::cpu
