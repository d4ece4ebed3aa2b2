// Elementwise add / mul with suffix broadcasting, and scale. Memory bound: the AVX2 path only
// saves the scalar loop's overhead; threads help once the arrays leave the caches.
#include <algorithm>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace avx2 {
void add_rows(const float* a, const float* b, float* out, int64_t n);
void mul_rows(const float* a, const float* b, float* out, int64_t n);
void add_scalar(const float* a, float b, float* out, int64_t n);
void mul_scalar(const float* a, float b, float* out, int64_t n);
}  // namespace avx2

namespace {

constexpr int64_t kGrain = 1 << 15;  // elements per task: ~128 KiB per input stream

enum class Op { Add, Mul };

void run_span(Op op, const float* a, const float* b, float* out, int64_t n) {
  if (use_avx2()) {
    if (op == Op::Add) avx2::add_rows(a, b, out, n);
    else avx2::mul_rows(a, b, out, n);
    return;
  }
  if (op == Op::Add)
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
  else
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

void run_scalar(Op op, const float* a, float b, float* out, int64_t n) {
  if (use_avx2()) {
    if (op == Op::Add) avx2::add_scalar(a, b, out, n);
    else avx2::mul_scalar(a, b, out, n);
    return;
  }
  if (op == Op::Add)
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b;
  else
    for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b;
}

// Splits [0, n) into chunks; each chunk walks b in segments that never wrap around its end.
void binary(Op op, const float* a, const float* b, float* out, int64_t n, int64_t nb) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) {
    if (nb == 1) {
      run_scalar(op, a + begin, b[0], out + begin, end - begin);
      return;
    }
    int64_t i = begin;
    while (i < end) {
      const int64_t j = i % nb;
      const int64_t len = std::min(end - i, nb - j);
      run_span(op, a + i, b + j, out + i, len);
      i += len;
    }
  });
}

}  // namespace

void add(const float* a, const float* b, float* out, int64_t n, int64_t nb) { binary(Op::Add, a, b, out, n, nb); }
void mul(const float* a, const float* b, float* out, int64_t n, int64_t nb) { binary(Op::Mul, a, b, out, n, nb); }

void scale(const float* a, float s, float* out, int64_t n) {
  parallel_for(n, kGrain, [&](int64_t begin, int64_t end) { run_scalar(Op::Mul, a + begin, s, out + begin, end - begin); });
}

void add_reference(const float* a, const float* b, float* out, int64_t n, int64_t nb) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i % nb];
}
void mul_reference(const float* a, const float* b, float* out, int64_t n, int64_t nb) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i % nb];
}

}  // namespace dw::cpu
