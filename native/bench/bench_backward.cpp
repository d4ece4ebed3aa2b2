// Throughput of the training (backward) kernels at the shapes of distilling a Whisper decoder
// (d_model 512, 8 heads of 64, FFN 2048, vocabulary 51 865, 8 × 96 decoder tokens, 1500 encoder
// positions). Prints one JSON object per line: GFLOP/s for the products, GB/s (and elements/s) for
// the memory-bound ops. Best of a few runs after a warm-up.
//
//   npm run build:native        (builds native/build/libdw_cpu.a), then from the repository root:
//   g++ -std=c++17 -O3 -Inative/include -Inative/src/cpu native/bench/bench_backward.cpp
//       native/build/libdw_cpu.a native/build/libdw_tensor.a -lpthread -ldl -o /tmp/bench_backward
//   /tmp/bench_backward [threads...]     (default: 1 2; DW_BENCH_ONLY=<substring> runs matching cases)
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "dw/thread_pool.h"
#include "kernels.h"

namespace {

using Clock = std::chrono::steady_clock;

template <class Fn>
double best_time(Fn&& fn, int reps, double budget) {
  fn();
  double best = 1e30;
  const auto start = Clock::now();
  for (int r = 0; r < reps; ++r) {
    const auto t0 = Clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
    if (std::chrono::duration<double>(Clock::now() - start).count() > budget && r >= 1) break;
  }
  return best;
}

std::vector<float> random_floats(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

bool wanted(const char* name) {
  const char* only = std::getenv("DW_BENCH_ONLY");
  return !only || std::strstr(name, only);
}

struct GemmCase {
  const char* name;
  int64_t M, N, K;
  bool trans_a, trans_b, accumulate;
};

void bench_gemm(int threads) {
  const GemmCase cases[] = {
      {"dE += dLogitsT.H (tied embedding)", 51865, 512, 768, true, false, true},
      {"dW += dYT.X (cross-attn k/v, 8x1500 rows)", 512, 512, 12000, true, false, true},
      {"dW += dYT.X (fc1)", 2048, 512, 768, true, false, true},
      {"dX = dY.W (fc1)", 768, 512, 2048, false, false, false},
      {"dH = dLogits.E (tied embedding)", 768, 512, 51865, false, false, false},
  };
  for (const GemmCase& c : cases) {
    if (!wanted(c.name)) continue;
    auto A = random_floats(static_cast<size_t>(c.M * c.K), 1), B = random_floats(static_cast<size_t>(c.N * c.K), 2);
    std::vector<float> C(static_cast<size_t>(c.M * c.N), 0.0f);
    const int64_t lda = c.trans_a ? c.M : c.K, ldb = c.trans_b ? c.K : c.N;
    const double t = best_time(
        [&] {
          dw::cpu::gemm(c.M, c.N, c.K, A.data(), lda, c.trans_a, B.data(), dw::DType::F32, ldb, c.trans_b, nullptr,
                        C.data(), c.N, c.accumulate);
        },
        5, 3.0);
    std::printf("{\"kind\":\"gemm\",\"name\":\"%s\",\"M\":%lld,\"N\":%lld,\"K\":%lld,\"threads\":%d,\"ms\":%.2f,"
                "\"gflops\":%.1f}\n",
                c.name, (long long)c.M, (long long)c.N, (long long)c.K, threads, t * 1e3,
                2.0 * c.M * c.N * c.K / t / 1e9);
    std::fflush(stdout);
  }
}

void bench_attention(int threads) {
  struct Case {
    const char* name;
    int64_t B, H, Lq, Lk, D;
    bool causal;
  } cases[] = {{"attention cross B8 H8 Lq96 Lk1500 D64", 8, 8, 96, 1500, 64, false},
               {"attention self causal B8 H8 L96 D64", 8, 8, 96, 96, 64, true}};
  for (const Case& c : cases) {
    if (!wanted(c.name)) continue;
    const size_t nq = static_cast<size_t>(c.B * c.Lq * c.H * c.D), nk = static_cast<size_t>(c.B * c.Lk * c.H * c.D);
    auto q = random_floats(nq, 3), k = random_floats(nk, 4), v = random_floats(nk, 5), g = random_floats(nq, 6);
    std::vector<float> out(nq), lse(static_cast<size_t>(c.B * c.H * c.Lq)), dq(nq), dk(nk), dv(nk);
    const int64_t qs[3] = {c.Lq * c.H * c.D, c.H * c.D, c.D}, ks[3] = {c.Lk * c.H * c.D, c.H * c.D, c.D};
    dw::cpu::AttentionBackwardShape s{{c.B, c.H, c.Lq, c.Lk, c.D, {qs[0], qs[1], qs[2]}, {ks[0], ks[1], ks[2]},
                                       {ks[0], ks[1], ks[2]}},
                                      {qs[0], qs[1], qs[2]},
                                      {qs[0], qs[1], qs[2]}};
    const float scale = 1.0f / std::sqrt(static_cast<float>(c.D));
    const double tf = best_time(
        [&] { dw::cpu::attention(q.data(), k.data(), v.data(), s.s, scale, c.causal, out.data(), lse.data()); }, 5,
        2.0);
    const double tb = best_time(
        [&] {
          dw::cpu::attention_backward(q.data(), k.data(), v.data(), out.data(), lse.data(), g.data(), s, scale,
                                      c.causal, dq.data(), dk.data(), dv.data());
        },
        5, 3.0);
    // Multiply-adds of the score products (causal: about half): forward 2 products, backward 5.
    const double macs = static_cast<double>(c.B) * c.H * c.Lq * c.Lk * c.D * (c.causal ? 0.5 : 1.0);
    std::printf("{\"kind\":\"attention_backward\",\"name\":\"%s\",\"threads\":%d,\"forward_ms\":%.2f,"
                "\"forward_gflops\":%.1f,\"backward_ms\":%.2f,\"backward_gflops\":%.1f}\n",
                c.name, threads, tf * 1e3, 4 * macs / tf / 1e9, tb * 1e3, 10 * macs / tb / 1e9);
    std::fflush(stdout);
  }
}

void bench_loss(int threads) {
  const int64_t R = 768, V = 51865;
  if (!wanted("logits_loss")) return;
  auto zs = random_floats(static_cast<size_t>(R * V), 7, -8, 8), zt = random_floats(zs.size(), 8, -8, 8);
  std::vector<float> grad(zs.size()), ce(static_cast<size_t>(R)), kl(ce.size());
  std::vector<int32_t> labels(static_cast<size_t>(R));
  for (int64_t r = 0; r < R; ++r) labels[static_cast<size_t>(r)] = r % 10 == 0 ? -100 : static_cast<int32_t>((r * 131) % V);
  for (int teacher = 1; teacher >= 0; --teacher)
    for (float T : {2.0f, 1.0f}) {
      if (!teacher && T != 2.0f) continue;
      const double t = best_time(
          [&] {
            dw::cpu::logits_loss(zs.data(), teacher ? zt.data() : nullptr, labels.data(), R, V, T, 0.8f, 1.0f,
                                 ce.data(), kl.data(), grad.data());
          },
          5, 3.0);
      const double bytes = static_cast<double>(R) * V * 4 * (teacher ? 3 : 2);  // read z_s (and z_t), write grad
      std::printf("{\"kind\":\"logits_loss\",\"name\":\"logits_loss R%lld V%lld T%.0f%s\",\"threads\":%d,\"ms\":%.2f,"
                  "\"gbps\":%.2f,\"melems\":%.0f}\n",
                  (long long)R, (long long)V, T, teacher ? " teacher" : " no teacher", threads, t * 1e3,
                  bytes / t / 1e9, R * V / t / 1e6);
      std::fflush(stdout);
    }
}

void bench_elementwise(int threads) {
  const int64_t rows = 768, C = 512, F = 2048;
  if (wanted("layer_norm_backward")) {
    auto x = random_floats(static_cast<size_t>(rows * C), 9), dy = random_floats(x.size(), 10);
    auto g = random_floats(static_cast<size_t>(C), 11);
    std::vector<float> dx(x.size()), dg(static_cast<size_t>(C)), db(dg.size());
    const double t = best_time(
        [&] { dw::cpu::layer_norm_backward(x.data(), g.data(), dy.data(), 1e-5f, rows, C, dx.data(), dg.data(), db.data()); },
        20, 1.0);
    std::printf("{\"kind\":\"layer_norm_backward\",\"name\":\"layer_norm_backward 768x512\",\"threads\":%d,"
                "\"ms\":%.3f,\"gbps\":%.2f}\n",
                threads, t * 1e3, 3.0 * rows * C * 4 / t / 1e9);
  }
  if (wanted("gelu_backward")) {
    auto x = random_floats(static_cast<size_t>(rows * F), 12, -4, 4), dy = random_floats(x.size(), 13);
    std::vector<float> dx(x.size());
    const double t = best_time([&] { dw::cpu::gelu_backward(x.data(), dy.data(), dx.data(), rows * F); }, 20, 1.0);
    std::printf("{\"kind\":\"gelu_backward\",\"name\":\"gelu_backward 768x2048\",\"threads\":%d,\"ms\":%.3f,"
                "\"gbps\":%.2f}\n",
                threads, t * 1e3, 3.0 * rows * F * 4 / t / 1e9);
  }
  if (wanted("adamw")) {
    // The trainable decoder of a 2-layer distil student (d 512): ~33 M parameters.
    const int64_t n = int64_t{33} << 20;
    auto p = random_floats(static_cast<size_t>(n), 14), g = random_floats(p.size(), 15, -0.01f, 0.01f);
    std::vector<float> m(p.size(), 0.0f), v(p.size(), 0.0f);
    int64_t step = 0;
    const double t = best_time(
        [&] { dw::cpu::adamw_step(p.data(), g.data(), m.data(), v.data(), n, {1e-4, 0.9, 0.999, 1e-8, 0.0, ++step}); },
        5, 2.0);
    std::printf("{\"kind\":\"adamw\",\"name\":\"adamw_step 33M\",\"threads\":%d,\"ms\":%.2f,\"gbps\":%.2f}\n", threads,
                t * 1e3, 7.0 * n * 4 / t / 1e9);  // reads p, g, m, v; writes p, m, v
    const double ts = best_time([&] { (void)dw::cpu::sum_squares(g.data(), n); }, 5, 2.0);
    std::printf("{\"kind\":\"sum_squares\",\"name\":\"sum_squares 33M\",\"threads\":%d,\"ms\":%.2f,\"gbps\":%.2f}\n",
                threads, ts * 1e3, 1.0 * n * 4 / ts / 1e9);
  }
  if (wanted("embedding_backward")) {
    const int64_t V = 51865;
    auto d_out = random_floats(static_cast<size_t>(rows * C), 16);
    std::vector<float> table(static_cast<size_t>(V * C), 0.0f);
    std::vector<int32_t> ids(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) ids[static_cast<size_t>(i)] = static_cast<int32_t>((i * 7919) % 3000);
    const double t = best_time([&] { dw::cpu::embedding_backward(ids.data(), rows, d_out.data(), C, table.data()); }, 20,
                               1.0);
    std::printf("{\"kind\":\"embedding_backward\",\"name\":\"embedding_backward 768 ids x 512\",\"threads\":%d,"
                "\"ms\":%.3f}\n",
                threads, t * 1e3);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> thread_counts;
  for (int i = 1; i < argc; ++i) thread_counts.push_back(std::atoi(argv[i]));
  if (thread_counts.empty()) thread_counts = {1, 2};
  for (int threads : thread_counts) {
    dw::set_num_threads(threads);
    bench_gemm(threads);
    bench_attention(threads);
    bench_loss(threads);
    bench_elementwise(threads);
  }
  return 0;
}
