// The one C entry point of libdw_cuda.so. The library is built from the same headers with the
// same host compiler, so passing a C++ Backend* across is safe; the ABI version guards against a
// stale library next to a newer addon.
#pragma once

#include <cstddef>

#include "dw/backend.h"

#define DW_CUDA_ABI_VERSION 1
#define DW_CUDA_ENTRY_SYMBOL "dw_cuda_create_backend"

namespace dw {
// Returns nullptr and writes a reason into err when no usable device/driver is present.
using CudaCreateFn = Backend* (*)(int abi_version, char* err, size_t err_len);
}  // namespace dw
