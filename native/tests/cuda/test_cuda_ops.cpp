// Every CUDA op against the CPU op on the same random inputs, through dw::ops (so validation,
// allocation and dispatch are covered too). f16 cases feed the CPU the f16-rounded values in f32,
// so the only differences are accumulation order and the rounding of the f16 output.
// Tolerances (|got − want| <= atol + rtol·|want|):
//   f32                 atol 1e-5…2e-4 (GEMM/attention: reduction order), rtol 1e-4
//   f16 activations     atol 2e-3…5e-3, rtol 4e-3 (one f16 rounding of the output ≈ 4.9e-4
//                       relative, plus f16 probabilities in the tensor-core attention)
// Exits 77 (ctest: skipped) with a visible message where no CUDA device is usable.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dw/ops.h"
// check.h after the dw headers: it names dw::Error.
#include "check.h"

using namespace dw;
using dwtest::expect_close;
using dwtest::expect_error;
using dwtest::expect_true;

namespace {

const Device CPU = Device::CPU;
const Device GPU = Device::CUDA;

std::vector<float> rounded(std::vector<float> v, DType dt) {
  for (float& x : v) {
    if (dt == DType::F16) x = f16_to_f32(f32_to_f16(x));
    else if (dt == DType::BF16) x = bf16_to_f32(f32_to_bf16(x));
  }
  return v;
}

Tensor host_tensor(const std::vector<float>& v, const Shape& s) {
  return ops::from_host(v.data(), v.size() * 4, s, DType::F32, CPU);
}

// The same values (already representable in dt) on the GPU in dtype dt.
Tensor gpu_tensor(const std::vector<float>& v, const Shape& s, DType dt) {
  return ops::to_device(ops::cast(host_tensor(v, s), dt), GPU);
}

std::vector<float> to_f32_host(const Tensor& t) {
  Tensor c = t.dtype == DType::F32 ? t : ops::cast(t, DType::F32);
  std::vector<float> h(static_cast<size_t>(c.numel()));
  ops::to_host(c, h.data(), h.size() * 4);
  return h;
}

std::vector<int32_t> to_i32_host(const Tensor& t) {
  std::vector<int32_t> h(static_cast<size_t>(t.numel()));
  ops::to_host(t, h.data(), h.size() * 4);
  return h;
}

bool compare(const std::string& what, const Tensor& got, const Tensor& want, float atol, float rtol) {
  if (got.shape != want.shape) {
    expect_true(what + ": shape " + shape_str(got.shape) + " vs " + shape_str(want.shape), false);
    return false;
  }
  const std::vector<float> g = to_f32_host(got), w = to_f32_host(want);
  return expect_close(what, g.data(), w.data(), g.size(), atol, rtol);
}

const char* dn(DType d) { return dtype_name(d); }

struct Tol {
  float atol, rtol;
};
Tol tol_for(DType act, float f32_atol = 1e-5f, float f16_atol = 2e-3f) {
  return act == DType::F32 ? Tol{f32_atol, 1e-4f} : Tol{f16_atol, 4e-3f};
}

// ---- tests ---------------------------------------------------------------------------------

void test_memory() {
  std::vector<float> v = dwtest::random_vec(1000, 1);
  for (DType dt : {DType::F32, DType::F16, DType::BF16}) {
    std::vector<float> r = rounded(v, dt);
    Tensor g = gpu_tensor(r, {10, 100}, dt);
    compare(std::string("upload/download ") + dn(dt), g, host_tensor(r, {10, 100}), 0, 0);
  }
  std::vector<int32_t> ids = {1, -5, 7, 1 << 30};
  Tensor gi = ops::from_host(ids.data(), 16, {4}, DType::I32, GPU);
  expect_true("upload/download i32", to_i32_host(gi) == ids);
  Tensor z = ops::zeros({3, 333}, DType::F32, GPU);
  std::vector<float> zeros(999, 0.0f);
  compare("zeros", z, host_tensor(zeros, {3, 333}), 0, 0);
}

void test_allocator_reuse() {
  Backend& be = cuda_backend();
  void* first;
  {
    auto b = be.allocate(1 << 20);
    first = b->data();
  }
  auto again = be.allocate(1 << 20);
  expect_true("pool hands the freed block back", again->data() == first);
  auto other = be.allocate(1 << 20);
  expect_true("a live block is not handed out twice", other->data() != again->data());
  auto tiny = be.allocate(0);
  expect_true("zero-byte allocation is valid", tiny->data() != nullptr);
}

void test_elementwise(DType dt) {
  const Tol t = tol_for(dt);
  const Shape sa = {3, 5, 37};
  std::vector<float> a = rounded(dwtest::random_vec(3 * 5 * 37, 11, -3, 3), dt);
  for (const Shape& sb : {Shape{37}, Shape{5, 37}, Shape{3, 5, 37}}) {
    std::vector<float> b = rounded(dwtest::random_vec(static_cast<size_t>(shape_numel(sb)), 12, -2, 2), dt);
    Tensor ga = gpu_tensor(a, sa, dt), gb = gpu_tensor(b, sb, dt);
    Tensor ca = host_tensor(a, sa), cb = host_tensor(b, sb);
    compare(std::string("add ") + dn(dt) + " b" + shape_str(sb), ops::add(ga, gb), ops::add(ca, cb), t.atol, t.rtol);
    compare(std::string("mul ") + dn(dt) + " b" + shape_str(sb), ops::mul(ga, gb), ops::mul(ca, cb), t.atol, t.rtol);
  }
  Tensor ga = gpu_tensor(a, sa, dt), ca = host_tensor(a, sa);
  compare(std::string("scale ") + dn(dt), ops::scale(ga, -0.37f), ops::scale(ca, -0.37f), t.atol, t.rtol);
  compare(std::string("gelu ") + dn(dt), ops::gelu(ga), ops::gelu(ca), t.atol, t.rtol);
}

void test_layer_norm(DType dt) {
  const Tol t = tol_for(dt, 2e-5f, 4e-3f);
  for (int64_t C : {37, 1280}) {
    const int64_t rows = 7;
    std::vector<float> x = rounded(dwtest::random_vec(static_cast<size_t>(rows * C), 21, -2, 4), dt);
    std::vector<float> gm = dwtest::random_vec(static_cast<size_t>(C), 22, 0.5f, 1.5f);
    std::vector<float> bt = dwtest::random_vec(static_cast<size_t>(C), 23);
    Tensor got = ops::layer_norm(gpu_tensor(x, {rows, C}, dt), gpu_tensor(gm, {C}, DType::F32),
                                 gpu_tensor(bt, {C}, DType::F32), 1e-5f);
    Tensor want = ops::layer_norm(host_tensor(x, {rows, C}), host_tensor(gm, {C}), host_tensor(bt, {C}), 1e-5f);
    compare(std::string("layer_norm ") + dn(dt) + " C=" + std::to_string(C), got, want, t.atol, t.rtol);
  }
}

void test_softmax(DType dt) {
  const Tol t = tol_for(dt, 1e-6f, 1e-3f);
  for (int64_t C : {17, 51866}) {
    const int64_t rows = 3;
    std::vector<float> x = rounded(dwtest::random_vec(static_cast<size_t>(rows * C), 31, -8, 8), dt);
    Tensor g = gpu_tensor(x, {rows, C}, dt), c = host_tensor(x, {rows, C});
    compare(std::string("softmax ") + dn(dt) + " C=" + std::to_string(C), ops::softmax(g), ops::softmax(c), t.atol,
            t.rtol);
    compare(std::string("log_softmax ") + dn(dt) + " C=" + std::to_string(C), ops::log_softmax(g),
            ops::log_softmax(c), dt == DType::F32 ? 2e-5f : 2e-2f, t.rtol);
  }
}

void test_matmul(DType act) {
  struct Case {
    int64_t M, K, N;
    bool trans_b, bias;
  };
  const Case cases[] = {{1, 256, 300, true, true},  {5, 77, 97, true, false},    {33, 256, 129, true, true},
                        {130, 64, 70, false, true}, {1, 1280, 2051, true, false}, {9, 40, 24, false, false}};
  for (DType wt : {DType::F32, DType::F16, DType::BF16}) {
    for (const Case& c : cases) {
      std::vector<float> a = rounded(dwtest::random_vec(static_cast<size_t>(c.M * c.K), 41), act);
      const Shape sb = c.trans_b ? Shape{c.N, c.K} : Shape{c.K, c.N};
      std::vector<float> b = rounded(dwtest::random_vec(static_cast<size_t>(c.N * c.K), 42), wt);
      std::vector<float> bias = dwtest::random_vec(static_cast<size_t>(c.N), 43);
      Tensor gbias = gpu_tensor(bias, {c.N}, DType::F32), cbias = host_tensor(bias, {c.N});
      Tensor got = ops::matmul(gpu_tensor(a, {c.M, c.K}, act), gpu_tensor(b, sb, wt), c.bias ? &gbias : nullptr,
                               c.trans_b);
      // The CPU takes the weight in its dtype too (converted on the fly, exactly).
      Tensor want = ops::matmul(host_tensor(a, {c.M, c.K}), ops::cast(host_tensor(b, sb), wt),
                                c.bias ? &cbias : nullptr, c.trans_b);
      // f16 activations with a bf16/f32 weight convert the weight to f16 on the GPU.
      const bool lossy = act == DType::F16 && wt != DType::F16;
      const float atol = act == DType::F32 ? 2e-4f : lossy ? 4e-2f : 5e-3f;
      const float rtol = act == DType::F32 ? 1e-4f : lossy ? 2e-2f : 4e-3f;
      compare(std::string("matmul ") + dn(act) + "·" + dn(wt) + " M=" + std::to_string(c.M) +
                  " K=" + std::to_string(c.K) + " N=" + std::to_string(c.N) + (c.trans_b ? " ᵀ" : "") +
                  (c.bias ? " +bias" : ""),
              got, want, atol, rtol);
    }
  }
  // Batched weights ([B, N, K]) and 1-d activations.
  std::vector<float> a = rounded(dwtest::random_vec(3 * 6 * 32, 44), act);
  std::vector<float> b = rounded(dwtest::random_vec(3 * 20 * 32, 45), act);
  compare(std::string("matmul batched ") + dn(act),
          ops::matmul(gpu_tensor(a, {3, 6, 32}, act), gpu_tensor(b, {3, 20, 32}, act), nullptr, true),
          ops::matmul(host_tensor(a, {3, 6, 32}), host_tensor(b, {3, 20, 32}), nullptr, true),
          act == DType::F32 ? 2e-4f : 5e-3f, 4e-3f);
  compare(std::string("matmul batched [B,K,N] ") + dn(act),
          ops::matmul(gpu_tensor(a, {3, 6, 32}, act), gpu_tensor(b, {3, 32, 20}, act), nullptr, false),
          ops::matmul(host_tensor(a, {3, 6, 32}), host_tensor(b, {3, 32, 20}), nullptr, false),
          act == DType::F32 ? 2e-4f : 5e-3f, 4e-3f);
  std::vector<float> a1(a.begin(), a.begin() + 32);
  compare(std::string("matmul 1-d ") + dn(act),
          ops::linear(gpu_tensor(a1, {32}, act), gpu_tensor(std::vector<float>(b.begin(), b.begin() + 640), {20, 32}, act),
                      nullptr),
          ops::linear(host_tensor(a1, {32}), host_tensor(std::vector<float>(b.begin(), b.begin() + 640), {20, 32}),
                      nullptr),
          act == DType::F32 ? 2e-4f : 5e-3f, 4e-3f);
}

// The skinny (decode-size) path of matmul: rows <= 32 against a shared [N, K] weight, read in its
// own dtype with f32 accumulation, for f16 and f32 activations. The CPU gets the same weight
// values, so the only differences are accumulation order (|err| <~ K·2^-24·max|term| ≈ 1e-4
// here) and, for f16 activations, the f16 rounding of the output (<= 2^-11 ≈ 4.9e-4 relative):
//   f32 activations  atol 2e-4, rtol 1e-4
//   f16 activations  atol 2e-3, rtol 2e-3
// K covers the vectorised kernel (K % 8 == 0, incl. a partial unroll round: 1280, 1000) and the
// scalar fallback (77, 1281, 1284 = 4 mod 8, and an activation pointer that is not 16-byte aligned).
// DW_CUDA_GEMV=off must give the cuBLAS path the same answers (f16·bf16/f32 there converts the
// weight to f16 first, hence the looser tolerance).
void test_matmul_skinny(DType act) {
  unsetenv("DW_CUDA_GEMV");
  struct Shape2 {
    int64_t K, N;
  };
  const Shape2 shapes[] = {{1280, 1283}, {1000, 37}, {77, 301}, {1281, 7}, {1284, 5}, {8, 1}};
  const float atol = act == DType::F32 ? 2e-4f : 2e-3f, rtol = act == DType::F32 ? 1e-4f : 2e-3f;
  uint32_t seed = 500;
  for (DType wt : {DType::F16, DType::BF16, DType::F32}) {
    if (act == DType::F32 && wt == DType::F32) continue;  // f32·f32 stays on cuBLAS
    for (const Shape2& sh : shapes) {
      for (int64_t M : {1, 2, 5, 17, 32}) {
        for (bool with_bias : {false, true}) {
          ++seed;
          std::vector<float> a = rounded(dwtest::random_vec(static_cast<size_t>(M * sh.K), seed), act);
          std::vector<float> b = rounded(dwtest::random_vec(static_cast<size_t>(sh.N * sh.K), seed + 1000), wt);
          std::vector<float> bias = dwtest::random_vec(static_cast<size_t>(sh.N), seed + 2000);
          Tensor gbias = gpu_tensor(bias, {sh.N}, DType::F32), cbias = host_tensor(bias, {sh.N});
          Tensor ga = gpu_tensor(a, {M, sh.K}, act), gb = gpu_tensor(b, {sh.N, sh.K}, wt);
          Tensor want = ops::linear(host_tensor(a, {M, sh.K}), ops::cast(host_tensor(b, {sh.N, sh.K}), wt),
                                    with_bias ? &cbias : nullptr);
          const std::string what = std::string("skinny ") + dn(act) + "·" + dn(wt) + " M=" + std::to_string(M) +
                                   " K=" + std::to_string(sh.K) + " N=" + std::to_string(sh.N) +
                                   (with_bias ? " +bias" : "");
          Tensor got = ops::linear(ga, gb, with_bias ? &gbias : nullptr);
          expect_true(what + ": output dtype", got.dtype == act);
          compare(what, got, want, atol, rtol);
          // The cuBLAS bypass, on a subset (it is the long-tested path).
          if (M == 5 || M == 32) {
            setenv("DW_CUDA_GEMV", "off", 1);
            Tensor off = ops::linear(ga, gb, with_bias ? &gbias : nullptr);
            unsetenv("DW_CUDA_GEMV");
            const bool lossy = act == DType::F16 && wt != DType::F16;
            compare(what + " DW_CUDA_GEMV=off", off, want, lossy ? 4e-2f : atol, lossy ? 2e-2f : rtol);
          }
        }
      }
    }
  }
  // Rows from a 3-d activation ([2, 3, K] = 6 rows) and an activation that starts 1 element into
  // its buffer (not 16-byte aligned although K % 8 == 0: the scalar fallback).
  {
    const int64_t K = 1280, N = 259;
    std::vector<float> a = rounded(dwtest::random_vec(static_cast<size_t>(6 * K + 1), 601), act);
    std::vector<float> b = rounded(dwtest::random_vec(static_cast<size_t>(N * K), 602), DType::F16);
    Tensor gb = gpu_tensor(b, {N, K}, DType::F16), cb = ops::cast(host_tensor(b, {N, K}), DType::F16);
    std::vector<float> a6(a.begin(), a.begin() + 6 * K);
    compare(std::string("skinny ") + dn(act) + "·f16 [2,3,K]",
            ops::linear(gpu_tensor(a6, {2, 3, K}, act), gb, nullptr),
            ops::linear(host_tensor(a6, {2, 3, K}), cb, nullptr), atol, rtol);
    Tensor whole = gpu_tensor(a, {6 * K + 1}, act);
    Tensor shifted = view_reshape(view_slice(whole, 0, 1, 6 * K + 1), {6, K});
    std::vector<float> a_shift(a.begin() + 1, a.end());
    compare(std::string("skinny ") + dn(act) + "·f16 unaligned activation",
            ops::linear(shifted, gb, nullptr), ops::linear(host_tensor(a_shift, {6, K}), cb, nullptr), atol, rtol);
  }
}

void test_conv1d(DType act) {
  const int64_t B = 2, Cin = 5, L = 33, Cout = 7, K = 3;
  std::vector<float> x = rounded(dwtest::random_vec(static_cast<size_t>(B * Cin * L), 51), act);
  std::vector<float> bias = dwtest::random_vec(static_cast<size_t>(Cout), 53);
  Tensor gbias = gpu_tensor(bias, {Cout}, DType::F32), cbias = host_tensor(bias, {Cout});
  for (DType wt : {DType::F32, DType::F16}) {
    std::vector<float> w = rounded(dwtest::random_vec(static_cast<size_t>(Cout * Cin * K), 52), wt);
    for (int stride : {1, 2}) {
      Tensor got = ops::conv1d(gpu_tensor(x, {B, Cin, L}, act), gpu_tensor(w, {Cout, Cin, K}, wt), &gbias, stride, 1);
      Tensor want = ops::conv1d(host_tensor(x, {B, Cin, L}), ops::cast(host_tensor(w, {Cout, Cin, K}), wt), &cbias,
                                stride, 1);
      compare(std::string("conv1d ") + dn(act) + " w " + dn(wt) + " stride " + std::to_string(stride), got, want,
              act == DType::F32 ? 1e-4f : 5e-3f, 4e-3f);
    }
  }
}

void test_embedding() {
  const int64_t V = 50, C = 300;
  std::vector<int32_t> ids = {0, 49, 7, 7, 23, 1};
  Tensor gids = ops::from_host(ids.data(), ids.size() * 4, {2, 3}, DType::I32, GPU);
  Tensor cids = ops::from_host(ids.data(), ids.size() * 4, {2, 3}, DType::I32, CPU);
  for (DType dt : {DType::F32, DType::F16, DType::BF16}) {
    std::vector<float> table = rounded(dwtest::random_vec(static_cast<size_t>(V * C), 61), dt);
    compare(std::string("embedding ") + dn(dt), ops::embedding(gids, gpu_tensor(table, {V, C}, dt)),
            ops::embedding(cids, ops::cast(host_tensor(table, {V, C}), dt)), 0, 0);
  }
  std::vector<int32_t> bad = {3, 50};
  Tensor gbad = ops::from_host(bad.data(), 8, {2}, DType::I32, GPU);
  Tensor table = ops::zeros({V, C}, DType::F32, GPU);
  expect_error("embedding id out of range", ErrorCode::InvalidArgument, [&] { ops::embedding(gbad, table); });
}

struct AttnCase {
  int64_t B, Lq, Lk, H, D;
  bool causal;
  bool kv_slice;    // k/v are a [.., 0:Lk] slice of a longer cache
  bool q_transposed;  // q is a [B, H, Lq, D] tensor transposed to [B, Lq, H, D]
};

// `path` is the DW_CUDA_ATTENTION value in force (attention_impl.h): "auto" (the default choice),
// v1, v2, decode or simt; a forced version that does not apply to a case runs the SIMT kernel.
void test_attention(DType dt, const char* path) {
  const AttnCase cases[] = {
      {2, 37, 37, 3, 64, false, false, false},  {2, 37, 37, 3, 64, true, false, true},
      {1, 20, 45, 2, 128, true, true, false},   {1, 70, 200, 2, 128, false, false, true},
      {2, 130, 130, 2, 64, true, false, false}, {1, 1, 448, 4, 64, false, true, false},
      {2, 1, 448, 3, 128, true, true, false},   {1, 3, 448, 2, 64, true, true, false},
      {1, 50, 50, 2, 40, false, false, false},  {1, 1, 17, 1, 40, true, false, false},
      {1, 16, 300, 2, 64, false, true, true},   {1, 300, 300, 1, 64, true, false, false},
      // Several query and key tiles for v2 (128 queries per CTA at D = 64, 64 at D = 128; 64 keys).
      {1, 200, 1000, 2, 64, true, false, false}, {2, 129, 257, 3, 128, false, false, true},
      {1, 257, 700, 2, 128, true, false, false}, {1, 1500, 1500, 2, 64, false, false, true},
      // The decode kernel: up to 4 queries, several key splits, big batch × heads.
      {3, 4, 300, 5, 128, true, true, false},    {2, 2, 1000, 2, 64, false, false, false},
      {1, 3, 100, 2, 32, true, false, false},    {16, 1, 448, 20, 64, true, true, false},
  };
  for (const AttnCase& c : cases) {
    const int64_t cap = c.kv_slice ? 448 + 13 : c.Lk;
    std::vector<float> q = rounded(dwtest::random_vec(static_cast<size_t>(c.B * c.Lq * c.H * c.D), 71, -2, 2), dt);
    std::vector<float> k = rounded(dwtest::random_vec(static_cast<size_t>(c.B * cap * c.H * c.D), 72, -2, 2), dt);
    std::vector<float> v = rounded(dwtest::random_vec(static_cast<size_t>(c.B * cap * c.H * c.D), 73), dt);
    auto make_q = [&](bool gpu) {
      if (!c.q_transposed) return gpu ? gpu_tensor(q, {c.B, c.Lq, c.H, c.D}, dt) : host_tensor(q, {c.B, c.Lq, c.H, c.D});
      Tensor t = gpu ? gpu_tensor(q, {c.B, c.H, c.Lq, c.D}, dt) : host_tensor(q, {c.B, c.H, c.Lq, c.D});
      return view_transpose(t, 1, 2);
    };
    auto make_kv = [&](const std::vector<float>& x, bool gpu) {
      Tensor t = gpu ? gpu_tensor(x, {c.B, cap, c.H, c.D}, dt) : host_tensor(x, {c.B, cap, c.H, c.D});
      return c.kv_slice ? view_slice(t, 1, 0, c.Lk) : t;
    };
    AttentionParams p;
    p.scale = 1.0f / std::sqrt(static_cast<float>(c.D));
    p.causal = c.causal;
    ops::AttentionResult got = ops::attention(make_q(true), make_kv(k, true), make_kv(v, true), p, true);
    ops::AttentionResult want = ops::attention(make_q(false), make_kv(k, false), make_kv(v, false), p, true);
    char name[200];
    std::snprintf(name, sizeof name, "attention %s %s B=%lld Lq=%lld Lk=%lld H=%lld D=%lld%s%s%s", dn(dt), path,
                  static_cast<long long>(c.B), static_cast<long long>(c.Lq), static_cast<long long>(c.Lk),
                  static_cast<long long>(c.H), static_cast<long long>(c.D), c.causal ? " causal" : "",
                  c.kv_slice ? " kv-slice" : "", c.q_transposed ? " q-strided" : "");
    const float atol = dt == DType::F32 ? 2e-5f : 4e-3f, rtol = dt == DType::F32 ? 1e-4f : 5e-3f;
    compare(name, got.out, want.out, atol, rtol);
    compare(std::string(name) + " lse", *got.lse, *want.lse, dt == DType::F32 ? 2e-5f : 2e-3f, 1e-4f);
  }
  // Without lse.
  std::vector<float> x = rounded(dwtest::random_vec(2 * 40 * 2 * 64, 74), dt);
  Tensor g = gpu_tensor(x, {2, 40, 2, 64}, dt), h = host_tensor(x, {2, 40, 2, 64});
  AttentionParams p;
  p.scale = 0.125f;
  compare(std::string("attention no-lse ") + dn(dt) + " " + path, ops::attention(g, g, g, p, false).out,
          ops::attention(h, h, h, p, false).out, dt == DType::F32 ? 2e-5f : 4e-3f, 5e-3f);
}

void test_argmax_topk(DType dt) {
  const int64_t rows = 4, C = 1001;
  std::vector<float> x = rounded(dwtest::random_vec(static_cast<size_t>(rows * C), 81, -5, 5), dt);
  x[3] = 9.0f;  // row 0: a tie, the lower index must win
  x[500] = 9.0f;
  x[C + 7] = NAN;  // row 1: NaN ranks first
  x[C + 900] = NAN;
  for (int64_t j = 0; j < C; ++j) x[static_cast<size_t>(2 * C + j)] = static_cast<float>(j % 7);  // many ties
  Tensor g = gpu_tensor(x, {rows, C}, dt), h = host_tensor(x, {rows, C});
  expect_true(std::string("argmax ") + dn(dt), to_i32_host(ops::argmax(g)) == to_i32_host(ops::argmax(h)));
  for (int k : {1, 5, 64, 100, 1001}) {
    auto [gv, gi] = ops::topk(g, k);
    auto [hv, hi] = ops::topk(h, k);
    expect_true(std::string("topk indices ") + dn(dt) + " k=" + std::to_string(k), to_i32_host(gi) == to_i32_host(hi));
    compare(std::string("topk values ") + dn(dt) + " k=" + std::to_string(k), gv, hv, 0, 0);
  }
}

void test_copy_concat() {
  std::vector<float> x = dwtest::random_vec(2 * 3 * 4 * 5, 91);
  Tensor g = gpu_tensor(x, {2, 3, 4, 5}, DType::F32), h = host_tensor(x, {2, 3, 4, 5});
  compare("contiguous(transpose 1,2)", ops::contiguous(view_transpose(g, 1, 2)),
          ops::contiguous(view_transpose(h, 1, 2)), 0, 0);
  compare("contiguous(transpose 0,3)", ops::contiguous(view_transpose(g, 0, 3)),
          ops::contiguous(view_transpose(h, 0, 3)), 0, 0);
  compare("contiguous(slice)", ops::contiguous(view_slice(g, 2, 1, 3)), ops::contiguous(view_slice(h, 2, 1, 3)), 0, 0);
  // KV-cache write: new rows into a slice of a preallocated cache.
  for (DType dt : {DType::F32, DType::F16}) {
    Tensor gc = ops::zeros({2, 10, 3, 8}, dt, GPU), hc = ops::cast(ops::zeros({2, 10, 3, 8}, DType::F32, CPU), dt);
    std::vector<float> nw = rounded(dwtest::random_vec(2 * 2 * 3 * 8, 92), dt);
    Tensor gdst = view_slice(gc, 1, 4, 6), hdst = view_slice(hc, 1, 4, 6);
    ops::copy_into(gdst, gpu_tensor(nw, {2, 2, 3, 8}, dt));
    ops::copy_into(hdst, ops::cast(host_tensor(nw, {2, 2, 3, 8}), dt));
    compare(std::string("copy_into KV cache slice ") + dn(dt), gc, hc, 0, 0);
  }
  std::vector<float> y = dwtest::random_vec(2 * 3 * 2 * 5, 93);
  Tensor gy = gpu_tensor(y, {2, 3, 2, 5}, DType::F32), hy = host_tensor(y, {2, 3, 2, 5});
  compare("concat dim 2", ops::concat({g, gy}, 2), ops::concat({h, hy}, 2), 0, 0);
  compare("concat dim 0 of transposed views", ops::concat({view_transpose(g, 1, 2), view_transpose(g, 1, 2)}, 0),
          ops::concat({view_transpose(h, 1, 2), view_transpose(h, 1, 2)}, 0), 0, 0);
}

void test_casts() {
  const std::vector<float> vals = {0.0f,    -0.0f, 1.0f,  -1.5f,  2.5f,    -3.5f,    127.4f, 128.0f, -129.0f, 300.7f,
                                   65504.f, 1e5f,  -1e10f, 1e-8f, 3.14159f, INFINITY, -INFINITY, NAN,  0.33333f, 2e9f};
  const DType all[] = {DType::F32, DType::F16, DType::BF16, DType::I32, DType::I8};
  const Shape s = {static_cast<int64_t>(vals.size())};
  for (DType from : all) {
    // Start from what the CPU makes of the values in `from`, so both sides cast identical inputs.
    Tensor hsrc = ops::cast(host_tensor(vals, s), from);
    Tensor gsrc = ops::to_device(hsrc, GPU);
    for (DType to : all) {
      Tensor hc = ops::cast(hsrc, to), gc = ops::cast(gsrc, to);
      std::vector<char> hb(hc.nbytes()), gb(gc.nbytes());
      ops::to_host(hc, hb.data(), hb.size());
      ops::to_host(gc, gb.data(), gb.size());
      bool same = hb == gb;
      if (!same && is_float(to)) {  // NaN payloads may differ; compare as numbers
        same = true;
        const std::vector<float> a = to_f32_host(hc), b = to_f32_host(ops::to_device(gc, CPU));
        for (size_t i = 0; i < a.size(); ++i)
          same = same && ((std::isnan(a[i]) && std::isnan(b[i])) || std::memcmp(&a[i], &b[i], 4) == 0);
      }
      expect_true(std::string("cast ") + dn(from) + " -> " + dn(to), same);
    }
  }
}

void test_errors() {
  Tensor g = ops::zeros({4, 4}, DType::F32, GPU), h = ops::zeros({4, 4}, DType::F32, CPU);
  expect_error("add across devices", ErrorCode::DeviceMismatch, [&] { ops::add(g, h); });
  Tensor gb = ops::zeros({4, 4}, DType::BF16, GPU);
  expect_error("bf16 activations on cuda", ErrorCode::DTypeMismatch, [&] { ops::gelu(gb); });
  expect_error("out of memory", ErrorCode::OutOfMemory, [&] { ops::empty({int64_t{1} << 42}, DType::F32, GPU); });
  Tensor big = ops::zeros({1, 4, 1, 256}, DType::F32, GPU);
  expect_error("attention head_dim 256", ErrorCode::Unsupported,
               [&] { ops::attention(big, big, big, AttentionParams{}, false); });
  // The backend still works after the errors.
  compare("usable after errors", ops::add(g, g), h, 0, 0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string reason;
  const bool probe = argc > 1 && std::strcmp(argv[1], "--probe") == 0;  // only: does the backend load?
  if (probe) {
    if (cuda_available(&reason)) std::printf("cuda available: %s\n", cuda_backend().name().c_str());
    else std::printf("cuda unavailable: %s\n", reason.c_str());
    return reason.empty() ? 0 : 77;
  }
  if (!cuda_available(&reason)) {
    std::printf("test_cuda_ops: skipped: no CUDA device (%s)\n", reason.c_str());
    return 77;
  }
  std::printf("test_cuda_ops: running on %s\n", cuda_backend().name().c_str());
  auto run = [](const char* name, auto&& fn) {
    const int before = dwtest::failures();
    try {
      fn();
    } catch (const std::exception& e) {
      ++dwtest::failures();
      std::printf("FAIL %s: threw %s\n", name, e.what());
    }
    std::printf("%-28s %s\n", name, dwtest::failures() == before ? "ok" : "FAILED");
    std::fflush(stdout);
  };
  run("memory", test_memory);
  run("allocator reuse", test_allocator_reuse);
  for (DType dt : {DType::F32, DType::F16}) {
    const std::string sfx = std::string(" ") + dn(dt);
    run(("elementwise" + sfx).c_str(), [&] { test_elementwise(dt); });
    run(("layer_norm" + sfx).c_str(), [&] { test_layer_norm(dt); });
    run(("softmax" + sfx).c_str(), [&] { test_softmax(dt); });
    run(("matmul" + sfx).c_str(), [&] { test_matmul(dt); });
    run(("matmul skinny" + sfx).c_str(), [&] { test_matmul_skinny(dt); });
    run(("conv1d" + sfx).c_str(), [&] { test_conv1d(dt); });
    run(("argmax/topk" + sfx).c_str(), [&] { test_argmax_topk(dt); });
  }
  // Every attention case with every kernel version (v1 is f16 only). The default first, with any
  // inherited DW_CUDA_ATTENTION cleared.
  unsetenv("DW_CUDA_ATTENTION");
  for (DType dt : {DType::F32, DType::F16}) {
    for (const char* version : {"auto", "v1", "v2", "decode", "simt"}) {
      if (dt == DType::F32 && std::strcmp(version, "v1") == 0) continue;
      if (std::strcmp(version, "auto") == 0) unsetenv("DW_CUDA_ATTENTION");
      else setenv("DW_CUDA_ATTENTION", version, 1);
      const std::string name = std::string("attention ") + dn(dt) + " " + version;
      run(name.c_str(), [&] { test_attention(dt, version); });
    }
  }
  unsetenv("DW_CUDA_ATTENTION");
  run("embedding", test_embedding);
  run("copy/concat", test_copy_concat);
  run("casts", test_casts);
  run("errors", test_errors);
  cuda_backend().synchronize();
  return dwtest::summary("test_cuda_ops");
}
