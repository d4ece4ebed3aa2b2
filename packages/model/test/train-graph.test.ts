// The decoder's training graph (forward that keeps activations, backward per op) against central
// finite differences of its own forward, on a small random checkpoint: for every trainable
// parameter, the directional derivative of the distillation loss along a random ±1 direction
// must equal Σ grad·direction. Also: teacher logits equal WhisperModel.decode's, frozen
// parameters get no gradient, and the parameter store's layout and AdamW groups.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillZero, logitsLoss, Tensor, tidy } from '@distil-whisper/kernels';

import {
  declareParameters,
  decaysWeight,
  expectedTensors,
  teacherLogits,
  TrainableDecoder,
  WhisperModel,
} from '../src';
import { smallCheckpoint, tempDir } from './helpers';

const DIMS = {
  dModel: 16,
  encoderLayers: 1,
  decoderLayers: 2,
  encoderAttentionHeads: 2,
  decoderAttentionHeads: 2,
  encoderFfnDim: 32,
  decoderFfnDim: 32,
  vocabSize: 40,
  numMelBins: 80,
  maxSourcePositions: 8,
  maxTargetPositions: 12,
};
const B = 2;
const N = 5;
const S = 6;

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

let tmp: ReturnType<typeof tempDir>;
let model: WhisperModel;
let teacher: WhisperModel;

beforeAll(() => {
  tmp = tempDir('train-graph');
  smallCheckpoint(`${tmp.dir}/student`, { dims: DIMS, seed: 3 });
  smallCheckpoint(`${tmp.dir}/teacher`, { dims: { ...DIMS, decoderLayers: 3 }, seed: 4 });
  model = WhisperModel.load(`${tmp.dir}/student`);
  teacher = WhisperModel.load(`${tmp.dir}/teacher`);
});
afterAll(() => {
  model?.dispose();
  teacher?.dispose();
  tmp?.cleanup();
});

describe('parameter declaration', () => {
  it('is the checkpoint spec, name for name and shape for shape', () => {
    const decls = declareParameters(model.config);
    const spec = expectedTensors(model.config);
    expect(decls.map((d) => d.name)).toEqual([...spec.keys()]);
    for (const d of decls) expect(d.shape).toEqual(spec.get(d.name));
  });
  it('decays every parameter but biases and LayerNorm (run_distillation.py)', () => {
    const decls = declareParameters(model.config);
    const noDecay = decls.filter((d) => !decaysWeight(d)).map((d) => d.name);
    expect(noDecay.every((n) => n.endsWith('.bias') || n.includes('layer_norm'))).toBe(true);
    expect(decls.filter(decaysWeight).every((d) => d.name.endsWith('.weight'))).toBe(true);
    expect(decls.filter(decaysWeight).some((d) => d.name.includes('layer_norm'))).toBe(false);
  });
});

