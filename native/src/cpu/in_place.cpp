// dst += alpha · src over contiguous arrays (gradient accumulation, residual-branch gradients).
// Memory bound: the plain loop, which the compiler vectorises, is as fast as hand-written AVX2.
#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {

void add_in_place(float* dst, const float* src, float alpha, int64_t n) {
  parallel_for(n, int64_t{1} << 15, [&](int64_t b, int64_t e) {
    float* d = dst + b;
    const float* s = src + b;
    const int64_t len = e - b;
    if (alpha == 1.0f)
      for (int64_t i = 0; i < len; ++i) d[i] += s[i];
    else
      for (int64_t i = 0; i < len; ++i) d[i] += alpha * s[i];
  });
}

void add_in_place_reference(float* dst, const float* src, float alpha, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(dst[i] + static_cast<double>(alpha) * src[i]);
}

}  // namespace dw::cpu
