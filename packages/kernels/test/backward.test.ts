// The training ops against float64 JavaScript: every backward against central finite differences
// of its forward, the fused distillation loss against its formulas (and PyTorch fixtures), AdamW
// against torch's op order, and typed errors for bad input.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import {
  adamwStep,
  addInPlace,
  attention,
  attentionBackward,
  embeddingBackward,
  fillZero,
  geluBackward,
  gemm,
  getNumThreads,
  KernelError,
  layerNormBackward,
  logitsLoss,
  scaleInPlace,
  setNumThreads,
  sumRows,
  sumSquares,
  Tensor,
  tidy,
} from '@distil-whisper/kernels';

import {
  adamwF32,
  dot,
  f64,
  geluF64,
  layerNormF64,
  linearF64,
  logitsLossF64,
  numericGrad,
  relErr,
} from './backward-reference';
import { attentionRef, maxAbsDiff, rand } from './reference';

const t = (data: Float32Array, shape: number[]): Tensor => Tensor.from(data, shape);
const ids = (data: number[], shape: number[]): Tensor => Tensor.from(Int32Array.from(data), shape);
const f32 = (x: Tensor): Float32Array => x.toArray<'f32'>();

function expectKernelError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(KernelError);
  expect((caught as KernelError).code).toBe(code);
}

// Central differences in float64 (h = 1e-5) are good to ~1e-10; the f32 kernels land within
// ~1e-7 of the largest gradient entry (measured 2e-8 … 9e-8), so FD_TOL leaves a 10x margin.
const FD_TOL = 1e-6;

describe('gemm', () => {
  const M = 7,
    N = 5,
    K = 9;
  // C[i, j] = Σ_k op(A)[i, k] · op(B)[k, j] in float64 from the stored layouts.
  function ref(
    a: Float32Array,
    b: Float32Array,
    transA: boolean,
    transB: boolean,
    c0?: Float32Array,
  ): Float64Array {
    const c = new Float64Array(M * N);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = c0 ? c0[i * N + j]! : 0;
        for (let k = 0; k < K; k++)
          s += (transA ? a[k * M + i]! : a[i * K + k]!) * (transB ? b[j * K + k]! : b[k * N + j]!);
        c[i * N + j] = s;
      }
    return c;
  }

  it.each([
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ])('transA=%s transB=%s, new tensor and accumulate into out', (transA, transB) => {
    tidy(() => {
      const a = rand(M * K, 1),
        b = rand(N * K, 2),
        c0 = rand(M * N, 3);
      const ta = t(a, transA ? [K, M] : [M, K]),
        tb = t(b, transB ? [N, K] : [K, N]);
      const fresh = gemm(ta, tb, { transA, transB });
      expect(fresh.shape).toEqual([M, N]);
      expect(maxAbsDiff(f32(fresh), ref(a, b, transA, transB))).toBeLessThan(1e-6);
      const out = t(c0, [M, N]);
      const r = gemm(ta, tb, { transA, transB, out, accumulate: true });
      expect(r).toBe(out);
      expect(maxAbsDiff(f32(out), ref(a, b, transA, transB, c0))).toBeLessThan(1e-6);
      gemm(ta, tb, { transA, transB, out }); // overwrite
      expect(maxAbsDiff(f32(out), ref(a, b, transA, transB))).toBeLessThan(1e-6);
    });
  });

  it('converts f16 / bf16 b on the fly', () => {
    tidy(() => {
      const a = rand(M * K, 4),
        b = rand(K * N, 5);
      for (const dtype of ['f16', 'bf16'] as const) {
        const bq = t(b, [K, N]).cast(dtype);
        const got = f32(gemm(t(a, [K, M]), bq, { transA: true }));
        expect(maxAbsDiff(got, ref(a, bq.toFloat32(), true, false))).toBeLessThan(1e-6);
      }
    });
  });

  it('is the Linear backward: dX = dY·W, dW += dYᵀ·X, db += Σ dY (finite differences)', () => {
    tidy(() => {
      const R = 6,
        I = 5,
        O = 4;
      const x = rand(R * I, 6),
        w = rand(O * I, 7),
        b = rand(O, 8),
        dy = rand(R * O, 9);
      const dX = f32(gemm(t(dy, [R, O]), t(w, [O, I])));
      const dW = t(new Float32Array(O * I), [O, I]),
        db = t(new Float32Array(O), [O]);
      gemm(t(dy, [R, O]), t(x, [R, I]), { transA: true, out: dW, accumulate: true });
      sumRows(t(dy, [R, O]), { out: db, accumulate: true });
      const X = f64(x),
        W = f64(w),
        B = f64(b);
      const loss = (): number => dot(linearF64(X, W, B, R, I, O), dy);
      expect(
        relErr(
          dX,
          numericGrad(() => loss(), X),
        ),
      ).toBeLessThan(FD_TOL);
      expect(
        relErr(
          f32(dW),
          numericGrad(() => loss(), W),
        ),
      ).toBeLessThan(FD_TOL);
      expect(
        relErr(
          f32(db),
          numericGrad(() => loss(), B),
        ),
      ).toBeLessThan(FD_TOL);
    });
  });

  it('rejects bad shapes, accumulate without out and aliasing with typed errors', () => {
    tidy(() => {
      const a = t(rand(12, 1), [3, 4]);
      expectKernelError(() => gemm(a, t(rand(15, 2), [5, 3])), 'SHAPE_MISMATCH');
      expectKernelError(
        () => gemm(a, t(rand(20, 2), [4, 5]), { accumulate: true }),
        'INVALID_ARGUMENT',
      );
      expectKernelError(
        () => gemm(a, t(rand(20, 2), [4, 5]), { out: t(rand(12, 3), [3, 4]) }),
        'SHAPE_MISMATCH',
      );
      const sq = t(rand(16, 4), [4, 4]);
      expectKernelError(() => gemm(sq, t(rand(16, 5), [4, 4]), { out: sq }), 'INVALID_ARGUMENT');
      expectKernelError(() => gemm(ids([1, 2, 3, 4], [2, 2]), sq.slice(0, 0, 2)), 'DTYPE_MISMATCH');
      expectKernelError(() => gemm(t(rand(24, 1), [2, 3, 4]), sq), 'SHAPE_MISMATCH');
    });
  });
});

