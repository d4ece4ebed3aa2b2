// The `activationDtype` load option: f32 everywhere (default), f16 only on CUDA. The CPU part
// checks the option's validation and the activation casts (another model's f16 encoder output);
// the CUDA part compares f16 activations on the GPU with f32 on the CPU for the same weights.
import { backendInfo, Tensor } from '@distil-whisper/kernels';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createRandomCheckpoint,
  EncoderOutput,
  greedyDecode,
  loadCheckpoint,
  ModelError,
  WhisperModel,
} from '../src/index';
import { features, maxAbsDiff, smallCheckpoint, tempDir } from './helpers';

function expectModelError(fn: () => unknown, code: ModelError['code'], message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ModelError);
  expect((caught as ModelError).code).toBe(code);
  expect((caught as ModelError).message).toMatch(message);
}

describe('activationDtype on the CPU', () => {
  const tmp = tempDir('act-cpu');
  let dir: string;
  beforeAll(() => {
    dir = smallCheckpoint(tmp.dir);
  });
  afterAll(() => tmp.cleanup());

  it("defaults to 'f32': encoder output and KV cache are f32", () => {
    const model = WhisperModel.load(dir, { device: 'cpu' });
    try {
      expect(model.activationDtype).toBe('f32');
      const enc = model.encode(features(1, 80, 200, 3));
      const state = model.createDecoderState(enc);
      expect(enc.hiddenStates.dtype).toBe('f32');
      expect(state.selfK[0]!.dtype).toBe('f32');
      expect(state.crossK[0]!.dtype).toBe('f32');
      state.dispose();
      enc.dispose();
    } finally {
      model.dispose();
    }
  });

  it("rejects 'f16' on the CPU with UNSUPPORTED, before reading weights", () => {
    expectModelError(
      () => WhisperModel.load(dir, { device: 'cpu', activationDtype: 'f16' }),
      'UNSUPPORTED',
      /activationDtype 'f16' needs device 'cuda'/,
    );
    // The default device is the CPU here too.
    expectModelError(
      () => WhisperModel.load(dir, { activationDtype: 'f16' }),
      'UNSUPPORTED',
      /needs device 'cuda'/,
    );
    // Validation comes first: even a missing directory reports the option.
    expectModelError(
      () => WhisperModel.load(`${dir}/missing`, { device: 'cpu', activationDtype: 'f16' }),
      'UNSUPPORTED',
      /needs device 'cuda'/,
    );
  });

  it('rejects unknown activation dtypes with INVALID_ARGUMENT', () => {
    const bad = { activationDtype: 'bf16' } as unknown as { activationDtype: 'f16' };
    expectModelError(() => WhisperModel.load(dir, bad), 'INVALID_ARGUMENT', /'f32' or 'f16'/);
  });

  it('the constructor checks too and leaves the tensors to the caller', () => {
    const ckpt = loadCheckpoint(dir, { device: 'cpu' });
    expectModelError(
      () => new WhisperModel(ckpt, { activationDtype: 'f16' }),
      'UNSUPPORTED',
      /needs device 'cuda'/,
    );
    const model = new WhisperModel(ckpt);
    expect(model.activationDtype).toBe('f32');
    model.dispose();
  });

  it('an f16 encoder output (another model’s) is cast to the activation dtype', () => {
    const model = WhisperModel.load(dir, { device: 'cpu' });
    const enc = model.encode(features(1, 80, 200, 5));
    const half = new EncoderOutput(enc.hiddenStates.cast('f16'));
    const roundTrip = Tensor.from(half.toFloat32(), half.hiddenStates.shape);
    const viaF32 = new EncoderOutput(roundTrip);
    try {
      const a = model.createDecoderState(half);
      const b = model.createDecoderState(viaF32);
      expect(a.crossK[0]!.dtype).toBe('f32');
      const la = model.decode(a, [[1, 2, 3]], { logits: 'all' }).logits;
      const lb = model.decode(b, [[1, 2, 3]], { logits: 'all' }).logits;
      // Same f16-rounded hidden states either way: the in-graph cast is exact f16 → f32.
      expect(maxAbsDiff(la, lb)).toBe(0);
      a.dispose();
      b.dispose();
    } finally {
      for (const e of [enc, half, viaF32]) e.dispose();
      model.dispose();
    }
  });
});

const cuda = backendInfo().cuda;
if (!cuda.available)
  console.log(`[activation-dtype] CUDA comparison skipped: ${cuda.reason ?? 'no CUDA backend'}`);

// Tolerances for f16 activations (10 explicit mantissa bits: relative rounding 2^-11 ≈ 4.9e-4
// per op) against f32 on the same f16 weights. The tiny preset's random weights (std 0.02,
// d_model 384) keep the final hidden states O(1) after layer norm and the logits within ±2.2:
// rounding each residual add and projection over 4 + 4 layers compounds to about 1e-3 relative,
// and the f16 logits themselves are rounded by ≤ 1e-3 below |logit| = 2. Measured on an H100:
// encoder 5.6e-3, logits 2.2e-3, 24/24 greedy tokens equal; the bounds leave ~4× margin. A real
// bug (a wrong cast, a stale cache row) gives differences of order 1.
const ENCODER_TOL = 2e-2;
const LOGITS_TOL = 1e-2;

