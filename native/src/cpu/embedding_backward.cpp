// Scatter-add for the token embedding's gradient: d_table[ids[i]] += d_out[i]. Positions are
// grouped by id (a stable sort keeps each id's positions in order), so every row of d_table is
// owned by exactly one task and receives its additions in position order: deterministic, with no
// atomics, however the groups fall on threads. Repeated ids (padding, frequent tokens) add up.
#include <algorithm>
#include <numeric>
#include <vector>

#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {

void embedding_backward(const int32_t* ids, int64_t n, const float* d_out, int64_t C, float* d_table) {
  if (n <= 0 || C <= 0) return;
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(), [ids](int64_t a, int64_t b) { return ids[a] < ids[b]; });
  std::vector<int64_t> starts;  // group g covers order[starts[g] .. starts[g + 1])
  for (int64_t i = 0; i < n; ++i)
    if (i == 0 || ids[order[static_cast<size_t>(i)]] != ids[order[static_cast<size_t>(i - 1)]]) starts.push_back(i);
  starts.push_back(n);
  const int64_t groups = static_cast<int64_t>(starts.size()) - 1;
  parallel_for(groups, std::max<int64_t>(1, 8192 / C), [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      const int64_t b = starts[static_cast<size_t>(g)], e = starts[static_cast<size_t>(g + 1)];
      float* row = d_table + static_cast<int64_t>(ids[order[static_cast<size_t>(b)]]) * C;
      for (int64_t i = b; i < e; ++i) {
        const float* src = d_out + order[static_cast<size_t>(i)] * C;
        for (int64_t c = 0; c < C; ++c) row[c] += src[c];
      }
    }
  });
}

void embedding_backward_reference(const int32_t* ids, int64_t n, const float* d_out, int64_t C, float* d_table) {
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < C; ++c) d_table[static_cast<int64_t>(ids[i]) * C + c] += d_out[i * C + c];
}

}  // namespace dw::cpu
