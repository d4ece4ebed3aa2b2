#include "cpu_features.h"

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "dw/error.h"

namespace dw::cpu {
namespace {

#if defined(__x86_64__) || defined(__i386__)
void cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
  __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
#endif

// Reads DW_FORCE_ISA (or the older DW_FORCE_SCALAR) once; an unknown name is reported, not fatal.
struct Choice {
  Isa isa;
  std::string note;
};

Choice initial_choice() {
  const Isa best = detected_isa();
  const char* forced = std::getenv("DW_FORCE_ISA");
  if (forced && forced[0] != '\0') {
    Isa want;
    if (!parse_isa(forced, &want))
      return {best, std::string("DW_FORCE_ISA=") + forced + " is not scalar, avx2 or avx512; using " + isa_name(best)};
    if (want > best)
      return {best, std::string("DW_FORCE_ISA=") + forced + " but this CPU supports " + isa_name(best) +
                        " at most; using " + isa_name(best)};
    return {want, ""};
  }
  const char* scalar = std::getenv("DW_FORCE_SCALAR");
  if (scalar && scalar[0] != '\0' && std::strcmp(scalar, "0") != 0) return {Isa::Scalar, ""};
  return {best, ""};
}

const Choice& choice() {
  static const Choice c = initial_choice();
  return c;
}

std::atomic<int>& active_level() {
  static std::atomic<int> level{static_cast<int>(choice().isa)};
  return level;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
    unsigned r[4];
    cpuid(0, 0, r);
    const unsigned max_leaf = r[0];
    cpuid(1, 0, r);
    f.fma = (r[2] >> 12) & 1u;
    f.f16c = (r[2] >> 29) & 1u;
    const bool osxsave = (r[2] >> 27) & 1u;
    // XCR0: bit 1 SSE, 2 AVX (YMM upper halves), 5 opmask, 6 ZMM upper halves, 7 ZMM16–31.
    uint64_t xcr0 = 0;
    if (osxsave) {
      unsigned lo, hi;
      __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      xcr0 = (static_cast<uint64_t>(hi) << 32) | lo;
    }
    const bool os_ymm = (xcr0 & 0x6) == 0x6;
    f.os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;
    if (!os_ymm) f.fma = f.f16c = false;
    if (max_leaf >= 7) {
      cpuid(7, 0, r);
      f.avx2 = os_ymm && ((r[1] >> 5) & 1u);
      f.avx512f = f.os_zmm && ((r[1] >> 16) & 1u);
      f.avx512bw = f.os_zmm && ((r[1] >> 30) & 1u);
      f.avx512vl = f.os_zmm && ((r[1] >> 31) & 1u);
      f.avx512vnni = f.os_zmm && ((r[2] >> 11) & 1u);
      cpuid(7, 1, r);
      f.avx512bf16 = f.os_zmm && ((r[0] >> 5) & 1u);
    }
#endif
    return f;
  }();
  return features;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "scalar";
}

bool parse_isa(const std::string& name, Isa* out) {
  if (name == "scalar") *out = Isa::Scalar;
  else if (name == "avx2") *out = Isa::Avx2;
  else if (name == "avx512") *out = Isa::Avx512;
  else return false;
  return true;
}

Isa detected_isa() {
  const CpuFeatures& f = cpu_features();
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  if (avx2 && f.avx512f && f.avx512bw && f.avx512vl) return Isa::Avx512;
  return avx2 ? Isa::Avx2 : Isa::Scalar;
}

std::vector<Isa> available_isas() {
  std::vector<Isa> out;
  for (int i = 0; i <= static_cast<int>(detected_isa()); ++i) out.push_back(static_cast<Isa>(i));
  return out;
}

Isa active_isa() { return static_cast<Isa>(active_level().load(std::memory_order_relaxed)); }

void set_active_isa(Isa isa) {
  if (isa > detected_isa())
    fail(ErrorCode::InvalidArgument, std::string("cannot run the ") + isa_name(isa) + " kernels: this CPU supports " +
                                         isa_name(detected_isa()) + " at most");
  active_level().store(static_cast<int>(isa), std::memory_order_relaxed);
}

const std::string& isa_note() { return choice().note; }

}  // namespace dw::cpu
