// GEMM driver: BLIS-style blocking (NC columns of op(B) × KC depth packed into a thread-local
// panel, MC rows of A packed per block, an MR×NR micro-kernel over the packed panels), static
// split of the output over the pool's threads, and a streaming path for M <= kGemvMaxM (decoder
// steps), which is bound by the bandwidth of reading B once. The instruction-set specific pieces
// come from gemm_avx2.cpp when the CPU allows it, else from the portable versions below.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "gemm_kernels.h"
#include "kernels.h"

namespace dw::cpu {
namespace gemm_detail {
namespace {

// Blocking: KC·NR floats of B (16 KiB at NR 16) stay in L1 while an MC×KC block of A (144 KiB)
// streams from L2; the KC×NC panel of B (at most 4 MiB) lives in L2/L3.
#ifndef DW_GEMM_KC  // overridable only for tuning builds
#define DW_GEMM_KC 256
#define DW_GEMM_MC 144
#define DW_GEMM_NC 4096
#endif
constexpr int64_t kKC = DW_GEMM_KC;
constexpr int64_t kMC = DW_GEMM_MC;
constexpr int64_t kNC = DW_GEMM_NC;
static_assert(kMC % 6 == 0 && kMC % 4 == 0, "MC must be a multiple of every kernel's MR");

inline float load_b(const BView& B, int64_t idx) {
  switch (B.dtype) {
    case DType::F16: return f16_to_f32(static_cast<const uint16_t*>(B.data)[idx]);
    case DType::BF16: return bf16_to_f32(static_cast<const uint16_t*>(B.data)[idx]);
    default: return static_cast<const float*>(B.data)[idx];
  }
}

// ---- portable kernels (plain loops the compiler vectorises with SSE2) ----------------------------

constexpr int kScalarMR = 4;
constexpr int kScalarNR = 8;

void scalar_pack_a(const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t ir = 0; ir < mc; ir += kScalarMR) {
    float* d = dst + ir * kc;
    for (int r = 0; r < kScalarMR; ++r) {
      const bool valid = ir + r < mc;
      const float* a = A + (i0 + ir + r) * lda + k0;
      for (int64_t k = 0; k < kc; ++k) d[k * kScalarMR + r] = valid ? a[k] : 0.0f;
    }
  }
}

void scalar_pack_b(const BView& B, int64_t j0, int64_t nc, int64_t k0, int64_t kc, float* dst) {
  for (int64_t jr = 0; jr < nc; jr += kScalarNR) {
    float* d = dst + jr * kc;
    for (int c = 0; c < kScalarNR; ++c) {
      const int64_t j = j0 + jr + c;
      const bool valid = jr + c < nc;
      for (int64_t k = 0; k < kc; ++k) {
        const int64_t idx = B.trans ? j * B.ld + k0 + k : (k0 + k) * B.ld + j;
        d[k * kScalarNR + c] = valid ? load_b(B, idx) : 0.0f;
      }
    }
  }
}

void scalar_micro(int64_t kc, const float* a, const float* b, float* C, int64_t ldc, int mr, int nr,
                  const float* bias, bool accumulate) {
  float acc[kScalarMR][kScalarNR] = {};
  for (int64_t k = 0; k < kc; ++k)
    for (int r = 0; r < kScalarMR; ++r)
      for (int j = 0; j < kScalarNR; ++j) acc[r][j] += a[k * kScalarMR + r] * b[k * kScalarNR + j];
  for (int r = 0; r < mr; ++r) {
    float* c = C + r * ldc;
    for (int j = 0; j < nr; ++j) c[j] = acc[r][j] + (accumulate ? c[j] : bias ? bias[j] : 0.0f);
  }
}

void scalar_gemv(int64_t M, int64_t K, const float* A, int64_t lda, const BView& B, const float* bias, float* C,
                 int64_t ldc, int64_t j0, int64_t j1) {
  for (int64_t m = 0; m < M; ++m) {
    const float* a = A + m * lda;
    float* c = C + m * ldc;
    if (B.trans) {
      for (int64_t j = j0; j < j1; ++j) {
        float s = 0.0f;
        for (int64_t k = 0; k < K; ++k) s += a[k] * load_b(B, j * B.ld + k);
        c[j] = s + (bias ? bias[j] : 0.0f);
      }
    } else {
      for (int64_t j = j0; j < j1; ++j) c[j] = bias ? bias[j] : 0.0f;
      for (int64_t k = 0; k < K; ++k) {
        const float ak = a[k];
        for (int64_t j = j0; j < j1; ++j) c[j] += ak * load_b(B, k * B.ld + j);
      }
    }
  }
}

const Kernels kScalarKernels{kScalarMR, kScalarNR, &scalar_pack_a, &scalar_pack_b, &scalar_micro, &scalar_gemv};

// ---- per-thread packing buffers --------------------------------------------------------------------

struct AlignedBuffer {
  float* data = nullptr;
  size_t capacity = 0;  // floats
  ~AlignedBuffer() { std::free(data); }
  float* get(size_t floats) {
    if (floats > capacity) {
      std::free(data);
      const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data) {
        capacity = 0;
        throw std::bad_alloc();
      }
      capacity = floats;
    }
    return data;
  }
};

struct PackBuffers {
  AlignedBuffer a, b;
};

PackBuffers& pack_buffers() {
  thread_local PackBuffers buffers;
  return buffers;
}

struct Problem {
  int64_t M, N, K;
  const float* A;
  int64_t lda;
  BView B;
  const float* bias;
  float* C;
  int64_t ldc;
};

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Packed A for all (ic, pc) blocks: the KC-deep slab starting at depth pc holds every MR-row
// micro-panel of A (Mp = M rounded up to MR rows), so block (ic, pc) starts at pc·Mp + ic·kc.
struct PackedA {
  const float* data;
  int64_t Mp;
  const float* block(int64_t ic, int64_t pc, int64_t kc) const { return data + pc * Mp + ic * kc; }
};

// C[m0:m1, n0:n1] on the calling thread, from the shared packed A; packs its own slice of B.
void gemm_tile(const Kernels& kern, const Problem& p, const PackedA& pa, int64_t KC, int64_t m0, int64_t m1,
               int64_t n0, int64_t n1) {
  const int64_t MR = kern.mr, NR = kern.nr;
  const int64_t nc_max = std::min(kNC, round_up(n1 - n0, NR));
  float* bp = pack_buffers().b.get(static_cast<size_t>(nc_max * KC));
  for (int64_t jc = n0; jc < n1; jc += kNC) {
    const int64_t nc = std::min(kNC, n1 - jc);
    for (int64_t pc = 0; pc < p.K; pc += KC) {
      const int64_t kc = std::min(KC, p.K - pc);
      const bool accumulate = pc > 0;
      kern.pack_b(p.B, jc, nc, pc, kc, bp);
      for (int64_t ic = m0; ic < m1; ic += kMC) {
        const int64_t mc = std::min(kMC, m1 - ic);
        const float* ap = pa.block(ic, pc, kc);
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int nr = static_cast<int>(std::min(NR, nc - jr));
          const float* bias = !accumulate && p.bias ? p.bias + jc + jr : nullptr;
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int mr = static_cast<int>(std::min(MR, mc - ir));
            kern.micro(kc, ap + ir * kc, bp + jr * kc, p.C + (ic + ir) * p.ldc + jc + jr, p.ldc, mr, nr, bias,
                       accumulate);
          }
        }
      }
    }
  }
}

