// A fixed pool of workers for data-parallel kernels. Idle workers block on a condition variable
// (no busy-spinning). One parallel job runs at a time: a caller that finds the pool busy (another
// worker_thread of the same process, or a nested call) runs its job inline, so the process never
// has more compute threads than the pool size.
#pragma once

#include <cstdint>
#include <functional>

namespace dw {

// Number of threads parallel_for uses (including the calling thread). Defaults to the number of
// online cores (DW_NUM_THREADS overrides). set_num_threads(n <= 0) restores the default.
int num_threads();
void set_num_threads(int n);

// Calls fn(begin, end) on disjoint chunks covering [0, n). Chunks are at least `grain` long so
// tiny loops stay on the calling thread.
void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

}  // namespace dw
