// Backward ops, the distillation loss and the optimiser step. Ops that update a tensor in place
// (embedding_backward, adamw_step, *_in_place) run here on copies and return the updated tensors.
#include <cmath>

#include "op_support.h"

namespace dw::opdecl {
namespace {

cpu::AttentionShape contiguous_attention(const HostTensor& q, const HostTensor& k) {
  const int64_t B = q.shape[0], Lq = q.shape[1], H = q.shape[2], D = q.shape[3], Lk = k.shape[1];
  return {B, H, Lq, Lk, D, {Lq * H * D, H * D, D}, {Lk * H * D, H * D, D}, {Lk * H * D, H * D, D}};
}

AttentionParams attention_params(const OpAttrs& at) {
  AttentionParams p;
  p.scale = static_cast<float>(at.number("attention_backward", "scale"));
  p.causal = at.flag("attention_backward", "causal");
  return p;
}

OpCase att_bwd(const char* label, int64_t B, int64_t Lq, int64_t Lk, int64_t H, int64_t D, bool causal) {
  OpCase c{label, {}, {{"scale", 1.0 / std::sqrt(static_cast<double>(D))}, {"causal", causal ? 1.0 : 0.0}}, 5e-5, 5e-4};
  c.inputs = {{{B, Lq, H, D}}, {{B, Lk, H, D}}, {{B, Lk, H, D}}, {{B, Lq, H, D}}, {{B, H, Lq}}, {{B, Lq, H, D}}};
  return c;
}

cpu::AdamWStep adamw_params(const OpAttrs& at) {
  const char* op = "adamw_step";
  return {at.number(op, "lr", 1e-3),  at.number(op, "beta1", 0.9), at.number(op, "beta2", 0.999),
          at.number(op, "eps", 1e-8), at.number(op, "weight_decay", 0.0), at.integer(op, "step", 1, int64_t{1} << 50, 1)};
}

}  // namespace
}  // namespace dw::opdecl

