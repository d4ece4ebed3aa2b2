// A C ABI over the kernels for the on-demand benchmark (benchmarks/kernels/bench.py loads it with
// ctypes, so numpy/OpenBLAS and our kernels are timed interleaved in one process under the same
// machine load). Not part of the addon.
#include <cstdint>
#include <vector>

#include "dw/ops.h"
#include "dw/thread_pool.h"
#include "kernels.h"

extern "C" {

void dwb_set_threads(int n) { dw::set_num_threads(n); }
int dwb_threads() { return dw::num_threads(); }

// dtype: 0 f32, 1 f16, 2 bf16 (dw::DType values).
void dwb_gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const void* B, int dtype, int64_t ldb,
              int trans_b, const float* bias, float* C, int64_t ldc) {
  dw::cpu::gemm(M, N, K, A, lda, B, static_cast<dw::DType>(dtype), ldb, trans_b != 0, bias, C, ldc);
}

// Sum of n floats split over the pool's threads: a streaming read for the bandwidth yardstick.
double dwb_read_sum(const float* data, int64_t n) {
  const int T = dw::num_threads();
  std::vector<double> partial(static_cast<size_t>(T), 0.0);
  dw::parallel_for(T, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t b = n / T * t, e = t == T - 1 ? n : n / T * (t + 1);
      // 64 independent partial sums: enough adds in flight that the loop is bound by memory,
      // not by add latency, even in this portable (SSE2) build.
      float s[64] = {};
      int64_t i = b;
      for (; i + 64 <= e; i += 64)
        for (int j = 0; j < 64; ++j) s[j] += data[i + j];
      float tot = 0;
      for (; i < e; ++i) tot += data[i];
      for (float v : s) tot += v;
      partial[static_cast<size_t>(t)] = tot;
    }
  });
  double sum = 0;
  for (double p : partial) sum += p;
  return sum;
}

// Multi-head attention through dw::ops on [1, L, H, D] f32 tensors (q, k, v host pointers).
int dwb_attention(const float* q, const float* k, const float* v, int64_t Lq, int64_t Lk, int64_t H, int64_t D,
                  int causal, float* out) {
  try {
    const size_t qb = static_cast<size_t>(Lq * H * D) * 4, kb = static_cast<size_t>(Lk * H * D) * 4;
    static thread_local dw::Tensor tq, tk, tv;
    static thread_local const float* last[3] = {nullptr, nullptr, nullptr};
    if (last[0] != q || last[1] != k || last[2] != v || tq.numel() != Lq * H * D || tk.numel() != Lk * H * D) {
      tq = dw::ops::from_host(q, qb, {1, Lq, H, D}, dw::DType::F32, dw::Device::CPU);
      tk = dw::ops::from_host(k, kb, {1, Lk, H, D}, dw::DType::F32, dw::Device::CPU);
      tv = dw::ops::from_host(v, kb, {1, Lk, H, D}, dw::DType::F32, dw::Device::CPU);
      last[0] = q, last[1] = k, last[2] = v;
    }
    dw::AttentionParams params;
    params.causal = causal != 0;
    params.scale = 1.0f / __builtin_sqrtf(static_cast<float>(D));
    auto res = dw::ops::attention(tq, tk, tv, params, false);
    dw::ops::to_host(res.out, out, qb);
    return 0;
  } catch (...) {
    return 1;
  }
}
}
