// The fused distillation objective over rows of vocabulary logits (distil-whisper's
// run_distillation.py: CE on pseudo-labels + T²·KL(teacher_T ‖ student_T); spec WAVE2 A6). Per row
// r with label y ≥ 0, T the temperature, z_s / z_t the student / teacher logits:
//   ce[r]   = logsumexp(z_s) − z_s[y]
//   kl[r]   = T²·Σ_v p_t,v·(log p_t,v − log p_s,v),  p_t = softmax(z_t/T),  log p_s = log_softmax(z_s/T)
//   grad[r] = ce_scale·(softmax(z_s) − onehot(y)) + kl_scale·T·(softmax(z_s/T) − p_t)
// Rows with a negative label (−100) are ignored: ce = kl = 0 and a zero gradient row.
//
// Three passes over a row, which stays in L2 (51 865 floats = 203 KiB per operand): the maxima;
// the three normalisers Σ exp(z_s − m_s), Σ exp((z_s − m_s)/T), Σ exp((z_t − m_t)/T), summed in
// double; then the gradient, written in place of the student logits when asked (each element is
// read before it is overwritten, and z_s[y] is read in the first passes). Log-probabilities are
// formed as (z − m)/T − log Σ, never as the log of a probability, so a KL term whose p_t
// underflows to 0 contributes exactly 0 and an extreme logit (±80) loses no precision. Rows are
// independent, so threads take whole rows and the result does not depend on their number.
#include <algorithm>
#include <cmath>
#include <vector>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "kernels.h"
#include "logits_loss_row.h"

namespace dw::cpu {
namespace avx2 {
LossRow logits_loss_row(const float* zs, const float* zt, int64_t V, int32_t y, float T, float ce_scale,
                        float kl_scale, float* grad);
}

namespace {

LossRow loss_row_scalar(const float* zs, const float* zt, int64_t V, int32_t y, float T, float ce_scale,
                        float kl_scale, float* grad) {
  const float inv_t = 1.0f / T;
  const bool t1 = T == 1.0f;  // the tempered student softmax is the plain one, computed once
  float ms = -INFINITY, mt = -INFINITY;
  for (int64_t v = 0; v < V; ++v) ms = zs[v] > ms || std::isnan(zs[v]) ? zs[v] : ms;
  if (zt)
    for (int64_t v = 0; v < V; ++v) mt = zt[v] > mt || std::isnan(zt[v]) ? zt[v] : mt;
  double z1 = 0, zst = 0, ztt = 0;
  for (int64_t v = 0; v < V; ++v) {
    const float ds = zs[v] - ms;
    z1 += std::exp(ds);
    if (zt) {
      if (!t1) zst += std::exp(ds * inv_t);
      ztt += std::exp((zt[v] - mt) * inv_t);
    }
  }
  const double log_z1 = std::log(z1);
  LossRow out{log_z1 - (static_cast<double>(zs[y]) - ms), 0.0};
  const float lz1 = static_cast<float>(log_z1);
  if (!zt) {
    for (int64_t v = 0; v < V; ++v) grad[v] = ce_scale * std::exp((zs[v] - ms) - lz1);
  } else {
    const float lzs = static_cast<float>(t1 ? log_z1 : std::log(zst)), lzt = static_cast<float>(std::log(ztt));
    const float kt = kl_scale * T;
    double kl = 0;
    for (int64_t v = 0; v < V; ++v) {
      const float ds = zs[v] - ms;
      const float ls = ds * inv_t - lzs, lt = (zt[v] - mt) * inv_t - lzt;
      const float p1 = std::exp(ds - lz1), st = t1 ? p1 : std::exp(ls), pt = std::exp(lt);
      if (pt > 0.0f) kl += static_cast<double>(pt * (lt - ls));
      grad[v] = ce_scale * p1 + kt * (st - pt);
    }
    out.kl = kl;
  }
  grad[y] -= ce_scale;
  return out;
}

}  // namespace

void logits_loss(const float* student, const float* teacher, const int32_t* labels, int64_t rows, int64_t V,
                 float temperature, float ce_scale, float kl_scale, float* ce, float* kl, float* grad) {
  if (V <= 0) return;
  const bool simd = use_avx2();
  const double t2 = static_cast<double>(temperature) * temperature;
  parallel_for(rows, std::max<int64_t>(1, 16384 / V), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* g = grad + r * V;
      if (labels[r] < 0) {
        ce[r] = kl[r] = 0.0f;
        std::fill(g, g + V, 0.0f);
        continue;
      }
      const float* zs = student + r * V;
      const float* zt = teacher ? teacher + r * V : nullptr;
      const LossRow res = simd ? avx2::logits_loss_row(zs, zt, V, labels[r], temperature, ce_scale, kl_scale, g)
                               : loss_row_scalar(zs, zt, V, labels[r], temperature, ce_scale, kl_scale, g);
      ce[r] = static_cast<float>(res.ce);
      kl[r] = static_cast<float>(t2 * res.kl);
    }
  });
}

// Everything in double from the float inputs, straight from the formulas (log-sum-exp with the
// max subtracted; KL terms with p_t = 0 skipped).
void logits_loss_reference(const float* student, const float* teacher, const int32_t* labels, int64_t rows,
                           int64_t V, float temperature, float ce_scale, float kl_scale, float* ce, float* kl,
                           float* grad) {
  const double T = temperature;
  auto lse = [V](const float* z, double scale) {
    double m = -INFINITY;
    for (int64_t v = 0; v < V; ++v) m = std::max(m, z[v] * scale);
    double s = 0;
    for (int64_t v = 0; v < V; ++v) s += std::exp(z[v] * scale - m);
    return m + std::log(s);
  };
  std::vector<double> g(static_cast<size_t>(V));
  for (int64_t r = 0; r < rows; ++r) {
    const float* zs = student + r * V;
    const float* zt = teacher ? teacher + r * V : nullptr;
    const int32_t y = labels[r];
    if (y < 0) {
      ce[r] = kl[r] = 0.0f;
      std::fill(grad + r * V, grad + (r + 1) * V, 0.0f);
      continue;
    }
    const double lse1 = lse(zs, 1.0);
    const double lse_s = lse(zs, 1.0 / T), lse_t = zt ? lse(zt, 1.0 / T) : 0.0;
    double k = 0;
    for (int64_t v = 0; v < V; ++v) {
      const size_t u = static_cast<size_t>(v);
      g[u] = ce_scale * std::exp(zs[v] - lse1);
      if (zt) {
        const double log_pt = zt[v] / T - lse_t, log_ps = zs[v] / T - lse_s;
        const double pt = std::exp(log_pt);
        if (pt > 0) k += pt * (log_pt - log_ps);
        g[u] += kl_scale * T * (std::exp(log_ps) - pt);
      }
    }
    g[static_cast<size_t>(y)] -= ce_scale;
    ce[r] = static_cast<float>(lse1 - zs[y]);
    kl[r] = static_cast<float>(T * T * k);
    for (int64_t v = 0; v < V; ++v) grad[r * V + v] = static_cast<float>(g[static_cast<size_t>(v)]);
  }
}

}  // namespace dw::cpu
