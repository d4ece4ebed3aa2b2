// The GEMM kernel self-test that guards the AVX-512 kernels (gemm.cpp): it must accept every
// correct kernel set this machine can run and reject a broken one, or the fallback it promises
// (AVX-512 → AVX2 when the kernels disagree with the reference) means nothing.
#include <cstring>

#include "check.h"
#include "cpu_features.h"
#include "gemm_kernels.h"

namespace gd = dw::cpu::gemm_detail;

namespace {

// A micro-kernel that is wrong in one element of each full tile: the kind of slip (a lane, an
// edge) that a hand-written SIMD kernel can make.
gd::MicroFn g_real_micro = nullptr;
void off_by_one_micro(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr, int nr,
                      const float* bias, bool accumulate) {
  g_real_micro(kc, a, b, C, ldc, mr, nr, bias, accumulate);
  if (mr > 1 && nr > 1) C[ldc + 1] += 1.0f;
}

}  // namespace

int main() {
  dwtest::expect_true("scalar kernels pass", gd::self_test(gd::scalar_kernels()));
  const auto level = dw::cpu::detected_isa();
  if (level >= dw::cpu::Isa::Avx2) dwtest::expect_true("avx2 kernels pass", gd::self_test(gd::avx2_kernels()));
  if (level >= dw::cpu::Isa::Avx512)
    dwtest::expect_true("avx512 kernels pass", gd::self_test(gd::avx512_kernels()));
  else
    std::printf("skipped: avx512 kernels (not on this CPU)\n");

  gd::Kernels broken = level >= dw::cpu::Isa::Avx2 ? gd::avx2_kernels() : gd::scalar_kernels();
  g_real_micro = broken.micro;
  broken.micro = &off_by_one_micro;
  dwtest::expect_true("a kernel set off by one element fails", !gd::self_test(broken));
  return dwtest::summary("test_gemm_self_test");
}
