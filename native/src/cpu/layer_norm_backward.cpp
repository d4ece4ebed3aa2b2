// Backward of layer_norm over the last dim. With x̂ = (x − μ)·rstd and ĝ = dY·γ:
//   dX = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)),   dγ += Σ_rows dY·x̂,   dβ += Σ_rows dY.
// μ and rstd are recomputed from x with the forward's own routine (layer_norm_stats.h), so the
// backward differentiates exactly the normalisation the forward applied, with nothing saved.
// dγ/dβ are deterministic: each fixed chunk of kRowChunk rows writes its own partial row, and the
// partials are combined in chunk order (in double) before being added to d_gamma / d_beta.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "kernels.h"
#include "layer_norm_stats.h"

namespace dw::cpu {
namespace avx2 {
void layer_norm_backward_row(const float* x, const float* gamma, const float* dy, float mean, float rstd,
                             int64_t cols, float* dx, float* pg, float* pb);
}

namespace {

constexpr int64_t kRowChunk = 64;  // rows per dγ/dβ partial: part of the result's definition

// One row: dx, and (when pg != nullptr) dY·x̂ and dY added to the chunk's partial rows pg / pb.
void backward_row_scalar(const float* x, const float* gamma, const float* dy, float mean, float rstd, int64_t cols,
                         float* dx, float* pg, float* pb) {
  float s1 = 0, s2 = 0;
  for (int64_t j = 0; j < cols; ++j) {
    const float xh = (x[j] - mean) * rstd, g = dy[j] * gamma[j];
    s1 += g;
    s2 += g * xh;
    if (pg) {
      pg[j] += dy[j] * xh;
      pb[j] += dy[j];
    }
  }
  const float a = s1 / static_cast<float>(cols), b = s2 / static_cast<float>(cols);
  for (int64_t j = 0; j < cols; ++j) {
    const float xh = (x[j] - mean) * rstd, g = dy[j] * gamma[j];
    dx[j] = rstd * (g - a - xh * b);
  }
}

}  // namespace

void layer_norm_backward(const float* x, const float* gamma, const float* d_out, float eps, int64_t rows,
                         int64_t cols, float* dx, float* d_gamma, float* d_beta) {
  if (rows <= 0 || cols <= 0) return;
  const bool simd = use_avx2();
  const bool params = d_gamma || d_beta;
  const int64_t chunks = (rows + kRowChunk - 1) / kRowChunk;
  // [chunk][dγ partial | dβ partial], allocated before any work starts.
  std::vector<float> partial(params ? static_cast<size_t>(chunks * 2 * cols) : 0, 0.0f);
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* pg = params ? partial.data() + c * 2 * cols : nullptr;
      float* pb = params ? pg + cols : nullptr;
      for (int64_t r = c * kRowChunk; r < std::min(rows, (c + 1) * kRowChunk); ++r) {
        const float* xr = x + r * cols;
        const RowStats st = simd ? avx2::layer_norm_stats(xr, cols, eps) : layer_norm_stats(xr, cols, eps);
        if (simd)
          avx2::layer_norm_backward_row(xr, gamma, d_out + r * cols, st.mean, st.rstd, cols, dx + r * cols, pg, pb);
        else
          backward_row_scalar(xr, gamma, d_out + r * cols, st.mean, st.rstd, cols, dx + r * cols, pg, pb);
      }
    }
  });
  if (!params) return;
  parallel_for(cols, 2048, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      double sg = 0, sb = 0;
      for (int64_t c = 0; c < chunks; ++c) {
        sg += partial[static_cast<size_t>(c * 2 * cols + j)];
        sb += partial[static_cast<size_t>(c * 2 * cols + cols + j)];
      }
      if (d_gamma) d_gamma[j] = static_cast<float>(d_gamma[j] + sg);
      if (d_beta) d_beta[j] = static_cast<float>(d_beta[j] + sb);
    }
  });
}

void layer_norm_backward_reference(const float* x, const float* gamma, const float* d_out, float eps, int64_t rows,
                                   int64_t cols, float* dx, float* d_gamma, float* d_beta) {
  std::vector<double> xh(static_cast<size_t>(cols)), g(static_cast<size_t>(cols));
  std::vector<double> dg(static_cast<size_t>(cols), 0.0), db(static_cast<size_t>(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * cols;
    const float* dy = d_out + r * cols;
    double mean = 0;
    for (int64_t j = 0; j < cols; ++j) mean += xr[j];
    mean /= static_cast<double>(cols);
    double var = 0;
    for (int64_t j = 0; j < cols; ++j) var += (xr[j] - mean) * (xr[j] - mean);
    const double rstd = 1.0 / std::sqrt(var / static_cast<double>(cols) + eps);
    double a = 0, b = 0;
    for (int64_t j = 0; j < cols; ++j) {
      const size_t u = static_cast<size_t>(j);
      xh[u] = (xr[j] - mean) * rstd;
      g[u] = static_cast<double>(dy[j]) * gamma[j];
      a += g[u];
      b += g[u] * xh[u];
      dg[u] += dy[j] * xh[u];
      db[u] += dy[j];
    }
    a /= static_cast<double>(cols);
    b /= static_cast<double>(cols);
    for (int64_t j = 0; j < cols; ++j) {
      const size_t u = static_cast<size_t>(j);
      dx[r * cols + j] = static_cast<float>(rstd * (g[u] - a - xh[u] * b));
    }
  }
  for (int64_t j = 0; j < cols; ++j) {
    if (d_gamma) d_gamma[j] = static_cast<float>(d_gamma[j] + dg[static_cast<size_t>(j)]);
    if (d_beta) d_beta[j] = static_cast<float>(d_beta[j] + db[static_cast<size_t>(j)]);
  }
}

}  // namespace dw::cpu
