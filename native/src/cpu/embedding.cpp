// Embedding gather: out[i, :] = f32(table[ids[i], :]). Rows are converted with cast() (F16C/AVX2
// when available). ids are range-checked by ops.cpp before this runs.
#include <cstring>

#include "dw/thread_pool.h"
#include "kernels.h"

namespace dw::cpu {

void embedding(const int32_t* ids, int64_t n, const void* table, DType dtype, int64_t C, float* out) {
  if (C <= 0) return;
  const size_t row_bytes = static_cast<size_t>(C) * dtype_size(dtype);
  const int64_t grain = C >= 8192 ? 1 : (8192 + C - 1) / C;
  parallel_for(n, grain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const void* row = static_cast<const char*>(table) + static_cast<size_t>(ids[i]) * row_bytes;
      if (dtype == DType::F32) std::memcpy(out + i * C, row, row_bytes);
      else cast(row, dtype, out + i * C, DType::F32, C);
    }
  });
}

}  // namespace dw::cpu
