// Run-time CPU feature detection and the instruction-set level the kernels run at.
//
// One build runs on any x86-64: SIMD files are compiled with their own -m flags and only reached
// after the check here. The level is chosen once, at first use, from CPUID (and XGETBV: the OS must
// save the wider registers) and can be pinned with DW_FORCE_ISA=scalar|avx2|avx512 (DW_FORCE_SCALAR=1
// is the older spelling of scalar). A level the CPU lacks is never used: pinning avx512 on an AVX2
// machine runs AVX2 and isa_note() says why.
#pragma once

#include <string>
#include <vector>

namespace dw::cpu {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  // AVX-512 foundation plus the byte/word and 128/256-bit-length extensions the kernels use, and
  // whether the OS saves the opmask / ZMM state (XCR0 bits 5–7).
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;  // VPDPBUSD: int8 dot products
  bool avx512bf16 = false;  // VDPBF16PS
  bool os_zmm = false;
};

const CpuFeatures& cpu_features();

// Ordered: a level implies every level below it.
enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

const char* isa_name(Isa isa);
// The highest level this CPU (and OS) supports.
Isa detected_isa();
// Every level this CPU can run, lowest first (what the kernel tests iterate over).
std::vector<Isa> available_isas();
// The level the kernels run at now: detected_isa(), lowered by DW_FORCE_ISA / DW_FORCE_SCALAR.
Isa active_isa();
// Changes the level at run time (tests, benchmarks). Throws InvalidArgument for a level the CPU lacks.
// Not meant to be called while kernels run on other threads.
void set_active_isa(Isa isa);
// Parses "scalar" | "avx2" | "avx512"; false if the name is unknown.
bool parse_isa(const std::string& name, Isa* out);
// Why the active level differs from what DW_FORCE_ISA asked for ("" when it does not).
const std::string& isa_note();

// True when the AVX2 + FMA + F16C kernels may run.
inline bool use_avx2() { return active_isa() >= Isa::Avx2; }
// True when the AVX-512 (F/BW/VL) kernels may run.
inline bool use_avx512() { return active_isa() >= Isa::Avx512; }

}  // namespace dw::cpu
