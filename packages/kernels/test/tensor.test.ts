import { describe, expect, it } from 'vitest';

import {
  add,
  backendInfo,
  CudaUnavailableError,
  DisposedError,
  getNumThreads,
  KernelError,
  keep,
  linear,
  requireCuda,
  setNumThreads,
  Tensor,
  tidy,
} from '@distil-whisper/kernels';

describe('Tensor storage', () => {
  it('round-trips every dtype', () => {
    tidy(() => {
      expect(Array.from(Tensor.from(new Float32Array([1.5, -2]), [2]).toArray())).toEqual([
        1.5, -2,
      ]);
      expect(Array.from(Tensor.from(new Int32Array([7, -9]), [2]).toArray())).toEqual([7, -9]);
      expect(
        Array.from(Tensor.from(new Int8Array([-128, 127]), [2], { dtype: 'i8' }).toArray()),
      ).toEqual([-128, 127]);
      // 0x3c00 = 1.0 in f16, 0x3f80 = 1.0 in bf16
      expect(
        Array.from(Tensor.from(new Uint16Array([0x3c00]), [1], { dtype: 'f16' }).toFloat32()),
      ).toEqual([1]);
      expect(
        Array.from(Tensor.from(new Uint16Array([0x3f80]), [1], { dtype: 'bf16' }).toFloat32()),
      ).toEqual([1]);
      expect(Array.from(Tensor.from([0.5, 65504], [2], { dtype: 'f16' }).toFloat32())).toEqual([
        0.5, 65504,
      ]);
    });
  });

  it('casts round to nearest even and saturate to integers', () => {
    tidy(() => {
      const x = Tensor.from(
        new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11, 300, -300, NaN]),
        [5],
      );
      expect(Array.from(x.slice(0, 0, 2).contiguous().cast('f16').toArray())).toEqual([
        0x3c00, 0x3c02,
      ]);
      expect(Array.from(x.slice(0, 2, 5).contiguous().cast('i8').toArray())).toEqual([
        127, -128, 0,
      ]);
    });
  });

  it('views share memory: reshape, slice, transpose', () => {
    tidy(() => {
      const t = Tensor.from(new Float32Array([0, 1, 2, 3, 4, 5]), [2, 3]);
      expect(t.reshape([3, -1]).shape).toEqual([3, 2]);
      const col = t.slice(1, 1, 2);
      expect(col.shape).toEqual([2, 1]);
      expect(Array.from(col.toArray())).toEqual([1, 4]);
      const tr = t.transpose(0, 1);
      expect(tr.isContiguous).toBe(false);
      expect(Array.from(tr.contiguous().toArray())).toEqual([0, 3, 1, 4, 2, 5]);
      t.slice(0, 1, 2).assign(Tensor.from(new Float32Array([9, 9, 9]), [1, 3]));
      expect(Array.from(t.toArray())).toEqual([0, 1, 2, 9, 9, 9]);
    });
  });
});

describe('typed errors for bad input (never reaching native memory unchecked)', () => {
  const expectCode = (fn: () => unknown, code: string) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(KernelError);
      expect((e as KernelError).code).toBe(code);
      return;
    }
    throw new Error('expected a KernelError');
  };

  it('shape, dtype, argument and range errors carry codes', () => {
    tidy(() => {
      const a = Tensor.from(new Float32Array(6), [2, 3]);
      expectCode(() => Tensor.from(new Float32Array(5), [2, 3]), 'SHAPE_MISMATCH');
      expectCode(() => linear(a, Tensor.from(new Float32Array(8), [2, 4])), 'SHAPE_MISMATCH');
      expectCode(() => linear(a, Tensor.from(new Int32Array(6), [2, 3])), 'DTYPE_MISMATCH');
      expectCode(() => add(a, Tensor.from(new Float32Array(2), [2])), 'SHAPE_MISMATCH');
      expectCode(() => a.reshape([4, 2]), 'SHAPE_MISMATCH');
      expectCode(() => a.slice(1, 2, 5), 'INVALID_ARGUMENT');
      expectCode(() => a.transpose(0, 1).reshape([6]), 'INVALID_ARGUMENT');
      expectCode(() => Tensor.zeros([-1]), 'INVALID_ARGUMENT');
      expectCode(() => Tensor.zeros([2 ** 40, 2 ** 10]), 'OUT_OF_MEMORY');
      expectCode(
        () => Tensor.from(new Float32Array(1), [1], { dtype: 'q4' as never }),
        'INVALID_ARGUMENT',
      );
      expectCode(() => linear({} as Tensor, a), 'INVALID_ARGUMENT');
    });
  });

  it('use after dispose is a DisposedError; dispose is idempotent', () => {
    const t = Tensor.from(new Float32Array(4), [4]);
    t.dispose();
    t.dispose();
    expect(t.disposed).toBe(true);
    expect(() => t.toArray()).toThrow(DisposedError);
  });

  it('a view keeps memory alive after its source is disposed', () => {
    const t = Tensor.from(new Float32Array([1, 2, 3, 4]), [4]);
    const v = t.slice(0, 2, 4);
    t.dispose();
    expect(Array.from(v.toArray())).toEqual([3, 4]);
    v.dispose();
  });

  it('cuda reports itself unavailable with a reason when it cannot run', () => {
    const info = backendInfo();
    if (info.cuda.available) return; // exercised by the GPU tier instead
    expect(info.cuda.reason).toMatch(/CUDA|cuda|device|driver/);
    expect(() => requireCuda()).toThrow(CudaUnavailableError);
    expect(() => Tensor.zeros([2], { device: 'cuda' })).toThrow(CudaUnavailableError);
  });
});

describe('memory and threads', () => {
  it('tidy disposes intermediates and keeps results', () => {
    let inner: Tensor | undefined;
    const kept = tidy(() => {
      inner = Tensor.zeros([3]);
      const k = keep(Tensor.zeros([2]));
      return { sum: add(inner, inner), k };
    });
    expect(inner?.disposed).toBe(true);
    expect(kept.sum.disposed).toBe(false);
    expect(kept.k.disposed).toBe(false);
    kept.sum.dispose();
    kept.k.dispose();
  });

  it('creating and disposing tensors in a loop keeps RSS stable', () => {
    const round = () => {
      for (let i = 0; i < 200; i++) {
        const t = Tensor.zeros([256, 1024]); // 1 MiB
        const u = add(t, t);
        t.dispose();
        u.dispose();
      }
    };
    round(); // warm up allocator pools
    const before = process.memoryUsage().rss;
    for (let r = 0; r < 5; r++) round(); // 2 GiB allocated in total
    const grown = process.memoryUsage().rss - before;
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });

  it('thread count is configurable and restorable', () => {
    const def = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(0);
    expect(getNumThreads()).toBe(def);
  });
});
