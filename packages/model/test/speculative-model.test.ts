// Speculative decoding on the Whisper graph with random checkpoints (the shared reference
// tiny-random pair, and small random checkpoints): generate({ assistant }) returns the main
// model's greedy tokens for batch 1 and batch 3, with and without timestamps, for an assistant
// that shares the encoder (a create-student style student), one with its own encoder, a
// decoder-only one and a perfect one. Speculative sampling through the graph keeps the main
// model's distribution.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { WhisperModel } from '../src/index';
import {
  encodeWithAssistant,
  encoderFingerprint,
  generate,
  SeededRandom,
  sharesEncoder,
  speculativeSearch,
  whisperGenerationModel,
  type GenerateOptions,
  type GenerationResult,
  type SpeculativeRound,
} from '../src/generation';
import { warpForSampling } from '../src/generation/logits-processors';
import { softmax } from '../src/generation/math';
import { whisperSession } from '../src/generation/whisper-adapter';
import { hasReference, referencePath } from '../../../test-support/reference';
import { features, SMALL_DIMS, smallCheckpoint, tempDir } from './helpers';
import { studentOf } from './speculative-helpers';

const runnable = hasReference('speculative decoding on tiny-random');

interface Stats {
  drafted: number;
  accepted: number;
  rounds: number;
}
const stats = (): Stats & { onRound: (r: SpeculativeRound) => void } => {
  const s = {
    drafted: 0,
    accepted: 0,
    rounds: 0,
    onRound: (r: SpeculativeRound) => {
      s.rounds++;
      s.drafted += r.drafted.reduce((a, b) => a + b, 0);
      s.accepted += r.accepted.reduce((a, b) => a + b, 0);
    },
  };
  return s;
};

describe.skipIf(!runnable)('speculative greedy decoding on tiny-random checkpoints', () => {
  let teacher: WhisperModel;
  let student: WhisperModel; // teacher's encoder + decoder layers 0 and 3 (create-student's map)
  let other: WhisperModel; // the reference's second random model: its own encoder
  let decoderOnly: WhisperModel; // WhisperForCausalLM: decoder layers 0 and 3, no encoder
  let feats1: Float32Array;
  let feats3: Float32Array;
  const teacherDir = (): string => referencePath('models', 'tiny-random', 'teacher');

  beforeAll(() => {
    teacher = WhisperModel.load(teacherDir());
    student = studentOf(teacherDir(), [0, 3]);
    other = WhisperModel.load(referencePath('models', 'tiny-random', 'checkpoint'));
    decoderOnly = studentOf(teacherDir(), [0, 3], { decoderOnly: true });
    const f = readFileSync(referencePath('models', 'tiny-random', 'inputs', 'features.f32'));
    feats1 = new Float32Array(f.buffer, f.byteOffset, f.byteLength / 4).slice();
    const rand = features(2, 80, 3000, 5);
    feats3 = new Float32Array(3 * 80 * 3000);
    feats3.set(feats1, 0);
    feats3.set(rand, 80 * 3000);
  });
  afterAll(() => {
    for (const m of [teacher, student, other, decoderOnly]) m?.dispose();
  });

  it('hashes encoders: a student shares the teacher encoder, another model does not', () => {
    expect(encoderFingerprint(student)).toBe(encoderFingerprint(teacher));
    expect(encoderFingerprint(teacher)).toMatch(/^[0-9a-f]{64}$/);
    expect(encoderFingerprint(decoderOnly)).toBeNull();
    expect(sharesEncoder(teacher, student)).toBe(true);
    expect(sharesEncoder(teacher, decoderOnly)).toBe(true);
    expect(sharesEncoder(teacher, other)).toBe(false);
    const f32 = studentOf(teacherDir(), [0, 3], { dtype: 'f32' }); // other stored bytes
    try {
      expect(sharesEncoder(teacher, f32)).toBe(false);
    } finally {
      f32.dispose();
    }
  });

  const assistants = (): Array<[string, () => WhisperModel]> => [
    ['student (shared encoder)', () => student],
    ['other random model (own encoder)', () => other],
    ['decoder-only student', () => decoderOnly],
    ['the teacher itself', () => teacher],
  ];
  const cases: Array<[string, number, boolean]> = [];
  for (const [name] of assistants())
    for (const batch of [1, 3]) for (const ts of [false, true]) cases.push([name, batch, ts]);

  it.each(cases)(
    "%s, batch %i, timestamps %s: the teacher's greedy tokens",
    async (name, batch, ts) => {
      const assistant = assistants().find(([n]) => n === name)![1]();
      const feats = batch === 1 ? feats1 : feats3;
      const options: GenerateOptions = {
        language: 'en',
        returnTimestamps: ts,
        maxNewTokens: 24,
        promptIds: [50361, 440, 2068], // <|startofprev|> + two text tokens
      };
      const plainEnc = teacher.encode(feats, batch);
      let plain: GenerationResult[];
      try {
        plain = await generate(
          whisperGenerationModel(teacher, plainEnc),
          teacher.generationConfig,
          options,
        );
      } finally {
        plainEnc.dispose();
      }
      const enc = encodeWithAssistant(teacher, assistant, feats, batch);
      const st = stats();
      let spec: GenerationResult[];
      try {
        expect(enc.shared).toBe(assistant !== other);
        spec = await generate(whisperGenerationModel(teacher, enc.main), teacher.generationConfig, {
          ...options,
          assistant: {
            model: whisperGenerationModel(assistant, enc.assistant),
            onRound: st.onRound,
          },
        });
      } finally {
        enc.dispose();
      }
      console.log(
        `[speculative tiny-random] ${name}, batch ${batch}, timestamps ${ts}: ${plain.map((r) => r.tokens.length).join('/')} tokens, ${st.rounds} rounds, drafts accepted ${st.accepted}/${st.drafted}`,
      );
      expect(spec.map((r) => r.tokens)).toEqual(plain.map((r) => r.tokens));
      expect(spec.map((r) => r.segments)).toEqual(plain.map((r) => r.segments));
      spec.forEach((r, i) => expect(r.avgLogprob).toBeCloseTo(plain[i]!.avgLogprob, 4));
      if (assistant === teacher) expect(st.accepted).toBeGreaterThan(0.9 * st.drafted);
      if (ts) expect(plain.some((r) => r.tokens.some((t) => t >= 50364))).toBe(true);
    },
  );
});

