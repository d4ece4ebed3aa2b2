// Σ x² in double, for global gradient norms (clip to 1.0 across every parameter). Deterministic:
// fixed chunks of kChunk elements, each summed with eight interleaved double accumulators (enough
// independent adds to hide their latency; the compiler keeps their order), the chunk sums added in
// order. Memory bound, so there is no separate AVX2 variant.
#include <algorithm>
#include <vector>

#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace {

constexpr int64_t kChunk = int64_t{1} << 16;  // part of the result's definition, never tuned per machine

double chunk_sum_squares(const float* x, int64_t n) {
  double acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int u = 0; u < 8; ++u) {
      const double v = x[i + u];
      acc[u] += v * v;
    }
  for (; i < n; ++i) acc[i % 8] += static_cast<double>(x[i]) * x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace

double sum_squares(const float* x, int64_t n) {
  if (n <= 0) return 0.0;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> partial(static_cast<size_t>(chunks));
  parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c)
      partial[static_cast<size_t>(c)] = chunk_sum_squares(x + c * kChunk, std::min(kChunk, n - c * kChunk));
  });
  double s = 0;
  for (double p : partial) s += p;
  return s;
}

double sum_squares_reference(const float* x, int64_t n) {
  // Kahan-compensated, so the reference is accurate to the last double bit the test cares about.
  double s = 0, comp = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double y = static_cast<double>(x[i]) * x[i] - comp;
    const double t = s + y;
    comp = (t - s) - y;
    s = t;
  }
  return s;
}

}  // namespace dw::cpu
