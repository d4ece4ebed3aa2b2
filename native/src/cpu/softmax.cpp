// Softmax / log-softmax over the last dim, max-subtracted so no exp overflows:
//   softmax(x)_j = exp(x_j − m) / Σ exp(x_k − m),  log_softmax(x)_j = x_j − m − log Σ exp(x_k − m).
// A row of all −inf gives NaN (0/0), as torch does; +inf or NaN anywhere in a row gives NaNs.
#include <cmath>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace avx2 {
float row_max(const float* x, int64_t n);
float exp_shift_sum(const float* x, float shift, float* out, int64_t n);
void scale_row(float* x, float s, int64_t n);
void sub_row(const float* x, float m, float log_sum, float* out, int64_t n);
}  // namespace avx2

namespace {

void softmax_row_scalar(const float* x, float* out, int64_t n, bool log) {
  float m = -INFINITY;
  for (int64_t j = 0; j < n; ++j) m = x[j] > m || std::isnan(x[j]) ? x[j] : m;
  float sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    const float e = std::exp(x[j] - m);
    if (!log) out[j] = e;
    sum += e;
  }
  if (log) {
    const float log_sum = std::log(sum);
    for (int64_t j = 0; j < n; ++j) out[j] = (x[j] - m) - log_sum;
  } else {
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j < n; ++j) out[j] *= inv;
  }
}

void softmax_row_avx2(const float* x, float* out, int64_t n, bool log) {
  const float m = avx2::row_max(x, n);
  // log_softmax uses out as scratch for the exps before overwriting it.
  const float sum = avx2::exp_shift_sum(x, m, out, n);
  if (log) avx2::sub_row(x, m, std::log(sum), out, n);
  else avx2::scale_row(out, 1.0f / sum, n);
}

}  // namespace

void softmax(const float* x, float* out, int64_t rows, int64_t cols, bool log) {
  if (cols <= 0) return;
  const bool simd = use_avx2();
  const int64_t grain = cols >= 2048 ? 1 : (2048 + cols - 1) / cols;
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      if (simd) softmax_row_avx2(x + r * cols, out + r * cols, cols, log);
      else softmax_row_scalar(x + r * cols, out + r * cols, cols, log);
    }
  });
}

void softmax_reference(const float* x, float* out, int64_t rows, int64_t cols, bool log) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    double m = -INFINITY;
    for (int64_t j = 0; j < cols; ++j) m = xr[j] > m || std::isnan(xr[j]) ? xr[j] : m;
    double sum = 0;
    for (int64_t j = 0; j < cols; ++j) sum += std::exp(xr[j] - m);
    for (int64_t j = 0; j < cols; ++j)
      out[r * cols + j] = static_cast<float>(log ? xr[j] - m - std::log(sum) : std::exp(xr[j] - m) / sum);
  }
}

}  // namespace dw::cpu