describe('sumRows, sumSquares and the in-place helpers', () => {
  it('sumRows over every leading dim, into a new tensor or added to out', () => {
    tidy(() => {
      const x = rand(2 * 3 * 5, 10);
      const want = new Float64Array(5);
      for (let i = 0; i < 30; i++) want[i % 5] = want[i % 5]! + x[i]!;
      expect(maxAbsDiff(f32(sumRows(t(x, [2, 3, 5]))), want)).toBeLessThan(1e-6);
      const out = t(Float32Array.from([1, 1, 1, 1, 1]), [5]);
      expect(sumRows(t(x, [6, 5]), { out, accumulate: true })).toBe(out);
      expect(
        maxAbsDiff(
          f32(out),
          want.map((v) => v + 1),
        ),
      ).toBeLessThan(1e-6);
      expectKernelError(() => sumRows(t(x, [6, 5]), { accumulate: true }), 'INVALID_ARGUMENT');
    });
  });

  it('sumSquares in double; scaleInPlace, addInPlace, fillZero', () => {
    tidy(() => {
      const x = rand(1000, 11, -3, 3);
      const want = x.reduce((s, v) => s + v * v, 0);
      expect(Math.abs(sumSquares(t(x, [10, 100])) - want)).toBeLessThan(1e-9 * want);
      const d = t(x.slice(), [1000]);
      scaleInPlace(d, 0.5);
      addInPlace(d, t(x, [1000]), 2);
      expect(
        maxAbsDiff(
          f32(d),
          x.map((v) => 2.5 * v),
        ),
      ).toBeLessThan(1e-6);
      addInPlace(d, d);
      expect(
        maxAbsDiff(
          f32(d),
          x.map((v) => 5 * v),
        ),
      ).toBeLessThan(1e-5);
      fillZero(d);
      expect(f32(d).every((v) => v === 0)).toBe(true);
      expectKernelError(() => addInPlace(d, t(x, [10, 100])), 'SHAPE_MISMATCH');
      expectKernelError(() => scaleInPlace(d, Number.NaN), 'INVALID_ARGUMENT');
      expectKernelError(() => sumSquares(ids([1, 2], [2])), 'DTYPE_MISMATCH');
    });
  });
});

