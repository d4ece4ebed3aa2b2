// Caching allocator for device memory: blocks are rounded to size classes (at most 25 % slack)
// and returned to a free list when their Buffer dies, so steady-state inference makes no
// cudaMalloc/cudaFree calls. Every kernel of the backend runs on one stream, so a block freed on
// the host while a queued kernel still uses it can be handed out again at once: the next user's
// work is ordered after it on that stream.
#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace dw::cuda {

struct PoolStats {
  size_t cached_bytes = 0;   // in free lists
  size_t in_use_bytes = 0;   // handed out (rounded sizes)
  size_t device_allocs = 0;  // cudaMalloc calls so far
};

class DevicePool {
 public:
  static size_t round_size(size_t bytes);
  void* acquire(size_t bytes);             // throws OutOfMemory
  void release(void* p, size_t bytes);     // bytes as passed to acquire
  void trim();                             // frees every cached block
  PoolStats stats();

  // Buffer deleter: ctx is the pool.
  static void deleter(void* ctx, void* data, size_t bytes) { static_cast<DevicePool*>(ctx)->release(data, bytes); }

 private:
  std::mutex mu_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  PoolStats stats_;
};

}  // namespace dw::cuda
