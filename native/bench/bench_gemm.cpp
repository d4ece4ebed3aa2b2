// GEMM / GEMV / attention throughput of the CPU kernels for the Whisper shapes. Prints one JSON
// object per line (consumed by benchmarks/kernels/run.sh). Usage: bench_gemm [threads...]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dw/ops.h"
#include "dw/thread_pool.h"
#include "kernels.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Best time of `reps` runs after one warm-up, stopping early once `budget` seconds are spent.
template <class Fn>
double best_time(Fn&& fn, int reps, double budget) {
  fn();
  double best = 1e30;
  const auto start = Clock::now();
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    fn();
    best = std::min(best, seconds_since(t0));
    if (seconds_since(start) > budget && r >= 2) break;
  }
  return best;
}

std::vector<float> random_floats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<uint16_t> to_f16(const std::vector<float>& v) {
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = dw::f32_to_f16(v[i]);
  return h;
}

// Streaming read of a 512 MiB buffer, split over the pool's threads: the memory-bandwidth yardstick.
double read_bandwidth() {
  const size_t n = (size_t{512} << 20) / sizeof(float);
  std::vector<float> buf(n, 1.0f);
  std::vector<double> partial(64, 0.0);
  double sink = 0;
  auto run = [&] {
    const int T = dw::num_threads();
    dw::parallel_for(T, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const size_t b = n / T * t, e = t == T - 1 ? n : n / T * (t + 1);
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
        for (size_t i = b; i + 8 <= e; i += 8) {
          s0 += buf[i]; s1 += buf[i + 1]; s2 += buf[i + 2]; s3 += buf[i + 3];
          s4 += buf[i + 4]; s5 += buf[i + 5]; s6 += buf[i + 6]; s7 += buf[i + 7];
        }
        partial[t] = s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7;
      }
    });
    for (double p : partial) sink += p;
  };
  const double t = best_time(run, 5, 3.0);
  if (sink == 42) std::printf("#\n");
  return static_cast<double>(n * sizeof(float)) / t / 1e9;
}

struct Shape {
  const char* name;
  int64_t M, N, K;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts;
  for (int i = 1; i < argc; ++i) thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty()) thread_counts = {1, 2};
  const char* only = std::getenv("DW_BENCH_ONLY");  // substring filter on the case name

  const Shape gemms[] = {
      {"enc 768 qkv/out", 1500, 768, 768},     {"enc 768 fc1", 1500, 3072, 768},
      {"enc 768 fc2", 1500, 768, 3072},        {"enc 1280 qkv/out", 1500, 1280, 1280},
      {"enc 1280 fc1", 1500, 5120, 1280},      {"enc 1280 fc2", 1500, 1280, 5120},
  };
  const Shape gemvs[] = {{"logits 768", 1, 51864, 768}, {"logits 1280", 1, 51866, 1280}};

  for (int threads : thread_counts) {
    dw::set_num_threads(threads);
    if (!only) {
      std::printf("{\"kind\":\"bandwidth\",\"threads\":%d,\"gbps\":%.2f}\n", threads, read_bandwidth());
      std::fflush(stdout);
    }
    for (const Shape& s : gemms) {
      if (only && !std::strstr(s.name, only)) continue;
      auto A = random_floats(s.M * s.K, 1), B = random_floats(s.N * s.K, 2), bias = random_floats(s.N, 3);
      auto Bh = to_f16(B);
      std::vector<float> C(s.M * s.N);
      const double flop = 2.0 * s.M * s.N * s.K;
      for (int f16 = 0; f16 < 2; ++f16) {
        const void* bp = f16 ? static_cast<const void*>(Bh.data()) : B.data();
        const dw::DType dt = f16 ? dw::DType::F16 : dw::DType::F32;
        const double t = best_time(
            [&] { dw::cpu::gemm(s.M, s.N, s.K, A.data(), s.K, bp, dt, s.K, true, bias.data(), C.data(), s.N); }, 10,
            2.0);
        std::printf("{\"kind\":\"gemm\",\"name\":\"%s\",\"M\":%lld,\"N\":%lld,\"K\":%lld,\"b\":\"%s\",\"threads\":%d,"
                    "\"ms\":%.3f,\"gflops\":%.1f}\n",
                    s.name, (long long)s.M, (long long)s.N, (long long)s.K, f16 ? "f16" : "f32", threads, t * 1e3,
                    flop / t / 1e9);
        std::fflush(stdout);
      }
    }
    for (const Shape& s : gemvs) {
      if (only && !std::strstr(s.name, only)) continue;
      auto A = random_floats(s.K, 1), B = random_floats(s.N * s.K, 2);
      auto Bh = to_f16(B);
      std::vector<float> C(s.N);
      for (int f16 = 1; f16 >= 0; --f16) {
        const void* bp = f16 ? static_cast<const void*>(Bh.data()) : B.data();
        const dw::DType dt = f16 ? dw::DType::F16 : dw::DType::F32;
        const double t = best_time(
            [&] { dw::cpu::gemm(1, s.N, s.K, A.data(), s.K, bp, dt, s.K, true, nullptr, C.data(), s.N); }, 30, 2.0);
        const double bytes = static_cast<double>(s.N) * s.K * (f16 ? 2 : 4);
        std::printf("{\"kind\":\"gemv\",\"name\":\"%s\",\"M\":1,\"N\":%lld,\"K\":%lld,\"b\":\"%s\",\"threads\":%d,"
                    "\"ms\":%.3f,\"gbps\":%.2f}\n",
                    s.name, (long long)s.N, (long long)s.K, f16 ? "f16" : "f32", threads, t * 1e3, bytes / t / 1e9);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
