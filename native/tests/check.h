// A minimal test harness for the kernel tests: random inputs, tolerance checks that print the
// worst element, and a summary line ctest shows on failure.
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cpu_features.h"
#include "dw/error.h"
#include "dw/ops.h"

namespace dwtest {

// ctest runs every test once per instruction-set level (CMakeLists.txt). A run pinned to a level
// this CPU lacks, or to the level the unpinned run already covers, exits 77 (skipped) saying so.
inline const bool isa_run_checked = [] {
  const char* forced = std::getenv("DW_FORCE_ISA");
  if (!forced || !std::getenv("DW_TEST_SKIP_IF_BEST")) return true;
  dw::cpu::Isa want;
  if (!dw::cpu::parse_isa(forced, &want)) return true;
  const dw::cpu::Isa best = dw::cpu::detected_isa();
  if (want > best) {
    std::printf("skipped: %s is not available on this CPU (best: %s)\n", forced, dw::cpu::isa_name(best));
    std::exit(77);
  }
  if (want == best) {
    std::printf("skipped: %s is this CPU's best level, which the unpinned run covers\n", forced);
    std::exit(77);
  }
  return true;
}();

inline int& failures() {
  static int n = 0;
  return n;
}
inline int& checks() {
  static int n = 0;
  return n;
}

inline std::vector<float> random_vec(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Passes when |got - want| <= atol + rtol * |want| for every element (NaN must match NaN).
inline bool expect_close(const std::string& what, const float* got, const float* want, size_t n, float atol,
                         float rtol) {
  ++checks();
  double worst = 0;
  size_t worst_i = 0;
  bool ok = true;
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(want[i]) || std::isnan(got[i])) {
      if (std::isnan(want[i]) != std::isnan(got[i])) {
        ok = false;
        worst_i = i;
        worst = INFINITY;
      }
      continue;
    }
    double err = std::fabs(static_cast<double>(got[i]) - want[i]);
    double excess = err - (atol + rtol * std::fabs(want[i]));
    if (excess > 0) ok = false;
    if (err > worst) {
      worst = err;
      worst_i = i;
    }
  }
  if (!ok) {
    ++failures();
    std::printf("FAIL %s: max abs err %.3g at %zu (got %.8g want %.8g; atol %.1g rtol %.1g)\n", what.c_str(), worst,
                worst_i, n ? got[worst_i] : 0.0f, n ? want[worst_i] : 0.0f, atol, rtol);
  } else if (std::getenv("DW_TEST_VERBOSE")) {  // the margins behind each tolerance, for reports
    std::printf("ok   %s: max abs err %.3g (atol %.1g rtol %.1g)\n", what.c_str(), worst, atol, rtol);
  }
  return ok;
}

inline void expect_true(const std::string& what, bool cond) {
  ++checks();
  if (!cond) {
    ++failures();
    std::printf("FAIL %s\n", what.c_str());
  }
}

// Runs fn and checks it throws dw::Error with the given code.
template <class Fn, class Code>
void expect_error(const std::string& what, Code code, Fn&& fn) {
  ++checks();
  try {
    fn();
  } catch (const std::exception& e) {
    auto* de = dynamic_cast<const dw::Error*>(&e);
    if (de && de->code() == code) return;
    ++failures();
    std::printf("FAIL %s: wrong error: %s\n", what.c_str(), e.what());
    return;
  }
  ++failures();
  std::printf("FAIL %s: no error thrown\n", what.c_str());
}

// f32 host data <-> CPU tensors, for tests that go through dw::ops.
inline dw::Tensor host_f32(const std::vector<float>& v, const dw::Shape& shape) {
  return dw::ops::from_host(v.data(), v.size() * 4, shape, dw::DType::F32, dw::Device::CPU);
}
inline std::vector<float> to_vec(const dw::Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  dw::ops::to_host(t, v.data(), v.size() * 4);
  return v;
}

inline int summary(const char* name) {
  std::printf("%s: %d checks, %d failed\n", name, checks(), failures());
  return failures() ? 1 : 0;
}

}  // namespace dwtest
