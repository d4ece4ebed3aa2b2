// int8 Linear: portable code, the naive reference and the dispatch (see linear_i8.h).
#include "linear_i8.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_features.h"
#include "dw/thread_pool.h"

namespace dw::cpu {
namespace {

float max_abs_scalar(const float* x, int64_t n) {
  float m = 0.0f;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

void quantize_row_scalar(const float* x, int64_t n, float inv, int8_t* q) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = std::nearbyint(x[i] * inv);
    q[i] = static_cast<int8_t>(std::min(127.0f, std::max(-127.0f, v)));
  }
}

void quantize_one(const float* x, int64_t K, int8_t* q, float* scale, bool simd) {
  const float amax = simd ? i8_detail::max_abs_avx2(x, K) : max_abs_scalar(x, K);
  if (!(amax > 0.0f) || !std::isfinite(amax)) {
    // Zero rows quantise to zero; non-finite rows cannot be represented and give NaN outputs
    // through a NaN scale rather than garbage integers.
    std::fill(q, q + K, int8_t{0});
    *scale = amax > 0.0f || std::isnan(amax) ? NAN : 0.0f;
    return;
  }
  const float inv = 127.0f / amax;
  *scale = amax / 127.0f;
  if (simd) i8_detail::quantize_row_avx2(x, K, inv, q);
  else quantize_row_scalar(x, K, inv, q);
}

void dots_scalar(const int8_t* qx, int64_t m0, int64_t m1, const int8_t* w, int64_t n0, int64_t n1, int64_t K,
                 const float* sx, const float* w_scale, const float* bias, float* y, int64_t N) {
  for (int64_t m = m0; m < m1; ++m)
    for (int64_t n = n0; n < n1; ++n) {
      int32_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += int32_t{qx[m * K + k]} * int32_t{w[n * K + k]};
      y[m * N + n] = static_cast<float>(acc) * (sx[m] * w_scale[n]) + (bias ? bias[n] : 0.0f);
    }
}

}  // namespace

void quantize_rows(const float* x, int64_t rows, int64_t K, int8_t* q, float* scale) {
  const bool simd = use_avx2();
  parallel_for(rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(K, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) quantize_one(x + r * K, K, q + r * K, scale + r, simd);
  });
}

void quantize_rows_reference(const float* x, int64_t rows, int64_t K, int8_t* q, float* scale) {
  for (int64_t r = 0; r < rows; ++r) quantize_one(x + r * K, K, q + r * K, scale + r, false);
}

void linear_i8(int64_t M, int64_t N, int64_t K, const float* x, const int8_t* w, const float* w_scale,
               const float* bias, float* y) {
  if (M <= 0 || N <= 0) return;
  if (M > kInt8ActivationRows) return gemm_int8_weights(M, N, K, x, w, w_scale, bias, y);
  std::vector<int8_t> qx(static_cast<size_t>(M * K));
  std::vector<float> sx(static_cast<size_t>(M));
  quantize_rows(x, M, K, qx.data(), sx.data());
  const bool simd = use_avx2();
  auto dots = simd ? i8_detail::dots_avx2 : dots_scalar;
  // Split the output columns: each thread streams its own slice of the weights once (small M is
  // memory bound) and, for large M, reuses that slice across all rows from cache.
  const int64_t grain = std::max<int64_t>(16, (int64_t{1} << 15) / std::max<int64_t>(K, 1));
  constexpr int64_t kRowBlock = 64;  // rows of x per pass over a slice, so the slice stays in L2
  parallel_for(N, grain, [&](int64_t n0, int64_t n1) {
    for (int64_t m0 = 0; m0 < M; m0 += kRowBlock)
      dots(qx.data(), m0, std::min(M, m0 + kRowBlock), w, n0, n1, K, sx.data(), w_scale, bias, y, N);
  });
}

void linear_i8_reference(int64_t M, int64_t N, int64_t K, const float* x, const int8_t* w, const float* w_scale,
                         const float* bias, float* y) {
  if (M > kInt8ActivationRows) {
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        double acc = bias ? bias[n] : 0.0;
        for (int64_t k = 0; k < K; ++k)
          acc += static_cast<double>(x[m * K + k]) * (static_cast<double>(w[n * K + k]) * w_scale[n]);
        y[m * N + n] = static_cast<float>(acc);
      }
    return;
  }
  std::vector<int8_t> qx(static_cast<size_t>(M * K));
  std::vector<float> sx(static_cast<size_t>(M));
  quantize_rows_reference(x, M, K, qx.data(), sx.data());
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int64_t acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += int64_t{qx[m * K + k]} * int64_t{w[n * K + k]};
      y[m * N + n] = static_cast<float>(static_cast<double>(acc) * sx[m] * w_scale[n] + (bias ? bias[n] : 0.0));
    }
}

}  // namespace dw::cpu
