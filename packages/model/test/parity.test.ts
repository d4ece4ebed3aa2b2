// Whole-model parity against ../shared/reference/models/tiny-random (float64 numpy reference):
// every tensor's max abs difference is printed and held to the tolerance case.json suggests.
import { readFileSync } from 'node:fs';

import { describe, expect, it, beforeAll, afterAll } from 'vitest';

import { greedyDecode, WhisperModel, type EncoderOutput } from '../src/index';
import { hasReference, referencePath } from '../../../test-support/reference';

interface Case {
  inputs: { features: { shape: number[] }; prompt_ids: number[] };
  expected: {
    encoder_output: { shape: number[] };
    prompt_logits: { shape: number[] };
    prompt_cross_attentions: { shape: number[] };
    greedy: { tokens: number[]; max_new_tokens: number; eos_token_id: number };
    greedy_processed: {
      tokens: number[];
      suppress_tokens: number[];
      begin_suppress_tokens: number[];
    };
    loss: { decoder_input_ids: number[]; logits: { shape: number[] } };
  };
  float32_check: { suggested_tolerance: Record<string, number> };
}

const device = process.env.DW_TEST_DEVICE as 'cpu' | 'cuda' | undefined;

const f32 = (...p: string[]): Float32Array => {
  const b = readFileSync(referencePath('models', 'tiny-random', ...p));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function report(name: string, diff: number, tol: number): void {
  console.log(`[parity] ${name}: max |diff| = ${diff.toExponential(3)} (tolerance ${tol})`);
  expect(diff).toBeLessThanOrEqual(tol);
}

describe.skipIf(!hasReference('model parity (tiny-random)'))('parity with tiny-random', () => {
  let c: Case;
  let model: WhisperModel;
  let enc: EncoderOutput;
  beforeAll(() => {
    c = JSON.parse(
      readFileSync(referencePath('models', 'tiny-random', 'case.json'), 'utf8'),
    ) as Case;
    // DW_TEST_DEVICE=cuda runs the same parity checks on a GPU build (the graph never branches on backend).
    model = WhisperModel.load(
      referencePath('models', 'tiny-random', 'checkpoint'),
      device ? { device } : {},
    );
    enc = model.encode(f32('inputs', 'features.f32'), 1);
  });
  afterAll(() => {
    enc?.dispose();
    model?.dispose();
  });

  it('encoder output', () => {
    expect([...enc.hiddenStates.shape]).toEqual(c.expected.encoder_output.shape);
    report(
      'encoder_output',
      maxAbsDiff(enc.toFloat32(), f32('expected', 'encoder_output.f32')),
      c.float32_check.suggested_tolerance.encoder_output!,
    );
  });

  it('prompt logits (all positions) and cross-attention probabilities', () => {
    const state = model.createDecoderState(enc);
    try {
      const out = model.decode(state, [c.inputs.prompt_ids], {
        logits: 'all',
        outputCrossAttentions: true,
      });
      expect([out.batch, out.positions, out.vocabSize]).toEqual(c.expected.prompt_logits.shape);
      const tol = c.float32_check.suggested_tolerance;
      report(
        'prompt_logits',
        maxAbsDiff(out.logits, f32('expected', 'prompt_logits.f32')),
        tol.prompt_logits!,
      );
      const expected = f32('expected', 'prompt_cross_attentions.f32');
      const layers = out.crossAttentions!;
      const per = expected.length / layers.length;
      layers.forEach((w, i) => {
        expect(w!.shape).toEqual(c.expected.prompt_cross_attentions.shape.slice(1));
        report(
          `prompt_cross_attentions[layer ${i}]`,
          maxAbsDiff(w!.data, expected.subarray(i * per, (i + 1) * per)),
          tol.prompt_cross_attentions!,
        );
      });
    } finally {
      state.dispose();
    }
  });

  it('loss logits (teacher-forced decoder logits of 13 tokens)', () => {
    const state = model.createDecoderState(enc);
    try {
      const out = model.decode(state, [c.expected.loss.decoder_input_ids], { logits: 'all' });
      report(
        'loss_logits',
        maxAbsDiff(out.logits, f32('expected', 'loss_logits.f32')),
        c.float32_check.suggested_tolerance.loss_logits!,
      );
    } finally {
      state.dispose();
    }
  });

  it('incremental decoding with the KV cache equals one full pass', () => {
    const ids = c.expected.loss.decoder_input_ids;
    const state = model.createDecoderState(enc);
    try {
      const expected = f32('expected', 'loss_logits.f32');
      const v = model.vocabSize;
      let worst = 0;
      model.decode(state, [ids.slice(0, 4)]);
      for (let t = 4; t < ids.length; t++) {
        const out = model.decode(state, [[ids[t]!]]);
        worst = Math.max(worst, maxAbsDiff(out.logits, expected.subarray(t * v, (t + 1) * v)));
      }
      report('loss_logits via KV cache', worst, c.float32_check.suggested_tolerance.loss_logits!);
    } finally {
      state.dispose();
    }
  });

  it('greedy tokens without processors', () => {
    const g = c.expected.greedy;
    const tokens = greedyDecode(model, enc, {
      prompt: c.inputs.prompt_ids,
      maxNewTokens: g.max_new_tokens,
      eosTokenId: g.eos_token_id,
    });
    console.log(`[parity] greedy: ${tokens.length} tokens`);
    expect(tokens).toEqual(g.tokens);
  });

  it('greedy tokens with suppress_tokens and begin_suppress_tokens', () => {
    const g = c.expected.greedy_processed;
    const tokens = greedyDecode(model, enc, {
      prompt: c.inputs.prompt_ids,
      maxNewTokens: c.expected.greedy.max_new_tokens,
      eosTokenId: c.expected.greedy.eos_token_id,
      suppressTokens: g.suppress_tokens,
      beginSuppressTokens: g.begin_suppress_tokens,
    });
    expect(tokens).toEqual(g.tokens);
  });

  it('F16 teacher checkpoint: teacher-forced logits', () => {
    const teacher = WhisperModel.load(
      referencePath('models', 'tiny-random', 'teacher'),
      device ? { device } : {},
    );
    try {
      expect(teacher.weightDtype).toBe('f16');
      const tenc = teacher.encode(f32('inputs', 'features.f32'), 1);
      const state = teacher.createDecoderState(tenc);
      try {
        const out = teacher.decode(state, [c.expected.loss.decoder_input_ids], { logits: 'all' });
        report(
          'loss_teacher_logits (F16 weights)',
          maxAbsDiff(out.logits, f32('expected', 'loss_teacher_logits.f32')),
          c.float32_check.suggested_tolerance.loss_teacher_logits!,
        );
      } finally {
        state.dispose();
        tenc.dispose();
      }
    } finally {
      teacher.dispose();
    }
  });
});
