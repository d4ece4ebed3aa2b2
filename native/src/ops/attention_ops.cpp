// Scaled dot-product attention over [B, L, H, D] (strided q/k/v, e.g. KV-cache views).
#include <cmath>

#include "op_support.h"

namespace dw::opdecl {
namespace {

cpu::AttentionShape contiguous_shape(const HostTensor& q, const HostTensor& k) {
  const int64_t B = q.shape[0], Lq = q.shape[1], H = q.shape[2], D = q.shape[3], Lk = k.shape[1];
  return {B, H, Lq, Lk, D, {Lq * H * D, H * D, D}, {Lk * H * D, H * D, D}, {Lk * H * D, H * D, D}};
}

OpCase att(const char* label, int64_t B, int64_t Lq, int64_t Lk, int64_t H, int64_t D, bool causal, bool views,
           bool lse, DType kv = DType::F32) {
  OpCase c{label, {}, {{"scale", 1.0 / std::sqrt(static_cast<double>(D))}, {"causal", causal ? 1.0 : 0.0},
                       {"want_lse", lse ? 1.0 : 0.0}}, 2e-5, 2e-5};
  c.inputs.push_back({{B, Lq, H, D}, DType::F32, -1, 1, views});
  c.inputs.push_back({{B, Lk, H, D}, kv, -1, 1, views});
  c.inputs.push_back({{B, Lk, H, D}, kv, -1, 1, views});
  return c;
}

}  // namespace
}  // namespace dw::opdecl

void dw_register_ops_attention_ops(dw::OpTable& t) {
  using namespace dw;
  using namespace dw::opdecl;
  t.add({"attention",
         "q f32 [B, Lq, H, D], k f32 [B, Lk, H, D], v f32 [B, Lk, H, D] (last dim contiguous, other strides free; "
         "on the CPU k and v may both be f16); "
         "scale, causal (bottom-right aligned), want_lse → out f32 [B, Lq, H, D], lse f32 [B, H, Lq] (want_lse)",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("attention", in, 3, 3);
           AttentionParams p;
           p.scale = static_cast<float>(at.number("attention", "scale"));
           p.causal = at.flag("attention", "causal");
           const bool want_lse = at.flag("attention", "want_lse");
           ops::AttentionResult r = ops::attention(in[0], in[1], in[2], p, want_lse);
           if (want_lse) return {r.out, *r.lse};
           return {r.out};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           const HostTensor &q = in[0], &k = in[1], &v = in[2];
           cpu::AttentionShape s = contiguous_shape(q, k);
           HostTensor out = HostTensor::zeros(q.shape, DType::F32);
           HostTensor lse = HostTensor::zeros({s.B, s.H, s.Lq}, DType::F32);
           // f16 keys/values (the CPU's half-size KV cache) are exact in f32.
           const std::vector<float> kf = as_f32(k), vf = as_f32(v);
           cpu::attention_reference(q.f32(), kf.data(), vf.data(), s, static_cast<float>(at.number("attention", "scale")),
                                    at.flag("attention", "causal"), out.f32(), lse.f32());
           if (at.flag("attention", "want_lse")) return {out, lse};
           return {out};
         },
         [] {
           return std::vector<OpCase>{
               att("self, 1 batch, 37 tokens, causal", 1, 37, 37, 2, 64, true, false, true),
               att("decode step: 1 query over 70 cached keys (views)", 2, 1, 70, 3, 64, true, true, false),
               att("cross: 5 queries over 150 keys", 2, 5, 150, 2, 64, false, false, true),
               att("3 new tokens after 9 cached, causal, views", 1, 3, 12, 4, 32, true, true, true),
               att("odd head size 20", 1, 9, 17, 2, 20, false, false, false),
               att("f16 K/V: a decode step over 1500 cross-attention keys (views)", 2, 1, 1500, 2, 64, false, true, false,
                   DType::F16),
               att("f16 K/V: 5 causal queries after 70 cached", 1, 5, 75, 3, 64, true, false, true, DType::F16),
           };
         }});
}
