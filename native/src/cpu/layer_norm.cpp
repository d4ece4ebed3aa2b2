// Layer normalisation over the last dim: out = (x − mean) / sqrt(var + eps) · gamma + beta, with the
// biased variance (as torch.nn.LayerNorm). Two passes over each row (mean, then centred squares)
// rather than E[x²] − E[x]², which cancels badly when |mean| ≫ std. The mean is summed relative to
// the row's first element, so a large common offset does not eat the float sum's precision.
#include <cmath>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "kernels.h"
#include "layer_norm_stats.h"

namespace dw::cpu {
namespace avx2 {
void layer_norm_row(const float* x, const float* gamma, const float* beta, float eps, float* out, int64_t cols);
}

RowStats layer_norm_stats(const float* x, int64_t cols, float eps) {
  float sum = 0;
  for (int64_t j = 0; j < cols; ++j) sum += x[j] - x[0];
  const float mean = x[0] + sum / static_cast<float>(cols);
  float sq = 0;
  for (int64_t j = 0; j < cols; ++j) {
    const float d = x[j] - mean;
    sq += d * d;
  }
  return {mean, 1.0f / std::sqrt(sq / static_cast<float>(cols) + eps)};
}

namespace {

void layer_norm_row_scalar(const float* x, const float* gamma, const float* beta, float eps, float* out,
                           int64_t cols) {
  const RowStats st = layer_norm_stats(x, cols, eps);
  for (int64_t j = 0; j < cols; ++j) out[j] = (x[j] - st.mean) * st.rstd * gamma[j] + beta[j];
}

}  // namespace

void layer_norm(const float* x, const float* gamma, const float* beta, float eps, float* out, int64_t rows,
                int64_t cols) {
  if (cols <= 0) return;
  const bool simd = use_avx2();
  const int64_t grain = cols >= 4096 ? 1 : (4096 + cols - 1) / cols;
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      if (simd) avx2::layer_norm_row(x + r * cols, gamma, beta, eps, out + r * cols, cols);
      else layer_norm_row_scalar(x + r * cols, gamma, beta, eps, out + r * cols, cols);
    }
  });
}

void layer_norm_reference(const float* x, const float* gamma, const float* beta, float eps, float* out,
                          int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    double mean = 0;
    for (int64_t j = 0; j < cols; ++j) mean += xr[j];
    mean /= static_cast<double>(cols);
    double var = 0;
    for (int64_t j = 0; j < cols; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    var /= static_cast<double>(cols);
    const double rstd = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < cols; ++j) out[r * cols + j] = static_cast<float>((xr[j] - mean) * rstd * gamma[j] + beta[j]);
  }
}

}  // namespace dw::cpu
