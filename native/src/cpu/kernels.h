// CPU kernel entry points. Each kernel lives in its own file with a plain `*_reference` version
// beside it (used only by tests and as the last-resort fallback). The optimised versions pick
// AVX2/FMA/F16C code at run time (cpu_features.h) and fall back to portable scalar code, so one
// build runs on any x86-64. Arguments are already validated by ops.cpp: pointers are valid for the
// stated sizes and all tensors are contiguous unless a stride is passed.
#pragma once

#include <cstdint>

#include "dw/tensor.h"

namespace dw::cpu {

// ---- GEMM (gemm.cpp, gemm_avx2.cpp) ------------------------------------------------------------
// C[M, N] = A[M, K] · op(B) (+ bias[N] when bias != nullptr), row-major with leading dims.
// op(B) = Bᵀ when trans_b (B stored [N, K], ldb >= K) else B (stored [K, N], ldb >= N).
// B is f32, f16 or bf16 and is converted to f32 on the fly (packing / streaming), never upcast as a
// whole. Multi-threaded through parallel_for. M == 1 takes a streaming GEMV path (memory bound).
void gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const void* B, DType b_dtype,
          int64_t ldb, bool trans_b, const float* bias, float* C, int64_t ldc);
void gemm_reference(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const void* B,
                    DType b_dtype, int64_t ldb, bool trans_b, const float* bias, float* C,
                    int64_t ldc);
// The full form (training): op(A) = Aᵀ when trans_a (A stored [K, M], lda >= M) else A ([M, K]).
// accumulate: C += op(A)·op(B) (bias must then be null). Deterministic: every element of C is
// summed in the same order whatever the thread count. M <= 4 without trans_a or accumulate takes
// the streaming GEMV path.
void gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool trans_a, const void* B,
          DType b_dtype, int64_t ldb, bool trans_b, const float* bias, float* C, int64_t ldc,
          bool accumulate);
void gemm_reference(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool trans_a,
                    const void* B, DType b_dtype, int64_t ldb, bool trans_b, const float* bias, float* C,
                    int64_t ldc, bool accumulate);

// ---- elementwise (elementwise.cpp) -----------------------------------------------------------
// out[i] = a[i] op b[i % nb] (suffix broadcast). n = numel(a), nb = numel(b), n % nb == 0.
void add(const float* a, const float* b, float* out, int64_t n, int64_t nb);
void mul(const float* a, const float* b, float* out, int64_t n, int64_t nb);
void scale(const float* a, float s, float* out, int64_t n);
void add_reference(const float* a, const float* b, float* out, int64_t n, int64_t nb);
void mul_reference(const float* a, const float* b, float* out, int64_t n, int64_t nb);

// ---- normalisation / activations (layer_norm.cpp, gelu.cpp, softmax.cpp) ---------------------
void layer_norm(const float* x, const float* gamma, const float* beta, float eps, float* out,
                int64_t rows, int64_t cols);
void layer_norm_reference(const float* x, const float* gamma, const float* beta, float eps,
                          float* out, int64_t rows, int64_t cols);
void gelu(const float* x, float* out, int64_t n);  // exact: 0.5·x·(1 + erf(x/√2))
void gelu_reference(const float* x, float* out, int64_t n);
void softmax(const float* x, float* out, int64_t rows, int64_t cols, bool log);
void softmax_reference(const float* x, float* out, int64_t rows, int64_t cols, bool log);

// ---- conv1d (conv1d.cpp) ---------------------------------------------------------------------
// x [B, Cin, L] f32, w [Cout, Cin, K] (f32/f16/bf16), bias [Cout] f32 or null, zero padding.
// out [B, Cout, Lout], Lout = (L + 2·padding − K) / stride + 1.
void conv1d(const float* x, const void* w, DType w_dtype, const float* bias, float* out, int64_t B,
            int64_t Cin, int64_t L, int64_t Cout, int64_t K, int stride, int padding);
void conv1d_reference(const float* x, const void* w, DType w_dtype, const float* bias, float* out,
                      int64_t B, int64_t Cin, int64_t L, int64_t Cout, int64_t K, int stride,
                      int padding);

// ---- embedding (embedding.cpp) ---------------------------------------------------------------
// out[i, :] = table[ids[i], :] as f32. ids already checked to be in [0, V).
void embedding(const int32_t* ids, int64_t n, const void* table, DType dtype, int64_t C, float* out);

// ---- attention (attention.cpp) ---------------------------------------------------------------
// Flash-style: tiles of keys, online softmax, never materialises [Lq, Lk]. Strides in elements
// for q/k/v ([B, L, H, D] with stride 1 on D); out contiguous [B, Lq, H, D]; lse [B, H, Lq] or null.
struct AttentionShape {
  int64_t B, H, Lq, Lk, D;
  int64_t q_strides[3], k_strides[3], v_strides[3];  // strides of dims B, L, H
};
void attention(const float* q, const float* k, const float* v, const AttentionShape& s, float scale,
               bool causal, float* out, float* lse);
// The same with k and v of element type kv_dtype: F32, or F16 (converted a key tile at a time, so
// a KV cache can be kept in half the memory; such calls take the per-query path).
void attention(const float* q, const void* k, const void* v, DType kv_dtype, const AttentionShape& s, float scale,
               bool causal, float* out, float* lse);
