// The `model` tier of speculative decoding: real Whisper weights (DW_TEST_MODEL_DIR, one or more
// checkpoint directories joined with ':'; skipped with a notice without it). The teacher is each
// checkpoint; the assistants are its untrained create-student-style student (encoder shared,
// decoder layers first and last: almost every draft rejected), the teacher itself (every draft
// accepted: long runs verified in one forward), plus DW_TEST_ASSISTANT_DIR when set (e.g. a
// distilled student of that teacher). On jfk.wav and two cuts of it, generate({ assistant }) must return the teacher's
// greedy tokens, batch 1 and batch 3, with and without timestamps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';

import { WhisperModel } from '../src';
import {
  encodeWithAssistant,
  generate,
  whisperGenerationModel,
  type GenerateOptions,
  type GenerationResult,
  type SpeculativeRound,
} from '../src/generation';
import { hasReference, referencePath } from '../../../test-support/reference';
import { realWeightDirs } from '../../../test-support/real-weights';
import { studentOf } from './speculative-helpers';

const dirs = realWeightDirs('real-weights speculative tier');
const assistantDir = process.env.DW_TEST_ASSISTANT_DIR;
const runnable = dirs.length > 0 && hasReference('real-weights speculative tier');
const targets = dirs.length > 0 ? dirs : ['(DW_TEST_MODEL_DIR not set)'];

describe.skipIf(!runnable).each(targets)('speculative decoding with real weights in %s', (dir) => {
  let teacher: WhisperModel;
  const assistants: Array<[string, WhisperModel]> = [];
  let feats: Float32Array[];
  let language: GenerateOptions;

  beforeAll(async () => {
    teacher = WhisperModel.load(dir);
    const last = teacher.config.decoderLayers - 1;
    assistants.push([`untrained student (decoder layers 0, ${last})`, studentOf(dir, [0, last])]);
    assistants.push(['the teacher itself', WhisperModel.load(dir)]);
    if (assistantDir)
      assistants.push([`assistant ${assistantDir}`, WhisperModel.load(assistantDir)]);
    const fe = await WhisperFeatureExtractor.fromPretrained(dir);
    const jfk = await loadAudio(referencePath('assets', 'jfk.wav'), { sampleRate: 16000 });
    // Three clips of different lengths and texts: the whole speech, its first 4.5 s, its last 6 s.
    const clips = [jfk, jfk.subarray(0, 72000), jfk.subarray(jfk.length - 96000)];
    feats = clips.map((c) => fe.extract(c).data);
    language = Object.keys(teacher.generationConfig.langToId).length > 0 ? { language: 'en' } : {};
  });
  afterAll(() => {
    teacher?.dispose();
    for (const [, a] of assistants) a.dispose();
  });

  const batchOf = (n: number): Float32Array => {
    const out = new Float32Array(n * feats[0]!.length);
    for (let i = 0; i < n; i++) out.set(feats[i]!, i * feats[0]!.length);
    return out;
  };

  const cases: Array<[number, boolean]> = [
    [1, false],
    [1, true],
    [3, false],
    [3, true],
  ];
  it.each(cases)("batch %i, timestamps %s: the teacher's greedy tokens", async (batch, ts) => {
    const options: GenerateOptions = { ...language, returnTimestamps: ts };
    const f = batchOf(batch);
    const enc = teacher.encode(f, batch);
    let plain: GenerationResult[];
    try {
      plain = await generate(
        whisperGenerationModel(teacher, enc),
        teacher.generationConfig,
        options,
      );
    } finally {
      enc.dispose();
    }
    for (const [name, assistant] of assistants) {
      let drafted = 0;
      let accepted = 0;
      const both = encodeWithAssistant(teacher, assistant, f, batch);
      let spec: GenerationResult[];
      try {
        spec = await generate(
          whisperGenerationModel(teacher, both.main),
          teacher.generationConfig,
          {
            ...options,
            assistant: {
              model: whisperGenerationModel(assistant, both.assistant),
              onRound: (r: SpeculativeRound) => {
                drafted += r.drafted.reduce((a, b) => a + b, 0);
                accepted += r.accepted.reduce((a, b) => a + b, 0);
              },
            },
          },
        );
      } finally {
        both.dispose();
      }
      console.log(
        `[speculative real] ${name}, batch ${batch}, timestamps ${ts}: ${plain.map((r) => r.tokens.length).join('/')} tokens, encoder shared ${both.shared}, drafts accepted ${accepted}/${drafted}`,
      );
      expect(
        spec.map((r) => r.tokens),
        name,
      ).toEqual(plain.map((r) => r.tokens));
      expect(
        spec.map((r) => r.segments),
        name,
      ).toEqual(plain.map((r) => r.segments));
    }
    expect(plain[0]!.tokens.length).toBeGreaterThan(20);
  });
});
