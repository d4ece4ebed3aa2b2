// The native op list from TypeScript: every op is listed once and has a typed wrapper, runOp runs
// any op by name with the same result as its wrapper, and every instruction-set level this CPU has
// gives the same answer within the harness tolerances (native/tests/test_backend_ops.cpp runs the
// full case list; this checks the door from JavaScript).
import { afterEach, describe, expect, it } from 'vitest';

import * as kernels from '@distil-whisper/kernels';
import {
  backendInfo,
  KernelError,
  layerNorm,
  listOps,
  runOp,
  setCpuIsa,
  Tensor,
  type CpuIsa,
} from '@distil-whisper/kernels';

import { maxAbsDiff, rand } from './reference';

// The typed wrapper of each op. A new op must be added here (and exported), so an op cannot be
// declared natively and forgotten in the TypeScript API.
const WRAPPERS: Record<string, string> = {
  adamw_step: 'adamwStep',
  add: 'add',
  add_in_place: 'addInPlace',
  argmax: 'argmax',
  attention: 'attention',
  attention_backward: 'attentionBackward',
  cast: 'Tensor.prototype.cast',
  concat: 'concat',
  contiguous: 'Tensor.prototype.contiguous',
  conv1d: 'conv1d',
  embedding: 'embedding',
  embedding_backward: 'embeddingBackward',
  fill_zero: 'fillZero',
  gelu: 'gelu',
  gelu_backward: 'geluBackward',
  gemm: 'gemm',
  layer_norm: 'layerNorm',
  linear_i8: 'linear',
  layer_norm_backward: 'layerNormBackward',
  log_softmax: 'logSoftmax',
  logits_loss: 'logitsLoss',
  matmul: 'matmul',
  mul: 'mul',
  quantize_rows: 'QuantizedTensor.quantize',
  scale: 'scale',
  scale_in_place: 'scaleInPlace',
  softmax: 'softmax',
  sum_rows: 'sumRows',
  sum_squares: 'sumSquares',
  topk: 'topk',
};

const levels = (): CpuIsa[] => {
  const all: CpuIsa[] = ['scalar', 'avx2', 'avx512'];
  return all.slice(0, all.indexOf(backendInfo().cpu.detected) + 1);
};

afterEach(() => setCpuIsa(backendInfo().cpu.detected));

describe('listOps', () => {
  it('lists every op once, each with a signature and a typed wrapper', () => {
    const ops = listOps();
    const names = ops.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual([...names].sort());
    for (const op of ops) {
      expect(op.signature.length, op.name).toBeGreaterThan(10);
      const wrapper = WRAPPERS[op.name];
      expect(wrapper, `${op.name} has no typed wrapper listed`).toBeDefined();
      const [owner, member] = wrapper!.startsWith('Tensor.prototype.')
        ? [Tensor.prototype as unknown as Record<string, unknown>, wrapper!.slice(17)]
        : wrapper!.includes('.')
          ? [
              (kernels as Record<string, unknown>)[wrapper!.split('.')[0]!] as Record<
                string,
                unknown
              >,
              wrapper!.split('.')[1]!,
            ]
          : [kernels as Record<string, unknown>, wrapper!];
      const exported = owner[member];
      expect(typeof exported, `${wrapper} is not exported`).toBe('function');
    }
    expect(Object.keys(WRAPPERS).sort()).toEqual(names);
  });
});

describe('runOp', () => {
  it('runs an op by name with the result of its wrapper', () => {
    const x = Tensor.from(rand(3 * 37, 1), [3, 37]);
    const g = Tensor.from(rand(37, 2), [37]);
    const b = Tensor.from(rand(37, 3), [37]);
    const [y] = runOp('layer_norm', [x, g, b], { eps: 1e-5 });
    expect(y!.shape).toEqual([3, 37]);
    expect(
      maxAbsDiff(y!.toArray() as Float32Array, layerNorm(x, g, b).toArray() as Float32Array),
    ).toBe(0);
    const [yt] = runOp('matmul', [x, x], { trans_b: true });
    expect(yt!.shape).toEqual([3, 3]);
  });

  it('gives typed errors that name the problem', () => {
    const x = Tensor.from(new Float32Array([1, 2, 3]), [3]);
    const codeOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(KernelError);
        return `${(e as KernelError).code}: ${(e as Error).message}`;
      }
      return 'no error';
    };
    expect(codeOf(() => runOp('no_such_op', [x]))).toMatch(
      /^INVALID_ARGUMENT: unknown op 'no_such_op'.*layer_norm/,
    );
    expect(codeOf(() => runOp('scale', [x]))).toMatch(
      /^INVALID_ARGUMENT: scale: the attribute 's' is required/,
    );
    expect(codeOf(() => runOp('gelu', []))).toMatch(/^INVALID_ARGUMENT: gelu: expected 1 input/);
    expect(codeOf(() => runOp('matmul', [x, x], { trans_b: 0.5 }))).toMatch(/flag/);
    expect(codeOf(() => runOp('scale', [x], { s: Number.NaN }))).toMatch(/finite/);
  });
});

describe('instruction-set levels', () => {
  it('reports the level in use and refuses one the CPU lacks', () => {
    const info = backendInfo().cpu;
    expect(levels()).toContain(info.simd);
    if (info.detected !== 'avx512') {
      expect(() => setCpuIsa('avx512')).toThrow(/this CPU supports/);
    }
  });

  it('every level gives the same softmax and GEMM within tolerance', () => {
    const x = Tensor.from(rand(5 * 1037, 4, -10, 10), [5, 1037]);
    const w = Tensor.from(rand(300 * 1037, 5), [300, 1037]);
    const results = levels().map((isa) => {
      setCpuIsa(isa);
      const [s] = runOp('softmax', [x]);
      const [m] = runOp('matmul', [x, w], { trans_b: true });
      return { isa, s: s!.toArray() as Float32Array, m: m!.toArray() as Float32Array };
    });
    for (const r of results.slice(1)) {
      expect(maxAbsDiff(r.s, results[0]!.s), r.isa).toBeLessThan(1e-6);
      expect(maxAbsDiff(r.m, results[0]!.m), r.isa).toBeLessThan(5e-3);
    }
  });
});
