// Flash-style attention against the materialising reference: causal and not, Lq ≠ Lk, decode
// (Lq = 1) against a 448-long cache, head dims 1 … 128, padded (strided) q/k/v layouts, lse, a
// large score range (many online rescalings) and the dw::ops path over a sliced KV cache.
#include <cmath>
#include <vector>

#include "dw/ops.h"
#include "kernels.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;
using dwtest::expect_close;

namespace {

struct Case {
  int64_t B, H, Lq, Lk, D;
  bool causal;
  int64_t pad;   // extra floats after each head row: makes every stride non-contiguous
  float range;   // inputs uniform in [−range, range]
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

void run_case(const Case& c, uint32_t seed) {
  Strided q = make(c.B, c.Lq, c.H, c.D, c.pad, 0, seed, c.range);
  Strided k = make(c.B, c.Lk, c.H, c.D, c.pad, c.pad ? 5 : 0, seed + 1, c.range);
  Strided v = make(c.B, c.Lk, c.H, c.D, c.pad, c.pad ? 3 : 0, seed + 2, 1.0f);
  cpu::AttentionShape s{c.B, c.H, c.Lq, c.Lk, c.D, {}, {}, {}};
  for (int i = 0; i < 3; ++i) {
    s.q_strides[i] = q.strides[i];
    s.k_strides[i] = k.strides[i];
    s.v_strides[i] = v.strides[i];
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
  const size_t n_out = static_cast<size_t>(c.B * c.Lq * c.H * c.D), n_lse = static_cast<size_t>(c.B * c.H * c.Lq);
  std::vector<float> got(n_out), want(n_out), got_lse(n_lse), want_lse(n_lse);
  cpu::attention(q.data.data(), k.data.data(), v.data.data(), s, scale, c.causal, got.data(), got_lse.data());
  cpu::attention_reference(q.data.data(), k.data.data(), v.data.data(), s, scale, c.causal, want.data(), want_lse.data());
  const std::string tag = " B=" + std::to_string(c.B) + " H=" + std::to_string(c.H) + " Lq=" + std::to_string(c.Lq) +
                          " Lk=" + std::to_string(c.Lk) + " D=" + std::to_string(c.D) + (c.causal ? " causal" : "") +
                          (c.pad ? " strided" : "") + " range=" + std::to_string(c.range);
  expect_close("attention out" + tag, got.data(), want.data(), n_out, 2e-5f, 1e-4f);
  expect_close("attention lse" + tag, got_lse.data(), want_lse.data(), n_lse, 2e-5f, 1e-5f);
  // Without lse the output is the same.
  std::vector<float> again(n_out);
  cpu::attention(q.data.data(), k.data.data(), v.data.data(), s, scale, c.causal, again.data(), nullptr);
  expect_close("attention no-lse" + tag, again.data(), got.data(), n_out, 0, 0);
}

// Causal with Lq = Lk = 1 … 3 by hand: query 0 sees only key 0, so its output is v_0 exactly.
void test_causal_first_row() {
  const int64_t L = 3, D = 4;
  auto q = dwtest::random_vec(L * D, 1), k = dwtest::random_vec(L * D, 2), v = dwtest::random_vec(L * D, 3);
  cpu::AttentionShape s{1, 1, L, L, D, {L * D, D, D}, {L * D, D, D}, {L * D, D, D}};
  std::vector<float> out(L * D), lse(L);
  cpu::attention(q.data(), k.data(), v.data(), s, 0.5f, true, out.data(), lse.data());
  expect_close("causal row 0 equals v0", out.data(), v.data(), D, 1e-7f, 0);
  float s00 = 0;
  for (int d = 0; d < D; ++d) s00 += q[static_cast<size_t>(d)] * k[static_cast<size_t>(d)] * 0.5f;
  expect_close("causal row 0 lse is its only score", &lse[0], &s00, 1, 1e-6f, 1e-6f);
}

// ops::attention over a slice of a preallocated [B, 448, H, D] cache, as the decoder uses it.
void test_ops_kv_cache() {
  const int64_t B = 1, H = 6, D = 64, cap = 448, used = 37;
  auto qv = dwtest::random_vec(B * 1 * H * D, 50);
  auto cache_k = dwtest::random_vec(B * cap * H * D, 51), cache_v = dwtest::random_vec(B * cap * H * D, 52);
  Tensor q = ops::from_host(qv.data(), qv.size() * 4, {B, 1, H, D}, DType::F32, Device::CPU);
  Tensor kc = ops::from_host(cache_k.data(), cache_k.size() * 4, {B, cap, H, D}, DType::F32, Device::CPU);
  Tensor vc = ops::from_host(cache_v.data(), cache_v.size() * 4, {B, cap, H, D}, DType::F32, Device::CPU);
  Tensor k = view_slice(kc, 1, 0, used), v = view_slice(vc, 1, 0, used);
  AttentionParams p;
  p.scale = 0.125f;
  p.causal = true;
  auto r = ops::attention(q, k, v, p, true);
  dwtest::expect_true("ops::attention shapes", r.out.shape == Shape({B, 1, H, D}) && r.lse && r.lse->shape == Shape({B, H, 1}));
  cpu::AttentionShape s{B, H, 1, used, D, {H * D, H * D, D}, {cap * H * D, H * D, D}, {cap * H * D, H * D, D}};
  std::vector<float> want(static_cast<size_t>(B * H * D)), want_lse(static_cast<size_t>(B * H)), got(want.size()), got_lse(want_lse.size());
  cpu::attention_reference(qv.data(), cache_k.data(), cache_v.data(), s, 0.125f, true, want.data(), want_lse.data());
  ops::to_host(r.out, got.data(), got.size() * 4);
  ops::to_host(*r.lse, got_lse.data(), got_lse.size() * 4);
  expect_close("ops::attention kv cache out", got.data(), want.data(), got.size(), 2e-5f, 1e-4f);
  expect_close("ops::attention kv cache lse", got_lse.data(), want_lse.data(), got_lse.size(), 2e-5f, 1e-5f);
}

}  // namespace

int main() {
  const Case cases[] = {
      {1, 1, 1, 1, 1, false, 0, 1},     {1, 1, 1, 1, 1, true, 0, 1},      {2, 3, 5, 7, 3, false, 0, 1},
      {2, 3, 5, 7, 3, true, 0, 1},      {2, 3, 7, 5, 3, false, 0, 1},     {1, 2, 17, 17, 64, true, 0, 1},
      {1, 6, 1, 448, 64, false, 0, 1},  {1, 6, 1, 448, 64, true, 3, 1},   {2, 5, 1, 449, 80, true, 0, 1},
      {1, 4, 100, 130, 80, true, 0, 1}, {1, 2, 33, 70, 128, false, 2, 1}, {2, 1, 65, 65, 64, true, 1, 1},
      {1, 3, 129, 300, 64, false, 0, 1}, {1, 2, 40, 200, 64, true, 0, 6}, {1, 2, 31, 95, 9, false, 1, 4},
      {1, 1, 20, 64, 8, true, 0, 1},    {1, 1, 20, 65, 16, true, 0, 1},   {3, 2, 4, 9, 1, true, 2, 2},
      {1, 2, 17, 129, 40, false, 0, 1}, {1, 2, 3, 4, 3, true, 1, 1},
      {1, 1, 5, 33000, 128, true, 0, 1},  // K/V too large to pack per thread: per-query path
  };
  uint32_t seed = 1;
  for (const Case& c : cases) run_case(c, seed += 3);
  test_causal_first_row();
  test_ops_kv_cache();
  return dwtest::summary("test_attention");
}
