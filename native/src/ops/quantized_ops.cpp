// int8 weights: quantize_rows (per-row symmetric int8, used for weights at load and for
// activations on the fly) and linear_i8 (x · wᵀ with int8 weights and per-channel scales).
// Born in the op list: this file, the CPU kernel (cpu/linear_i8*.cpp) and the TypeScript wrapper
// are the whole op. No CUDA kernel yet: on CUDA tensors both report Unsupported.
#include "linear_i8.h"
#include "op_support.h"

namespace dw::opdecl {
namespace {

void need(bool ok, ErrorCode code, const std::string& message) {
  if (!ok) fail(code, message);
}

void expect_dtype(const Tensor& t, DType d, const char* op, const char* name) {
  need(t.dtype == d, ErrorCode::DTypeMismatch,
       std::string(op) + ": expected " + dtype_name(d) + " for " + name + " but received " + dtype_name(t.dtype));
}

void cpu_only(const Inputs& in, const char* op) {
  for (const Tensor& t : in) {
    need(t.device() == in[0].device(), ErrorCode::DeviceMismatch,
         std::string(op) + ": tensors are on different devices; move them with to()");
  }
  need(in[0].device() == Device::CPU, ErrorCode::Unsupported,
       std::string("the cuda backend does not implement ") + op + " yet; run it on the cpu");
}

Tensor contiguous_input(const Tensor& t) { return t.is_contiguous() ? t : ops::contiguous(t); }

}  // namespace
}  // namespace dw::opdecl

void dw_register_ops_quantized_ops(dw::OpTable& t) {
  using namespace dw;
  using namespace dw::opdecl;
  t.add({"quantize_rows",
         "x f32 [..., K] → q i8 [..., K], scale f32 [...] (per row: scale = max|x| / 127, q = round(x / scale), "
         "|q| ≤ 127)",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           check_arity("quantize_rows", in, 1, 1);
           cpu_only(in, "quantize_rows");
           expect_dtype(in[0], DType::F32, "quantize_rows", "x");
           need(in[0].ndim() >= 1, ErrorCode::ShapeMismatch, "quantize_rows: x must have at least one dimension");
           const Tensor x = contiguous_input(in[0]);
           const int64_t K = x.dim(-1), rows = rows_of(x.shape);
           Tensor q = ops::empty(x.shape, DType::I8, Device::CPU);
           Tensor s = ops::empty(Shape(x.shape.begin(), x.shape.end() - 1), DType::F32, Device::CPU);
           cpu::quantize_rows(x.data<float>(), rows, K, q.data<int8_t>(), s.data<float>());
           return {q, s};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs {
           const int64_t K = in[0].shape.back(), rows = rows_of(in[0].shape);
           HostTensor q = HostTensor::zeros(in[0].shape, DType::I8);
           HostTensor s = HostTensor::zeros(Shape(in[0].shape.begin(), in[0].shape.end() - 1), DType::F32);
           cpu::quantize_rows_reference(in[0].f32(), rows, K, reinterpret_cast<int8_t*>(q.data()), s.f32());
           return {q, s};
         },
         [] {
           return std::vector<OpCase>{{"[3, 517]", {{{3, 517}, DType::F32, -3, 3}}, {}, 0, 0},
                                      {"[64, 512]", {{{64, 512}}}, {}, 0, 0},
                                      {"all-zero row", {{{2, 40}, DType::F32, 0, 0}}, {}, 0, 0}};
         },
         false});
  t.add({"linear_i8",
         "x f32 [..., K], w i8 [N, K], w_scale f32 [N], bias f32 [N] (optional) → f32 [..., N] = "
         "x·(w·w_scale)ᵀ + bias; up to 16 rows of x quantised to int8 on the fly with exact int32 sums, more "
         "rows in f32 against the dequantised weights",
         [](const Inputs& in, const OpAttrs&) -> Inputs {
           const char* op = "linear_i8";
           check_arity(op, in, 3, 4);
           cpu_only(in, op);
           expect_dtype(in[0], DType::F32, op, "x");
           expect_dtype(in[1], DType::I8, op, "w");
           expect_dtype(in[2], DType::F32, op, "w_scale");
           need(in[1].ndim() == 2, ErrorCode::ShapeMismatch, std::string(op) + ": expected 2-d w [N, K] but received " +
                                                                  shape_str(in[1].shape));
           need(in[0].ndim() >= 1 && in[0].dim(-1) == in[1].dim(1), ErrorCode::ShapeMismatch,
                std::string(op) + ": x " + shape_str(in[0].shape) + " does not fit w " + shape_str(in[1].shape) +
                    " (the last dim of x must equal K)");
           const int64_t N = in[1].dim(0), K = in[1].dim(1);
           need(in[2].shape == Shape{N}, ErrorCode::ShapeMismatch,
                std::string(op) + ": expected w_scale [" + std::to_string(N) + "] but received " + shape_str(in[2].shape));
           if (in.size() > 3) {
             expect_dtype(in[3], DType::F32, op, "bias");
             need(in[3].shape == Shape{N}, ErrorCode::ShapeMismatch,
                  std::string(op) + ": expected bias [" + std::to_string(N) + "] but received " + shape_str(in[3].shape));
           }
           const Tensor x = contiguous_input(in[0]), w = contiguous_input(in[1]), s = contiguous_input(in[2]);
           const Tensor b = in.size() > 3 ? contiguous_input(in[3]) : Tensor{};
           Shape out_shape = x.shape;
           out_shape.back() = N;
           Tensor y = ops::empty(out_shape, DType::F32, Device::CPU);
           cpu::linear_i8(rows_of(x.shape), N, K, x.data<float>(), w.data<int8_t>(), s.data<float>(),
                          b.buffer ? b.data<float>() : nullptr, y.data<float>());
           return {y};
         },
         [](const HostInputs& in, const OpAttrs&) -> HostOutputs {
           const int64_t N = in[1].shape[0], K = in[1].shape[1];
           Shape out_shape = in[0].shape;
           out_shape.back() = N;
           HostTensor y = HostTensor::zeros(out_shape, DType::F32);
           cpu::linear_i8_reference(rows_of(in[0].shape), N, K, in[0].f32(), reinterpret_cast<const int8_t*>(in[1].data()),
                                    in[2].f32(), in.size() > 3 ? in[3].f32() : nullptr, y.f32());
           return {y};
         },
         [] {
           auto c = [](const char* label, Shape x, int64_t N, bool bias) {
             const int64_t K = x.back();
             // Above 16 rows the product runs in the f32 GEMM (summation order differs from the reference's).
             const double tol = shape_numel(x) / K > 16 ? 1e-4 : 1e-5;
             OpCase o{label, {{x}, {{N, K}, DType::I8, -127, 128}, {{N}, DType::F32, 0.001, 0.02}}, {}, tol, tol};
             if (bias) o.inputs.push_back({{N}});
             return o;
           };
           return std::vector<OpCase>{c("one token [1, 512]·[1031, 512]ᵀ + bias", {1, 512}, 1031, true),
                                      c("3 rows, K 70 (tails)", {3, 70}, 9, false),
                                      c("5 rows, K 100 (4 + 1 rows, tails)", {5, 100}, 40, true),
                                      c("8 rows (a batch of windows)", {8, 512}, 300, true),
                                      c("16 rows (beams)", {16, 256}, 77, false),
                                      c("[2, 37, 384]·[200, 384]ᵀ + bias", {2, 37, 384}, 200, true),
                                      c("[300, 256]·[130, 256]ᵀ", {300, 256}, 130, false)};
         },
         false});
}
