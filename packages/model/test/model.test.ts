// Graph behaviour beyond parity: batches, beams (row maps, reorder), cache rewinds, misuse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ModelError, WhisperModel, type EncoderOutput } from '../src/index';
import { features, maxAbsDiff, smallCheckpoint, tempDir } from './helpers';

describe('WhisperModel graph', () => {
  const tmp = tempDir('graph');
  let model: WhisperModel;
  const frames = 400; // a short window keeps the tests fast; the graph is the same
  let enc2: EncoderOutput;
  let encA: EncoderOutput;
  let encB: EncoderOutput;
  const fa = features(1, 80, frames, 11);
  const fb = features(1, 80, frames, 23);

  beforeAll(() => {
    model = WhisperModel.load(smallCheckpoint(tmp.dir));
    const both = new Float32Array(fa.length * 2);
    both.set(fa, 0);
    both.set(fb, fa.length);
    enc2 = model.encode(both, 2);
    encA = model.encode(fa);
    encB = model.encode(fb);
  });
  afterAll(() => {
    for (const e of [enc2, encA, encB]) e?.dispose();
    model?.dispose();
    tmp.cleanup();
  });

  it('a batch of two windows equals two single windows', () => {
    const all = enc2.toFloat32();
    const n = all.length / 2;
    expect(maxAbsDiff(all.subarray(0, n), encA.toFloat32())).toBeLessThan(1e-5);
    expect(maxAbsDiff(all.subarray(n), encB.toFloat32())).toBeLessThan(1e-5);
    expect([...enc2.hiddenStates.shape]).toEqual([2, frames / 2, 64]);
  });

  function decodeSeq(enc: EncoderOutput, ids: number[]): Float32Array {
    const s = model.createDecoderState(enc);
    try {
      return model.decode(s, [ids]).logits;
    } finally {
      s.dispose();
    }
  }

  it('batched decoding equals per-row decoding', () => {
    const s = model.createDecoderState(enc2);
    try {
      model.decode(s, [
        [1, 2, 3],
        [4, 5, 6],
      ]);
      const out = model.decode(s, [[7], [8]]);
      expect(out.batch).toBe(2);
      const v = out.vocabSize;
      expect(maxAbsDiff(out.logits.subarray(0, v), decodeSeq(encA, [1, 2, 3, 7]))).toBeLessThan(
        1e-4,
      );
      expect(maxAbsDiff(out.logits.subarray(v), decodeSeq(encB, [4, 5, 6, 8]))).toBeLessThan(1e-4);
    } finally {
      s.dispose();
    }
  });

  it('beams: repeat, reorder and shared windows give the same logits as fresh sequences', () => {
    const s = model.createDecoderState(enc2, { repeat: 2 }); // rows → windows [0, 0, 1, 1]
    try {
      expect(s.rows).toEqual([0, 0, 1, 1]);
      model.decode(s, [
        [1, 2],
        [1, 2],
        [4, 5],
        [4, 5],
      ]);
      model.decode(s, [[10], [11], [12], [13]]);
      s.reorder([1, 1, 3, 2]); // beam 0 and 1 both continue old row 1, ...
      const out = model.decode(s, [[20], [21], [22], [23]], { outputCrossAttentions: [1] });
      const v = out.vocabSize;
      const expected = [
        decodeSeq(encA, [1, 2, 11, 20]),
        decodeSeq(encA, [1, 2, 11, 21]),
        decodeSeq(encB, [4, 5, 13, 22]),
        decodeSeq(encB, [4, 5, 12, 23]),
      ];
      expected.forEach((e, r) =>
        expect(maxAbsDiff(out.logits.subarray(r * v, (r + 1) * v), e)).toBeLessThan(1e-4),
      );
      expect(out.crossAttentions?.[0]).toBeUndefined();
      const w = out.crossAttentions![1]!;
      expect(w.shape).toEqual([4, 4, 1, frames / 2]);
      // rows of one window with the same history attend identically: beams 0/1 differ only by the last token
      for (let r = 0; r < 4; r++) {
        let sum = 0;
        for (let i = 0; i < frames / 2; i++) sum += w.data[r * 4 * (frames / 2) + i]!;
        expect(sum).toBeCloseTo(1, 4);
      }
      // shrinking the beam set works too
      s.reorder([2]);
      expect(s.rows).toEqual([1]);
      const one = model.decode(s, [[30]]);
      expect(maxAbsDiff(one.logits, decodeSeq(encB, [4, 5, 13, 22, 30]))).toBeLessThan(1e-4);
    } finally {
      s.dispose();
    }
  });

  it('cross-attention weights of shared-window rows equal those of a batch', () => {
    const shared = model.createDecoderState(encA, { repeat: 2 });
    const single = model.createDecoderState(encA);
    try {
      const a = model.decode(
        shared,
        [
          [3, 4],
          [3, 4],
        ],
        { outputCrossAttentions: true, logits: 'all' },
      );
      const b = model.decode(single, [[3, 4]], { outputCrossAttentions: true, logits: 'all' });
      const wa = a.crossAttentions![0]!;
      const wb = b.crossAttentions![0]!;
      expect(wa.shape).toEqual([2, 4, 2, frames / 2]);
      const n = wb.data.length;
      expect(maxAbsDiff(wa.data.subarray(0, n), wb.data)).toBeLessThan(1e-7);
      expect(maxAbsDiff(wa.data.subarray(n), wb.data)).toBeLessThan(1e-7);
      expect(a.positions).toBe(2);
    } finally {
      shared.dispose();
      single.dispose();
    }
  });

  it('rewind drops cached tokens', () => {
    const s = model.createDecoderState(encA);
    try {
      model.decode(s, [[1, 2, 3]]);
      model.decode(s, [[9]]);
      s.rewind(3);
      expect(s.length).toBe(3);
      const out = model.decode(s, [[4]]);
      expect(maxAbsDiff(out.logits, decodeSeq(encA, [1, 2, 3, 4]))).toBeLessThan(1e-4);
    } finally {
      s.dispose();
    }
  });

  it('misuse gives ModelError with a stable code', () => {
    const s = model.createDecoderState(encA, { maxLength: 4 });
    const code = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ModelError);
        return (e as ModelError).code;
      }
      return undefined;
    };
    expect(code(() => model.decode(s, [[1], [2]]))).toBe('INVALID_ARGUMENT');
    expect(code(() => model.decode(s, [[600]]))).toBe('INVALID_ARGUMENT');
    expect(code(() => model.decode(s, [[-1]]))).toBe('INVALID_ARGUMENT');
    expect(code(() => model.decode(s, [[1, 2, 3, 4, 5]]))).toBe('SEQUENCE_TOO_LONG');
    expect(code(() => s.reorder([5]))).toBe('INVALID_ARGUMENT');
    expect(code(() => model.encode(new Float32Array(80 * 3001)))).toBe('INVALID_ARGUMENT');
    expect(code(() => model.encode(new Float32Array(79)))).toBe('INVALID_ARGUMENT');
    expect(code(() => model.createDecoderState(encA, { rows: [1] }))).toBe('INVALID_ARGUMENT');
    s.dispose();
    expect(code(() => model.decode(s, [[1]]))).toBe('DISPOSED');
  });
});
