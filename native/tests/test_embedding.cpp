// Embedding gather from f32 / f16 / bf16 tables against a direct per-element conversion.
#include <vector>

#include "dw/ops.h"
#include "kernels.h"
// check.h uses dw::Error, so it comes after the dw headers.
#include "check.h"

using namespace dw;
using dwtest::expect_close;

int main() {
  for (int64_t C : {1, 7, 8, 9, 17, 384, 1283}) {
    const int64_t V = 53;
    auto table = dwtest::random_vec(static_cast<size_t>(V * C), static_cast<uint32_t>(C), -3, 3);
    std::vector<uint16_t> th(table.size()), tb(table.size());
    for (size_t i = 0; i < table.size(); ++i) {
      th[i] = f32_to_f16(table[i]);
      tb[i] = f32_to_bf16(table[i]);
    }
    std::vector<int32_t> ids = {0, 52, 7, 7, 13, 1, 51, 26, 0, 40, 3};
    const int64_t n = static_cast<int64_t>(ids.size());
    for (DType d : {DType::F32, DType::F16, DType::BF16}) {
      const void* tp = d == DType::F32 ? static_cast<const void*>(table.data())
                       : d == DType::F16 ? static_cast<const void*>(th.data())
                                         : static_cast<const void*>(tb.data());
      std::vector<float> got(static_cast<size_t>(n * C)), want(got.size());
      cpu::embedding(ids.data(), n, tp, d, C, got.data());
      for (int64_t i = 0; i < n; ++i)
        for (int64_t c = 0; c < C; ++c) {
          const size_t src = static_cast<size_t>(ids[static_cast<size_t>(i)] * C + c);
          want[static_cast<size_t>(i * C + c)] =
              d == DType::F32 ? table[src] : d == DType::F16 ? f16_to_f32(th[src]) : bf16_to_f32(tb[src]);
        }
      // Widening conversions are exact.
      expect_close(std::string("embedding ") + dtype_name(d) + " C=" + std::to_string(C), got.data(), want.data(),
                   got.size(), 0, 0);
    }
  }
  // Through ops: ids [2, 3] → out [2, 3, C], from an f16 table.
  {
    const int64_t V = 10, C = 12;
    auto table = dwtest::random_vec(static_cast<size_t>(V * C), 5);
    std::vector<uint16_t> th(table.size());
    for (size_t i = 0; i < table.size(); ++i) th[i] = f32_to_f16(table[i]);
    std::vector<int32_t> ids = {9, 0, 4, 4, 2, 1};
    Tensor t_ids = ops::from_host(ids.data(), ids.size() * 4, {2, 3}, DType::I32, Device::CPU);
    Tensor t_tab = ops::from_host(th.data(), th.size() * 2, {V, C}, DType::F16, Device::CPU);
    Tensor out = ops::embedding(t_ids, t_tab);
    dwtest::expect_true("ops::embedding shape", out.shape == Shape({2, 3, C}) && out.dtype == DType::F32);
    std::vector<float> got(static_cast<size_t>(out.numel())), want(got.size());
    ops::to_host(out, got.data(), got.size() * 4);
    for (size_t i = 0; i < ids.size(); ++i)
      for (int64_t c = 0; c < C; ++c) want[i * C + static_cast<size_t>(c)] = f16_to_f32(th[static_cast<size_t>(ids[i] * C + c)]);
    expect_close("ops::embedding f16", got.data(), want.data(), got.size(), 0, 0);
  }
  return dwtest::summary("test_embedding");
}