describe('decoder training graph', () => {
  const inputs = () => {
    const r = rng(11);
    const ids = Int32Array.from({ length: B * N }, () => Math.floor(r() * DIMS.vocabSize));
    const labels = Int32Array.from({ length: B * N }, (_, i) =>
      i % N === 0 || i === B * N - 1 ? -100 : Math.floor(r() * DIMS.vocabSize),
    );
    const enc = Float32Array.from({ length: B * S * DIMS.dModel }, () => r() * 2 - 1);
    return { ids, labels, enc };
  };

  it('teacher logits equal WhisperModel.decode (KV-cache path)', () => {
    const { ids, enc } = inputs();
    tidy(() => {
      const encT = Tensor.from(enc, [B, S, DIMS.dModel]);
      const ours = teacherLogits(
        teacher,
        Tensor.from(ids, [B, N], { dtype: 'i32' }),
        encT,
      ).toFloat32();
      const state = teacher.createDecoderState(encT);
      const rows = Array.from({ length: B }, (_, b) =>
        Array.from(ids.subarray(b * N, (b + 1) * N)),
      );
      const ref = teacher.decode(state, rows, { logits: 'all' }).logits;
      state.dispose();
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - ref[i]!));
      expect(worst).toBeLessThan(1e-4);
    });
  });

  for (const freeze of [false, true]) {
    it(`backward equals finite differences for every parameter (positions frozen: ${freeze})`, () => {
      const student = new TrainableDecoder(model, { freezeEmbedPositions: freeze });
      const { ids, labels, enc } = inputs();
      try {
        const idsT = Tensor.from(ids, [B, N], { dtype: 'i32' });
        const labelsT = Tensor.from(labels, [B * N], { dtype: 'i32' });
        const encT = Tensor.from(enc, [B, S, DIMS.dModel]);
        const tLogits = teacherLogits(teacher, idsT, encT);
        const n = labels.filter((y) => y >= 0).length;
        const opts = { temperature: 2, ceScale: 0.8 / n, klScale: 1 / n };
        const lossOf = (): number =>
          tidy(() => {
            const z = student.logits(idsT, encT);
            const { ce, kl } = logitsLoss(z, tLogits, labelsT, opts);
            let s = 0;
            const c = ce.toFloat32();
            const k = kl.toFloat32();
            for (let i = 0; i < c.length; i++) s += 0.8 * c[i]! + k[i]!;
            return s / n;
          });
        student.store.zeroGrad();
        tidy(() => {
          const { logits, activations } = student.forward(idsT, encT);
          const { grad } = logitsLoss(logits, tLogits, labelsT, { ...opts, inPlace: true });
          student.backward(activations!, grad);
          activations!.dispose();
        });
        const grads = student.store.grads.toFloat32();
        const base = student.store.weights.toFloat32();
        expect(student.store.has('model.decoder.embed_positions.weight')).toBe(!freeze);
        const r = rng(5);
        // The random weights make the loss strongly curved: 1e-3 keeps the O(eps²) error ~1e-4.
        const eps = 1e-3;
        let checked = 0;
        for (const d of student.store.decls) {
          const { offset } = student.store.get(d.name);
          const dir = Float32Array.from({ length: d.size }, () => (r() < 0.5 ? -1 : 1));
          let analytic = 0;
          for (let i = 0; i < d.size; i++) analytic += grads[offset + i]! * dir[i]!;
          const at = (sign: number): number => {
            const w = base.slice();
            for (let i = 0; i < d.size; i++) w[offset + i] = w[offset + i]! + sign * eps * dir[i]!;
            tidy(() => student.store.weights.assign(Tensor.from(w, [w.length])));
            return lossOf();
          };
          const fd = (at(1) - at(-1)) / (2 * eps);
          tidy(() => student.store.weights.assign(Tensor.from(base, [base.length])));
          const tol = 3e-3 * Math.max(Math.abs(analytic), Math.abs(fd)) + 2e-4;
          if (Math.abs(fd - analytic) > tol)
            throw new Error(`${d.name}: finite difference ${fd} vs backward ${analytic}`);
          checked++;
        }
        expect(checked).toBe(student.store.decls.length);
        tLogits.dispose();
      } finally {
        student.dispose();
      }
    });
  }

  it('accumulates gradients across backward calls and zeroGrad clears them', () => {
    const student = new TrainableDecoder(model);
    const { ids, labels, enc } = inputs();
    try {
      const once = (): void =>
        tidy(() => {
          const { logits, activations } = student.forward(
            Tensor.from(ids, [B, N], { dtype: 'i32' }),
            Tensor.from(enc, [B, S, DIMS.dModel]),
          );
          const y = Tensor.from(labels, [B * N], { dtype: 'i32' });
          const { grad } = logitsLoss(logits, null, y, { ceScale: 0.1, klScale: 0, inPlace: true });
          student.backward(activations!, grad);
          activations!.dispose();
        });
      student.store.zeroGrad();
      once();
      const g1 = student.store.grads.toFloat32();
      once();
      const g2 = student.store.grads.toFloat32();
      let worst = 0;
      for (let i = 0; i < g1.length; i++) worst = Math.max(worst, Math.abs(g2[i]! - 2 * g1[i]!));
      expect(worst).toBeLessThan(1e-5);
      fillZero(student.store.grads);
      expect(student.store.gradNorm()).toBe(0);
    } finally {
      student.dispose();
    }
  });
});
