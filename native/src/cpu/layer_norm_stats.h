// Row statistics of layer normalisation, shared by the forward (layer_norm.cpp) and the backward
// (layer_norm_backward.cpp) so that the backward recomputes exactly the mean and 1/std the
// forward used. Declarations only: the AVX2 version is compiled in layer_norm_avx2.cpp and must not
// be inlined into portable code.
#pragma once

#include <cstdint>

namespace dw::cpu {

struct RowStats {
  float mean;
  float rstd;  // 1 / sqrt(biased variance + eps)
};

RowStats layer_norm_stats(const float* x, int64_t cols, float eps);  // portable (layer_norm.cpp)

namespace avx2 {
RowStats layer_norm_stats(const float* x, int64_t cols, float eps);  // layer_norm_avx2.cpp
}

}  // namespace dw::cpu
