#include "device_pool.h"

#include <cuda_runtime.h>

#include <string>

#include "dw/error.h"

namespace dw::cuda {

size_t DevicePool::round_size(size_t bytes) {
  if (bytes <= 512) return 512;
  // Four classes per power of two.
  size_t p = 1;
  while (p * 2 <= bytes) p *= 2;
  const size_t step = p / 4;
  return (bytes + step - 1) / step * step;
}

void* DevicePool::acquire(size_t bytes) {
  const size_t r = round_size(bytes);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(r);
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      stats_.cached_bytes -= r;
      stats_.in_use_bytes += r;
      return p;
    }
  }
  void* p = nullptr;
  cudaError_t err = cudaMalloc(&p, r);
  if (err != cudaSuccess) {
    (void)cudaGetLastError();  // clear the (non-sticky) allocation error
    trim();                    // cached blocks of other sizes may be what is missing
    err = cudaMalloc(&p, r);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      size_t free_b = 0, total_b = 0;
      cudaMemGetInfo(&free_b, &total_b);
      fail(ErrorCode::OutOfMemory, "cuda: could not allocate " + std::to_string(bytes) + " bytes (" +
                                       std::to_string(free_b >> 20) + " MiB free of " +
                                       std::to_string(total_b >> 20) + " MiB): " + cudaGetErrorString(err));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.device_allocs;
  stats_.in_use_bytes += r;
  return p;
}

void DevicePool::release(void* p, size_t bytes) {
  const size_t r = round_size(bytes);
  std::lock_guard<std::mutex> lock(mu_);
  free_[r].push_back(p);
  stats_.cached_bytes += r;
  stats_.in_use_bytes -= r;
}

void DevicePool::trim() {
  std::unordered_map<size_t, std::vector<void*>> blocks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    blocks.swap(free_);
    stats_.cached_bytes = 0;
  }
  if (blocks.empty()) return;
  // Queued kernels may still use a cached block: wait for the device before freeing.
  cudaDeviceSynchronize();
  for (auto& kv : blocks)
    for (void* p : kv.second) cudaFree(p);
}

PoolStats DevicePool::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

}  // namespace dw::cuda