void gemm_blocked(const Kernels& kern, const Problem& p) {
  const int64_t M = p.M, N = p.N, K = p.K;
  const int64_t MR = kern.mr, NR = kern.nr;
  int threads = num_threads();
  // Below ~1 MFLOP the hand-off to the pool costs more than it saves.
  if (static_cast<double>(M) * N * K < 5e5) threads = 1;

  // 1. A is packed once, shared by every tile (all threads read it; it is written before the
  //    tiles start). Parallel over (KC slab, MC block) pieces.
  const int64_t Mp = round_up(M, MR);
  float* apack = pack_buffers().a.get(static_cast<size_t>(Mp * K + 16));
  const PackedA pa{apack, Mp};
  // Equal KC slabs (e.g. K 768 -> 2 × 384 rather than 3 × 256): fewer passes over C.
  const int64_t k_blocks = (K + kKC - 1) / kKC;
  const int64_t KC = round_up((K + k_blocks - 1) / k_blocks, 8);
  const int64_t m_blocks = (M + kMC - 1) / kMC;
  auto pack_range = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t ic = (b % m_blocks) * kMC, pc = (b / m_blocks) * KC;
      const int64_t kc = std::min(KC, K - pc);
      kern.pack_a(p.A, p.lda, ic, std::min(kMC, M - ic), pc, kc, apack + pc * Mp + ic * kc);
    }
  };
  if (threads > 1 && m_blocks * k_blocks > 1) parallel_for(m_blocks * k_blocks, 1, pack_range);
  else pack_range(0, m_blocks * k_blocks);

  // 2. Tiles of C claimed dynamically, a few per thread so a core that is busy with something
  //    else does not hold the others up. Split N first (each tile packs its own columns of B,
  //    so B is packed exactly once); split M as well when N has too few micro-panels.
  const int64_t n_panels = (N + NR - 1) / NR;
  const int64_t want = threads > 1 ? threads * 4 : 1;
  const int64_t nt = std::min(n_panels, want);
  const int64_t mt = std::min((M + MR - 1) / MR, (want + nt - 1) / nt);
  const int64_t n_step = (n_panels + nt - 1) / nt * NR;
  const int64_t m_step = round_up((M + mt - 1) / mt, MR);
  const int64_t ntiles = (N + n_step - 1) / n_step, mtiles = (M + m_step - 1) / m_step;
  auto run = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t m0 = (t / ntiles) * m_step, n0 = (t % ntiles) * n_step;
      gemm_tile(kern, p, pa, KC, m0, std::min(M, m0 + m_step), n0, std::min(N, n0 + n_step));
    }
  };
  if (threads > 1 && ntiles * mtiles > 1) parallel_for(ntiles * mtiles, 1, run);
  else run(0, ntiles * mtiles);
}

}  // namespace
}  // namespace gemm_detail

