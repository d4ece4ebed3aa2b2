// adamw_step against the double-precision textbook AdamW over several steps (with and without
// weight decay, β1 on both sides of torch's lerp switch at 0.5), and through dw::ops.
#include <cmath>
#include <vector>

#include "dw/ops.h"
#include "dw/thread_pool.h"
#include "kernels.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;
using dwtest::expect_close;

namespace {

void run(const cpu::AdamWStep& base, int64_t n, const std::string& tag) {
  auto p = dwtest::random_vec(static_cast<size_t>(n), 61), p_ref = p;
  std::vector<float> m(p.size(), 0.0f), v(p.size(), 0.0f), m_ref = m, v_ref = v;
  for (int64_t step = 1; step <= 6; ++step) {
    auto g = dwtest::random_vec(p.size(), 62 + static_cast<uint32_t>(step), -0.5f, 0.5f);
    if (step == 3) g.assign(g.size(), 0.0f);  // a zero gradient: the moments decay, no NaN
    cpu::AdamWStep s = base;
    s.step = step;
    cpu::adamw_step(p.data(), g.data(), m.data(), v.data(), n, s);
    cpu::adamw_step_reference(p_ref.data(), g.data(), m_ref.data(), v_ref.data(), n, s);
  }
  // Each step rounds param (|param| <= ~1) once more in float32 than the double reference: a few ulp
  // after six steps, far below one update (lr·m̂/√v̂ ≈ lr).
  expect_close("adamw param" + tag, p.data(), p_ref.data(), p.size(), 2e-7f, 2e-6f);
  expect_close("adamw m" + tag, m.data(), m_ref.data(), m.size(), 1e-7f, 1e-5f);
  expect_close("adamw v" + tag, v.data(), v_ref.data(), v.size(), 1e-9f, 1e-5f);
}

void test_ops() {
  const int64_t n = 37;
  auto p = dwtest::random_vec(n, 71), g = dwtest::random_vec(n, 72);
  Tensor tp = dwtest::host_f32(p, {n}), tg = dwtest::host_f32(g, {n});
  Tensor tm = ops::zeros({n}, DType::F32, Device::CPU), tv = ops::zeros({n}, DType::F32, Device::CPU);
  ops::AdamWParams ap;
  ap.lr = 1e-2;
  ap.weight_decay = 0.1;
  ops::adamw_step(tp, tg, tm, tv, ap);
  std::vector<float> m(n, 0.0f), v(n, 0.0f);
  cpu::adamw_step_reference(p.data(), g.data(), m.data(), v.data(), n, cpu::AdamWStep{1e-2, 0.9, 0.999, 1e-8, 0.1, 1});
  auto got = dwtest::to_vec(tp);
  expect_close("ops::adamw_step", got.data(), p.data(), p.size(), 2e-8f, 1e-6f);
}

}  // namespace

int main() {
  set_num_threads(2);
  run({1e-3, 0.9, 0.999, 1e-8, 0.0, 1}, 1000, " lr 1e-3");
  run({1e-4, 0.9, 0.999, 1e-8, 0.01, 1}, 100003, " lr 1e-4 wd 0.01");
  run({5e-2, 0.3, 0.99, 1e-6, 0.1, 1}, 1001, " beta1 0.3 (lerp from the far end)");
  test_ops();
  return dwtest::summary("test_adamw");
}
