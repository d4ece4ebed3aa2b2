// Shared by the host and device sources of the CUDA backend: error checks that turn CUDA and
// cuBLAS failures into dw::Error, and the stream every kernel of the backend runs on.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "dw/error.h"
#include "dw/tensor.h"

namespace dw::cuda {

[[noreturn]] void throw_cuda(cudaError_t err, const char* what);
[[noreturn]] void throw_cublas(cublasStatus_t st, const char* what);

inline void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw_cuda(err, what);
}
inline void check(cublasStatus_t st, const char* what) {
  if (st != CUBLAS_STATUS_SUCCESS) throw_cublas(st, what);
}
// After a kernel launch: catches bad launch configurations right away (asynchronous faults
// surface at the next synchronising call).
inline void check_launch(const char* what) { check(cudaGetLastError(), what); }

// Largest number of tensor dims the strided copy handles (after merging contiguous dims).
constexpr int kMaxDims = 16;

}  // namespace dw::cuda
