// Runs every case of every op in the op list (dw/op_list.h) on every backend and every
// instruction set this machine has, against the op's naive reference. One line per op and path;
// levels or backends the machine lacks are listed as skipped, so a log shows what was not covered.
//
//   test_backend_ops [op-name-substring]   (DW_TEST_VERBOSE=1 prints the worst error of every case)
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "cpu_features.h"
#include "dw/backend.h"
#include "dw/op_list.h"

namespace {

using dw::DType;
using dw::HostTensor;

// Seeded random data for one input spec; integers are drawn from [lo, hi).
HostTensor make_input(const dw::OpInputSpec& spec, uint32_t seed) {
  dw::Shape stored = spec.shape;
  if (spec.transposed_view) std::swap(stored[1], stored[2]);
  HostTensor h = HostTensor::zeros(stored, spec.dtype);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(spec.lo, spec.hi);
  auto* p16 = reinterpret_cast<uint16_t*>(h.data());
  for (int64_t i = 0; i < h.numel(); ++i) {
    const double v = dist(rng);
    switch (spec.dtype) {
      case DType::F32: h.f32()[i] = static_cast<float>(v); break;
      case DType::F16: p16[i] = dw::f32_to_f16(static_cast<float>(v)); break;
      case DType::BF16: p16[i] = dw::f32_to_bf16(static_cast<float>(v)); break;
      case DType::I32: h.i32()[i] = static_cast<int32_t>(std::floor(v)); break;
      case DType::I8: reinterpret_cast<int8_t*>(h.data())[i] = static_cast<int8_t>(std::floor(v)); break;
    }
  }
  return h;
}

// The tensor an op receives: the stored data, viewed with dims 1 and 2 swapped where asked.
dw::Tensor device_input(const HostTensor& stored, const dw::OpInputSpec& spec, dw::Device device) {
  dw::Tensor t = stored.to(device);
  return spec.transposed_view ? dw::view_transpose(t, 1, 2) : t;
}

// Compares outputs; integer outputs must match exactly. Returns the worst error.
bool compare(const std::string& what, const std::vector<dw::Tensor>& got, const std::vector<HostTensor>& want,
             double atol, double rtol, double* worst) {
  if (got.size() != want.size()) {
    dwtest::expect_true(what + ": " + std::to_string(got.size()) + " outputs, reference has " +
                            std::to_string(want.size()), false);
    return false;
  }
  bool ok = true;
  for (size_t o = 0; o < got.size(); ++o) {
    HostTensor g = HostTensor::of(got[o]);
    const std::string name = what + " output " + std::to_string(o);
    if (g.shape != want[o].shape || g.dtype != want[o].dtype) {
      dwtest::expect_true(name + ": shape " + dw::shape_str(g.shape) + " " + dw::dtype_name(g.dtype) + ", reference " +
                              dw::shape_str(want[o].shape) + " " + dw::dtype_name(want[o].dtype), false);
      ok = false;
      continue;
    }
    std::vector<float> gv(static_cast<size_t>(g.numel())), wv(gv.size());
    for (int64_t i = 0; i < g.numel(); ++i) {
      gv[static_cast<size_t>(i)] = g.get(i);
      wv[static_cast<size_t>(i)] = want[o].get(i);
      if (std::isfinite(gv[static_cast<size_t>(i)]) && std::isfinite(wv[static_cast<size_t>(i)]))
        *worst = std::max(*worst, std::fabs(static_cast<double>(gv[static_cast<size_t>(i)]) - wv[static_cast<size_t>(i)]));
    }
    const bool exact = g.dtype == DType::I32 || g.dtype == DType::I8;
    ok &= dwtest::expect_close(name, gv.data(), wv.data(), gv.size(), exact ? 0.0f : static_cast<float>(atol),
                               exact ? 0.0f : static_cast<float>(rtol));
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string filter = argc > 1 ? argv[1] : "";
  const dw::cpu::Isa initial = dw::cpu::active_isa();
  std::string cuda_reason;
  const bool cuda = dw::cuda_available(&cuda_reason);
  std::printf("CPU levels: detected %s, running", dw::cpu::isa_name(dw::cpu::detected_isa()));
  for (auto isa : dw::cpu::available_isas()) std::printf(" %s", dw::cpu::isa_name(isa));
  if (dw::cpu::detected_isa() < dw::cpu::Isa::Avx512) std::printf("; skipped: avx512 (not on this CPU)");
  std::printf("\nCUDA: %s\n", cuda ? "running" : ("skipped: " + cuda_reason).c_str());

  int ops_run = 0;
  for (const dw::OpDef* op : dw::all_ops()) {
    if (!filter.empty() && std::string(op->name).find(filter) == std::string::npos) continue;
    ++ops_run;
    const auto cases = op->cases();
    dwtest::expect_true(std::string(op->name) + " has harness cases", !cases.empty());
    uint32_t seed = 1;
    for (const dw::OpCase& c : cases) {
      std::vector<HostTensor> stored, contiguous;
      for (const auto& spec : c.inputs) stored.push_back(make_input(spec, seed++));
      // The reference reads contiguous copies of what the op sees (views made contiguous).
      for (size_t i = 0; i < stored.size(); ++i)
        contiguous.push_back(HostTensor::of(device_input(stored[i], c.inputs[i], dw::Device::CPU)));
      if (op->derive) {
        op->derive(contiguous, c.attrs);
        for (size_t i = 0; i < stored.size(); ++i)
          if (!c.inputs[i].transposed_view) stored[i] = contiguous[i];
      }
      const std::vector<HostTensor> want = op->reference(contiguous, c.attrs);

      auto run_on = [&](dw::Device device, const std::string& path) {
        std::vector<dw::Tensor> in;
        for (size_t i = 0; i < stored.size(); ++i) in.push_back(device_input(stored[i], c.inputs[i], device));
        const std::string what = std::string(op->name) + " [" + path + "] " + c.label;
        double worst = 0;
        try {
          const bool ok = compare(what, dw::run_op(op->name, in, c.attrs), want, c.atol, c.rtol, &worst);
          if (ok && std::getenv("DW_TEST_VERBOSE")) std::printf("ok   %s (max abs err %.3g)\n", what.c_str(), worst);
        } catch (const std::exception& e) {
          dwtest::expect_true(what + " threw: " + e.what(), false);
        }
      };
      for (auto isa : dw::cpu::available_isas()) {
        dw::cpu::set_active_isa(isa);
        run_on(dw::Device::CPU, std::string("cpu ") + dw::cpu::isa_name(isa));
      }
      dw::cpu::set_active_isa(initial);
      if (cuda && op->cuda) run_on(dw::Device::CUDA, "cuda");
    }
    std::printf("%-22s %zu cases\n", op->name, cases.size());
  }
  dwtest::expect_true("the filter matched an op", ops_run > 0);

  // The registry itself: unknown ops and bad attributes are typed errors that say what is wrong.
  if (filter.empty()) {
    dwtest::expect_error("unknown op", dw::ErrorCode::InvalidArgument, [] { dw::run_op("no_such_op", {}, {}); });
    dwtest::expect_error("missing attribute", dw::ErrorCode::InvalidArgument, [] {
      dw::Tensor x = dwtest::host_f32({1, 2, 3}, {3});
      dw::run_op("scale", {x}, {});
    });
    dwtest::expect_error("non-flag", dw::ErrorCode::InvalidArgument, [] {
      dw::Tensor a = dwtest::host_f32({1, 2}, {1, 2});
      dw::run_op("matmul", {a, a}, {{"trans_b", 0.5}});
    });
    dwtest::expect_error("arity", dw::ErrorCode::InvalidArgument, [] { dw::run_op("gelu", {}, {}); });
    dwtest::expect_error("cannot pin a level the CPU lacks", dw::ErrorCode::InvalidArgument, [] {
      if (dw::cpu::detected_isa() == dw::cpu::Isa::Avx512) throw dw::Error(dw::ErrorCode::InvalidArgument, "n/a");
      dw::cpu::set_active_isa(dw::cpu::Isa::Avx512);
    });
  }
  return dwtest::summary("test_backend_ops");
}