describe('embeddingBackward', () => {
  it('is the gradient of the gather (finite differences), added to dTable, repeated ids summed', () => {
    tidy(() => {
      const V = 6,
        C = 5;
      const idList = [4, 0, 4, 2, 4, 5];
      const table = rand(V * C, 12),
        dOut = rand(idList.length * C, 13),
        base = rand(V * C, 14);
      const dTable = t(base.slice(), [V, C]);
      embeddingBackward(ids(idList, [2, 3]), t(dOut, [2, 3, C]), dTable);
      const E = f64(table);
      const gather = (): number => {
        let s = 0;
        idList.forEach((id, i) => {
          for (let c = 0; c < C; c++) s += E[id * C + c]! * dOut[i * C + c]!;
        });
        return s;
      };
      const fd = numericGrad(gather, E);
      expect(
        relErr(
          f32(dTable).map((v, i) => v - base[i]!),
          fd,
        ),
      ).toBeLessThan(FD_TOL);
    });
  });

  it('refuses out-of-range ids before writing, and wrong dtypes / shapes', () => {
    tidy(() => {
      const dTable = t(new Float32Array(12).fill(3), [4, 3]);
      expectKernelError(
        () => embeddingBackward(ids([1, 4], [2]), t(rand(6, 1), [2, 3]), dTable),
        'INVALID_ARGUMENT',
      );
      expectKernelError(
        () => embeddingBackward(ids([-1], [1]), t(rand(3, 1), [1, 3]), dTable),
        'INVALID_ARGUMENT',
      );
      expect(f32(dTable).every((v) => v === 3)).toBe(true);
      expectKernelError(
        () => embeddingBackward(t(rand(2, 1), [2]), t(rand(6, 1), [2, 3]), dTable),
        'DTYPE_MISMATCH',
      );
      expectKernelError(
        () => embeddingBackward(ids([1, 2], [2]), t(rand(8, 1), [2, 4]), dTable),
        'SHAPE_MISMATCH',
      );
    });
  });
});

describe('layerNormBackward and geluBackward', () => {
  it('layerNormBackward: dX, dGamma, dBeta match finite differences (dGamma/dBeta accumulate)', () => {
    tidy(() => {
      const R = 4,
        C = 11,
        eps = 1e-5;
      const x = rand(R * C, 20, -2, 3),
        g = rand(C, 21, 0.5, 1.5),
        b = rand(C, 22),
        dy = rand(R * C, 23);
      const g0 = rand(C, 24),
        b0 = rand(C, 25);
      const dGamma = t(g0.slice(), [C]),
        dBeta = t(b0.slice(), [C]);
      const dX = f32(
        layerNormBackward(t(x, [2, 2, C]), t(g, [C]), t(dy, [2, 2, C]), { dGamma, dBeta }),
      );
      const X = f64(x),
        G = f64(g),
        B = f64(b);
      const loss = (): number => dot(layerNormF64(X, G, B, R, C, eps), dy);
      expect(relErr(dX, numericGrad(loss, X))).toBeLessThan(FD_TOL);
      expect(
        relErr(
          f32(dGamma).map((v, i) => v - g0[i]!),
          numericGrad(loss, G),
        ),
      ).toBeLessThan(FD_TOL);
      expect(
        relErr(
          f32(dBeta).map((v, i) => v - b0[i]!),
          numericGrad(loss, B),
        ),
      ).toBeLessThan(FD_TOL);
      expectKernelError(
        () => layerNormBackward(t(x, [R, C]), t(g, [C]), t(dy, [C, R])),
        'SHAPE_MISMATCH',
      );
      expectKernelError(
        () => layerNormBackward(t(x, [R, C]), t(g, [C]), t(dy, [R, C]), { dGamma: t(g0, [1, C]) }),
        'SHAPE_MISMATCH',
      );
    });
  });

  it('geluBackward matches finite differences of the exact GELU', () => {
    tidy(() => {
      const x = rand(203, 26, -6, 6),
        dy = rand(203, 27);
      const got = f32(geluBackward(t(x, [203]), t(dy, [203])));
      const X = f64(x);
      const fd = numericGrad(() => dot(geluF64(X), dy), X);
      expect(relErr(got, fd)).toBeLessThan(FD_TOL);
      expectKernelError(() => geluBackward(t(x, [203]), t(dy.slice(1), [202])), 'SHAPE_MISMATCH');
    });
  });
});

