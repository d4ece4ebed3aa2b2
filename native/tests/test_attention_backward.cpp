// attention_backward against the materialising double reference (which recomputes P from q and
// k and ignores out / lse): causal and not, Lq ≠ Lk (both ways when not causal), head dims 1 … 128,
// sizes that are not multiples of the SIMD width, the 64-key tile, the 48-query block or the
// 512-key task chunk, strided (padded) q / k / v / d_out, a wide score range, out and lse taken
// from the forward kernels (so the pair is checked end to end), the same bits for any thread
// count, and the dw::ops path over a sliced KV cache.
#include <cmath>
#include <string>
#include <vector>

#include "dw/ops.h"
#include "dw/thread_pool.h"
#include "kernels.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;
using dwtest::expect_close;
using dwtest::expect_true;

namespace {

struct Case {
  int64_t B, H, Lq, Lk, D;
  bool causal;
  int64_t pad;  // extra floats after each head row: makes every stride non-contiguous
  float range;  // q and k uniform in [−range, range]
};

// A [B, L, H, D] tensor stored with rows of D + pad floats and Lextra unused positions after L.
struct Strided {
  std::vector<float> data;
  int64_t strides[3];
};

Strided make(int64_t B, int64_t L, int64_t H, int64_t D, int64_t pad, int64_t Lextra, uint32_t seed, float range) {
  Strided s;
  const int64_t row = D + pad, Lcap = L + Lextra;
  s.data = dwtest::random_vec(static_cast<size_t>(B * Lcap * H * row), seed, -range, range);
  s.strides[0] = Lcap * H * row;
  s.strides[1] = H * row;
  s.strides[2] = row;
  return s;
}

struct Grads {
  std::vector<float> dq, dk, dv;
};

// Runs the forward kernel for out / lse, then the backward (optimised or reference).
struct Problem {
  Case c;
  Strided q, k, v, dout;
  std::vector<float> out, lse;
  cpu::AttentionBackwardShape shape;
  float scale;

  Problem(const Case& cs, uint32_t seed) : c(cs) {
    q = make(c.B, c.Lq, c.H, c.D, c.pad, 0, seed, c.range);
    k = make(c.B, c.Lk, c.H, c.D, c.pad, c.pad ? 5 : 0, seed + 1, c.range);
    v = make(c.B, c.Lk, c.H, c.D, c.pad, c.pad ? 3 : 0, seed + 2, 1.0f);
    dout = make(c.B, c.Lq, c.H, c.D, c.pad ? 1 : 0, 0, seed + 3, 1.0f);
    shape.s = cpu::AttentionShape{c.B, c.H, c.Lq, c.Lk, c.D, {}, {}, {}};
    for (int i = 0; i < 3; ++i) {
      shape.s.q_strides[i] = q.strides[i];
      shape.s.k_strides[i] = k.strides[i];
      shape.s.v_strides[i] = v.strides[i];
      shape.do_strides[i] = dout.strides[i];
    }
    shape.o_strides[0] = c.Lq * c.H * c.D;
    shape.o_strides[1] = c.H * c.D;
    shape.o_strides[2] = c.D;
    scale = 1.0f / std::sqrt(static_cast<float>(c.D));
    out.resize(static_cast<size_t>(c.B * c.Lq * c.H * c.D));
    lse.resize(static_cast<size_t>(c.B * c.H * c.Lq));
    cpu::attention(q.data.data(), k.data.data(), v.data.data(), shape.s, scale, c.causal, out.data(), lse.data());
  }