describe.skipIf(!cuda.available)(
  `f16 activations on CUDA vs f32 on the CPU${cuda.available ? '' : ` (skipped: ${cuda.reason ?? 'no CUDA'})`}`,
  () => {
    const tmp = tempDir('act-cuda');
    const prompt = [50258, 50259, 50359, 50363];
    const feats = features(1, 80, 3000, 9);
    let cpu: WhisperModel;
    let gpu: WhisperModel;
    let encCpu: EncoderOutput;
    let encGpu: EncoderOutput;

    beforeAll(() => {
      const ckpt = createRandomCheckpoint({
        outDir: tmp.dir,
        preset: 'tiny',
        dtype: 'f16',
        seed: 11,
        tokenizerDir: false,
      });
      cpu = WhisperModel.load(ckpt.dir, { device: 'cpu' });
      gpu = WhisperModel.load(ckpt.dir, { device: 'cuda', activationDtype: 'f16' });
      encCpu = cpu.encode(feats);
      encGpu = gpu.encode(feats);
    });
    afterAll(() => {
      for (const x of [encCpu, encGpu, cpu, gpu]) x?.dispose();
      tmp.cleanup();
    });

    it('keeps every activation in f16', () => {
      expect(gpu.activationDtype).toBe('f16');
      expect(encGpu.hiddenStates.dtype).toBe('f16');
      const state = gpu.createDecoderState(encGpu);
      expect(state.selfK[0]!.dtype).toBe('f16');
      expect(state.crossV[0]!.dtype).toBe('f16');
      state.dispose();
    });

    it(`encoder output within ${ENCODER_TOL} and prompt logits within ${LOGITS_TOL}`, () => {
      const encDiff = maxAbsDiff(encCpu.toFloat32(), encGpu.toFloat32());
      const sc = cpu.createDecoderState(encCpu);
      const sg = gpu.createDecoderState(encGpu);
      const lc = cpu.decode(sc, [prompt], { logits: 'all' }).logits;
      const lg = gpu.decode(sg, [prompt], { logits: 'all' }).logits;
      const stepC = cpu.decode(sc, [[440]]).logits;
      const stepG = gpu.decode(sg, [[440]]).logits;
      sc.dispose();
      sg.dispose();
      const logitsDiff = Math.max(maxAbsDiff(lc, lg), maxAbsDiff(stepC, stepG));
      console.log(
        `[f16 activations] encoder max|Δ| ${encDiff.toExponential(2)}, logits max|Δ| ${logitsDiff.toExponential(2)}`,
      );
      expect(encDiff).toBeLessThanOrEqual(ENCODER_TOL);
      expect(logitsDiff).toBeLessThanOrEqual(LOGITS_TOL);
    });

    it('greedy tokens: the same wherever the f32 choice is not a near-tie', () => {
      const tokens = greedyDecode(cpu, encCpu, { prompt, maxNewTokens: 24, eosTokenId: null });
      // Teacher-force the CPU's tokens on the GPU so that one near-tie cannot shift every later step.
      const sc = cpu.createDecoderState(encCpu);
      const sg = gpu.createDecoderState(encGpu);
      const feed = [...prompt, ...tokens.slice(0, -1)];
      const lc = cpu.decode(sc, [feed], { logits: 'all' }).logits;
      const lg = gpu.decode(sg, [feed], { logits: 'all' }).logits;
      sc.dispose();
      sg.dispose();
      const v = cpu.vocabSize;
      let agree = 0;
      for (let i = 0; i < tokens.length; i++) {
        const row = (prompt.length - 1 + i) * v;
        const c = lc.subarray(row, row + v);
        const g = lg.subarray(row, row + v);
        let best = 0;
        for (let j = 1; j < v; j++) if (g[j]! > g[best]!) best = j;
        if (best === tokens[i]) agree++;
        // A different choice is only acceptable where the f32 logits were within 2 tolerances.
        else expect(c[best]!).toBeGreaterThanOrEqual(c[tokens[i]!]! - 2 * LOGITS_TOL);
      }
      const free = greedyDecode(gpu, encGpu, { prompt, maxNewTokens: 24, eosTokenId: null });
      let prefix = 0;
      while (prefix < tokens.length && free[prefix] === tokens[prefix]) prefix++;
      console.log(
        `[f16 activations] teacher-forced argmax agreement ${agree}/${tokens.length}, free-running common prefix ${prefix}/${tokens.length}`,
      );
      expect(agree / tokens.length).toBeGreaterThanOrEqual(0.75);
    });
  },
);