void attention_reference(const float* q, const float* k, const float* v, const AttentionShape& s,
                         float scale, bool causal, float* out, float* lse);

// ---- reductions (argmax_topk.cpp) ------------------------------------------------------------
// Over the last dim of [rows, cols]. Ties pick the lowest index (as torch.argmax on CPU does).
// NaN counts as larger than any number (as torch does), so a NaN row reports a NaN's index.
void argmax(const float* x, int32_t* out, int64_t rows, int64_t cols);
void topk(const float* x, int64_t rows, int64_t cols, int k, float* values, int32_t* indices);

// ---- copies and casts (copy_cast.cpp) --------------------------------------------------------
// Strided copy of `ndim`-dimensional data of element size `elem` bytes.
void strided_copy(const void* src, const int64_t* src_strides, void* dst, const int64_t* dst_strides,
                  const int64_t* shape, int ndim, size_t elem);
void cast(const void* src, DType src_dtype, void* dst, DType dst_dtype, int64_t n);

// ==== training (backward) kernels ==============================================================
// Every reduction is deterministic: partial sums over fixed chunks (never per thread), combined in
// a fixed order, so the result has the same bits whatever the thread count.

// ---- sums (sum_rows.cpp, sum_squares.cpp) ------------------------------------------------------
// out[j] (=|+=) Σ_r x[r, j] over [rows, cols], accumulated in double.
void sum_rows(const float* x, int64_t rows, int64_t cols, float* out, bool accumulate);
void sum_rows_reference(const float* x, int64_t rows, int64_t cols, float* out, bool accumulate);
double sum_squares(const float* x, int64_t n);  // Σ x², accumulated in double
double sum_squares_reference(const float* x, int64_t n);

// ---- in-place updates (in_place.cpp) --------------------------------------------------------------
void add_in_place(float* dst, const float* src, float alpha, int64_t n);  // dst += alpha · src
void add_in_place_reference(float* dst, const float* src, float alpha, int64_t n);

// ---- embedding_backward.cpp ----------------------------------------------------------------------
// d_table[ids[i], :] += d_out[i, :] for i < n, in order of i for each row of d_table. ids already
// checked to be in [0, V).
void embedding_backward(const int32_t* ids, int64_t n, const float* d_out, int64_t C, float* d_table);
void embedding_backward_reference(const int32_t* ids, int64_t n, const float* d_out, int64_t C, float* d_table);

// ---- layer_norm_backward.cpp ---------------------------------------------------------------------
// dx of layer_norm (statistics recomputed from x as the forward computes them). d_gamma / d_beta
// [cols] are added to when not null.
void layer_norm_backward(const float* x, const float* gamma, const float* d_out, float eps, int64_t rows,
                         int64_t cols, float* dx, float* d_gamma, float* d_beta);
void layer_norm_backward_reference(const float* x, const float* gamma, const float* d_out, float eps, int64_t rows,
                                   int64_t cols, float* dx, float* d_gamma, float* d_beta);

// ---- gelu_backward.cpp ---------------------------------------------------------------------------
void gelu_backward(const float* x, const float* d_out, float* dx, int64_t n);  // d_out·(Φ(x) + x·φ(x))
void gelu_backward_reference(const float* x, const float* d_out, float* dx, int64_t n);

// ---- attention_backward.cpp ----------------------------------------------------------------------
// Gradients of attention(q, k, v) (same shape struct; out / d_out strides in `o_strides` /
// `do_strides`, lse [B, H, Lq] contiguous). dq [B, Lq, H, D], dk / dv [B, Lk, H, D] contiguous.
struct AttentionBackwardShape {
  AttentionShape s;
  int64_t o_strides[3], do_strides[3];
};
void attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse,
                        const float* d_out, const AttentionBackwardShape& s, float scale, bool causal, float* dq,
                        float* dk, float* dv);
// Materialises P from q and k (in double, ignoring out and lse) and applies the textbook formulas.
void attention_backward_reference(const float* q, const float* k, const float* v, const float* out,
                                  const float* lse, const float* d_out, const AttentionBackwardShape& s, float scale,
                                  bool causal, float* dq, float* dk, float* dv);

// ---- logits_loss.cpp -----------------------------------------------------------------------------
// The fused distillation objective (dw/ops.h) over [rows, V]. teacher may be null; grad may equal
// student (in place). labels < 0 mark ignored rows; labels < V already checked.
void logits_loss(const float* student, const float* teacher, const int32_t* labels, int64_t rows, int64_t V,
                 float temperature, float ce_scale, float kl_scale, float* ce, float* kl, float* grad);
void logits_loss_reference(const float* student, const float* teacher, const int32_t* labels, int64_t rows,
                           int64_t V, float temperature, float ce_scale, float kl_scale, float* ce, float* kl,
                           float* grad);

// ---- adamw.cpp -----------------------------------------------------------------------------------
// One torch.optim.AdamW step (single-tensor order, 1-based step) on n elements, in place.
struct AdamWStep {
  double lr, beta1, beta2, eps, weight_decay;
  int64_t step;
};
void adamw_step(float* param, const float* grad, float* m, float* v, int64_t n, const AdamWStep& p);
void adamw_step_reference(float* param, const float* grad, float* m, float* v, int64_t n, const AdamWStep& p);

}  // namespace dw::cpu
