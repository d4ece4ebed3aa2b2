// Matrix products: matmul (inference, b converted on the fly from f32/f16/bf16) and gemm (the
// training form with transposed operands and accumulation).
#include "op_support.h"

namespace dw::opdecl {
namespace {

HostOutputs ref_matmul(const HostInputs& in, const OpAttrs& at) {
  const HostTensor& a = in[0];
  const HostTensor& b = in[1];
  const bool trans_b = at.flag("matmul", "trans_b");
  const int64_t K = a.shape.back();
  const int64_t M = a.shape.size() >= 2 ? a.shape[a.shape.size() - 2] : 1;
  const int64_t N = trans_b ? b.shape[b.shape.size() - 2] : b.shape.back();
  Shape out_shape = a.shape;
  out_shape.back() = N;
  HostTensor out = HostTensor::zeros(out_shape, DType::F32);
  std::vector<float> bias;
  if (in.size() > 2) bias = as_f32(in[2]);
  const int64_t batches = M * K != 0 ? a.numel() / (M * K) : 0;
  const size_t b_step = b.shape.size() == 2 ? 0 : static_cast<size_t>(N * K) * dtype_size(b.dtype);
  for (int64_t i = 0; i < batches; ++i)
    cpu::gemm_reference(M, N, K, a.f32() + i * M * K, K, b.bytes.data() + i * b_step, b.dtype, trans_b ? K : N,
                        trans_b, bias.empty() ? nullptr : bias.data(), out.f32() + i * M * N, N);
  return {out};
}

OpCase mm(const char* label, Shape a, Shape b, DType bt, bool trans_b, bool bias, double tol) {
  OpCase c{label, {{a}, {b, bt}}, {{"trans_b", trans_b ? 1.0 : 0.0}}, tol, tol};
  if (bias) c.inputs.push_back({{trans_b ? b[0] : b.back()}});
  return c;
}

HostOutputs ref_gemm(const HostInputs& in, const OpAttrs& at) {
  const bool ta = at.flag("gemm", "trans_a"), tb = at.flag("gemm", "trans_b");
  const HostTensor& a = in[0];
  const HostTensor& b = in[1];
  const int64_t M = ta ? a.shape[1] : a.shape[0], K = ta ? a.shape[0] : a.shape[1];
  const int64_t N = tb ? b.shape[0] : b.shape[1];
  HostTensor out = in.size() > 2 ? in[2] : HostTensor::zeros({M, N}, DType::F32);
  cpu::gemm_reference(M, N, K, a.f32(), a.shape[1], ta, b.bytes.data(), b.dtype, b.shape[1], tb, nullptr, out.f32(), N,
                      in.size() > 2);
  return {out};
}

}  // namespace
}  // namespace dw::opdecl

void dw_register_ops_matmul_ops(dw::OpTable& t) {
  using namespace dw;
  using namespace dw::opdecl;
  t.add({"matmul",
         "a f32 [..., M, K], b f32/f16/bf16 [K, N] or [N, K] (trans_b) or batched like a, bias f32 [N] (optional); "
         "trans_b → f32 [..., M, N]",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("matmul", in, 2, 3);
           return {ops::matmul(in[0], in[1], optional(in, 2), at.flag("matmul", "trans_b"))};
         },
         ref_matmul,
         [] {
           return std::vector<OpCase>{
               mm("gemv [1, 384]·f16 [1536, 384]ᵀ + bias", {1, 384}, {1536, 384}, DType::F16, true, true, 2e-4),
               mm("6 rows·bf16 [100, 72]ᵀ", {6, 72}, {100, 72}, DType::BF16, true, false, 2e-4),
               mm("16 rows·f32 [40, 33]ᵀ + bias", {16, 33}, {40, 33}, DType::F32, true, true, 2e-4),
               mm("37 rows·f32 [129, 70] (not transposed) + bias", {37, 129}, {129, 70}, DType::F32, false, true, 2e-4),
               mm("[300, 256]·f16 [384, 256]ᵀ (blocked, threaded)", {300, 256}, {384, 256}, DType::F16, true, true, 5e-4),
               mm("batched [2, 3, 40]·[2, 40, 24]", {2, 3, 40}, {2, 40, 24}, DType::F32, false, false, 2e-4),
           };
         }});
  t.add({"gemm",
         "a f32 [M, K] or [K, M] (trans_a), b f32/f16/bf16 [K, N] or [N, K] (trans_b), c f32 [M, N] (optional: "
         "accumulated into); trans_a, trans_b → f32 [M, N]",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("gemm", in, 2, 3);
           const bool ta = at.flag("gemm", "trans_a"), tb = at.flag("gemm", "trans_b");
           if (in.size() == 2) return {ops::gemm(in[0], in[1], ta, tb, nullptr, false)};
           Tensor c = clone(in[2]);
           ops::gemm(in[0], in[1], ta, tb, &c, true);
           return {c};
         },
         ref_gemm,
         [] {
           auto g = [](const char* label, Shape a, Shape b, bool ta, bool tb, bool acc) {
             OpCase c{label, {{a}, {b}}, {{"trans_a", ta ? 1.0 : 0.0}, {"trans_b", tb ? 1.0 : 0.0}}, 2e-4, 2e-4};
             if (acc) c.inputs.push_back({{ta ? a[1] : a[0], tb ? b[0] : b[1]}});
             return c;
           };
           return std::vector<OpCase>{g("aᵀ·b [70, 37]ᵀ·[70, 29]", {70, 37}, {70, 29}, true, false, false),
                                      g("a·bᵀ accumulated [13, 50]·[21, 50]ᵀ", {13, 50}, {21, 50}, false, true, true),
                                      g("aᵀ·bᵀ [64, 9]ᵀ·[33, 64]ᵀ", {64, 9}, {33, 64}, true, true, false),
                                      g("a·b 3 rows", {3, 64}, {64, 40}, false, false, false)};
         }});
}
