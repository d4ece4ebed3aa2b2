// GEMM against the naive double-accumulating reference: odd sizes and tails around the micro-tile
// (6×16) and block (KC 256, MC 144) edges, both layouts of B, all B dtypes, bias on and off, leading
// dims wider than the matrices, the small-M streaming path, one and several threads, the training
// forms (op(A) = Aᵀ, accumulate into C; bit-identical across thread counts) and the dw::ops entry
// points (linear / matmul, batched, gemm).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "dw/ops.h"
#include "dw/tensor.h"
#include "dw/thread_pool.h"
#include "kernels.h"
// check.h after the dw headers: it refers to dw::Error.
#include "check.h"

using dw::DType;

namespace {

std::vector<uint16_t> to_half(const std::vector<float>& v, DType dt) {
  std::vector<uint16_t> h(v.size());
  for (size_t i = 0; i < v.size(); ++i) h[i] = dt == DType::F16 ? dw::f32_to_f16(v[i]) : dw::f32_to_bf16(v[i]);
  return h;
}

// f32 accumulation error grows ~ sqrt(K) · eps · |a||b|; inputs are in [-1, 1].
float tolerance(int64_t K) { return 2e-6f * std::sqrt(static_cast<float>(K) + 1.0f) * 8.0f; }

// c_off shifts C by that many floats from the allocation, so the column split of the threaded
// path meets C at every alignment.
void check_case(int64_t M, int64_t N, int64_t K, bool trans_b, DType dt, bool with_bias, int64_t pad,
                uint32_t seed, int64_t c_off = 0) {
  const int64_t lda = K + pad, ldc = N + pad;
  const int64_t ldb = (trans_b ? K : N) + pad;
  const int64_t b_rows = trans_b ? N : K;
  auto A = dwtest::random_vec(static_cast<size_t>(M * lda), seed);
  auto Bf = dwtest::random_vec(static_cast<size_t>(b_rows * ldb), seed + 1);
  auto bias = dwtest::random_vec(static_cast<size_t>(N), seed + 2);
  std::vector<uint16_t> Bh;
  const void* B = Bf.data();
  if (dt != DType::F32) {
    Bh = to_half(Bf, dt);
    B = Bh.data();
  }
  const float sentinel = 12345.0f;
  std::vector<float> got_store(static_cast<size_t>(M * ldc + c_off), sentinel), want(static_cast<size_t>(M * ldc), sentinel);
  const float* bp = with_bias ? bias.data() : nullptr;
  float* got = got_store.data() + c_off;
  dw::cpu::gemm(M, N, K, A.data(), lda, B, dt, ldb, trans_b, bp, got, ldc);
  dw::cpu::gemm_reference(M, N, K, A.data(), lda, B, dt, ldb, trans_b, bp, want.data(), ldc);
  const std::string name = "gemm M" + std::to_string(M) + " N" + std::to_string(N) + " K" + std::to_string(K) +
                           (trans_b ? " T" : " N") + " " + dw::dtype_name(dt) + (with_bias ? " bias" : "") +
                           " pad" + std::to_string(pad) + " coff" + std::to_string(c_off) + " threads" +
                           std::to_string(dw::num_threads());
  // Padding columns of C must be left alone (sentinel compared exactly through `want`).
  dwtest::expect_close(name, got, want.data(), want.size(), tolerance(K), 1e-4f);
}

void sweep() {
  const int64_t sizes[] = {1, 2, 3, 5, 7, 15, 16, 17, 31, 33, 63, 65, 100, 257};
  const DType dtypes[] = {DType::F32, DType::F16, DType::BF16};
  uint32_t seed = 1;
  // Every (M, N) pair with a couple of depths; dtype, layout, bias and padding rotate so all
  // combinations are covered without a full cross product.
  int i = 0;
  for (int64_t M : sizes)
    for (int64_t N : sizes) {
      const int64_t K = sizes[(i * 7 + 3) % 14];
      const DType dt = dtypes[i % 3];
      const bool trans = (i / 3) % 2 == 0;
      const bool bias = (i / 2) % 2 == 0;
      const int64_t pad = i % 5 == 0 ? 3 : 0;
      check_case(M, N, K, trans, dt, bias, pad, seed++);
      ++i;
    }
  // Full cross product of layout / dtype / bias / padding on a few shapes crossing block edges.
  const int64_t shapes[][3] = {{1, 300, 257},  {4, 65, 100},   {5, 97, 33},   {7, 33, 513},
                               {150, 70, 300}, {13, 290, 17},  {289, 31, 65}, {2, 40, 1}};
  for (const auto& s : shapes)
    for (DType dt : dtypes)
      for (int trans = 0; trans < 2; ++trans)
        for (int bias = 0; bias < 2; ++bias)
          for (int64_t pad : {int64_t{0}, int64_t{5}}) check_case(s[0], s[1], s[2], trans, dt, bias, pad, seed++);
}

void degenerate() {
  // K == 0: the product is empty, C is the bias (or zero).
  std::vector<float> C(6, 7.0f), bias = {1, 2, 3};
  dw::cpu::gemm(2, 3, 0, nullptr, 0, nullptr, DType::F32, 0, true, bias.data(), C.data(), 3);
  const float want[] = {1, 2, 3, 1, 2, 3};
  dwtest::expect_close("gemm K0 bias", C.data(), want, 6, 0, 0);
  dw::cpu::gemm(2, 3, 0, nullptr, 0, nullptr, DType::F32, 0, false, nullptr, C.data(), 3);
  const float zeros[6] = {};
  dwtest::expect_close("gemm K0 no bias", C.data(), zeros, 6, 0, 0);
}

void big_threaded() {
  // Shapes that take the multi-threaded split over N and over M, with two K blocks.
  check_case(300, 520, 600, true, DType::F16, true, 0, 900);
  check_case(700, 40, 300, true, DType::F32, false, 0, 901);
  check_case(64, 2000, 40, false, DType::BF16, true, 1, 902);
  for (int64_t off = 0; off < 16; off += 3) check_case(120, 300, 50, true, DType::F32, true, 20, 905 + off, off);
  check_case(3, 5000, 96, true, DType::F16, true, 0, 903);
}

void row_bands() {
  // Packed A is capped (8 Mi floats), so 2100 rows × K 4096 runs as two row bands.
  check_case(2100, 20, 4096, true, DType::BF16, true, 0, 904);
}

// The training forms: op(A) = Aᵀ read from A stored [K, M], and C += product. C starts from random
// values, so an accumulate that overwrote (or a write that added) shows.
std::vector<float> run_ex(int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, DType dt, bool accumulate,
                          int64_t pad, uint32_t seed, bool reference) {
  const int64_t lda = (trans_a ? M : K) + pad, ldb = (trans_b ? K : N) + pad, ldc = N + pad;
  const int64_t a_rows = trans_a ? K : M, b_rows = trans_b ? N : K;
  auto A = dwtest::random_vec(static_cast<size_t>(a_rows * lda), seed);
  auto Bf = dwtest::random_vec(static_cast<size_t>(b_rows * ldb), seed + 1);
  auto C = dwtest::random_vec(static_cast<size_t>(M * ldc), seed + 2, -2.0f, 2.0f);
  std::vector<uint16_t> Bh;
  const void* B = Bf.data();
  if (dt != DType::F32) {
    Bh = to_half(Bf, dt);
    B = Bh.data();
  }
  if (reference)
    dw::cpu::gemm_reference(M, N, K, A.data(), lda, trans_a, B, dt, ldb, trans_b, nullptr, C.data(), ldc, accumulate);
  else
    dw::cpu::gemm(M, N, K, A.data(), lda, trans_a, B, dt, ldb, trans_b, nullptr, C.data(), ldc, accumulate);
  return C;
}

void check_ex(int64_t M, int64_t N, int64_t K, bool trans_a, bool trans_b, DType dt, bool accumulate, int64_t pad,
              uint32_t seed) {
  const auto got = run_ex(M, N, K, trans_a, trans_b, dt, accumulate, pad, seed, false);
  const auto want = run_ex(M, N, K, trans_a, trans_b, dt, accumulate, pad, seed, true);
  const std::string name = "gemm M" + std::to_string(M) + " N" + std::to_string(N) + " K" + std::to_string(K) +
                           (trans_a ? " At" : " A") + (trans_b ? "Bt " : "B ") + dw::dtype_name(dt) +
                           (accumulate ? " acc" : "") + " pad" + std::to_string(pad) + " threads" +
                           std::to_string(dw::num_threads());
  // Accumulating adds |C| <= 2 to the product: one more rounding of that size.
  dwtest::expect_close(name, got.data(), want.data(), want.size(), tolerance(K) + (accumulate ? 4e-7f : 0.0f), 1e-4f);
}

void training_forms() {
  const int64_t sizes[] = {1, 2, 5, 6, 7, 13, 16, 17, 33, 100};
  const DType dtypes[] = {DType::F32, DType::F16, DType::BF16};
  uint32_t seed = 3000;
  int i = 0;
  for (int64_t M : sizes)
    for (int64_t N : sizes) {
      const int64_t K = sizes[(i * 3 + 1) % 10];
      // trans_a and accumulate take every combination; trans_b and the dtype rotate.
      for (int form = 0; form < 4; ++form)
        check_ex(M, N, K, form & 1, (i + form) % 2 == 0, dtypes[(i + form) % 3], form & 2, i % 4 == 0 ? 3 : 0, seed++);
      ++i;
    }
  // Block edges (KC slabs, MC blocks), the M-first split of tall C, and the shapes of a decoder's
  // weight gradients (dW += dYᵀ·X: M = out features, K = rows) and of dX = dY·W.
  check_ex(150, 70, 300, true, false, DType::F32, true, 0, seed++);
  check_ex(289, 31, 520, true, true, DType::F32, true, 2, seed++);
  check_ex(3001, 40, 130, true, false, DType::F32, true, 0, seed++);  // M ≥ 4·N
  check_ex(3001, 40, 130, true, false, DType::F32, false, 0, seed++);
  check_ex(64, 96, 1200, true, false, DType::F32, true, 0, seed++);
  check_ex(120, 64, 96, false, false, DType::F16, true, 1, seed++);
  check_ex(4, 300, 50, false, true, DType::F32, true, 0, seed++);   // small M, accumulate: blocked path
  check_ex(3, 300, 50, true, true, DType::BF16, false, 0, seed++);  // small M, trans_a: blocked path
}

// The same product with 1, 2 and 3 threads must agree to the bit (training reproducibility).
void deterministic() {
  auto run = [](int threads) {
    dw::set_num_threads(threads);
    return run_ex(700, 130, 900, true, false, DType::F32, true, 0, 4242, false);
  };
  const auto one = run(1), two = run(2), three = run(3);
  dwtest::expect_true("gemm trans_a accumulate: same bits with 1, 2 and 3 threads", one == two && one == three);
  dwtest::expect_close("gemm deterministic run vs itself", two.data(), one.data(), one.size(), 0, 0);
}

void row_bands_trans() {
  // Two row bands of op(A) = Aᵀ: the band offset moves across A's columns, not down its rows.
  check_ex(2100, 20, 4096, true, false, DType::F32, true, 0, 5000);
}

dw::Tensor from_vec(const std::vector<float>& v, const dw::Shape& shape) {
  return dw::ops::from_host(v.data(), v.size() * sizeof(float), shape, DType::F32, dw::Device::CPU);
}

std::vector<float> to_vec(const dw::Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  dw::ops::to_host(t, v.data(), v.size() * sizeof(float));
  return v;
}

void through_ops_gemm() {
  // ops::gemm: dW += dYᵀ·X into an existing tensor, then a fresh dX = dY·W (f16 W).
  const int64_t R = 23, O = 19, I = 11;
  auto dy = dwtest::random_vec(R * O, 60), x = dwtest::random_vec(R * I, 61), w0 = dwtest::random_vec(O * I, 62);
  dw::Tensor dyt = from_vec(dy, {R, O}), xt = from_vec(x, {R, I}), dw_t = from_vec(w0, {O, I});
  dw::Tensor res = dw::ops::gemm(dyt, xt, true, false, &dw_t, true);
  dwtest::expect_true("ops::gemm returns out", res.buffer == dw_t.buffer);
  std::vector<float> want = w0;
  dw::cpu::gemm_reference(O, I, R, dy.data(), O, true, x.data(), DType::F32, I, false, nullptr, want.data(), I, true);
  auto got = to_vec(dw_t);
  dwtest::expect_close("ops::gemm trans_a accumulate", got.data(), want.data(), want.size(), tolerance(R), 1e-4f);

  dw::Tensor wh = dw::ops::cast(from_vec(w0, {O, I}), DType::F16);
  auto got2 = to_vec(dw::ops::gemm(dyt, wh, false, false, nullptr, false));
  auto wq = to_half(w0, DType::F16);
  std::vector<float> want2(static_cast<size_t>(R * I));
  dw::cpu::gemm_reference(R, I, O, dy.data(), O, false, wq.data(), DType::F16, I, false, nullptr, want2.data(), I,
                          false);
  dwtest::expect_close("ops::gemm dX f16", got2.data(), want2.data(), want2.size(), tolerance(O), 1e-4f);
}

void through_ops() {
  // linear with an f16 weight and a [2, 3, K] input, and a batched matmul with plain B.
  const int64_t K = 37, N = 21;
  auto x = dwtest::random_vec(2 * 3 * K, 50), w = dwtest::random_vec(N * K, 51), b = dwtest::random_vec(N, 52);
  dw::Tensor xt = from_vec(x, {2, 3, K});
  dw::Tensor wt = dw::ops::cast(from_vec(w, {N, K}), DType::F16);
  dw::Tensor bt = from_vec(b, {N});
  auto got = to_vec(dw::ops::linear(xt, wt, &bt));
  auto wh = to_half(w, DType::F16);
  std::vector<float> want(2 * 3 * N);
  dw::cpu::gemm_reference(6, N, K, x.data(), K, wh.data(), DType::F16, K, true, b.data(), want.data(), N);
  dwtest::expect_close("ops::linear f16 weight", got.data(), want.data(), want.size(), tolerance(K), 1e-4f);

  auto bm = dwtest::random_vec(2 * K * N, 53);
  dw::Tensor bmt = from_vec(bm, {2, K, N});
  auto got2 = to_vec(dw::ops::matmul(from_vec(x, {2, 3, K}), bmt, nullptr, false));
  std::vector<float> want2(2 * 3 * N);
  for (int i = 0; i < 2; ++i)
    dw::cpu::gemm_reference(3, N, K, x.data() + i * 3 * K, K, bm.data() + i * K * N, DType::F32, N, false, nullptr,
                            want2.data() + i * 3 * N, N);
  dwtest::expect_close("ops::matmul batched", got2.data(), want2.data(), want2.size(), tolerance(K), 1e-4f);
}

}  // namespace

int main() {
  dw::set_num_threads(2);
  sweep();
  degenerate();
  big_threaded();
  row_bands();
  dw::set_num_threads(1);
  big_threaded();
  check_case(33, 65, 257, true, DType::F16, true, 2, 77);
  dw::set_num_threads(3);  // more threads than cores: still correct
  big_threaded();
  training_forms();
  row_bands_trans();
  dw::set_num_threads(2);
  training_forms();
  deterministic();
  dw::set_num_threads(0);
  through_ops();
  through_ops_gemm();
  return dwtest::summary("test_gemm");
}
