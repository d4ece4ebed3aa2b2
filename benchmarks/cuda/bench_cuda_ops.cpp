// Kernel-level benchmark of the CUDA backend through dw::ops, for Whisper shapes: flash attention
// (encoder self-attention, decode step against a 448 cache), cuBLAS GEMMs of the encoder, the
// single-token logits GEMV and one distil-large-v3 encoder layer. torch_baseline.py measures the
// same shapes with PyTorch in the same run; summarize.py puts them side by side.
//
//   bench_cuda_ops [--json out.json] [--quick]
// Needs DW_CUDA_LIB (or libdw_cuda.so next to the executable's dw_cpu); exits 77 without a GPU.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "dw/ops.h"

using namespace dw;

namespace {

bool g_quick = false;

// Mean seconds per call: warm-up, then repeat until ~0.25 s (or a cap) have passed.
double time_it(const std::function<void()>& fn) {
  Backend& be = cuda_backend();
  for (int i = 0; i < 3; ++i) fn();
  be.synchronize();
  const double budget = g_quick ? 0.05 : 0.25;
  int iters = 0;
  const auto t0 = std::chrono::steady_clock::now();
  double elapsed = 0;
  do {
    for (int i = 0; i < 5; ++i) fn();
    iters += 5;
    be.synchronize();
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (elapsed < budget && iters < 2000);
  return elapsed / iters;
}

Tensor rand_gpu(const Shape& s, DType dt, uint32_t seed, float amp = 1.0f) {
  std::vector<float> v(static_cast<size_t>(shape_numel(s)));
  uint32_t x = seed * 2654435761u + 1;
  for (float& f : v) {
    x = x * 1664525u + 1013904223u;
    f = amp * (static_cast<float>(x >> 8) / 8388608.0f - 1.0f);
  }
  Tensor h = ops::from_host(v.data(), v.size() * 4, s, DType::F32, Device::CPU);
  return ops::to_device(ops::cast(h, dt), Device::CUDA);
}

struct Row {
  std::string group, name, dtype, unit, version;
  double ms, value;
};
std::vector<Row> g_rows;

// version: the attention kernel forced through DW_CUDA_ATTENTION ("auto" = the default choice),
// empty for everything else.
void record(const std::string& group, const std::string& name, DType dt, double sec, double value,
            const std::string& unit, const std::string& version = "") {
  g_rows.push_back({group, name, dtype_name(dt), unit, version, sec * 1e3, value});
  std::printf("%-10s %-44s %-4s %-6s %10.4f ms  %10.2f %s\n", group.c_str(), name.c_str(), dtype_name(dt),
              version.c_str(), sec * 1e3, value, unit.c_str());
  std::fflush(stdout);
}

// Runs fn with DW_CUDA_ATTENTION=version ("auto": unset), restoring the default afterwards.
template <class Fn>
void with_attention_version(const char* version, Fn&& fn) {
  if (std::strcmp(version, "auto") == 0) unsetenv("DW_CUDA_ATTENTION");
  else setenv("DW_CUDA_ATTENTION", version, 1);
  try {
    fn();
  } catch (const std::exception& e) {
    std::printf("attention version %s failed: %s\n", version, e.what());
  }
  unsetenv("DW_CUDA_ATTENTION");
}

// Every kernel version that applies to the shape (a forced version that does not apply runs the
// SIMT kernel, which is measured once as "simt"). auto = what the backend picks by default.
void bench_attention() {
  const int64_t H = 20, L = 1500, D = 64;
  for (DType dt : {DType::F16, DType::F32}) {
    for (int64_t B : {1, 16}) {
      if (dt == DType::F32 && B == 16) continue;  // the slow SIMT path: one size is enough
      Tensor q = rand_gpu({B, L, H, D}, dt, 1), k = rand_gpu({B, L, H, D}, dt, 2), v = rand_gpu({B, L, H, D}, dt, 3);
      AttentionParams p;
      p.scale = 1.0f / std::sqrt(static_cast<float>(D));
      std::vector<const char*> versions = {"auto", "v2", "simt"};  // f32: v2 = the CUDA-core flash kernel
      if (dt == DType::F16) versions = {"auto", "v2", "v1"};
      if (dt == DType::F16 && B == 1) versions.push_back("simt");
      for (const char* version : versions)
        with_attention_version(version, [&] {
          const double s = time_it([&] { ops::attention(q, k, v, p, false); });
          const double flops = 4.0 * B * H * L * L * D;
          record("attention", "enc B=" + std::to_string(B) + " H=20 L=1500 D=64", dt, s, flops / s / 1e12, "TFLOP/s",
                 version);
        });
    }
    // Decode: one query against a 448-long cache (a slice of a preallocated cache).
    for (int64_t B : {1, 16}) {
      Tensor cache_k = rand_gpu({B, 448, H, D}, dt, 4), cache_v = rand_gpu({B, 448, H, D}, dt, 5);
      Tensor q = rand_gpu({B, 1, H, D}, dt, 6);
      Tensor k = view_slice(cache_k, 1, 0, 448), v = view_slice(cache_v, 1, 0, 448);
      AttentionParams p;
      p.scale = 0.125f;
      p.causal = true;
      std::vector<const char*> versions = {"auto", "decode", "simt"};
      if (dt == DType::F16) versions.push_back("v2");
      for (const char* version : versions)
        with_attention_version(version, [&] {
          const double s = time_it([&] { ops::attention(q, k, v, p, false); });
          const double bytes = 2.0 * B * 448 * H * D * dtype_size(dt);
          record("decode", "attn B=" + std::to_string(B) + " Lq=1 Lk=448 H=20 D=64", dt, s, bytes / s / 1e9, "GB/s",
                 version);
        });
    }
  }
}

void bench_gemm() {
  struct G {
    int64_t M, K, N;
  };
  const G shapes[] = {{1500, 1280, 1280}, {1500, 1280, 5120}, {1500, 5120, 1280}, {1500, 768, 768}, {1500, 768, 3072}};
  for (DType dt : {DType::F16, DType::F32}) {
    for (const G& g : shapes) {
      Tensor a = rand_gpu({g.M, g.K}, dt, 7), w = rand_gpu({g.N, g.K}, dt, 8), bias = rand_gpu({g.N}, DType::F32, 9);
      const double s = time_it([&] { ops::linear(a, w, &bias); });
      record("gemm", std::to_string(g.M) + "x" + std::to_string(g.K) + " · " + std::to_string(g.N) + "x" +
                         std::to_string(g.K) + "ᵀ +bias",
             dt, s, 2.0 * g.M * g.N * g.K / s / 1e12, "TFLOP/s");
    }
  }
  // f32 activations with an f16 weight (upcast path) at one encoder shape.
  {
    Tensor a = rand_gpu({1500, 1280}, DType::F32, 7), w = rand_gpu({5120, 1280}, DType::F16, 8);
    const double s = time_it([&] { ops::linear(a, w, nullptr); });
    record("gemm", "1500x1280 · 5120x1280ᵀ (f16 weight)", DType::F32, s, 2.0 * 1500 * 5120 * 1280 / s / 1e12,
           "TFLOP/s");
  }
  // Single-token logits: bytes of weight streamed per second.
  for (DType act : {DType::F32, DType::F16}) {
    Tensor a = rand_gpu({1, 1280}, act, 10), w = rand_gpu({51866, 1280}, DType::F16, 11);
    const double s = time_it([&] { ops::linear(a, w, nullptr); });
    record("gemv", "1x1280 · 51866x1280ᵀ (f16 weight)", act, s, 51866.0 * 1280 * 2 / s / 1e9, "GB/s");
  }
  // Decoder-step linears (Whisper large: d_model 1280, FFN 5120) at one row, the skinny kernel
  // against cuBLAS (DW_CUDA_GEMV=off; f32 activations then use an upcast copy of the weight).
  for (DType act : {DType::F16, DType::F32}) {
    for (int64_t N : {1280, 5120}) {
      Tensor a = rand_gpu({1, 1280}, act, 13), w = rand_gpu({N, 1280}, DType::F16, 14);
      Tensor bias = rand_gpu({N}, DType::F32, 15);
      for (const char* path : {"skinny", "cublas"}) {
        if (std::strcmp(path, "cublas") == 0) setenv("DW_CUDA_GEMV", "off", 1);
        else unsetenv("DW_CUDA_GEMV");
        const double s = time_it([&] { ops::linear(a, w, &bias); });
        unsetenv("DW_CUDA_GEMV");
        record("gemv", "1x1280 · " + std::to_string(N) + "x1280ᵀ +bias (f16 weight)", act, s,
               static_cast<double>(N) * 1280 * 2 / s / 1e9, "GB/s", path);
      }
    }
  }
  // Device memory bandwidth for reference: a large device-to-device copy (read + write).
  {
    Tensor src = rand_gpu({64, 1024, 1024}, DType::F32, 12);
    Tensor dst = ops::empty({64, 1024, 1024}, DType::F32, Device::CUDA);
    const double s = time_it([&] { ops::copy_into(dst, src); });
    record("memory", "copy 256 MiB", DType::F32, s, 2.0 * src.nbytes() / s / 1e9, "GB/s");
  }
}

// One distil-large-v3 encoder layer (pre-LN): x + attn(LN(x)), then + fc2(gelu(fc1(LN(x)))).
void bench_encoder_layer() {
  const int64_t L = 1500, C = 1280, H = 20, D = 64, F = 5120;
  for (DType dt : {DType::F16, DType::F32}) {
    Tensor x = rand_gpu({1, L, C}, dt, 20);
    Tensor g1 = rand_gpu({C}, DType::F32, 21), b1 = rand_gpu({C}, DType::F32, 22);
    Tensor g2 = rand_gpu({C}, DType::F32, 23), b2 = rand_gpu({C}, DType::F32, 24);
    Tensor wq = rand_gpu({C, C}, dt, 25, 0.03f), wk = rand_gpu({C, C}, dt, 26, 0.03f), wv = rand_gpu({C, C}, dt, 27, 0.03f);
    Tensor wo = rand_gpu({C, C}, dt, 28, 0.03f), w1 = rand_gpu({F, C}, dt, 29, 0.03f), w2 = rand_gpu({C, F}, dt, 30, 0.03f);
    Tensor bq = rand_gpu({C}, DType::F32, 31), bv = rand_gpu({C}, DType::F32, 32), bo = rand_gpu({C}, DType::F32, 33);
    Tensor bf1 = rand_gpu({F}, DType::F32, 34), bf2 = rand_gpu({C}, DType::F32, 35);
    AttentionParams p;
    p.scale = 1.0f / std::sqrt(static_cast<float>(D));
    auto layer = [&] {
      Tensor h = ops::layer_norm(x, g1, b1, 1e-5f);
      Tensor q = view_reshape(ops::linear(h, wq, &bq), {1, L, H, D});
      Tensor k = view_reshape(ops::linear(h, wk, nullptr), {1, L, H, D});
      Tensor v = view_reshape(ops::linear(h, wv, &bv), {1, L, H, D});
      Tensor a = view_reshape(ops::attention(q, k, v, p, false).out, {1, L, C});
      Tensor x1 = ops::add(x, ops::linear(a, wo, &bo));
      Tensor h2 = ops::layer_norm(x1, g2, b2, 1e-5f);
      Tensor f = ops::linear(ops::gelu(ops::linear(h2, w1, &bf1)), w2, &bf2);
      return ops::add(x1, f);
    };
    const double flops = 2.0 * L * C * C * 4 + 2.0 * 2 * L * C * F + 4.0 * H * L * L * D;
    // The default attention, and the previous default (v1: WMMA for f16, SIMT for f32).
    for (const char* version : {"auto", "v1"}) {
      with_attention_version(version, [&] {
        const double s = time_it([&] { layer(); });
        record("encoder", "distil-large-v3 layer L=1500 (x32 = encoder)", dt, s, flops / s / 1e12, "TFLOP/s", version);
      });
    }
  }
}

void write_json(const char* path) {
  FILE* f = std::fopen(path, "w");
  if (!f) {
    std::printf("cannot write %s\n", path);
    return;
  }
  std::fprintf(f, "{\n  \"device\": \"%s\",\n  \"rows\": [\n", cuda_backend().name().c_str());
  for (size_t i = 0; i < g_rows.size(); ++i) {
    const Row& r = g_rows[i];
    std::fprintf(f,
                 "    {\"group\": \"%s\", \"name\": \"%s\", \"dtype\": \"%s\", \"version\": \"%s\", \"ms\": %.6f, "
                 "\"value\": %.4f, \"unit\": \"%s\"}%s\n",
                 r.group.c_str(), r.name.c_str(), r.dtype.c_str(), r.version.c_str(), r.ms, r.value, r.unit.c_str(),
                 i + 1 < g_rows.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n}\n");
  std::fclose(f);
}

}  // namespace

int main(int argc, char** argv) {
  const char* json = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
    else if (!std::strcmp(argv[i], "--quick")) g_quick = true;
  }
  std::string reason;
  if (!cuda_available(&reason)) {
    std::printf("bench_cuda_ops: skipped: no CUDA device (%s)\n", reason.c_str());
    return 77;
  }
  std::printf("bench_cuda_ops on %s\n", cuda_backend().name().c_str());
  const std::pair<const char*, void (*)()> parts[] = {
      {"attention", bench_attention}, {"gemm", bench_gemm}, {"encoder layer", bench_encoder_layer}};
  for (const auto& part : parts) {
    try {
      part.second();
    } catch (const std::exception& e) {
      std::printf("%s benchmark failed: %s\n", part.first, e.what());
    }
    if (json) write_json(json);  // partial results survive a later failure or timeout
  }
  return 0;
}
