// int8 weights: symmetric per-row quantisation and the int8 Linear layer (linear_i8.cpp, the
// AVX2 loops in linear_i8_avx2.cpp). Kept out of kernels.h so the op's files stay its own.
//
// Quantisation of a row x[0..K): s = max|x| / 127, q[k] = round_half_even(x[k] · (127 / max|x|)),
// in [−127, 127]; an all-zero row has s = 0 and q = 0. The same formula (in f32) everywhere, so
// every path gives identical integers.
// linear_i8 with M rows of x:
// - M ≤ kInt8ActivationRows (decoding: memory bound): y[m, n] = sx[m] · sw[n] · Σ_k qx[m, k] · qw[n, k]
//   + bias[n], x's rows quantised on the fly (dynamic per-row activation quantisation), exact int32 sums;
// - larger M (the encoder: compute bound): y = x · (qw · sw)ᵀ + bias with f32 activations, the
//   weights converted to f32 while the GEMM packs them (gemm_int8_weights). On AVX2, int8 products
//   (VPMADDUBSW) are no faster than f32 FMA at this size, and unquantised activations are more exact.
#pragma once

#include <cstdint>

namespace dw::cpu {

constexpr int64_t kInt8ActivationRows = 16;

// C[M, N] = A[M, K] · (W · w_scale)ᵀ + bias: W int8 [N, K], w_scale [N], through the packed GEMM
// (gemm.cpp), W converted to f32 while packed.
void gemm_int8_weights(int64_t M, int64_t N, int64_t K, const float* A, const int8_t* W, const float* w_scale,
                       const float* bias, float* C);

void quantize_rows(const float* x, int64_t rows, int64_t K, int8_t* q, float* scale);
void quantize_rows_reference(const float* x, int64_t rows, int64_t K, int8_t* q, float* scale);

// w [N, K] int8 row-major, w_scale [N], bias [N] or null, x [M, K] f32, y [M, N] f32.
void linear_i8(int64_t M, int64_t N, int64_t K, const float* x, const int8_t* w, const float* w_scale,
               const float* bias, float* y);
void linear_i8_reference(int64_t M, int64_t N, int64_t K, const float* x, const int8_t* w, const float* w_scale,
                         const float* bias, float* y);

namespace i8_detail {
// The AVX2 pieces (linear_i8_avx2.cpp). max_abs over n floats; quantise one row with a given
// inverse scale; int32 dot products of rows [m0, m1) of qx with rows [n0, n1) of w into acc
// (row-major [M, ldacc]).
float max_abs_avx2(const float* x, int64_t n);
void quantize_row_avx2(const float* x, int64_t n, float inv, int8_t* q);
void dots_avx2(const int8_t* qx, int64_t m0, int64_t m1, const int8_t* w, int64_t n0, int64_t n1, int64_t K,
               const float* sx, const float* w_scale, const float* bias, float* y, int64_t N);
}  // namespace i8_detail

}  // namespace dw::cpu
