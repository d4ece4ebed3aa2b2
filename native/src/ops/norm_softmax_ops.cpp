// Normalisation and softmax over the last dim: layer_norm, softmax, log_softmax.
#include "op_support.h"

namespace dw::opdecl {
namespace {

HostOutputs ref_softmax(const HostInputs& in, bool log) {
  auto x = as_f32(in[0]);
  std::vector<float> out(x.size());
  const int64_t cols = in[0].shape.back();
  cpu::softmax_reference(x.data(), out.data(), rows_of(in[0].shape), cols, log);
  return {f32_from(in[0].shape, out)};
}

std::vector<OpCase> softmax_cases() {
  return {{"[5, 1037] in [-10, 10)", {{{5, 1037}, DType::F32, -10, 10}}, {}, 1e-6, 1e-5},
          {"[2, 3, 7]", {{{2, 3, 7}, DType::F32, -3, 3}}, {}, 1e-6, 1e-5},
          {"[2, 51865] (a vocabulary row)", {{{2, 51865}, DType::F32, -20, 20}}, {}, 1e-6, 1e-4}};
}

}  // namespace
}  // namespace dw::opdecl

void dw_register_ops_norm_softmax_ops(dw::OpTable& t) {
  using namespace dw;
  using namespace dw::opdecl;
  t.add({"layer_norm", "x f32 [..., C], gamma f32 [C], beta f32 [C]; eps → f32 [..., C]",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("layer_norm", in, 3, 3);
           return {ops::layer_norm(in[0], in[1], in[2], static_cast<float>(at.number("layer_norm", "eps", 1e-5)))};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           auto x = as_f32(in[0]), g = as_f32(in[1]), b = as_f32(in[2]);
           std::vector<float> out(x.size());
           const int64_t C = in[0].shape.back();
           cpu::layer_norm_reference(x.data(), g.data(), b.data(), static_cast<float>(at.number("layer_norm", "eps", 1e-5)),
                                     out.data(), rows_of(in[0].shape), C);
           return {f32_from(in[0].shape, out)};
         },
         [] {
           return std::vector<OpCase>{
               {"[3, 384]", {{{3, 384}, DType::F32, -3, 3}, {{384}, DType::F32, 0.5, 1.5}, {{384}}}, {{"eps", 1e-5}}, 2e-5, 2e-5},
               {"[2, 7, 37]", {{{2, 7, 37}, DType::F32, 2, 4}, {{37}, DType::F32, 0.5, 1.5}, {{37}}}, {{"eps", 1e-5}}, 2e-5, 2e-5},
               {"[1500, 512]", {{{1500, 512}, DType::F32, -5, 5}, {{512}}, {{512}}}, {{"eps", 1e-5}}, 2e-5, 2e-5}};
         }});
  t.add({"softmax", "x f32 [..., C] → f32 [..., C] (over the last dim)",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("softmax", in, 1, 1);
           return {ops::softmax(in[0])};
         },
         [](const HostInputs& in, const OpAttrs&) { return ref_softmax(in, false); }, softmax_cases});
  t.add({"log_softmax", "x f32 [..., C] → f32 [..., C] (over the last dim)",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("log_softmax", in, 1, 1);
           return {ops::log_softmax(in[0])};
         },
         [](const HostInputs& in, const OpAttrs&) { return ref_softmax(in, true); }, softmax_cases});
}
