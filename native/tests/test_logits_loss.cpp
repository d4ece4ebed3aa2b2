// The fused distillation loss (CE + T²·KL per row, and its gradient) against the double
// reference: vocabularies that are not multiples of 8 up to Whisper's 51 865, T = 1, 2 and 3.5,
// ignored rows (−100), labels at both ends of the vocabulary, extreme logits (±80), teacher equal
// to the student (KL = 0), no teacher, in place (same bits as out of place), and dw::ops.
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
  int64_t R, V;
  float T;
  bool teacher;
  float range;  // logits uniform in [−range, range]
};

struct Out {
  std::vector<float> ce, kl, grad;
};

Out run(bool reference, const std::vector<float>& zs, const std::vector<float>* zt, const std::vector<int32_t>& labels,
        int64_t R, int64_t V, float T, float ce_scale, float kl_scale) {
  Out o{std::vector<float>(static_cast<size_t>(R), NAN), std::vector<float>(static_cast<size_t>(R), NAN),
        std::vector<float>(zs.size(), NAN)};
  auto fn = reference ? cpu::logits_loss_reference : cpu::logits_loss;
  fn(zs.data(), zt ? zt->data() : nullptr, labels.data(), R, V, T, ce_scale, kl_scale, o.ce.data(), o.kl.data(),
     o.grad.data());
  return o;
}

std::vector<int32_t> make_labels(int64_t R, int64_t V, uint32_t seed) {
  auto u = dwtest::random_vec(static_cast<size_t>(R), seed, 0.0f, 1.0f);
  std::vector<int32_t> l(u.size());
  for (size_t r = 0; r < l.size(); ++r) l[r] = std::min<int32_t>(static_cast<int32_t>(V - 1), static_cast<int32_t>(u[r] * V));
  if (R > 1) l[1] = -100;                                // ignored
  if (R > 2) l[2] = 0;                                   // first token
  if (R > 3) l[3] = static_cast<int32_t>(V - 1);         // last token (in the SIMD tail)
  return l;
}

void run_case(const Case& c, uint32_t seed) {
  auto zs = dwtest::random_vec(static_cast<size_t>(c.R * c.V), seed, -c.range, c.range);
  auto zt = dwtest::random_vec(zs.size(), seed + 1, -c.range, c.range);
  const auto labels = make_labels(c.R, c.V, seed + 2);
  const float ce_scale = 0.8f, kl_scale = 1.0f;
  const auto* tp = c.teacher ? &zt : nullptr;
  const Out got = run(false, zs, tp, labels, c.R, c.V, c.T, ce_scale, kl_scale);
  const Out want = run(true, zs, tp, labels, c.R, c.V, c.T, ce_scale, kl_scale);
  const std::string tag = " R=" + std::to_string(c.R) + " V=" + std::to_string(c.V) + " T=" +
                          std::to_string(c.T).substr(0, 3) + (c.teacher ? "" : " no teacher") +
                          " range=" + std::to_string(static_cast<int>(c.range));
  // ce / kl: O(log V + range) values from double sums; the float log-ratios cost ~1e-7 relative.
  expect_close("logits_loss ce" + tag, got.ce.data(), want.ce.data(), got.ce.size(), 2e-6f, 2e-6f);
  expect_close("logits_loss kl" + tag, got.kl.data(), want.kl.data(), got.kl.size(), 2e-6f * c.T * c.T, 1e-5f);
  // Gradient entries are bounded by ce_scale + kl_scale·T; exp is accurate to ~1.2 ulp.
  expect_close("logits_loss grad" + tag, got.grad.data(), want.grad.data(), got.grad.size(), 1e-7f * (1 + c.T), 1e-5f);

  // In place: the gradient overwrites the student logits, with the same bits.
  auto inplace = zs;
  std::vector<float> ce(static_cast<size_t>(c.R)), kl(ce.size());
  cpu::logits_loss(inplace.data(), c.teacher ? zt.data() : nullptr, labels.data(), c.R, c.V, c.T, ce_scale, kl_scale,
                   ce.data(), kl.data(), inplace.data());
  expect_close("logits_loss in place grad" + tag, inplace.data(), got.grad.data(), inplace.size(), 0, 0);
  expect_close("logits_loss in place ce" + tag, ce.data(), got.ce.data(), ce.size(), 0, 0);
  expect_close("logits_loss in place kl" + tag, kl.data(), got.kl.data(), kl.size(), 0, 0);
}

