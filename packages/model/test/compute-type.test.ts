// The `computeType` option: int8 Linear weights (per-channel) against the same checkpoint in f32,
// the f32/f16 conversions it maps to, and its validation.
import { QuantizedTensor } from '@distil-whisper/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ModelError, WhisperModel } from '../src/index';
import { features, smallCheckpoint, tempDir } from './helpers';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ModelError);
    return `${(err as ModelError).code}: ${(err as Error).message}`;
  }
  return 'no error';
}

describe('computeType', () => {
  const tmp = tempDir('compute-type');
  let dir: string;
  beforeAll(() => {
    dir = smallCheckpoint(tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it("'int8' quantises every Linear weight and stays close to f32", () => {
    const f32 = WhisperModel.load(dir);
    const i8 = WhisperModel.load(dir, { computeType: 'int8' });
    try {
      expect(f32.computeType).toBe('default');
      expect(i8.computeType).toBe('int8');
      const w = i8.structuredWeights;
      expect(w.decoder.projOut).toBeInstanceOf(QuantizedTensor);
      expect(w.decoder.layers[0]!.encoderAttn.qWeight).toBeInstanceOf(QuantizedTensor);
      expect(w.encoder!.layers[0]!.ffn.fc2Weight).toBeInstanceOf(QuantizedTensor);
      // The token embedding is still read in float; the conv stem is untouched.
      expect(w.decoder.embedTokens).not.toBeInstanceOf(QuantizedTensor);
      expect(w.encoder!.conv1Weight).not.toBeInstanceOf(QuantizedTensor);

      const run = (m: WhisperModel): Float32Array => {
        const enc = m.encode(features(1, 80, 200, 3));
        const state = m.createDecoderState(enc);
        // An int8 model keeps its cross-attention K/V in f16 (half the bytes per token).
        expect(state.crossK[0]!.dtype).toBe(m.computeType === 'int8' ? 'f16' : 'f32');
        const out = m.decode(state, [[1, 2, 3, 4]]);
        state.dispose();
        enc.dispose();
        return out.logits;
      };
      const a = run(f32);
      const b = run(i8);
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.length; i++) {
        num += (a[i]! - b[i]!) ** 2;
        den += a[i]! ** 2;
      }
      const rel = Math.sqrt(num / den);
      expect(rel).toBeGreaterThan(0); // really int8
      expect(rel).toBeLessThan(0.05);
    } finally {
      f32.dispose();
      i8.dispose();
    }
  });

  it("'f16' converts the matrix weights while loading; disagreeing with dtype is an error", () => {
    const m = WhisperModel.load(dir, { computeType: 'f16' });
    try {
      expect(m.weightDtype).toBe('f16');
    } finally {
      m.dispose();
    }
    expect(codeOf(() => WhisperModel.load(dir, { computeType: 'f16', dtype: 'f32' }))).toMatch(
      /^INVALID_ARGUMENT: computeType 'f16' and dtype 'f32' disagree/,
    );
  });

  it('rejects unknown names and int8 off the CPU before reading weights', () => {
    const bad = { computeType: 'int4' } as unknown as { computeType: 'int8' };
    expect(codeOf(() => WhisperModel.load(dir, bad))).toMatch(
      /^INVALID_ARGUMENT: computeType must be one of/,
    );
    expect(
      codeOf(() => WhisperModel.load(`${dir}/missing`, { computeType: 'int8', device: 'cuda' })),
    ).toMatch(/^UNSUPPORTED: computeType 'int8' runs on the CPU only/);
  });
});
