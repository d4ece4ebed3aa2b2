// Elementwise ops and activations: add, mul, scale, gelu.
#include "op_support.h"

namespace dw::opdecl {
namespace {

HostOutputs ref_binary(const HostInputs& in, bool add) {
  auto a = as_f32(in[0]), b = as_f32(in[1]);
  std::vector<float> out(a.size());
  if (add) cpu::add_reference(a.data(), b.data(), out.data(), in[0].numel(), in[1].numel());
  else cpu::mul_reference(a.data(), b.data(), out.data(), in[0].numel(), in[1].numel());
  return {f32_from(in[0].shape, out)};
}

std::vector<OpCase> binary_cases() {
  return {
      {"[3, 37] with [37]", {{{3, 37}}, {{37}}}, {}, 0, 0},
      {"[2, 5, 64] with itself's shape", {{{2, 5, 64}}, {{2, 5, 64}}}, {}, 0, 0},
      {"[1, 1500, 384] with [384]", {{{1, 1500, 384}}, {{384}}}, {}, 0, 0},
  };
}

}  // namespace
}  // namespace dw::opdecl

void dw_register_ops_elementwise_ops(dw::OpTable& t) {
  using namespace dw;
  using namespace dw::opdecl;
  t.add({"add", "a f32 [...], b f32 (a trailing part of a's shape) → f32 a's shape",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("add", in, 2, 2);
           return {ops::add(in[0], in[1])};
         },
         [](const HostInputs& in, const OpAttrs&) { return ref_binary(in, true); }, binary_cases});
  t.add({"mul", "a f32 [...], b f32 (a trailing part of a's shape) → f32 a's shape",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("mul", in, 2, 2);
           return {ops::mul(in[0], in[1])};
         },
         [](const HostInputs& in, const OpAttrs&) { return ref_binary(in, false); }, binary_cases});
  t.add({"scale", "a f32 [...]; s → f32 a's shape",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("scale", in, 1, 1);
           return {ops::scale(in[0], static_cast<float>(at.number("scale", "s")))};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           auto a = as_f32(in[0]);
           const float s = static_cast<float>(at.number("scale", "s"));
           for (auto& x : a) x *= s;
           return {f32_from(in[0].shape, a)};
         },
         [] { return std::vector<OpCase>{{"[1031] by 0.37", {{{1031}}}, {{"s", 0.37}}, 0, 0}}; }});
  t.add({"gelu", "x f32 [...] → f32 x's shape (exact erf GELU)",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("gelu", in, 1, 1);
           return {ops::gelu(in[0])};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs {
           auto x = as_f32(in[0]);
           std::vector<float> out(x.size());
           cpu::gelu_reference(x.data(), out.data(), in[0].numel());
           return {f32_from(in[0].shape, out)};
         },
         [] {
           return std::vector<OpCase>{{"[4, 1031] in [-6, 6)", {{{4, 1031}, DType::F32, -6, 6}}, {}, 2e-6, 2e-6},
                                      {"[1500, 1536]", {{{1500, 1536}, DType::F32, -4, 4}}, {}, 2e-6, 2e-6}};
         }});
}
