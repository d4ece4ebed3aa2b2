// The op list: every op of the library declared once — its name, a signature in words, the entry
// that validates and runs it, a naive host reference, and the inputs the test harness runs it on.
//
// One file per op family under native/src/ops/ declares its ops (CMake finds the files and
// generates the registration list, so adding an op edits no list). The harness
// (tests/test_backend_ops.cpp) runs every case of every op on every backend and every instruction
// set the machine has against the reference; the binding exposes every op as runOp(name, ...).
//
// An op born here (rather than one of the older ops.h functions it wraps) needs at most four
// files: its declaration in src/ops/, its CPU kernel (with its own naive reference beside it) in
// src/cpu/, its CUDA kernel in src/cuda/ (optional: without it the CUDA backend reports
// Unsupported) and its TypeScript wrapper in packages/kernels/src/ops.ts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dw/tensor.h"

namespace dw {

// The scalar arguments of one call by name (eps, scale, causal, ...). Flags are 0 or 1.
class OpAttrs {
 public:
  OpAttrs() = default;
  OpAttrs(std::initializer_list<std::pair<const std::string, double>> values) : values_(values) {}

  void set(const std::string& name, double value) { values_[name] = value; }
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  const std::map<std::string, double>& values() const { return values_; }

  // A number that must be present and finite (InvalidArgument naming the op otherwise).
  double number(const char* op, const char* name) const;
  double number(const char* op, const char* name, double fallback) const;
  // An integer within [lo, hi].
  int64_t integer(const char* op, const char* name, int64_t lo, int64_t hi, int64_t fallback) const;
  bool flag(const char* op, const char* name, bool fallback = false) const;

 private:
  std::map<std::string, double> values_;
};

// A host copy of a tensor (contiguous), used by references and the harness.
struct HostTensor {
  Shape shape;
  DType dtype = DType::F32;
  std::vector<uint8_t> bytes;

  static HostTensor zeros(const Shape& shape, DType dtype);
  static HostTensor of(const Tensor& t);  // downloads, any layout
  Tensor to(Device device) const;
  int64_t numel() const { return shape_numel(shape); }
  const void* data() const { return bytes.data(); }
  void* data() { return bytes.data(); }
  const float* f32() const { return reinterpret_cast<const float*>(bytes.data()); }
  float* f32() { return reinterpret_cast<float*>(bytes.data()); }
  const int32_t* i32() const { return reinterpret_cast<const int32_t*>(bytes.data()); }
  int32_t* i32() { return reinterpret_cast<int32_t*>(bytes.data()); }
  // Element i as f32 whatever the dtype (f16/bf16 converted, integers cast).
  float get(int64_t i) const;
};

// One input the harness generates: uniform random values in [lo, hi) (integers for I32/I8).
struct OpInputSpec {
  Shape shape;
  DType dtype = DType::F32;
  double lo = -1.0, hi = 1.0;
  // Non-zero: take this input as a strided view (dims 1 and 2 of a [B, L, H, D] tensor stored
  // [B, H, L, D]) — how KV caches and head-split views reach attention.
  bool transposed_view = false;
};

struct OpCase {
  std::string label;
  std::vector<OpInputSpec> inputs;
  OpAttrs attrs;
  double atol = 1e-5, rtol = 1e-5;  // per element: |got − want| ≤ atol + rtol·|want| (I32 outputs: exact)
};

struct OpDef {
  const char* name;
  // Inputs, attributes and outputs in words: "x f32 [..., C], gamma f32 [C], beta f32 [C]; eps → f32 [..., C]".
  const char* signature;
  // Validates every argument (typed errors that name it) and runs on the inputs' device. Outputs
  // are new tensors on that device, in the order the signature lists them.
  std::vector<Tensor> (*run)(const std::vector<Tensor>& inputs, const OpAttrs& attrs);
  // Naive reference (plain loops, no SIMD, no threads) on host copies of the same inputs.
  std::vector<HostTensor> (*reference)(const std::vector<HostTensor>& inputs, const OpAttrs& attrs);
  // What the harness runs.
  std::vector<OpCase> (*cases)();
  // Whether a CUDA kernel exists (the harness runs the CUDA backend only for these).
  bool cuda = true;
  // Optional: fills inputs that must be consistent with the others before a case runs (e.g. the
  // forward output and log-sum-exp that attention_backward reads), from the random ones.
  void (*derive)(std::vector<HostTensor>& inputs, const OpAttrs& attrs) = nullptr;
};

// Registration, called by the generated list at first use (src/ops/*.cpp each define
// `void dw_register_ops_<file name>(dw::OpTable&)`).
class OpTable {
 public:
  void add(const OpDef& def);
};

const OpDef* find_op(const std::string& name);
// Every op, sorted by name.
std::vector<const OpDef*> all_ops();
// Runs op `name` (InvalidArgument listing the known ops when there is no such op).
std::vector<Tensor> run_op(const std::string& name, const std::vector<Tensor>& inputs, const OpAttrs& attrs);

// Helpers for op declarations: argument count and kinds, with the op's name in the message.
void check_arity(const char* op, const std::vector<Tensor>& inputs, size_t lo, size_t hi);

}  // namespace dw
