// Internal interface between the GEMM driver (gemm.cpp: blocking, threading, buffers) and the
// instruction-set specific pieces (packing, micro-kernel, streaming GEMV). The AVX2 set lives in
// gemm_avx2.cpp and is only reached after a run-time CPU check, so this header must not declare
// anything inline that both translation units would compile (an inline function compiled with
// -mavx2 could be picked by the linker for the portable code).
#pragma once

#include <cstdint>

#include "dw/tensor.h"

namespace dw::cpu::gemm_detail {

// Source operand B as the kernels see it.
struct BView {
  const void* data;
  DType dtype;
  int64_t ld;
  bool trans;  // true: stored [N, K] (row j holds column j of op(B)); false: stored [K, N]
  // I8 only: column j of op(B) is data · scale[j] (per-output-channel int8 weights).
  const float* scale = nullptr;
};

// Packs A rows [i0, i0 + mc) × k [k0, k0 + kc) into MR-row micro-panels (k-major inside each
// panel, rows past mc zero-filled). dst holds ceil(mc / MR) · MR · kc floats (+ 16 slack).
// The transposed variant (Kernels::pack_a_trans) packs the same block of op(A) = Aᵀ from A stored
// [K, M]: element (i, k) at A[k·lda + i], so each k reads a contiguous run of rows.
using PackAFn = void (*)(const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                         float* dst);
// Packs op(B) columns [j0, j0 + nc) × k [k0, k0 + kc) into NR-column micro-panels, converting to
// f32; columns past nc are zero-filled. dst holds ceil(nc / NR) · NR · kc floats.
using PackBFn = void (*)(const BView& B, int64_t j0, int64_t nc, int64_t k0, int64_t kc, float* dst);
// C[mr, nr] (=|+=) Apanel · Bpanel over kc. accumulate: add to C; else write, plus bias[0..nr)
// when bias != nullptr.
using MicroFn = void (*)(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr, int nr,
                         const float* bias, bool accumulate);
// Streaming small-M product for output columns [j0, j1): C[m, j] = Σ_k A[m, k] op(B)[k, j] + bias[j]
// for m < M (M <= kGemvMaxM; rows are taken 4 at a time).
using GemvFn = void (*)(int64_t M, int64_t K, const float* A, int64_t lda, const BView& B, const float* bias,
                        float* C, int64_t ldc, int64_t j0, int64_t j1);

// Up to 16 rows the streaming path (B read from memory once, re-read from L2 per 4-row group)
// beats packing B: beams, speculative verification and small decoder batches land here.
constexpr int64_t kGemvMaxM = 16;

struct Kernels {
  int mr;
  int nr;
  PackAFn pack_a;
  PackAFn pack_a_trans;
  PackBFn pack_b;
  MicroFn micro;
  GemvFn gemv;
};

const Kernels& avx2_kernels();    // gemm_avx2.cpp
const Kernels& avx512_kernels();  // gemm_avx512.cpp (call only where the CPU has AVX-512 F/BW/VL)
const Kernels& scalar_kernels();  // gemm.cpp

// Runs `kern` on small products covering every path of the driver (packed tiles with edges,
// transposed A, accumulation, f32/f16/bf16 B both ways, the streaming GEMV) and compares each with
// the portable reference. False means the kernels must not be used (gemm.cpp then falls back a level).
bool self_test(const Kernels& kern);

}  // namespace dw::cpu::gemm_detail
