import { describe, expect, it } from 'vitest';

import {
  add,
  argmax,
  attention,
  concat,
  conv1d,
  embedding,
  gelu,
  layerNorm,
  linear,
  logSoftmax,
  matmul,
  mul,
  scale,
  softmax,
  Tensor,
  tidy,
  topk,
} from '@distil-whisper/kernels';

import { attentionRef, erf, linearRef, maxAbsDiff, rand } from './reference';

// Tolerances: f32 kernels vs float64 references. GEMM-like sums grow with K, hence the rtol.
const F32_ATOL = 1e-5;

describe('matmul / linear', () => {
  it.each([
    [1, 1, 1],
    [3, 5, 7],
    [17, 33, 65],
    [64, 48, 100],
    [1, 257, 96],
  ])('linear M=%i N=%i K=%i matches the reference (f32, bias)', (M, N, K) => {
    tidy(() => {
      const a = rand(M * K, 1),
        w = rand(N * K, 2),
        b = rand(N, 3);
      const got = linear(
        Tensor.from(a, [M, K]),
        Tensor.from(w, [N, K]),
        Tensor.from(b, [N]),
      ).toArray<'f32'>();
      expect(maxAbsDiff(got, linearRef(a, w, b, M, N, K))).toBeLessThan(
        1e-5 * Math.sqrt(K) + F32_ATOL,
      );
    });
  });

  it('accepts f16 and bf16 weights converted on the fly', () => {
    tidy(() => {
      const M = 5,
        N = 37,
        K = 70;
      const a = rand(M * K, 4),
        w = rand(N * K, 5);
      const wf32 = Tensor.from(w, [N, K]);
      for (const dtype of ['f16', 'bf16'] as const) {
        const wq = wf32.cast(dtype);
        const wRounded = wq.toFloat32(); // reference uses the rounded weights
        const got = linear(Tensor.from(a, [M, K]), wq).toArray<'f32'>();
        expect(maxAbsDiff(got, linearRef(a, wRounded, null, M, N, K))).toBeLessThan(1e-4);
      }
    });
  });

  it('batched matmul without transpose ([B,M,K]·[B,K,N])', () => {
    tidy(() => {
      const B = 3,
        M = 4,
        K = 5,
        N = 6;
      const a = rand(B * M * K, 6),
        b = rand(B * K * N, 7);
      const got = matmul(Tensor.from(a, [B, M, K]), Tensor.from(b, [B, K, N])).toArray<'f32'>();
      const want = new Float64Array(B * M * N);
      for (let z = 0; z < B; z++)
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) s += a[z * M * K + i * K + k]! * b[z * K * N + k * N + j]!;
            want[z * M * N + i * N + j] = s;
          }
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    });
  });
});