describe('speculative sampling through the graph (small random checkpoints)', () => {
  const tmp = tempDir('spec-sampling');
  let teacher: WhisperModel;
  let assistant: WhisperModel;
  beforeAll(() => {
    teacher = WhisperModel.load(smallCheckpoint(`${tmp.dir}/t`));
    assistant = WhisperModel.load(
      smallCheckpoint(`${tmp.dir}/a`, { seed: 99, dims: { ...SMALL_DIMS, decoderLayers: 1 } }),
    );
  });
  afterAll(() => {
    teacher?.dispose();
    assistant?.dispose();
    tmp.cleanup();
  });

  it("the first three sampled tokens follow the teacher's distribution (chi-square)", async () => {
    const temperature = 1;
    const topK = 3;
    const prefix = [1, 2, 3];
    const eos = 599;
    const processors = { suppressTokens: [], beginSuppressTokens: [], timestamps: null };
    const enc = teacher.encode(features(1, 80, 3000, 11), 1);
    try {
      // Exact distribution of (t1, t2, t3) by plain decoding of every continuation.
      const warped = (row: Float32Array): Float64Array => {
        const r = Float32Array.from(row);
        warpForSampling(r, temperature, topK);
        return softmax(r);
      };
      const exact = new Map<string, number>();
      const walk = (generated: number[], prob: number): void => {
        if (generated.length === 3 || generated[generated.length - 1] === eos) {
          exact.set(generated.join(','), prob);
          return;
        }
        const s = whisperSession(teacher, enc, [0]);
        const p = warped(s.decode([[...prefix, ...generated]])[0]!);
        s.dispose();
        p.forEach((pt, t) => {
          if (pt > 0) walk([...generated, t], prob * pt);
        });
      };
      walk([], 1);
      const rows = 512;
      const seeds = 4;
      const counts = new Map<string, number>();
      let accepted = 0;
      let drafted = 0;
      for (let seed = 0; seed < seeds; seed++) {
        const t = whisperSession(teacher, enc, new Array<number>(rows).fill(0));
        const a = whisperSession(assistant, enc, new Array<number>(rows).fill(0));
        try {
          const first = t
            .decode(Array.from({ length: rows }, () => prefix))
            .map((r) => Float32Array.from(r));
          const outs = await speculativeSearch(t, a, first, {
            prefixes: Array.from({ length: rows }, () => prefix),
            prefixLength: prefix.length,
            maxLength: prefix.length + 3,
            eosTokenId: eos,
            processors,
            sampling: { temperature, topK, rng: new SeededRandom(100 + seed) },
            onRound: (r) => {
              drafted += r.drafted.reduce((x, y) => x + y, 0);
              accepted += r.accepted.reduce((x, y) => x + y, 0);
            },
          });
          for (const o of outs)
            counts.set(o.tokens.join(','), (counts.get(o.tokens.join(',')) ?? 0) + 1);
        } finally {
          t.dispose();
          a.dispose();
        }
      }
      const n = rows * seeds;
      let chi2 = 0;
      for (const [key, p] of exact) chi2 += ((counts.get(key) ?? 0) - n * p) ** 2 / (n * p);
      for (const key of counts.keys()) expect(exact.has(key), `impossible ${key}`).toBe(true);
      const df = exact.size - 1;
      const critical = df * (1 - 2 / (9 * df) + 3.09 * Math.sqrt(2 / (9 * df))) ** 3;
      console.log(
        `[speculative sampling, graph] ${n} samples over ${exact.size} sequences: chi2 ${chi2.toFixed(1)} (0.1 % critical ${critical.toFixed(1)}); drafts accepted ${accepted}/${drafted}`,
      );
      expect(chi2).toBeLessThan(critical);
      expect(drafted).toBeGreaterThan(0);
    } finally {
      enc.dispose();
    }
  });
});
