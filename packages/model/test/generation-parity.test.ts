// Parity with Hugging Face transformers' generate() on a tiny random Whisper whose weights and
// recorded outputs are committed in tools/reference/generation/fixtures/tiny-gen (made by
// tools/reference/generation/make_fixtures.py).
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WhisperModel } from '../src';
import {
  generate,
  whisperGenerationModel,
  type GenerateOptions,
  type GenerationResult,
} from '../src/generation';

const FIXTURE = resolve(__dirname, '../../../tools/reference/generation/fixtures/tiny-gen');

interface Case {
  name: string;
  options: Record<string, unknown>;
  sequences: number[][];
  segments?: Array<Array<{ start: number; end: number; tokens: number[] }>>;
  fell_back?: boolean[];
}
interface Fixture {
  features: { batch: number; mels: number; frames: number; scale_offset: Array<[number, number]> };
  greedy_measures: Array<{
    tokens_with_eos: number[];
    avg_logprob: number;
    compression_ratio: number;
    no_speech_prob: number;
  }>;
  cases: Case[];
}

function features(f: Fixture['features']): Float32Array {
  const per = f.mels * f.frames;
  const out = new Float32Array(f.batch * per);
  for (let b = 0; b < f.batch; b++) {
    const [scale, offset] = f.scale_offset[b] as [number, number];
    for (let i = 0; i < per; i++) {
      const x = (i * 2654435761 + 12345 * (b + 1)) % 4294967296;
      out[b * per + i] = Math.fround((x / 4294967296) * scale + offset);
    }
  }
  return out;
}

function toOptions(o: Record<string, unknown>): GenerateOptions {
  const out: GenerateOptions = {};
  const map: Record<string, keyof GenerateOptions> = {
    language: 'language',
    task: 'task',
    num_beams: 'numBeams',
    length_penalty: 'lengthPenalty',
    early_stopping: 'earlyStopping',
    max_new_tokens: 'maxNewTokens',
    max_length: 'maxLength',
    return_timestamps: 'returnTimestamps',
    temperature: 'temperature',
    compression_ratio_threshold: 'compressionRatioThreshold',
    logprob_threshold: 'logprobThreshold',
    no_speech_threshold: 'noSpeechThreshold',
    prompt_ids: 'promptIds',
  };
  for (const [k, v] of Object.entries(o)) {
    const key = map[k];
    if (key) (out as Record<string, unknown>)[key] = v;
  }
  return out;
}

describe.skipIf(!existsSync(join(FIXTURE, 'cases.json')))(
  'generate() parity with transformers (tiny random Whisper)',
  () => {
    let model: WhisperModel;
    let fixture: Fixture;
    let feats: Float32Array;
    const run = async (options: GenerateOptions): Promise<GenerationResult[]> => {
      const enc = model.encode(feats, fixture.features.batch);
      try {
        return await generate(whisperGenerationModel(model, enc), model.generationConfig, options);
      } finally {
        enc.dispose();
      }
    };

    beforeAll(() => {
      fixture = JSON.parse(readFileSync(join(FIXTURE, 'cases.json'), 'utf8')) as Fixture;
      model = WhisperModel.load(FIXTURE);
      feats = features(fixture.features);
    });
    afterAll(() => model?.dispose());

    it('greedy quality measures (average log-probability, compression ratio, no-speech probability)', async () => {
      const rs = await run({ language: 'en', maxNewTokens: 24 });
      fixture.greedy_measures.forEach((m, b) => {
        const r = rs[b] as GenerationResult;
        expect(r.tokens.concat(r.tokens.length < 24 ? [50257] : [])).toEqual(m.tokens_with_eos);
        expect(r.avgLogprob).toBeCloseTo(m.avg_logprob, 3);
        expect(r.compressionRatio).toBeCloseTo(m.compression_ratio, 6);
        expect(r.noSpeechProb).toBeCloseTo(m.no_speech_prob, 6);
      });
    });

    const cases = existsSync(join(FIXTURE, 'cases.json'))
      ? (JSON.parse(readFileSync(join(FIXTURE, 'cases.json'), 'utf8')) as Fixture).cases
      : [];
    it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
      const rs = await run(toOptions(c.options));
      const full = c.options.force_unique_generate_call === true;
      rs.forEach((r, b) => {
        const expected = c.sequences[b] as number[];
        if (c.fell_back) {
          // transformers returns nothing for a window skipped as silence (no fallback happens then).
          if (expected.length === 0) {
            expect(r.skipped, `item ${b} skipped`).toBe(true);
            expect(r.tokens).toEqual([]);
            return;
          }
          expect(r.skipped).toBe(false);
          expect(r.temperature !== 0, `item ${b} fallback`).toBe(c.fell_back[b]);
          if (!c.fell_back[b]) expect(r.tokens).toEqual(expected);
          return;
        }
        if (full) expect([...r.prefix, ...r.tokens]).toEqual(expected);
        else expect(r.tokens).toEqual(expected);
        if (c.segments) {
          const segs = c.segments[b] as Array<{ start: number; end: number; tokens: number[] }>;
          expect(r.segments.map((s) => s.tokens)).toEqual(segs.map((s) => s.tokens));
          r.segments.forEach((s, i) => {
            expect(s.start).toBeCloseTo((segs[i] as { start: number }).start, 6);
            expect(s.end).toBeCloseTo((segs[i] as { end: number }).end, 6);
          });
        }
      });
    });
  },
);
