#include "dw/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace dw {
namespace {

int default_threads() {
  if (const char* env = std::getenv("DW_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? static_cast<int>(hw) : 1;
}

// Workers sleep on `wake` between jobs. A job is a chunked range; workers and the caller claim
// chunks from an atomic counter, so uneven chunk costs balance themselves.
class ThreadPool {
 public:
  ~ThreadPool() { resize(0); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int threads) {
    std::lock_guard<std::mutex> job_lock(job_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
    stop_ = false;
    // Each worker starts from the current generation, captured here under job_mutex_, so a job
    // posted right after resize() is never missed by a worker that has not been scheduled yet.
    const uint64_t gen = generation_;
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this, gen] { worker_loop(gen); });
  }

  // Returns false (and does nothing) when another job holds the pool.
  bool try_run(int64_t chunks, const std::function<void(int64_t)>& chunk_fn) {
    std::unique_lock<std::mutex> job_lock(job_mutex_, std::try_to_lock);
    if (!job_lock.owns_lock()) return false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = &chunk_fn;
      chunks_ = chunks;
      next_.store(0);
      pending_ = static_cast<int>(workers_.size());
      ++generation_;
    }
    wake_.notify_all();
    drain();
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    fn_ = nullptr;
    return true;
  }

 private:
  void drain() {
    for (;;) {
      int64_t c = next_.fetch_add(1);
      if (c >= chunks_) return;
      (*fn_)(c);
    }
  }

  void worker_loop(uint64_t seen) {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
      }
      drain();
      std::lock_guard<std::mutex> lock(mutex_);
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex job_mutex_;  // held for the whole of one parallel job
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  uint64_t generation_ = 0;
  bool stop_ = false;
  const std::function<void(int64_t)>* fn_ = nullptr;
  int64_t chunks_ = 0;
  std::atomic<int64_t> next_{0};
  int pending_ = 0;
};

std::mutex& config_mutex() {
  static std::mutex m;
  return m;
}

ThreadPool& pool() {
  // Leaked on purpose: joining threads from a static destructor at process exit can deadlock
  // when the runtime has already torn down parts of itself.
  static ThreadPool* p = [] {
    auto* tp = new ThreadPool();
    tp->resize(default_threads());
    return tp;
  }();
  return *p;
}

}  // namespace

int num_threads() { return pool().size(); }

void set_num_threads(int n) {
  std::lock_guard<std::mutex> lock(config_mutex());
  pool().resize(n > 0 ? n : default_threads());
}

void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  ThreadPool& p = pool();
  int threads = p.size();
  if (threads <= 1 || n <= grain) {
    fn(0, n);
    return;
  }
  // A few chunks per thread so a slow core does not hold everyone up.
  int64_t chunks = std::min<int64_t>((n + grain - 1) / grain, static_cast<int64_t>(threads) * 4);
  int64_t per = (n + chunks - 1) / chunks;
  chunks = (n + per - 1) / per;
  std::function<void(int64_t)> chunk_fn = [&](int64_t c) {
    int64_t b = c * per;
    fn(b, std::min(n, b + per));
  };
  if (!p.try_run(chunks, chunk_fn)) fn(0, n);
}

}  // namespace dw