describe('elementwise, norms and activations', () => {
  it('add / mul broadcast a trailing shape; scale', () => {
    tidy(() => {
      const a = rand(24, 8),
        b = rand(4, 9);
      const ta = Tensor.from(a, [2, 3, 4]),
        tb = Tensor.from(b, [4]);
      expect(
        maxAbsDiff(
          add(ta, tb).toArray(),
          a.map((x, i) => x + b[i % 4]!),
        ),
      ).toBeLessThan(1e-7);
      expect(
        maxAbsDiff(
          mul(ta, tb).toArray(),
          a.map((x, i) => x * b[i % 4]!),
        ),
      ).toBeLessThan(1e-7);
      expect(
        maxAbsDiff(
          scale(ta, 0.5).toArray(),
          a.map((x) => x * 0.5),
        ),
      ).toBeLessThan(1e-7);
    });
  });

  it('layerNorm matches the definition', () => {
    tidy(() => {
      const R = 7,
        C = 389;
      const x = rand(R * C, 10, -3, 3),
        g = rand(C, 11),
        b = rand(C, 12);
      const got = layerNorm(
        Tensor.from(x, [R, C]),
        Tensor.from(g, [C]),
        Tensor.from(b, [C]),
        1e-5,
      ).toArray<'f32'>();
      const want = new Float64Array(R * C);
      for (let r = 0; r < R; r++) {
        let mean = 0,
          v = 0;
        for (let c = 0; c < C; c++) mean += x[r * C + c]!;
        mean /= C;
        for (let c = 0; c < C; c++) v += (x[r * C + c]! - mean) ** 2;
        const inv = 1 / Math.sqrt(v / C + 1e-5);
        for (let c = 0; c < C; c++) want[r * C + c] = (x[r * C + c]! - mean) * inv * g[c]! + b[c]!;
      }
      expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    });
  });

  it('gelu is the exact erf form', () => {
    tidy(() => {
      const x = rand(1001, 13, -8, 8);
      const got = gelu(Tensor.from(x, [1001])).toArray<'f32'>();
      expect(
        maxAbsDiff(
          got,
          Array.from(x, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
        ),
      ).toBeLessThan(1e-5);
    });
  });

  it('softmax and logSoftmax are stable for large inputs', () => {
    tidy(() => {
      const x = Float32Array.from([1000, 1001, 1002, -1e30]);
      const p = softmax(Tensor.from(x, [1, 4])).toArray<'f32'>();
      const e = [Math.exp(-2), Math.exp(-1), 1, 0];
      const z = e.reduce((a, b) => a + b);
      expect(
        maxAbsDiff(
          p,
          e.map((v) => v / z),
        ),
      ).toBeLessThan(1e-6);
      const lp = logSoftmax(Tensor.from(x.slice(0, 3), [3])).toArray<'f32'>();
      expect(
        maxAbsDiff(
          lp,
          [-2, -1, 0].map((v) => v - Math.log(z)),
        ),
      ).toBeLessThan(1e-5);
    });
  });
});

describe('conv1d, embedding, attention, reductions, concat', () => {
  it('conv1d (Whisper stem: K=3, padding 1, stride 1 and 2)', () => {
    tidy(() => {
      const B = 2,
        Cin = 5,
        L = 11,
        Cout = 4,
        K = 3;
      const x = rand(B * Cin * L, 14),
        w = rand(Cout * Cin * K, 15),
        bias = rand(Cout, 16);
      for (const stride of [1, 2]) {
        const Lout = Math.floor((L + 2 - K) / stride) + 1;
        const got = conv1d(Tensor.from(x, [B, Cin, L]), Tensor.from(w, [Cout, Cin, K]), {
          bias: Tensor.from(bias, [Cout]),
          stride,
          padding: 1,
        });
        expect(got.shape).toEqual([B, Cout, Lout]);
        const want = new Float64Array(B * Cout * Lout);
        for (let b = 0; b < B; b++)
          for (let o = 0; o < Cout; o++)
            for (let t = 0; t < Lout; t++) {
              let s = bias[o]!;
              for (let c = 0; c < Cin; c++)
                for (let k = 0; k < K; k++) {
                  const pos = t * stride + k - 1;
                  if (pos >= 0 && pos < L)
                    s += w[(o * Cin + c) * K + k]! * x[(b * Cin + c) * L + pos]!;
                }
              want[(b * Cout + o) * Lout + t] = s;
            }
        expect(maxAbsDiff(got.toArray(), want)).toBeLessThan(1e-5);
      }
    });
  });

  it('embedding gathers rows of an f16 table', () => {
    tidy(() => {
      const table = Tensor.from(rand(10 * 6, 17), [10, 6]).cast('f16');
      const rows = table.toFloat32();
      const out = embedding(Tensor.from(new Int32Array([3, 0, 9]), [3]), table).toArray<'f32'>();
      expect(Array.from(out)).toEqual([
        ...rows.slice(18, 24),
        ...rows.slice(0, 6),
        ...rows.slice(54, 60),
      ]);
    });
  });

  it.each([
    [2, 7, 7, 3, 16, false],
    [1, 5, 9, 2, 64, true],
    [1, 1, 448, 4, 64, true],
    [2, 33, 70, 3, 80, false],
  ])('attention B=%i Lq=%i Lk=%i H=%i D=%i causal=%s', (B, Lq, Lk, H, D, causal) => {
    tidy(() => {
      const q = rand(B * Lq * H * D, 18),
        k = rand(B * Lk * H * D, 19),
        v = rand(B * Lk * H * D, 20);
      const s = 1 / Math.sqrt(D);
      const { out, lse } = attention(
        Tensor.from(q, [B, Lq, H, D]),
        Tensor.from(k, [B, Lk, H, D]),
        Tensor.from(v, [B, Lk, H, D]),
        { causal, returnLse: true },
      );
      expect(lse?.shape).toEqual([B, H, Lq]);
      expect(
        maxAbsDiff(out.toArray(), attentionRef(q, k, v, B, Lq, Lk, H, D, s, causal)),
      ).toBeLessThan(2e-5);
    });
  });

  it('attention reads a slice of a preallocated KV cache (strided view)', () => {
    tidy(() => {
      const B = 2,
        H = 2,
        D = 8,
        Lmax = 16,
        Lk = 5;
      const cacheK = Tensor.zeros([B, Lmax, H, D]),
        cacheV = Tensor.zeros([B, Lmax, H, D]);
      const k = rand(B * Lk * H * D, 21),
        v = rand(B * Lk * H * D, 22),
        q = rand(B * H * D, 23);
      cacheK.slice(1, 0, Lk).assign(Tensor.from(k, [B, Lk, H, D]));
      cacheV.slice(1, 0, Lk).assign(Tensor.from(v, [B, Lk, H, D]));
      const { out } = attention(
        Tensor.from(q, [B, 1, H, D]),
        cacheK.slice(1, 0, Lk),
        cacheV.slice(1, 0, Lk),
        { causal: true },
      );
      expect(
        maxAbsDiff(out.toArray(), attentionRef(q, k, v, B, 1, Lk, H, D, 1 / Math.sqrt(D), true)),
      ).toBeLessThan(1e-5);
    });
  });

  it('argmax and topk (ties: lowest index first)', () => {
    tidy(() => {
      const x = Tensor.from(new Float32Array([1, 5, 5, 2, -1, 0, 0, 3]), [2, 4]);
      expect(Array.from(argmax(x).toArray())).toEqual([1, 3]);
      const { values, indices } = topk(x, 2);
      expect(Array.from(values.toArray())).toEqual([5, 5, 3, 0]);
      expect(Array.from(indices.toArray())).toEqual([1, 2, 3, 1]);
    });
  });

  it('concat along a middle dim', () => {
    tidy(() => {
      const a = Tensor.from(new Float32Array([1, 2, 3, 4]), [2, 1, 2]);
      const b = Tensor.from(new Float32Array([5, 6, 7, 8, 9, 10, 11, 12]), [2, 2, 2]);
      const c = concat([a, b], 1);
      expect(c.shape).toEqual([2, 3, 2]);
      expect(Array.from(c.toArray())).toEqual([1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12]);
    });
  });
});
