#include "cpu_features.h"

#include <cstdlib>
#include <cstring>

namespace dw::cpu {

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.avx2 = __builtin_cpu_supports("avx2");
    f.fma = __builtin_cpu_supports("fma");
    // GCC 12 has no "f16c" name for __builtin_cpu_supports; every AVX2 CPU shipped so far has F16C,
    // but check CPUID leaf 1 ECX bit 29 to be exact.
    unsigned eax, ebx, ecx, edx;
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
    f.f16c = (ecx >> 29) & 1u;
#endif
    return f;
  }();
  return features;
}

bool use_avx2() {
  static const bool enabled = [] {
    const char* force = std::getenv("DW_FORCE_SCALAR");
    if (force && std::strcmp(force, "0") != 0 && force[0] != '\0') return false;
    const CpuFeatures& f = cpu_features();
    return f.avx2 && f.fma && f.f16c;
  }();
  return enabled;
}

}  // namespace dw::cpu
