// Run-time CPU feature detection. DW_FORCE_SCALAR=1 in the environment disables the SIMD paths
// (used by tests to exercise the portable code on an AVX2 machine).
#pragma once

namespace dw::cpu {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
};

const CpuFeatures& cpu_features();
// True when the AVX2 + FMA + F16C kernels may run (and are not disabled by DW_FORCE_SCALAR).
bool use_avx2();

}  // namespace dw::cpu