using namespace gemm_detail;

void gemm_reference(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const void* B,
                    DType b_dtype, int64_t ldb, bool trans_b, const float* bias, float* C,
                    int64_t ldc) {
  const BView b{B, b_dtype, ldb, trans_b};
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = bias ? bias[j] : 0.0;
      for (int64_t k = 0; k < K; ++k)
        acc += static_cast<double>(A[i * lda + k]) * load_b(b, trans_b ? j * ldb + k : k * ldb + j);
      C[i * ldc + j] = static_cast<float>(acc);
    }
}

const Kernels& gemm_detail::scalar_kernels() { return kScalarKernels; }

void gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const void* B, DType b_dtype,
          int64_t ldb, bool trans_b, const float* bias, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = bias ? bias[j] : 0.0f;
    return;
  }
  const Kernels& kern = use_avx2() ? avx2_kernels() : scalar_kernels();
  const Problem p{M, N, K, A, lda, BView{B, b_dtype, ldb, trans_b}, bias, C, ldc};

  if (M <= kGemvMaxM) {
    // Memory bound: split the columns (rows of B when transposed) so every thread streams its
    // own slice of B once. Chunks of at least ~256 KiB of B keep the hand-off cost negligible.
    const int64_t grain = std::max<int64_t>(16, (int64_t{1} << 16) / K);
    parallel_for(N, grain, [&](int64_t j0, int64_t j1) { kern.gemv(M, K, A, lda, p.B, bias, C, ldc, j0, j1); });
    return;
  }
  gemm_blocked(kern, p);
}

}  // namespace dw::cpu
