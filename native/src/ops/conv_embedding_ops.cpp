// The encoder's conv stem and token embeddings.
#include "op_support.h"

namespace dw::opdecl {
namespace {

OpCase conv(const char* label, Shape x, Shape w, DType wt, int stride, bool bias) {
  OpCase c{label, {{x}, {w, wt}}, {{"stride", static_cast<double>(stride)}, {"padding", 1}}, 1e-4, 1e-4};
  if (bias) c.inputs.push_back({{w[0]}});
  return c;
}

}  // namespace
}  // namespace dw::opdecl

void dw_register_ops_conv_embedding_ops(dw::OpTable& t) {
  using namespace dw;
  using namespace dw::opdecl;
  t.add({"conv1d",
         "x f32 [B, Cin, L], w f32/f16/bf16 [Cout, Cin, K], bias f32 [Cout] (optional); stride, padding → "
         "f32 [B, Cout, (L + 2·padding − K) / stride + 1]",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("conv1d", in, 2, 3);
           const int stride = static_cast<int>(at.integer("conv1d", "stride", 1, 1 << 20, 1));
           const int padding = static_cast<int>(at.integer("conv1d", "padding", 0, 1 << 20, 0));
           return {ops::conv1d(in[0], in[1], optional(in, 2), stride, padding)};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           const HostTensor &x = in[0], &w = in[1];
           const int stride = static_cast<int>(at.integer("conv1d", "stride", 1, 1 << 20, 1));
           const int padding = static_cast<int>(at.integer("conv1d", "padding", 0, 1 << 20, 0));
           const int64_t Lout = (x.shape[2] + 2 * padding - w.shape[2]) / stride + 1;
           HostTensor out = HostTensor::zeros({x.shape[0], w.shape[0], Lout}, DType::F32);
           std::vector<float> bias;
           if (in.size() > 2) bias = as_f32(in[2]);
           cpu::conv1d_reference(x.f32(), w.data(), w.dtype, bias.empty() ? nullptr : bias.data(), out.f32(), x.shape[0],
                                 x.shape[1], x.shape[2], w.shape[0], w.shape[2], stride, padding);
           return {out};
         },
         [] {
           return std::vector<OpCase>{
               conv("Whisper conv1: 80 mel bins, 300 frames", {1, 80, 300}, {64, 80, 3}, DType::F32, 1, true),
               conv("Whisper conv2: stride 2, f16 weights", {2, 16, 101}, {24, 16, 3}, DType::F16, 2, true),
               conv("bf16 weights, no bias", {1, 8, 33}, {12, 8, 3}, DType::BF16, 1, false),
           };
         }});
  t.add({"embedding", "ids i32 [...] in [0, V), table f32/f16/bf16 [V, C] → f32 [..., C]",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("embedding", in, 2, 2);
           return {ops::embedding(in[0], in[1])};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs {
           const HostTensor &ids = in[0], &table = in[1];
           const int64_t C = table.shape[1];
           Shape shape = ids.shape;
           shape.push_back(C);
           HostTensor out = HostTensor::zeros(shape, DType::F32);
           for (int64_t i = 0; i < ids.numel(); ++i)
             for (int64_t c = 0; c < C; ++c) out.f32()[i * C + c] = table.get(ids.i32()[i] * C + c);
           return {out};
         },
         [] {
           return std::vector<OpCase>{
               {"f16 table [50, 24], ids [2, 5]", {{{2, 5}, DType::I32, 0, 50}, {{50, 24}, DType::F16}}, {}, 0, 0},
               {"f32 table [9, 384], ids [7]", {{{7}, DType::I32, 0, 9}, {{9, 384}}}, {}, 0, 0},
           };
         }});
}
