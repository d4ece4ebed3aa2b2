// Reductions, selection and copies: argmax, topk, sum_rows, sum_squares, cast, contiguous, concat.
#include <algorithm>
#include <numeric>

#include "op_support.h"

namespace dw::opdecl {
namespace {

// Ties and NaN as torch orders them: NaN above every number, then the lower index first.
bool ranks_above(float a, int64_t ia, float b, int64_t ib) {
  const bool na = a != a, nb = b != b;
  if (na != nb) return na;
  if (!na && a != b) return a > b;
  return ia < ib;
}

}  // namespace
}  // namespace dw::opdecl

void dw_register_ops_reduce_copy_ops(dw::OpTable& t) {
  using namespace dw;
  using namespace dw::opdecl;
  t.add({"argmax", "x f32 [..., C] → i32 [...] (first maximum; NaN counts as the largest)",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("argmax", in, 1, 1);
           return {ops::argmax(in[0])};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs {
           const int64_t C = in[0].shape.back(), rows = rows_of(in[0].shape);
           Shape shape(in[0].shape.begin(), in[0].shape.end() - 1);
           HostTensor out = HostTensor::zeros(shape, DType::I32);
           for (int64_t r = 0; r < rows; ++r) {
             int64_t best = 0;
             for (int64_t c = 1; c < C; ++c)
               if (ranks_above(in[0].f32()[r * C + c], c, in[0].f32()[r * C + best], best)) best = c;
             out.i32()[r] = static_cast<int32_t>(best);
           }
           return {out};
         },
         [] { return std::vector<OpCase>{{"[3, 51865]", {{{3, 51865}}}, {}, 0, 0}, {"[7]", {{{7}}}, {}, 0, 0}}; }});
  t.add({"topk", "x f32 [..., C]; k → values f32 [..., k] (descending), indices i32 [..., k]",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("topk", in, 1, 1);
           auto [values, indices] = ops::topk(in[0], static_cast<int>(at.integer("topk", "k", 0, 1 << 30, 1)));
           return {values, indices};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           const int64_t C = in[0].shape.back(), rows = rows_of(in[0].shape);
           const int64_t k = at.integer("topk", "k", 0, 1 << 30, 1);
           Shape shape = in[0].shape;
           shape.back() = k;
           HostTensor values = HostTensor::zeros(shape, DType::F32), indices = HostTensor::zeros(shape, DType::I32);
           std::vector<int64_t> order(static_cast<size_t>(C));
           for (int64_t r = 0; r < rows; ++r) {
             const float* x = in[0].f32() + r * C;
             std::iota(order.begin(), order.end(), 0);
             std::stable_sort(order.begin(), order.end(),
                              [&](int64_t a, int64_t b) { return ranks_above(x[a], a, x[b], b); });
             for (int64_t j = 0; j < k; ++j) {
               values.f32()[r * k + j] = x[order[static_cast<size_t>(j)]];
               indices.i32()[r * k + j] = static_cast<int32_t>(order[static_cast<size_t>(j)]);
             }
           }
           return {values, indices};
         },
         [] {
           return std::vector<OpCase>{{"k 5 of [2, 500]", {{{2, 500}}}, {{"k", 5}}, 0, 0},
                                      {"k 1 of [51865]", {{{1, 51865}}}, {{"k", 1}}, 0, 0}};
         }});
  t.add({"sum_rows", "x f32 [..., N] → f32 [N] (Σ over the leading rows, in double)",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("sum_rows", in, 1, 1);
           return {ops::sum_rows(in[0], nullptr, false)};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs {
           const int64_t N = in[0].shape.back();
           HostTensor out = HostTensor::zeros({N}, DType::F32);
           cpu::sum_rows_reference(in[0].f32(), rows_of(in[0].shape), N, out.f32(), false);
           return {out};
         },
         [] { return std::vector<OpCase>{{"[37, 70]", {{{37, 70}}}, {}, 1e-6, 1e-6}, {"[2, 300, 384]", {{{2, 300, 384}}}, {}, 1e-5, 1e-6}}; }});
  t.add({"sum_squares", "x f32 [...] → f32 [1] (Σ x², accumulated in double)",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("sum_squares", in, 1, 1);
           const float s = static_cast<float>(ops::sum_squares(in[0]));
           return {ops::from_host(&s, 4, {1}, DType::F32, in[0].device())};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs {
           const float s = static_cast<float>(cpu::sum_squares_reference(in[0].f32(), in[0].numel()));
           return {f32_from({1}, {s})};
         },
         [] { return std::vector<OpCase>{{"[100003]", {{{100003}}}, {}, 1e-4, 1e-6}}; }});
  t.add({"cast", "x f32/f16/bf16/i32 [...]; dtype (0 f32, 1 f16, 2 bf16, 3 i32) → x converted",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("cast", in, 1, 1);
           return {ops::cast(in[0], static_cast<DType>(at.integer("cast", "dtype", 0, 3, 0)))};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           const DType to = static_cast<DType>(at.integer("cast", "dtype", 0, 3, 0));
           HostTensor out = HostTensor::zeros(in[0].shape, to);
           auto* o16 = reinterpret_cast<uint16_t*>(out.data());
           for (int64_t i = 0; i < in[0].numel(); ++i) {
             const float v = in[0].get(i);
             if (to == DType::F32) out.f32()[i] = v;
             else if (to == DType::F16) o16[i] = f32_to_f16(v);
             else if (to == DType::BF16) o16[i] = f32_to_bf16(v);
             else out.i32()[i] = static_cast<int32_t>(v);
           }
           return {out};
         },
         [] {
           return std::vector<OpCase>{{"f32 → f16 [1031]", {{{1031}, DType::F32, -70000, 70000}}, {{"dtype", 1}}, 0, 0},
                                      {"f32 → bf16 [1031]", {{{1031}}}, {{"dtype", 2}}, 0, 0},
                                      {"f16 → f32 [2, 517]", {{{2, 517}, DType::F16}}, {{"dtype", 0}}, 0, 0},
                                      {"bf16 → f32 [77]", {{{77}, DType::BF16}}, {{"dtype", 0}}, 0, 0}};
         }});
  t.add({"contiguous", "x any dtype, any strides → the same values, contiguous",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("contiguous", in, 1, 1);
           return {in[0].is_contiguous() ? clone(in[0]) : ops::contiguous(in[0])};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs { return {in[0]}; },
         [] {
           return std::vector<OpCase>{{"a transposed [2, 5, 3, 8] view", {{{2, 5, 3, 8}, DType::F32, -1, 1, true}}, {}, 0, 0},
                                      {"f16 view", {{{1, 7, 2, 4}, DType::F16, -1, 1, true}}, {}, 0, 0}};
         }});
  t.add({"concat", "xs (2 or more) same dtype, equal shapes but for dim; dim → the inputs joined along dim",
         [](const Inputs& in, const OpAttrs& at) -> Inputs {
           check_arity("concat", in, 1, 64);
           return {ops::concat(in, static_cast<int>(at.integer("concat", "dim", -8, 7, 0)))};
         },
         [](const HostInputs& in, const OpAttrs& at) -> HostOutputs {
           const int nd = static_cast<int>(in[0].shape.size());
           int dim = static_cast<int>(at.integer("concat", "dim", -8, 7, 0));
           if (dim < 0) dim += nd;
           Shape shape = in[0].shape;
           shape[static_cast<size_t>(dim)] = 0;
           for (const auto& h : in) shape[static_cast<size_t>(dim)] += h.shape[static_cast<size_t>(dim)];
           HostTensor out = HostTensor::zeros(shape, in[0].dtype);
           int64_t outer = 1, inner = dtype_size(in[0].dtype);
           for (int i = 0; i < dim; ++i) outer *= shape[static_cast<size_t>(i)];
           for (int i = dim + 1; i < nd; ++i) inner *= shape[static_cast<size_t>(i)];
           size_t pos = 0;
           for (int64_t o = 0; o < outer; ++o)
             for (const auto& h : in) {
               const size_t run = static_cast<size_t>(h.shape[static_cast<size_t>(dim)] * inner);
               std::copy_n(h.bytes.data() + o * run, run, out.bytes.data() + pos);
               pos += run;
             }
           return {out};
         },
         [] {
           return std::vector<OpCase>{{"dim 1 of [2, 3, 4] and [2, 5, 4]", {{{2, 3, 4}}, {{2, 5, 4}}}, {{"dim", 1}}, 0, 0},
                                      {"dim -1, three inputs", {{{3, 2}}, {{3, 1}}, {{3, 4}}}, {{"dim", -1}}, 0, 0}};
         }});
}