// Teacher = student: KL is 0 and the gradient is the CE part alone, also in place with the
// teacher being the very memory that is overwritten.
void test_teacher_is_student() {
  const int64_t R = 5, V = 1037;
  auto z = dwtest::random_vec(R * V, 90, -6, 6);
  const auto labels = make_labels(R, V, 91);
  const Out both = run(false, z, &z, labels, R, V, 2.0f, 0.8f, 1.0f);
  const Out ce_only = run(true, z, nullptr, labels, R, V, 2.0f, 0.8f, 1.0f);
  const std::vector<float> zeros(static_cast<size_t>(R), 0.0f);
  expect_close("teacher = student: kl = 0", both.kl.data(), zeros.data(), R, 1e-9f, 0);
  expect_close("teacher = student: grad = CE grad", both.grad.data(), ce_only.grad.data(), both.grad.size(), 1e-7f, 1e-5f);
  auto inplace = z;
  std::vector<float> ce(R), kl(R);
  cpu::logits_loss(inplace.data(), inplace.data(), labels.data(), R, V, 2.0f, 0.8f, 1.0f, ce.data(), kl.data(),
                   inplace.data());
  expect_close("teacher = student in place", inplace.data(), both.grad.data(), inplace.size(), 0, 0);
}

void test_ops() {
  const int64_t R = 4, V = 11;
  auto zs = dwtest::random_vec(R * V, 95, -3, 3), zt = dwtest::random_vec(R * V, 96, -3, 3);
  const std::vector<int32_t> labels = {3, -100, 10, 0};
  Tensor ts = dwtest::host_f32(zs, {R, V}), tt = dwtest::host_f32(zt, {R, V});
  Tensor tl = ops::from_host(labels.data(), 16, {R}, DType::I32, Device::CPU);
  ops::LogitsLossParams p;
  p.temperature = 2.0f;
  p.ce_scale = 0.5f;
  p.kl_scale = 0.25f;
  auto r = ops::logits_loss(ts, &tt, tl, p);
  const Out want = run(true, zs, &zt, labels, R, V, 2.0f, 0.5f, 0.25f);
  auto ce = dwtest::to_vec(r.ce), kl = dwtest::to_vec(r.kl), g = dwtest::to_vec(r.grad);
  expect_close("ops::logits_loss ce", ce.data(), want.ce.data(), R, 2e-6f, 2e-6f);
  expect_close("ops::logits_loss kl", kl.data(), want.kl.data(), R, 1e-5f, 1e-5f);
  expect_close("ops::logits_loss grad", g.data(), want.grad.data(), g.size(), 3e-7f, 1e-5f);
  p.in_place = true;
  auto r2 = ops::logits_loss(ts, &tt, tl, p);
  expect_true("ops::logits_loss in place returns the student tensor", r2.grad.buffer == ts.buffer && r2.grad.raw() == ts.raw());
  auto g2 = dwtest::to_vec(ts);
  expect_close("ops::logits_loss in place", g2.data(), g.data(), g.size(), 0, 0);
  // A label past the vocabulary is refused before anything is written.
  Tensor fresh = dwtest::host_f32(zs, {R, V});
  const std::vector<int32_t> bad = {3, -100, 11, 0};
  Tensor tb = ops::from_host(bad.data(), 16, {R}, DType::I32, Device::CPU);
  dwtest::expect_error("ops::logits_loss label = V", ErrorCode::InvalidArgument, [&] { ops::logits_loss(fresh, &tt, tb, p); });
  auto after = dwtest::to_vec(fresh);
  expect_true("failed logits_loss leaves the logits", after == zs);
}

}  // namespace

int main() {
  set_num_threads(2);
  const Case cases[] = {
      {3, 1, 2.0f, true, 3},     {4, 5, 2.0f, true, 3},      {6, 8, 1.0f, true, 3},    {6, 17, 2.0f, true, 5},
      {9, 1000, 2.0f, true, 8},  {9, 1000, 1.0f, true, 8},   {5, 1003, 3.5f, true, 8}, {7, 999, 2.0f, false, 8},
      {4, 51865, 2.0f, true, 10}, {4, 51865, 1.0f, false, 10}, {6, 333, 2.0f, true, 80}, {6, 333, 1.0f, true, 80},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) run_case(c, seed += 5);
  test_teacher_is_student();
  test_ops();
  return dwtest::summary("test_logits_loss");
}
