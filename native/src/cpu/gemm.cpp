// GEMM driver: BLIS-style blocking with an MR×NR micro-kernel over packed panels. A (up to a
// bounded number of rows at a time) is packed once into KC-deep slabs shared by all threads; the
// output is cut into column tiles that the pool's threads claim dynamically, each packing its own
// KC×NC panels of op(B) (converting f16 / bf16 to f32 on the way), so neither operand is packed
// twice. M <= kGemvMaxM (decoder steps, beams, speculative verification) takes a streaming path bound by the bandwidth of reading B
// once. The instruction-set specific pieces come from gemm_avx2.cpp when the CPU allows it, else
// from the portable versions below. All scratch memory is allocated by the calling thread before
// any work starts, so an allocation failure is a dw::Error(OutOfMemory) on the caller.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "cpu_features.h"
#include "dw/thread_pool.h"
#include "gemm_kernels.h"
#include "linear_i8.h"
#include "kernels.h"

namespace dw::cpu {
namespace gemm_detail {
namespace {

// Blocking (tuned on AMD Zen 3: 32 KiB L1d, 1 MiB L2): a KC×NR micro-panel of B (16 KiB) stays in
// L1 while an MC×KC block of A (144 KiB) streams from L2; the KC×NC panel of B (1 MiB) sits in
// L2/L3. KC is the upper bound: K is cut into equal slabs of at most KC.
#ifndef DW_GEMM_KC  // overridable only for tuning builds
#define DW_GEMM_KC 256
#define DW_GEMM_MC 144
#define DW_GEMM_NC 1024
#endif
constexpr int64_t kKC = DW_GEMM_KC;
constexpr int64_t kMC = DW_GEMM_MC;
constexpr int64_t kNC = DW_GEMM_NC;
static_assert(kMC % 6 == 0 && kMC % 4 == 0, "MC must be a multiple of every kernel's MR");
// Packed A is bounded to 32 MiB: taller problems are done in row bands (B is repacked per band).
constexpr int64_t kMaxPackedA = int64_t{8} << 20;  // floats

inline float load_b(const BView& B, int64_t idx) {
  switch (B.dtype) {
    case DType::I8: return static_cast<float>(static_cast<const int8_t*>(B.data)[idx]);
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

void scalar_pack_a_trans(const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                         float* dst) {
  for (int64_t ir = 0; ir < mc; ir += kScalarMR) {
    float* d = dst + ir * kc;
    const int64_t rows = std::min<int64_t>(kScalarMR, mc - ir);
    for (int64_t k = 0; k < kc; ++k) {
      const float* a = A + (k0 + k) * lda + i0 + ir;
      for (int r = 0; r < kScalarMR; ++r) d[k * kScalarMR + r] = r < rows ? a[r] : 0.0f;
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
        d[k * kScalarNR + c] = valid ? load_b(B, idx) * (B.scale ? B.scale[j] : 1.0f) : 0.0f;
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

const Kernels kScalarKernels{kScalarMR,      kScalarNR,     &scalar_pack_a, &scalar_pack_a_trans,
                             &scalar_pack_b, &scalar_micro, &scalar_gemv};

// ---- scratch memory ---------------------------------------------------------------------------------

struct AlignedBuffer {
  float* data = nullptr;
  size_t capacity = 0;  // floats
  AlignedBuffer() = default;
  AlignedBuffer(const AlignedBuffer&) = delete;
  AlignedBuffer& operator=(const AlignedBuffer&) = delete;
  ~AlignedBuffer() { std::free(data); }
  float* get(size_t floats) {
    if (floats > capacity) {
      std::free(data);
      const size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
      data = static_cast<float*>(std::aligned_alloc(64, bytes));
      capacity = data ? floats : 0;
      if (!data) fail(ErrorCode::OutOfMemory, "gemm: could not allocate " + std::to_string(bytes) + " bytes of packing scratch");
    }
    return data;
  }
};

// Kept per calling thread between calls (a GEMM on another thread never waits for this one).
struct Scratch {
  AlignedBuffer a;  // packed A band
  AlignedBuffer b;  // one packed-B panel slot per thread that may run tiles
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Hands each running tile job a distinct panel slot of Scratch::b (at most `threads` run at once).
class SlotPool {
 public:
  explicit SlotPool(int n) {
    for (int i = n - 1; i >= 0; --i) free_.push_back(i);
  }
  // Waits only if the pool grew after the slots were sized (set_num_threads from another thread).
  int claim() {
    std::unique_lock<std::mutex> lock(mutex_);
    returned_.wait(lock, [this] { return !free_.empty(); });
    const int s = free_.back();
    free_.pop_back();
    return s;
  }
  void release(int s) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      free_.push_back(s);
    }
    returned_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<int> free_;
};

struct Problem {
  int64_t M, N, K;
  const float* A;
  int64_t lda;
  bool trans_a;  // A stored [K, M]
  BView B;
  const float* bias;
  float* C;
  int64_t ldc;
  bool accumulate;  // C += product: the first K slab adds to C as the later ones do
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
// bp holds a KC×NC panel.
void gemm_tile(const Kernels& kern, const Problem& p, const PackedA& pa, int64_t KC, int64_t m0, int64_t m1,
               int64_t n0, int64_t n1, float* bp) {
  const int64_t MR = kern.mr, NR = kern.nr;
  for (int64_t jc = n0; jc < n1; jc += kNC) {
    const int64_t nc = std::min(kNC, n1 - jc);
    for (int64_t pc = 0; pc < p.K; pc += KC) {
      const int64_t kc = std::min(KC, p.K - pc);
      const bool accumulate = pc > 0 || p.accumulate;
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

// Rows [m0, m1) of C, with A packed for those rows only.
void gemm_band(const Kernels& kern, const Problem& p, int threads, int64_t KC, int64_t m0, int64_t m1,
               float* apack, float* bslots, int64_t slot_floats) {
  const int64_t M = m1 - m0, N = p.N, K = p.K;
  const int64_t MR = kern.mr, NR = kern.nr;

  // 1. Pack A once into KC slabs, in parallel over (slab, MC block) pieces; every tile reads it.
  const int64_t Mp = round_up(M, MR);
  const PackedA pa{apack, Mp};
  const int64_t k_blocks = (K + KC - 1) / KC, m_blocks = (M + kMC - 1) / kMC;
  // Rows m0… of op(A) start m0 rows down in A, or m0 columns across when A is stored transposed.
  const float* a_band = p.trans_a ? p.A + m0 : p.A + m0 * p.lda;
  const PackAFn pack = p.trans_a ? kern.pack_a_trans : kern.pack_a;
  auto pack_range = [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t ic = (b % m_blocks) * kMC, pc = (b / m_blocks) * KC;
      const int64_t kc = std::min(KC, K - pc);
      pack(a_band, p.lda, ic, std::min(kMC, M - ic), pc, kc, apack + pc * Mp + ic * kc);
    }
  };
  if (threads > 1 && m_blocks * k_blocks > 1) parallel_for(m_blocks * k_blocks, 1, pack_range);
  else pack_range(0, m_blocks * k_blocks);

  // 2. Tiles of C claimed dynamically, a few per thread so a core that is busy with something
  //    else does not hold the others up. Split N first (each tile packs its own columns of B,
  //    so B is packed once per band); split M as well when N has too few micro-panels.
  //    Column boundaries fall on C's 64-byte lines where the layout allows, so two threads never
  //    write the same cache line (false sharing on every row would cost more than the split gains).
  //    A tall, narrow C (M ≥ 4·N, e.g. the tied embedding's gradient, 51865 × 512) is split over M
  //    first instead: splitting its few columns would make every tile stream the whole packed A
  //    band, while B (N·K) is cheap to pack once per tile.
  Problem band = p;
  band.A = nullptr;  // tiles only read the packed copy
  band.C = p.C + m0 * p.ldc;
  constexpr int64_t kLineFloats = 16;
  const int64_t n_unit = std::max(NR, kLineFloats);
  const int64_t units = (N + n_unit - 1) / n_unit;
  const int64_t want = threads > 1 ? threads * 4 : 1;
  const int64_t m_units = (M + MR - 1) / MR;
  int64_t nt, mt;
  if (M >= 4 * N) {
    mt = std::min(m_units, want);
    nt = std::min(units, (want + mt - 1) / mt);
  } else {
    nt = std::min(units, want);
    mt = std::min(m_units, (want + nt - 1) / nt);
  }
  const int64_t n_step = (units + nt - 1) / nt * n_unit;
  const int64_t m_step = round_up((M + mt - 1) / mt, MR);
  const auto c_addr = reinterpret_cast<uintptr_t>(band.C);
  const int64_t shift = c_addr % sizeof(float) == 0 && p.ldc % kLineFloats == 0
                            ? static_cast<int64_t>((64 - c_addr % 64) % 64 / sizeof(float))
                            : 0;  // columns before the first line boundary
  const int64_t ntiles = shift < N ? (N - shift + n_step - 1) / n_step : 1;
  const int64_t mtiles = (M + m_step - 1) / m_step;
  SlotPool slots(threads);
  auto run = [&](int64_t t0, int64_t t1) {
    const int slot = slots.claim();
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t r0 = (t / ntiles) * m_step, tn = t % ntiles;
      const int64_t n0 = tn == 0 ? 0 : shift + tn * n_step, n1 = std::min(N, shift + (tn + 1) * n_step);
      gemm_tile(kern, band, pa, KC, r0, std::min(M, r0 + m_step), n0, n1, bslots + slot * slot_floats);
    }
    slots.release(slot);
  };
  if (threads > 1 && ntiles * mtiles > 1) parallel_for(ntiles * mtiles, 1, run);
  else run(0, ntiles * mtiles);
}

void gemm_blocked(const Kernels& kern, const Problem& p) {
  const int64_t M = p.M, N = p.N, K = p.K;
  const int64_t MR = kern.mr, NR = kern.nr;
  // Below ~1 MFLOP the hand-off to the pool costs more than it saves.
  const int threads = static_cast<double>(M) * N * K < 5e5 ? 1 : std::max(1, num_threads());

  // The fewest KC slabs of nearly equal depth, so no pass over C is a sliver (K 520 -> 176 + 176 +
  // 168 rather than 256 + 256 + 8).
  const int64_t k_blocks = (K + kKC - 1) / kKC;
  const int64_t KC = round_up((K + k_blocks - 1) / k_blocks, 8);
  const int64_t band_rows =
      std::max(kMC, std::min(round_up(M, MR), kMaxPackedA / round_up(K, 8) / kMC * kMC));

  // Everything is allocated here, on the caller, before any work starts.
  Scratch& s = scratch();
  float* apack = s.a.get(static_cast<size_t>(round_up(std::min(M, band_rows), MR) * K + 16));
  const int64_t slot_floats = round_up(std::min(kNC, round_up(N, NR)) * KC, 16);  // one KC×NC panel
  float* bslots = s.b.get(static_cast<size_t>(slot_floats * threads));

  for (int64_t m0 = 0; m0 < M; m0 += band_rows)
    gemm_band(kern, p, threads, KC, m0, std::min(M, m0 + band_rows), apack, bslots, slot_floats);
}

}  // namespace
}  // namespace gemm_detail

using namespace gemm_detail;

void gemm_reference(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool trans_a, const void* B,
                    DType b_dtype, int64_t ldb, bool trans_b, const float* bias, float* C, int64_t ldc,
                    bool accumulate) {
  const BView b{B, b_dtype, ldb, trans_b};
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double acc = accumulate ? C[i * ldc + j] : bias ? bias[j] : 0.0;
      for (int64_t k = 0; k < K; ++k)
        acc += static_cast<double>(trans_a ? A[k * lda + i] : A[i * lda + k]) *
               load_b(b, trans_b ? j * ldb + k : k * ldb + j);
      C[i * ldc + j] = static_cast<float>(acc);
    }
}

void gemm_reference(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const void* B,
                    DType b_dtype, int64_t ldb, bool trans_b, const float* bias, float* C,
                    int64_t ldc) {
  gemm_reference(M, N, K, A, lda, false, B, b_dtype, ldb, trans_b, bias, C, ldc, false);
}

const Kernels& gemm_detail::scalar_kernels() { return kScalarKernels; }

namespace {

// The whole product with one kernel set (gemm() picks the set; the self-test tries one).
void run_gemm(const Kernels& kern, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool trans_a,
              const void* B, DType b_dtype, int64_t ldb, bool trans_b, const float* bias, float* C, int64_t ldc,
              bool accumulate, const float* b_scale = nullptr) {
  if (M <= 0 || N <= 0) return;
  if (accumulate) bias = nullptr;  // documented precondition; never add a bias twice
  if (K <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) C[i * ldc + j] = bias ? bias[j] : 0.0f;
    return;
  }
  const Problem p{M, N, K, A, lda, trans_a, BView{B, b_dtype, ldb, trans_b, b_scale}, bias, C, ldc, accumulate};

  // The streaming path reads rows of A and writes C; the transposed and accumulating products of
  // a backward pass have large M and go through the blocked driver, which handles both.
  if (M <= kGemvMaxM && !trans_a && !accumulate && b_dtype != DType::I8) {
    // Memory bound: split the columns (rows of B when transposed) so every thread streams its
    // own slice of B once. Chunks of at least ~256 KiB of B keep the hand-off cost negligible.
    const int64_t grain = std::max<int64_t>(16, (int64_t{1} << 16) / K);
    parallel_for(N, grain, [&](int64_t j0, int64_t j1) { kern.gemv(M, K, A, lda, p.B, bias, C, ldc, j0, j1); });
    return;
  }
  gemm_blocked(kern, p);
}

// AVX-512 kernels are used only after they reproduce the reference on this very CPU: they cannot
// be exercised on machines without AVX-512 (where this library is mostly built and tested), so a
// wrong result on real hardware falls back to AVX2 with a warning instead of reaching users.
bool avx512_verified() {
  static const bool ok = [] {
    const bool passed = self_test(avx512_kernels());
    if (!passed)
      std::fprintf(stderr,
                   "distil-whisper: the AVX-512 GEMM kernels failed their self-test on this CPU; using AVX2 "
                   "instead (please report this with your CPU model)\n");
    return passed;
  }();
  return ok;
}

const Kernels& active_kernels() {
  if (use_avx512() && avx512_verified()) return avx512_kernels();
  return use_avx2() ? avx2_kernels() : scalar_kernels();
}

}  // namespace

bool gemm_detail::self_test(const Kernels& kern) {
  struct Case {
    int64_t M, N, K;
    bool trans_a, trans_b, accumulate, bias;
    DType dtype;
  };
  // Edges in every direction (M, N not multiples of any MR / NR, K not of 8), several KC slabs,
  // both layouts of A and B, all weight dtypes, and one streaming (M ≤ 16) product.
  const Case cases[] = {
      {37, 70, 29, false, true, false, true, DType::F32},  {150, 97, 520, false, true, false, true, DType::F16},
      {29, 45, 33, false, false, false, false, DType::BF16}, {40, 33, 70, true, false, true, false, DType::F32},
      {13, 50, 64, false, true, true, false, DType::F32},  {3, 300, 77, false, true, false, true, DType::F16},
      {5, 40, 64, false, false, false, true, DType::F32},  {41, 70, 67, false, true, false, true, DType::I8},
  };
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<float>(static_cast<int32_t>(seed >> 8) - (1 << 23)) / static_cast<float>(1 << 23);
  };
  for (const Case& c : cases) {
    std::vector<float> a(static_cast<size_t>(c.M * c.K)), bias(static_cast<size_t>(c.N)), b32(static_cast<size_t>(c.N * c.K));
    for (auto& v : a) v = next();
    for (auto& v : bias) v = next();
    for (auto& v : b32) v = next();
    std::vector<uint16_t> b16(b32.size());
    std::vector<int8_t> b8(b32.size());
    std::vector<float> scale(static_cast<size_t>(c.N));
    for (size_t i = 0; i < b32.size(); ++i) {
      b16[i] = c.dtype == DType::F16 ? f32_to_f16(b32[i]) : f32_to_bf16(b32[i]);
      b8[i] = static_cast<int8_t>(std::lround(b32[i] * 127.0f));
    }
    for (auto& v : scale) v = 0.01f + 0.01f * std::fabs(next());
    const void* b = c.dtype == DType::F32 ? static_cast<const void*>(b32.data())
                    : c.dtype == DType::I8 ? static_cast<const void*>(b8.data())
                                           : b16.data();
    const int64_t lda = c.trans_a ? c.M : c.K, ldb = c.trans_b ? c.K : c.N;
    std::vector<float> got(static_cast<size_t>(c.M * c.N)), want(got.size());
    for (size_t i = 0; i < got.size(); ++i) got[i] = want[i] = next();
    const float* bp = c.bias ? bias.data() : nullptr;
    const bool i8 = c.dtype == DType::I8;
    run_gemm(kern, c.M, c.N, c.K, a.data(), lda, c.trans_a, b, c.dtype, ldb, c.trans_b, bp, got.data(), c.N,
             c.accumulate, i8 ? scale.data() : nullptr);
    if (i8) {  // int8 weights are [N, K] with a scale per row
      for (int64_t i = 0; i < c.M; ++i)
        for (int64_t j = 0; j < c.N; ++j) {
          double acc = bp ? bp[j] : 0.0;
          for (int64_t k = 0; k < c.K; ++k)
            acc += static_cast<double>(a[static_cast<size_t>(i * c.K + k)]) * b8[static_cast<size_t>(j * c.K + k)] *
                   scale[static_cast<size_t>(j)];
          want[static_cast<size_t>(i * c.N + j)] = static_cast<float>(acc);
        }
    } else {
      gemm_reference(c.M, c.N, c.K, a.data(), lda, c.trans_a, b, c.dtype, ldb, c.trans_b, bp, want.data(), c.N,
                     c.accumulate);
    }
    for (size_t i = 0; i < got.size(); ++i)
      if (!(std::fabs(got[i] - want[i]) <= 1e-4f * (1.0f + std::fabs(want[i])))) return false;
  }
  return true;
}

void gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool trans_a, const void* B,
          DType b_dtype, int64_t ldb, bool trans_b, const float* bias, float* C, int64_t ldc, bool accumulate) {
  run_gemm(active_kernels(), M, N, K, A, lda, trans_a, B, b_dtype, ldb, trans_b, bias, C, ldc, accumulate);
}

void gemm_int8_weights(int64_t M, int64_t N, int64_t K, const float* A, const int8_t* W, const float* w_scale,
                       const float* bias, float* C) {
  run_gemm(active_kernels(), M, N, K, A, K, false, W, DType::I8, K, true, bias, C, N, false, w_scale);
}

void gemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, const void* B, DType b_dtype,
          int64_t ldb, bool trans_b, const float* bias, float* C, int64_t ldc) {
  gemm(M, N, K, A, lda, false, B, b_dtype, ldb, trans_b, bias, C, ldc, false);
}

}  // namespace dw::cpu