void dw_register_ops_training_ops(dw::OpTable& t) {
  using namespace dw;
  using namespace dw::opdecl;
  t.add({"layer_norm_backward",
         "x f32 [..., C], gamma f32 [C], d_out f32 [..., C]; eps → dx f32 [..., C], d_gamma f32 [C], d_beta f32 [C]",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("layer_norm_backward", in, 3, 3);
           const int64_t C = in[0].shape.empty() ? 0 : in[0].dim(-1);
           Tensor dg = ops::zeros({C}, DType::F32, in[0].device()), db = ops::zeros({C}, DType::F32, in[0].device());
           Tensor dx = ops::layer_norm_backward(in[0], in[1], in[2],
                                                static_cast<float>(at.number("layer_norm_backward", "eps", 1e-5)), &dg, &db);
           return {dx, dg, db};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           const int64_t C = in[0].shape.back();
           HostTensor dx = HostTensor::zeros(in[0].shape, DType::F32), dg = HostTensor::zeros({C}, DType::F32),
                      db = HostTensor::zeros({C}, DType::F32);
           cpu::layer_norm_backward_reference(in[0].f32(), in[1].f32(), in[2].f32(),
                                              static_cast<float>(at.number("layer_norm_backward", "eps", 1e-5)),
                                              rows_of(in[0].shape), C, dx.f32(), dg.f32(), db.f32());
           return {dx, dg, db};
         },
         [] {
           return std::vector<OpCase>{{"[37, 384]", {{{37, 384}, DType::F32, -2, 2}, {{384}, DType::F32, 0.5, 1.5}, {{37, 384}}},
                                       {{"eps", 1e-5}}, 1e-5, 1e-4}};
         }});
  t.add({"gelu_backward", "x f32 [...], d_out f32 x's shape → dx f32 x's shape",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("gelu_backward", in, 2, 2);
           return {ops::gelu_backward(in[0], in[1])};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs {
           HostTensor dx = HostTensor::zeros(in[0].shape, DType::F32);
           cpu::gelu_backward_reference(in[0].f32(), in[1].f32(), dx.f32(), in[0].numel());
           return {dx};
         },
         [] { return std::vector<OpCase>{{"[3, 1031] in [-6, 6)", {{{3, 1031}, DType::F32, -6, 6}, {{3, 1031}}}, {}, 2e-6, 2e-6}}; }});
  OpDef att{"attention_backward",
            "q, k, v, out, lse, d_out as attention() gave and read them; scale, causal → dq f32 [B, Lq, H, D], "
            "dk f32 [B, Lk, H, D], dv f32 [B, Lk, H, D]",
            [](const Inputs& in, const OpAttrs& at) -> Inputs {
              check_arity("attention_backward", in, 6, 6);
              ops::AttentionGrads g = ops::attention_backward(in[0], in[1], in[2], in[3], in[4], in[5], attention_params(at));
              return {g.dq, g.dk, g.dv};
            },
            [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
              cpu::AttentionBackwardShape s{contiguous_attention(in[0], in[1]), {}, {}};
              for (int i = 0; i < 3; ++i) s.o_strides[i] = s.do_strides[i] = s.s.q_strides[i];
              HostTensor dq = HostTensor::zeros(in[0].shape, DType::F32), dk = HostTensor::zeros(in[1].shape, DType::F32),
                         dv = HostTensor::zeros(in[2].shape, DType::F32);
              const AttentionParams p = attention_params(at);
              cpu::attention_backward_reference(in[0].f32(), in[1].f32(), in[2].f32(), in[3].f32(), in[4].f32(),
                                                 in[5].f32(), s, p.scale, p.causal, dq.f32(), dk.f32(), dv.f32());
              return {dq, dk, dv};
            },
            [] {
              return std::vector<OpCase>{att_bwd("self, causal, 19 tokens", 2, 19, 19, 2, 32, true),
                                         att_bwd("cross, 7 queries over 45 keys", 1, 7, 45, 3, 64, false)};
            }};
  // The backward reads the forward's out and lse, so they are computed from q, k, v, not drawn.
  att.derive = [](std::vector<HostTensor>& in, const OpAttrs& at) {
    const AttentionParams p = attention_params(at);
    cpu::attention_reference(in[0].f32(), in[1].f32(), in[2].f32(), contiguous_attention(in[0], in[1]), p.scale,
                             p.causal, in[3].f32(), in[4].f32());
  };
  t.add(att);
  t.add({"embedding_backward", "ids i32 [...] in [0, V), d_out f32 [..., C], d_table f32 [V, C] → d_table + scatter-add of d_out",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("embedding_backward", in, 3, 3);
           Tensor d_table = clone(in[2]);
           ops::embedding_backward(in[0], in[1], d_table);
           return {d_table};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs {
           HostTensor d_table = in[2];
           cpu::embedding_backward_reference(in[0].i32(), in[0].numel(), in[1].f32(), in[2].shape[1], d_table.f32());
           return {d_table};
         },
         [] {
           return std::vector<OpCase>{{"ids [3, 7] over [20, 48] (repeats add up)",
                                       {{{3, 7}, DType::I32, 0, 20}, {{3, 7, 48}}, {{20, 48}}}, {}, 1e-6, 1e-6}};
         }});
  t.add({"logits_loss",
         "student f32 [R, V], labels i32 [R] (< 0: ignored), teacher f32 [R, V] (optional); temperature, ce_scale, "
         "kl_scale → ce f32 [R], kl f32 [R], grad f32 [R, V]",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("logits_loss", in, 2, 3);
           ops::LogitsLossParams p;
           p.temperature = static_cast<float>(at.number("logits_loss", "temperature", 2.0));
           p.ce_scale = static_cast<float>(at.number("logits_loss", "ce_scale", 1.0));
           p.kl_scale = static_cast<float>(at.number("logits_loss", "kl_scale", 1.0));
           ops::LogitsLossResult r = ops::logits_loss(in[0], optional(in, 2), in[1], p);
           return {r.ce, r.kl, r.grad};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           const int64_t R = in[0].shape[0], V = in[0].shape[1];
           HostTensor ce = HostTensor::zeros({R}, DType::F32), kl = HostTensor::zeros({R}, DType::F32),
                      grad = HostTensor::zeros({R, V}, DType::F32);
           cpu::logits_loss_reference(in[0].f32(), in.size() > 2 ? in[2].f32() : nullptr, in[1].i32(), R, V,
                                      static_cast<float>(at.number("logits_loss", "temperature", 2.0)),
                                      static_cast<float>(at.number("logits_loss", "ce_scale", 1.0)),
                                      static_cast<float>(at.number("logits_loss", "kl_scale", 1.0)), ce.f32(), kl.f32(),
                                      grad.f32());
           return {ce, kl, grad};
         },
         [] {
           return std::vector<OpCase>{
               {"CE + KL, 6 rows over 1031 (some ignored)",
                {{{6, 1031}, DType::F32, -8, 8}, {{6}, DType::I32, -2, 1031}, {{6, 1031}, DType::F32, -8, 8}},
                {{"temperature", 2}, {"ce_scale", 0.8}, {"kl_scale", 1}}, 2e-5, 2e-4},
               {"CE only, 3 rows over 51865", {{{3, 51865}, DType::F32, -8, 8}, {{3}, DType::I32, 0, 51865}},
                {{"temperature", 1}}, 2e-5, 2e-4}};
         }});
  t.add({"adamw_step",
         "param, grad, m, v f32 (one shape; v ≥ 0); lr, beta1, beta2, eps, weight_decay, step → param, m, v after one "
         "torch.optim.AdamW step",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("adamw_step", in, 4, 4);
           const cpu::AdamWStep s = adamw_params(at);
           Tensor p = clone(in[0]), m = clone(in[2]), v = clone(in[3]);
           ops::adamw_step(p, in[1], m, v, {s.lr, s.beta1, s.beta2, s.eps, s.weight_decay, s.step});
           return {p, m, v};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           HostTensor p = in[0], m = in[2], v = in[3];
           cpu::adamw_step_reference(p.f32(), in[1].f32(), m.f32(), v.f32(), p.numel(), adamw_params(at));
           return {p, m, v};
         },
         [] {
           return std::vector<OpCase>{{"[1031] at step 7 with weight decay",
                                       {{{1031}}, {{1031}}, {{1031}, DType::F32, -0.01, 0.01}, {{1031}, DType::F32, 0, 1e-3}},
                                       {{"lr", 1e-3}, {"weight_decay", 0.01}, {"step", 7}}, 1e-7, 1e-6}};
         }});
  t.add({"add_in_place", "dst f32 [...], src f32 dst's shape; alpha → dst + alpha·src",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("add_in_place", in, 2, 2);
           Tensor d = clone(in[0]);
           ops::add_in_place(d, in[1], static_cast<float>(at.number("add_in_place", "alpha", 1.0)));
           return {d};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           HostTensor d = in[0];
           cpu::add_in_place_reference(d.f32(), in[1].f32(), static_cast<float>(at.number("add_in_place", "alpha", 1.0)),
                                       d.numel());
           return {d};
         },
         [] { return std::vector<OpCase>{{"[3, 1031] alpha −0.5", {{{3, 1031}}, {{3, 1031}}}, {{"alpha", -0.5}}, 1e-7, 1e-7}}; }});
  t.add({"scale_in_place", "x f32 [...]; s → x·s",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("scale_in_place", in, 1, 1);
           Tensor x = clone(in[0]);
           ops::scale_in_place(x, static_cast<float>(at.number("scale_in_place", "s")));
           return {x};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           HostTensor x = in[0];
           for (int64_t i = 0; i < x.numel(); ++i) x.f32()[i] *= static_cast<float>(at.number("scale_in_place", "s"));
           return {x};
         },
         [] { return std::vector<OpCase>{{"[1031] by 3", {{{1031}}}, {{"s", 3}}, 0, 0}}; }});
  t.add({"fill_zero", "x f32 [...] → zeros of x's shape",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("fill_zero", in, 1, 1);
           Tensor x = clone(in[0]);
           ops::fill_zero(x);
           return {x};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs { return {HostTensor::zeros(in[0].shape, in[0].dtype)}; },
         [] { return std::vector<OpCase>{{"[2, 333]", {{{2, 333}}}, {}, 0, 0}}; }});
}
