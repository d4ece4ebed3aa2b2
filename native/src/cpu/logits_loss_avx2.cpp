// AVX2 row kernel of logits_loss.cpp: the same three passes, eight logits at a time, with exp_ps
// (relative error ≈ 1.2 ulp) and the normalisers summed in double. The row's tail goes through
// padded copies (student and teacher −inf, so the padding has probability 0 and adds nothing).
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "logits_loss_row.h"
#include "simd_math_avx2.h"

namespace dw::cpu {
namespace avx2 {

float row_max(const float* x, int64_t n);  // softmax_avx2.cpp (NaN wins)

namespace {

inline __m256d add_pd8(__m256d acc, __m256 v) {
  acc = _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
  return _mm256_add_pd(acc, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
}

inline double hsum_pd(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

struct Consts {
  __m256 ms, mt, inv_t, lz1, lzs, lzt, ce_scale, kt;
  bool t1;  // T == 1: the tempered student softmax is the plain one, computed once
};

// The normalisers' terms for eight logits.
inline void sums8(__m256 zs, __m256 zt, const Consts& c, bool teacher, __m256d& z1, __m256d& zst, __m256d& ztt) {
  const __m256 ds = _mm256_sub_ps(zs, c.ms);
  z1 = add_pd8(z1, exp_ps(ds));
  if (teacher) {
    if (!c.t1) zst = add_pd8(zst, exp_ps(_mm256_mul_ps(ds, c.inv_t)));
    ztt = add_pd8(ztt, exp_ps(_mm256_mul_ps(_mm256_sub_ps(zt, c.mt), c.inv_t)));
  }
}

// The gradient of eight logits; adds their KL terms to kl.
inline __m256 grad8(__m256 zs, __m256 zt, const Consts& c, bool teacher, __m256d& kl) {
  const __m256 ds = _mm256_sub_ps(zs, c.ms);
  const __m256 p1 = exp_ps(_mm256_sub_ps(ds, c.lz1));
  if (!teacher) return _mm256_mul_ps(c.ce_scale, p1);
  const __m256 ls = _mm256_sub_ps(_mm256_mul_ps(ds, c.inv_t), c.lzs);
  const __m256 lt = _mm256_sub_ps(_mm256_mul_ps(_mm256_sub_ps(zt, c.mt), c.inv_t), c.lzt);
  const __m256 st = c.t1 ? p1 : exp_ps(ls), pt = exp_ps(lt);
  // p_t = 0 contributes 0 (its log-ratio may be −inf or NaN).
  const __m256 zero_pt = _mm256_cmp_ps(pt, _mm256_setzero_ps(), _CMP_EQ_OQ);
  kl = add_pd8(kl, _mm256_andnot_ps(zero_pt, _mm256_mul_ps(pt, _mm256_sub_ps(lt, ls))));
  return _mm256_fmadd_ps(c.kt, _mm256_sub_ps(st, pt), _mm256_mul_ps(c.ce_scale, p1));
}

}  // namespace

LossRow logits_loss_row(const float* zs, const float* zt, int64_t V, int32_t y, float T, float ce_scale,
                        float kl_scale, float* grad) {
  const bool teacher = zt != nullptr;
  const float ms = row_max(zs, V), mt = teacher ? row_max(zt, V) : 0.0f;
  Consts c;
  c.ms = _mm256_set1_ps(ms);
  c.mt = _mm256_set1_ps(mt);
  c.inv_t = _mm256_set1_ps(1.0f / T);
  c.t1 = T == 1.0f;
  const int64_t body = V / 8 * 8;
  alignas(32) float ts[8], tt[8];  // the tail, padded with −inf
  for (int k = 0; k < 8; ++k) {
    ts[k] = body + k < V ? zs[body + k] : -INFINITY;
    tt[k] = teacher && body + k < V ? zt[body + k] : -INFINITY;
  }

  __m256d z1 = _mm256_setzero_pd(), zst = z1, ztt = z1;
  for (int64_t i = 0; i < body; i += 8)
    sums8(_mm256_loadu_ps(zs + i), teacher ? _mm256_loadu_ps(zt + i) : c.mt, c, teacher, z1, zst, ztt);
  if (body < V) sums8(_mm256_load_ps(ts), _mm256_load_ps(tt), c, teacher, z1, zst, ztt);

  const double log_z1 = std::log(hsum_pd(z1));
  const LossRow partial{log_z1 - (static_cast<double>(zs[y]) - ms), 0.0};
  c.lz1 = _mm256_set1_ps(static_cast<float>(log_z1));
  c.lzs = _mm256_set1_ps(teacher ? static_cast<float>(c.t1 ? log_z1 : std::log(hsum_pd(zst))) : 0.0f);
  c.lzt = _mm256_set1_ps(teacher ? static_cast<float>(std::log(hsum_pd(ztt))) : 0.0f);
  c.ce_scale = _mm256_set1_ps(ce_scale);
  c.kt = _mm256_set1_ps(kl_scale * T);

  __m256d kl = _mm256_setzero_pd();
  for (int64_t i = 0; i < body; i += 8)
    _mm256_storeu_ps(grad + i, grad8(_mm256_loadu_ps(zs + i), teacher ? _mm256_loadu_ps(zt + i) : c.mt, c, teacher, kl));
  if (body < V) {
    alignas(32) float g[8];
    _mm256_store_ps(g, grad8(_mm256_load_ps(ts), _mm256_load_ps(tt), c, teacher, kl));
    for (int64_t v = body; v < V; ++v) grad[v] = g[v - body];
  }
  grad[y] -= ce_scale;
  return {partial.ce, teacher ? hsum_pd(kl) : 0.0};
}

}  // namespace avx2
}  // namespace dw::cpu
