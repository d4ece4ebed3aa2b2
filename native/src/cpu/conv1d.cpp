// 1-D convolution (cross-correlation, as torch.nn.Conv1d) lowered to one GEMM per block of output
// positions: out[co, t] = Σ_{ci,k} w[co, ci, k] · col[ci·K + k, t] + bias[co], where
// col[ci·K + k, t] = x[ci, t·stride − padding + k] (0 outside [0, L)). w [Cout, Cin·K] is GEMM's A
// as stored and col is its B in [K, N] layout; each col row is a (strided) copy of one x row, so
// building it streams through x, and the GEMM writes straight into out (ldc = Lout) with no
// transpose. f16/bf16 weights are widened once per call into a scratch copy (Cout·Cin·K floats,
// one layer's weight, never a whole model): the GEMM needs an f32 A.
#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {
namespace {

float weight_at(const void* w, DType dtype, int64_t i) {
  switch (dtype) {
    case DType::F16: return f16_to_f32(static_cast<const uint16_t*>(w)[i]);
    case DType::BF16: return bf16_to_f32(static_cast<const uint16_t*>(w)[i]);
    default: return static_cast<const float*>(w)[i];
  }
}

}  // namespace

void conv1d(const float* x, const void* w, DType w_dtype, const float* bias, float* out, int64_t B, int64_t Cin,
            int64_t L, int64_t Cout, int64_t K, int stride, int padding) {
  const int64_t Lout = (L + 2 * padding - K) / stride + 1;
  const int64_t CK = Cin * K;
  if (Lout <= 0 || Cout <= 0 || B <= 0) return;
  if (CK == 0) {  // no input channels: the output is the bias alone
    for (int64_t i = 0; i < B * Cout; ++i) std::fill(out + i * Lout, out + (i + 1) * Lout, bias ? bias[i % Cout] : 0.0f);
    return;
  }
  // Up to 32 MiB of col per block: Whisper's stems (CK ≤ 3·1280, Lout ≤ 3000) take one or two
  // blocks, so the GEMM packs w at most twice.
  const int64_t cols = std::clamp<int64_t>((int64_t{8} << 20) / CK, 256, Lout);
  std::vector<float> col, w32;
  try {
    col.resize(static_cast<size_t>(CK * cols));
    if (w_dtype != DType::F32) w32.resize(static_cast<size_t>(Cout * CK));
  } catch (const std::bad_alloc&) {
    fail(ErrorCode::OutOfMemory, "conv1d: no memory for the im2col scratch buffer");
  }
  const float* wf = static_cast<const float*>(w);
  if (w_dtype != DType::F32) {
    cast(w, w_dtype, w32.data(), DType::F32, Cout * CK);
    wf = w32.data();
  }
  for (int64_t b = 0; b < B; ++b) {
    const float* xb = x + b * Cin * L;
    float* ob = out + b * Cout * Lout;
    for (int64_t t0 = 0; t0 < Lout; t0 += cols) {
      const int64_t nt = std::min(cols, Lout - t0);
      parallel_for(CK, std::max<int64_t>(1, 4096 / nt), [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const int64_t ci = row / K, k = row % K;
          const float* xr = xb + ci * L;
          float* c = col.data() + row * nt;
          // Output t reads x[p0 + t·stride]; positions outside [0, L) are zero padding.
          const int64_t p0 = t0 * stride - padding + k;
          const int64_t lo = std::clamp<int64_t>(p0 >= 0 ? 0 : (-p0 + stride - 1) / stride, 0, nt);
          const int64_t hi = std::clamp<int64_t>(L - p0 > 0 ? (L - p0 + stride - 1) / stride : 0, lo, nt);
          std::fill(c, c + lo, 0.0f);
          if (stride == 1) std::memcpy(c + lo, xr + p0 + lo, static_cast<size_t>(hi - lo) * sizeof(float));
          else
            for (int64_t t = lo; t < hi; ++t) c[t] = xr[p0 + t * stride];
          std::fill(c + hi, c + nt, 0.0f);
        }
      });
      gemm(Cout, nt, CK, wf, CK, col.data(), DType::F32, nt, false, nullptr, ob + t0, Lout);
      if (bias)
        parallel_for(Cout, std::max<int64_t>(1, 8192 / nt), [&](int64_t begin, int64_t end) {
          for (int64_t co = begin; co < end; ++co) {
            float* o = ob + co * Lout + t0;
            const float bv = bias[co];
            for (int64_t t = 0; t < nt; ++t) o[t] += bv;
          }
        });
    }
  }
}

void conv1d_reference(const float* x, const void* w, DType w_dtype, const float* bias, float* out, int64_t B,
                      int64_t Cin, int64_t L, int64_t Cout, int64_t K, int stride, int padding) {
  // The definition, summed in double; (ci, k) outer so each weight is converted once per row.
  const int64_t Lout = (L + 2 * padding - K) / stride + 1;
  std::vector<double> acc(static_cast<size_t>(Lout));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t co = 0; co < Cout; ++co) {
      std::fill(acc.begin(), acc.end(), bias ? bias[co] : 0.0);
      for (int64_t ci = 0; ci < Cin; ++ci)
        for (int64_t k = 0; k < K; ++k) {
          const double wv = weight_at(w, w_dtype, (co * Cin + ci) * K + k);
          const float* xr = x + (b * Cin + ci) * L;
          for (int64_t t = 0; t < Lout; ++t) {
            const int64_t p = t * stride - padding + k;
            if (p >= 0 && p < L) acc[static_cast<size_t>(t)] += wv * xr[p];
          }
        }
      for (int64_t t = 0; t < Lout; ++t) out[(b * Cout + co) * Lout + t] = static_cast<float>(acc[static_cast<size_t>(t)]);
    }
}

}  // namespace dw::cpu