describe('attentionBackward', () => {
  const cases: [string, number, number, number, number, number, boolean][] = [
    ['cross-attention Lq < Lk', 2, 2, 3, 5, 4, false],
    ['causal self-attention Lq = Lk', 1, 2, 5, 5, 3, true],
    ['causal Lq < Lk (bottom-right)', 1, 1, 3, 6, 4, true],
    ['non-causal Lq > Lk', 1, 2, 6, 3, 2, false],
  ];
  it.each(cases)('%s: dq, dk, dv match finite differences', (_n, B, H, Lq, Lk, D, causal) => {
    tidy(() => {
      const q = rand(B * Lq * H * D, 30),
        k = rand(B * Lk * H * D, 31),
        v = rand(B * Lk * H * D, 32),
        dOut = rand(B * Lq * H * D, 33);
      const tq = t(q, [B, Lq, H, D]),
        tk = t(k, [B, Lk, H, D]),
        tv = t(v, [B, Lk, H, D]);
      const { out, lse } = attention(tq, tk, tv, { causal, returnLse: true });
      const { dq, dk, dv } = attentionBackward(tq, tk, tv, out, lse!, t(dOut, [B, Lq, H, D]), {
        causal,
      });
      const Q = f64(q),
        K = f64(k),
        Vv = f64(v);
      const scale = 1 / Math.sqrt(D);
      const loss = (): number => dot(attentionRef(Q, K, Vv, B, Lq, Lk, H, D, scale, causal), dOut);
      expect(relErr(f32(dq), numericGrad(loss, Q))).toBeLessThan(FD_TOL);
      expect(relErr(f32(dk), numericGrad(loss, K))).toBeLessThan(FD_TOL);
      expect(relErr(f32(dv), numericGrad(loss, Vv))).toBeLessThan(FD_TOL);
    });
  });

  it('strided k / v (a slice of a cache), an explicit scale, and the same bits for 1 and 2 threads', () => {
    tidy(() => {
      const B = 2,
        H = 2,
        D = 8,
        cap = 9,
        L = 7;
      const q = rand(B * L * H * D, 40),
        kc = rand(B * cap * H * D, 41),
        vc = rand(B * cap * H * D, 42),
        dOut = rand(B * L * H * D, 43);
      const tq = t(q, [B, L, H, D]);
      const tk = t(kc, [B, cap, H, D]).slice(1, 0, L),
        tv = t(vc, [B, cap, H, D]).slice(1, 0, L);
      expect(tk.isContiguous).toBe(false);
      const opts = { causal: true, scale: 0.4 };
      const { out, lse } = attention(tq, tk, tv, { ...opts, returnLse: true });
      const threads = getNumThreads();
      try {
        setNumThreads(1);
        const one = attentionBackward(tq, tk, tv, out, lse!, t(dOut, [B, L, H, D]), opts);
        setNumThreads(2);
        const two = attentionBackward(tq, tk, tv, out, lse!, t(dOut, [B, L, H, D]), opts);
        expect(f32(two.dq)).toEqual(f32(one.dq));
        expect(f32(two.dk)).toEqual(f32(one.dk));
        // Gradient w.r.t. the used part of the cache.
        const K = f64(tk.contiguous().toArray<'f32'>()),
          Vv = f64(tv.contiguous().toArray<'f32'>()),
          Q = f64(q);
        const loss = (): number => dot(attentionRef(Q, K, Vv, B, L, L, H, D, 0.4, true), dOut);
        expect(relErr(f32(one.dq), numericGrad(loss, Q))).toBeLessThan(FD_TOL);
        expect(relErr(f32(one.dk), numericGrad(loss, K))).toBeLessThan(FD_TOL);
        expect(relErr(f32(one.dv), numericGrad(loss, Vv))).toBeLessThan(FD_TOL);
      } finally {
        setNumThreads(threads);
      }
    });
  });

  it('rejects a wrong lse shape, causal Lk < Lq and mismatched shapes', () => {
    tidy(() => {
      const q = t(rand(2 * 3 * 4, 50), [1, 2, 3, 4]),
        k = t(rand(5 * 3 * 4, 51), [1, 5, 3, 4]);
      const { out, lse } = attention(q, k, k, { returnLse: true });
      expectKernelError(
        () => attentionBackward(q, k, k, out, lse!.reshape([1, 6]), out),
        'SHAPE_MISMATCH',
      );
      expectKernelError(
        () => attentionBackward(k, q, q, k, t(rand(15, 1), [1, 3, 5]), k, { causal: true }),
        'SHAPE_MISMATCH',
      );
      expectKernelError(
        () => attentionBackward(q, k, k, out, lse!, t(rand(24, 1), [1, 2, 4, 3])),
        'SHAPE_MISMATCH',
      );
    });
  });
});

