// int8 weights: QuantizedTensor and linear() on them, against the float Linear they approximate
// and against an exact JavaScript model of the kernel's arithmetic.
import { describe, expect, it } from 'vitest';

import { KernelError, linear, QuantizedTensor, Tensor, tidy } from '@distil-whisper/kernels';

import { rand } from './reference';

// Round half to even, as the kernel (and numpy.rint) rounds.
const rint = (v: number): number => {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** The kernel's arithmetic in float64: per-row int8 of x and w, exact integer sums. */
function linearI8Model(
  x: Float32Array,
  m: number,
  w: Float32Array,
  n: number,
  k: number,
): Float64Array {
  const quant = (row: Float32Array): { q: number[]; s: number } => {
    let amax = 0;
    for (const v of row) amax = Math.max(amax, Math.abs(v));
    if (amax === 0) return { q: Array.from(row, () => 0), s: 0 };
    const inv = Math.fround(127 / amax);
    return { q: Array.from(row, (v) => rint(Math.fround(v * inv))), s: Math.fround(amax / 127) };
  };
  const wq = Array.from({ length: n }, (_, r) => quant(w.subarray(r * k, (r + 1) * k)));
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const xq = quant(x.subarray(i * k, (i + 1) * k));
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let c = 0; c < k; c++) acc += xq.q[c]! * wq[j]!.q[c]!;
      out[i * n + j] = acc * xq.s * wq[j]!.s;
    }
  }
  return out;
}

describe('QuantizedTensor', () => {
  it('quantises per row and dequantises within half a step', () => {
    const [n, k] = [9, 70];
    const w = rand(n * k, 11, -2, 2);
    const q = QuantizedTensor.quantize(Tensor.from(w, [n, k]));
    expect(q.dtype).toBe('i8');
    expect(q.shape).toEqual([n, k]);
    expect(q.scale.shape).toEqual([n]);
    const back = q.dequantize().toArray<'f32'>();
    const scale = q.scale.toArray<'f32'>();
    for (let r = 0; r < n; r++)
      for (let c = 0; c < k; c++)
        expect(Math.abs(back[r * k + c]! - w[r * k + c]!)).toBeLessThanOrEqual(
          scale[r]! * 0.5 + 1e-6,
        );
    q.dispose();
    expect(q.disposed).toBe(true);
    expect(q.scale.disposed).toBe(true);
  });

  it('linear() with int8 weights equals the exact integer model and approximates the float layer', () => {
    const [m, n, k] = [5, 33, 384];
    const x = rand(m * k, 1);
    const w = rand(n * k, 2, -0.2, 0.2);
    const bias = rand(n, 3);
    const wt = Tensor.from(w, [n, k]);
    const q = QuantizedTensor.quantize(wt);
    const y = linear(Tensor.from(x, [m, k]), q, Tensor.from(bias, [n])).toArray<'f32'>();
    const exact = linearI8Model(x, m, w, n, k);
    const float = linear(Tensor.from(x, [m, k]), wt, Tensor.from(bias, [n])).toArray<'f32'>();
    let worstExact = 0;
    let worstFloat = 0;
    let norm = 0;
    for (let i = 0; i < m * n; i++) {
      worstExact = Math.max(worstExact, Math.abs(y[i]! - (exact[i]! + bias[i % n]!)));
      worstFloat = Math.max(worstFloat, Math.abs(y[i]! - float[i]!));
      norm = Math.max(norm, Math.abs(float[i]!));
    }
    expect(worstExact).toBeLessThan(1e-5);
    // int8 of both sides: about 1 % of the output range on random data.
    expect(worstFloat / norm).toBeLessThan(0.02);
    expect(worstFloat).toBeGreaterThan(0); // it really ran the int8 path
  });

  it('f16 weights quantise like their f32 values; tidy keeps a returned weight with its scales', () => {
    const w = rand(4 * 40, 5);
    const q = tidy(() => QuantizedTensor.quantize(Tensor.from(w, [4, 40]).cast('f16')));
    expect(q.disposed).toBe(false);
    expect(q.scale.disposed).toBe(false);
    expect(q.scale.toArray<'f32'>().length).toBe(4);
    q.dispose();
  });

  it('fromInt8 wraps stored int8 values without consuming them', () => {
    const values = Tensor.from(new Int8Array([1, -2, 3, 127, -127, 0]), [2, 3]);
    const scale = Tensor.from(new Float32Array([0.5, 0.25]), [2]);
    const q = QuantizedTensor.fromInt8(values, scale);
    expect(Array.from(q.dequantize().toArray<'f32'>())).toEqual([0.5, -1, 1.5, 31.75, -31.75, 0]);
    q.dispose();
    expect(values.disposed).toBe(false);
    expect(Array.from(values.toArray<'i8'>())).toEqual([1, -2, 3, 127, -127, 0]);
  });

  it('rejects what it cannot represent with typed errors', () => {
    expect(() => QuantizedTensor.quantize(Tensor.from(rand(8, 1), [8]))).toThrow(KernelError);
    expect(() =>
      QuantizedTensor.fromInt8(Tensor.from(rand(4, 1), [2, 2]), Tensor.from(rand(2, 1), [2])),
    ).toThrow(/i8 values/);
    const q = QuantizedTensor.quantize(Tensor.from(rand(6, 1), [2, 3]));
    expect(() => linear(Tensor.from(rand(4, 1), [1, 4]), q)).toThrow(/does not fit/);
  });

  it('a NaN activation row gives NaN outputs for that row only', () => {
    const q = QuantizedTensor.quantize(Tensor.from(rand(3 * 8, 1), [3, 8]));
    const x = rand(2 * 8, 2);
    x[3] = Number.NaN;
    const y = linear(Tensor.from(x, [2, 8]), q).toArray<'f32'>();
    expect(Array.from(y.subarray(0, 3)).every(Number.isNaN)).toBe(true);
    expect(Array.from(y.subarray(3)).every(Number.isFinite)).toBe(true);
  });
});
