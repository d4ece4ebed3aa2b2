// tidy(): what survives the scope. Anything reachable from the result through arrays, Maps, Sets
// and plain objects survives at any depth; a tensor tidy cannot find is freed.
import { describe, expect, it } from 'vitest';

import { keep, Tensor, tidy } from '@distil-whisper/kernels';

/** `value` wrapped `depth` times, alternating the container kinds tidy walks. */
function nest(value: unknown, depth: number): unknown {
  let v = value;
  for (let i = 0; i < depth; i++) {
    const kind = i % 4;
    v =
      kind === 0
        ? [v]
        : kind === 1
          ? { inner: v }
          : kind === 2
            ? new Map([['k', v]])
            : new Set([v]);
  }
  return v;
}

describe('tidy', () => {
  it('keeps a tensor returned 10 levels deep (arrays, objects, Maps, Sets)', () => {
    let inner: Tensor | undefined;
    let scratch: Tensor | undefined;
    const result = tidy(() => {
      inner = Tensor.zeros([2]);
      scratch = Tensor.zeros([3]);
      return nest(inner, 10);
    });
    expect(inner?.disposed).toBe(false);
    expect(scratch?.disposed).toBe(true);
    expect(result).toBeDefined();
    inner?.dispose();
  });

  it('keeps a tensor used as a Map key and one in a null-prototype object', () => {
    const out = tidy(() => {
      const bag = Object.create(null) as Record<string, Tensor>;
      bag.t = Tensor.zeros([1]);
      return { byKey: new Map([[Tensor.zeros([1]), 'label']]), bag };
    });
    const [key] = out.byKey.keys();
    expect(key?.disposed).toBe(false);
    expect(out.bag.t?.disposed).toBe(false);
    key?.dispose();
    out.bag.t?.dispose();
  });

  it('keeps a tensor nested 100 000 levels deep without overflowing the stack', () => {
    let t: Tensor | undefined;
    tidy(() => {
      t = Tensor.zeros([1]);
      let v: unknown = t;
      for (let i = 0; i < 100_000; i++) v = [v];
      return v;
    });
    expect(t?.disposed).toBe(false);
    t?.dispose();
  });

  it('terminates on cyclic results and keeps what the cycle holds', () => {
    let t: Tensor | undefined;
    const out = tidy(() => {
      t = Tensor.zeros([1]);
      const a: { self?: unknown; list: unknown[]; t: Tensor } = { list: [], t };
      a.self = a;
      a.list.push(a, new Map([['back', a]]), new Set([a]));
      return a;
    });
    expect(out.self).toBe(out);
    expect(t?.disposed).toBe(false);
    t?.dispose();
  });

  it('does not look inside class instances: their tensors need keep()', () => {
    class Holder {
      constructor(readonly t: Tensor) {}
    }
    let kept: Tensor | undefined;
    const h = tidy(() => {
      kept = keep(Tensor.zeros([1]));
      return { lost: new Holder(Tensor.zeros([1])), kept: new Holder(kept) };
    });
    expect(h.lost.t.disposed).toBe(true);
    expect(kept?.disposed).toBe(false);
    kept?.dispose();
  });
});