describe('logitsLoss', () => {
  // labels: one ignored row, the first and the last token.
  const R = 5,
    V = 37;
  const labels = [3, -100, 0, 36, 17];

  it.each([
    [2, 8, 'T = 2'],
    [1, 8, 'T = 1'],
    [2, 80, 'T = 2, logits ±80'],
    [1, 80, 'T = 1, logits ±80'],
  ])('matches the float64 formulas (%s, range %s: %s)', (T, range) => {
    tidy(() => {
      const zs = rand(R * V, 60, -range, range),
        zt = rand(R * V, 61, -range, range);
      const ceScale = 0.8 / 4,
        klScale = 1 / 4;
      const res = logitsLoss(t(zs, [R, V]), t(zt, [R, V]), ids(labels, [R]), {
        temperature: T,
        ceScale,
        klScale,
      });
      const want = logitsLossF64(zs, zt, labels, R, V, T, ceScale, klScale);
      expect(relErr(f32(res.ce), want.ce)).toBeLessThan(2e-6);
      expect(relErr(f32(res.kl), want.kl)).toBeLessThan(1e-5);
      expect(maxAbsDiff(f32(res.grad), want.grad)).toBeLessThan(1e-6);
      expect(
        f32(res.grad)
          .slice(V, 2 * V)
          .every((v) => v === 0),
      ).toBe(true); // ignored row
      // The gradient is d(Σ ceScale·ce + klScale·kl)/dz_s (finite differences of the float64 loss).
      if (range === 8) {
        const Zs = f64(zs);
        const fd = numericGrad(
          () => logitsLossF64(Zs, zt, labels, R, V, T, ceScale, klScale).total,
          Zs,
        );
        expect(maxAbsDiff(f32(res.grad), fd)).toBeLessThan(1e-6);
      }
    });
  });

  it('teacher = student gives kl = 0; no teacher gives the CE part alone', () => {
    tidy(() => {
      const zs = rand(R * V, 62, -5, 5);
      const s = t(zs, [R, V]);
      const same = logitsLoss(s, s, ids(labels, [R]), { ceScale: 0.5, klScale: 1 });
      expect(maxAbsDiff(f32(same.kl), new Float64Array(R))).toBe(0);
      const none = logitsLoss(s, null, ids(labels, [R]), { ceScale: 0.5, klScale: 1 });
      expect(maxAbsDiff(f32(none.kl), new Float64Array(R))).toBe(0);
      expect(maxAbsDiff(f32(same.grad), f32(none.grad))).toBeLessThan(1e-7);
      const want = logitsLossF64(zs, null, labels, R, V, 2, 0.5, 1);
      expect(maxAbsDiff(f32(none.grad), want.grad)).toBeLessThan(1e-6);
      expect(relErr(f32(none.ce), want.ce)).toBeLessThan(2e-6);
    });
  });

  it('inPlace writes the gradient over the student logits and returns that tensor', () => {
    tidy(() => {
      const zs = rand(R * V, 63, -4, 4),
        zt = rand(R * V, 64, -4, 4);
      const opts = { ceScale: 0.3, klScale: 0.7 };
      const fresh = logitsLoss(t(zs, [R, V]), t(zt, [R, V]), ids(labels, [R]), opts);
      const student = t(zs, [R, V]);
      const res = logitsLoss(student, t(zt, [R, V]), ids(labels, [R]), { ...opts, inPlace: true });
      expect(res.grad).toBe(student);
      expect(f32(student)).toEqual(f32(fresh.grad));
      expect(f32(res.ce)).toEqual(f32(fresh.ce));
    });
  });

  it('refuses labels ≥ V before any work, and wrong dtypes / shapes', () => {
    tidy(() => {
      const zs = rand(R * V, 65);
      const s = t(zs, [R, V]);
      expectKernelError(
        () =>
          logitsLoss(s, null, ids([0, 1, 37, 2, 3], [R]), {
            ceScale: 1,
            klScale: 1,
            inPlace: true,
          }),
        'INVALID_ARGUMENT',
      );
      expect(f32(s)).toEqual(zs);
      expectKernelError(
        () => logitsLoss(s, null, t(rand(R, 1), [R]), { ceScale: 1, klScale: 1 }),
        'DTYPE_MISMATCH',
      );
      expectKernelError(
        () =>
          logitsLoss(s, t(rand(R * 36, 1), [R, 36]), ids(labels, [R]), { ceScale: 1, klScale: 1 }),
        'SHAPE_MISMATCH',
      );
      expectKernelError(
        () => logitsLoss(s, null, ids(labels, [R]), { ceScale: 1, klScale: 1, temperature: 0 }),
        'INVALID_ARGUMENT',
      );
    });
  });

  // Parity with distil-whisper's objective as PyTorch computes it (float64 autograd), from
  // tools/reference/distill/fixtures/loss_cases.json: loss = ce_w·mean(ce) + kl_w·mean(kl) over the
  // scored rows, grad = d loss / d z_s.
  const fixtures = resolve(
    dirname(fileURLToPath(import.meta.url)),
    '../../../tools/reference/distill/fixtures/loss_cases.json',
  );
  interface LossCase {
    name: string;
    rows: number;
    vocab: number;
    temperature: number;
    ce_weight: number;
    kl_weight: number;
    student_logits: number[];
    teacher_logits: number[] | null;
    labels: number[];
    expected: { ce_loss: number; kl_loss: number; loss: number; grad: number[] };
  }
  const lossCases: LossCase[] = existsSync(fixtures)
    ? (JSON.parse(readFileSync(fixtures, 'utf8')) as { cases: LossCase[] }).cases
    : [];
  if (lossCases.length === 0)
    console.warn(`[skip] logitsLoss PyTorch parity: ${fixtures} not found`);
  it.each(lossCases.map((c) => [c.name, c] as const))('PyTorch parity: %s', (_name, c) => {
    tidy(() => {
      const n = c.labels.filter((l) => l >= 0).length;
      const res = logitsLoss(
        t(Float32Array.from(c.student_logits), [c.rows, c.vocab]),
        c.teacher_logits ? t(Float32Array.from(c.teacher_logits), [c.rows, c.vocab]) : null,
        ids(c.labels, [c.rows]),
        { temperature: c.temperature, ceScale: c.ce_weight / n, klScale: c.kl_weight / n },
      );
      const ce = f32(res.ce).reduce((s, v) => s + v, 0) / n;
      const kl = f32(res.kl).reduce((s, v) => s + v, 0) / n;
      expect(Math.abs(ce - c.expected.ce_loss)).toBeLessThan(
        2e-6 * Math.max(1, c.expected.ce_loss),
      );
      expect(Math.abs(kl - c.expected.kl_loss)).toBeLessThan(
        2e-6 * Math.max(1, c.expected.kl_loss),
      );
      expect(maxAbsDiff(f32(res.grad), c.expected.grad)).toBeLessThan(3e-7); // measured ≤ 4e-8
    });
  });
});