  Grads run(bool reference) const {
    Grads g;
    g.dq.assign(static_cast<size_t>(c.B * c.Lq * c.H * c.D), NAN);  // every element must be written
    g.dk.assign(static_cast<size_t>(c.B * c.Lk * c.H * c.D), NAN);
    g.dv.assign(g.dk.size(), NAN);
    auto fn = reference ? cpu::attention_backward_reference : cpu::attention_backward;
    fn(q.data.data(), k.data.data(), v.data.data(), out.data(), lse.data(), dout.data.data(), shape, scale, c.causal,
       g.dq.data(), g.dk.data(), g.dv.data());
    return g;
  }
};

std::string tag(const Case& c) {
  return " B=" + std::to_string(c.B) + " H=" + std::to_string(c.H) + " Lq=" + std::to_string(c.Lq) +
         " Lk=" + std::to_string(c.Lk) + " D=" + std::to_string(c.D) + (c.causal ? " causal" : "") +
         (c.pad ? " strided" : "") + " range=" + std::to_string(c.range).substr(0, 4);
}

void run_case(const Case& c, uint32_t seed) {
  const Problem p(c, seed);
  const Grads got = p.run(false), want = p.run(true);
  // Gradients are sums of up to Lk (dQ) or Lq (dK, dV) terms of size O(|dO|·|v|·scale·|q|). The
  // float scores S (|S| up to range²·√D) carry an absolute error of a few ulp of |S|, which P =
  // exp(S − lse) turns into a relative one: hence the range² in atol.
  const float atol = 1e-6f * c.range * c.range, rtol = 3e-5f;
  expect_close("attention_backward dq" + tag(c), got.dq.data(), want.dq.data(), got.dq.size(), atol, rtol);
  expect_close("attention_backward dk" + tag(c), got.dk.data(), want.dk.data(), got.dk.size(), atol, rtol);
  expect_close("attention_backward dv" + tag(c), got.dv.data(), want.dv.data(), got.dv.size(), atol, rtol);
}

void test_deterministic() {
  const Problem p({2, 2, 50, 1100, 40, false, 1, 1}, 700);  // 3 key chunks per head: dQ summed over chunks
  Grads runs[3];
  for (int t = 1; t <= 3; ++t) {
    set_num_threads(t);
    runs[t - 1] = p.run(false);
  }
  set_num_threads(0);
  bool same = true;
  for (int t = 1; t < 3; ++t) same = same && runs[t].dq == runs[0].dq && runs[t].dk == runs[0].dk && runs[t].dv == runs[0].dv;
  expect_true("attention_backward same bits for 1/2/3 threads", same);
}

// ops::attention → ops::attention_backward over a slice of a preallocated KV cache (strided k/v),
// self-attention shape (causal, Lq == Lk) as the decoder trains it.
void test_ops() {
  const int64_t B = 2, H = 3, D = 16, cap = 40, L = 29;
  auto qv = dwtest::random_vec(B * L * H * D, 80), gv = dwtest::random_vec(B * L * H * D, 81);
  auto ck = dwtest::random_vec(B * cap * H * D, 82), cv = dwtest::random_vec(B * cap * H * D, 83);
  Tensor q = dwtest::host_f32(qv, {B, L, H, D}), g = dwtest::host_f32(gv, {B, L, H, D});
  Tensor kc = dwtest::host_f32(ck, {B, cap, H, D}), vc = dwtest::host_f32(cv, {B, cap, H, D});
  Tensor k = view_slice(kc, 1, 0, L), v = view_slice(vc, 1, 0, L);
  AttentionParams params;
  params.scale = 0.3f;
  params.causal = true;
  auto fwd = ops::attention(q, k, v, params, true);
  auto grads = ops::attention_backward(q, k, v, fwd.out, *fwd.lse, g, params);
  expect_true("ops::attention_backward shapes", grads.dq.shape == Shape({B, L, H, D}) &&
                                                    grads.dk.shape == Shape({B, L, H, D}) && grads.dv.is_contiguous());
  cpu::AttentionBackwardShape s{{B, H, L, L, D, {L * H * D, H * D, D}, {cap * H * D, H * D, D}, {cap * H * D, H * D, D}},
                                {L * H * D, H * D, D},
                                {L * H * D, H * D, D}};
  std::vector<float> dq(qv.size()), dk(qv.size()), dv(qv.size());
  cpu::attention_backward_reference(qv.data(), ck.data(), cv.data(), nullptr, nullptr, gv.data(), s, 0.3f, true,
                                    dq.data(), dk.data(), dv.data());
  auto gq = dwtest::to_vec(grads.dq), gk = dwtest::to_vec(grads.dk), gvv = dwtest::to_vec(grads.dv);
  expect_close("ops::attention_backward dq", gq.data(), dq.data(), dq.size(), 1e-6f, 3e-5f);
  expect_close("ops::attention_backward dk", gk.data(), dk.data(), dk.size(), 1e-6f, 3e-5f);
  expect_close("ops::attention_backward dv", gvv.data(), dv.data(), dv.size(), 1e-6f, 3e-5f);
}

}  // namespace

int main() {
  set_num_threads(2);
  const Case cases[] = {
      {1, 1, 1, 1, 1, false, 0, 1},     {1, 1, 1, 1, 1, true, 0, 1},        {2, 3, 5, 7, 3, false, 0, 1},
      {2, 3, 5, 7, 3, true, 0, 1},      {2, 3, 7, 5, 3, false, 0, 1},       {1, 2, 17, 17, 64, true, 0, 1},
      {2, 2, 96, 96, 64, true, 0, 1},   {1, 2, 96, 1500, 64, false, 0, 1},  {1, 4, 100, 130, 80, true, 3, 1},
      {1, 2, 33, 70, 128, false, 2, 1}, {2, 1, 65, 65, 64, true, 1, 1},     {1, 2, 31, 95, 9, false, 1, 4},
      {3, 2, 4, 9, 1, true, 2, 2},      {1, 2, 40, 600, 40, true, 0, 6},    {1, 1, 5, 1100, 16, true, 0, 1},
      {1, 2, 49, 49, 7, false, 0, 1},   {1, 1, 1, 513, 64, false, 0, 1},    {1, 1, 3, 200, 24, true, 1, 1},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) run_case(c, seed += 4);
  test_deterministic();
  test_ops();
  return dwtest::summary("test_attention_backward");
}
