// Launchers of the CUDA backend's own kernels (the .cu files). All take device pointers that
// ops.cpp has validated, run on `stream` and return without synchronising. "Activation" dtypes are
// f32 or f16 (math in f32 either way); weight dtypes f32, f16 or bf16.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "dw/tensor.h"

namespace dw::cuda {

// ---- elementwise.cu --------------------------------------------------------------------------
enum class BinaryOp { Add, Mul };
// out[i] = a[i] op b[i % nb]
void binary(BinaryOp op, const void* a, const void* b, void* out, int64_t n, int64_t nb, DType dt,
            cudaStream_t stream);
void scale(const void* a, float s, void* out, int64_t n, DType dt, cudaStream_t stream);
void gelu(const void* x, void* out, int64_t n, DType dt, cudaStream_t stream);
// out[r, j] += bias[j] over [rows, cols]; bias f32.
void add_bias_rows(void* out, const float* bias, int64_t rows, int64_t cols, DType dt, cudaStream_t stream);
// out[b, c, l] += bias[c] over [B, C, L]; bias f32.
void add_bias_channels(void* out, const float* bias, int64_t B, int64_t C, int64_t L, DType dt,
                       cudaStream_t stream);
// Any dtype to any dtype with the CPU backend's rules (copy_cast.cpp).
void cast(const void* src, DType src_dt, void* dst, DType dst_dt, int64_t n, cudaStream_t stream);
// Strided copy; strides in elements, ndim <= kMaxDims after the caller merged dims.
void strided_copy(const void* src, const int64_t* src_strides, void* dst, const int64_t* dst_strides,
                  const int64_t* shape, int ndim, size_t elem, cudaStream_t stream);
// out[i, :] = table[ids[i], :] as f32.
void embedding(const int32_t* ids, int64_t n, const void* table, DType table_dt, int64_t C, float* out,
               cudaStream_t stream);
// col[b, ci * K + t, l] = x[b, ci, l * stride + t - padding] (0 outside), col in x's dtype.
void im2col(const void* x, DType dt, int64_t B, int64_t Cin, int64_t L, int64_t K, int stride, int padding,
            int64_t Lout, void* col, cudaStream_t stream);

// ---- rows.cu: row-wise ops over the last dim of [rows, cols] ---------------------------------
void layer_norm(const void* x, const float* gamma, const float* beta, float eps, void* out, int64_t rows,
                int64_t cols, DType dt, cudaStream_t stream);
void softmax(const void* x, void* out, int64_t rows, int64_t cols, bool log, DType dt, cudaStream_t stream);
void argmax(const void* x, int32_t* out, int64_t rows, int64_t cols, DType dt, cudaStream_t stream);
// k <= kTopkMaxK on the device; the backend handles larger k on the host.
constexpr int kTopkMaxK = 64;
void topk(const void* x, int64_t rows, int64_t cols, int k, float* values, int32_t* indices, DType dt,
          cudaStream_t stream);

// ---- gemv.cu ----------------------------------------------------------------------------------
// out[M, N] = a[M, K] · wᵀ (+ bias) for a weight w [N, K] of f32/f16/bf16, read once in its own
// dtype: the decode-time path, where the weight stream is the whole cost. a and out share the
// activation dtype (f32 or f16); accumulation in f32; bias f32 or null. M <= kGemvMaxM.
constexpr int kGemvMaxM = 8;
void gemv(const void* a, DType act_dt, int64_t M, int64_t K, const void* w, DType w_dt, const float* bias,
          void* out, int64_t N, cudaStream_t stream);

// ---- attention.cu -----------------------------------------------------------------------------
struct AttentionArgs {
  const void* q;
  const void* k;
  const void* v;
  void* out;    // [B, Lq, H, D] contiguous, q's dtype
  float* lse;   // [B, H, Lq] or null
  DType dt;     // f32 or f16, shared by q/k/v/out
  int64_t B, H, Lq, Lk, D;
  int64_t q_strides[3], k_strides[3], v_strides[3];  // elements, dims B, L, H
  float scale;
  bool causal;
};
// Bytes of scratch the split-K decode path wants (0 when it is not used for these shapes).
size_t attention_workspace_bytes(const AttentionArgs& a, int num_sms);
// workspace: at least attention_workspace_bytes(); null only when that is 0.
void attention(const AttentionArgs& a, void* workspace, int num_sms, cudaStream_t stream);

}  // namespace dw::cuda