describe('adamwStep', () => {
  it.each([
    [{ lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 }],
    [{ lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 }],
    [{ lr: 5e-2, beta1: 0.3, beta2: 0.99, eps: 1e-6, weightDecay: 0.1 }],
  ])('follows torch.optim.AdamW op by op over 5 steps (%o)', (hp) => {
    tidy(() => {
      const n = 257;
      const p = rand(n, 70),
        m = new Float32Array(n),
        v = new Float32Array(n);
      const tp = t(p.slice(), [n]),
        tm = t(m.slice(), [n]),
        tv = t(v.slice(), [n]);
      for (let step = 1; step <= 5; step++) {
        const g = step === 3 ? new Float32Array(n) : rand(n, 70 + step, -0.5, 0.5);
        adamwStep(tp, t(g, [n]), tm, tv, { ...hp, step });
        adamwF32(p, g, m, v, { ...hp, step });
      }
      // float32 emulation of the same operations: equal up to the last bit (1 ulp slack).
      for (const [got, want] of [
        [f32(tp), p],
        [f32(tm), m],
        [f32(tv), v],
      ] as const)
        for (let i = 0; i < n; i++)
          expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(Math.abs(want[i]!) * 2 ** -23);
    });
  });

  it('uses the defaults β1 0.9, β2 0.999, eps 1e-8 and rejects bad hyper-parameters', () => {
    tidy(() => {
      const n = 9;
      const p = rand(n, 80),
        g = rand(n, 81),
        m = new Float32Array(n),
        v = new Float32Array(n);
      const tp = t(p.slice(), [n]);
      adamwStep(tp, t(g, [n]), t(m.slice(), [n]), t(v.slice(), [n]), {
        lr: 1e-3,
        weightDecay: 0,
        step: 1,
      });
      adamwF32(p, g, m, v, {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
        step: 1,
      });
      expect(maxAbsDiff(f32(tp), p)).toBeLessThan(1e-7);
      const z = (): Tensor => t(new Float32Array(n), [n]);
      expectKernelError(
        () => adamwStep(z(), z(), z(), z(), { lr: 1e-3, weightDecay: 0, step: 0 }),
        'INVALID_ARGUMENT',
      );
      expectKernelError(
        () => adamwStep(z(), z(), z(), z(), { lr: 1e-3, weightDecay: 0, step: 1, beta2: 1 }),
        'INVALID_ARGUMENT',
      );
      const shared = z();
      expectKernelError(
        () => adamwStep(shared, z(), shared, z(), { lr: 1e-3, weightDecay: 0, step: 1 }),
        'INVALID_ARGUMENT',
      );
      expectKernelError(
        () =>
          adamwStep(z(), t(new Float32Array(n + 1), [n + 1]), z(), z(), {
            lr: 1e-3,
            weightDecay: 0,
            step: 1,
          }),
        'SHAPE_MISMATCH',
      );
    });
  });
});
