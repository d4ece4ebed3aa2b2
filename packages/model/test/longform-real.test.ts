// The `model` tier for long-form: real Whisper weights (DW_TEST_MODEL_DIR, as real-model.test.ts)
// on long speech, token for token against transformers — `generate()` on > 3000 frames (sequential)
// and the ASR pipeline with `chunk_length_s` / `batch_size` (chunked: every chunk's tokens, the
// merged text and chunk times). Fixtures: tools/reference/longform/make_fixtures.py.
//
// Tier 1 (CI): audio built from jfk.wav by the recipes in test-support/longform-audio.ts, fixtures
// committed. Tier 2 (local): the real long recordings of ~/.cache/distil-whisper/eval-real,
// fixtures in ~/.cache/distil-whisper/longform-fixtures (third-party transcripts stay out of the
// repository); skipped with a notice where absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, logMelSpectrogram, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';
import { WhisperModel } from '../src';
import {
  ChunkMerger,
  chunkSpans,
  melArraySource,
  planChunks,
  transcribeLong,
  whisperWindowEncoder,
  type LongFormOptions,
  type LongFormResult,
  type MergedSegment,
} from '../src/longform';
import { hasReference, referencePath } from '../../../test-support/reference';
import { realWeightDirs } from '../../../test-support/real-weights';
import { buildRecipe } from '../../../test-support/longform-audio';

interface SequentialCase {
  name: string;
  options: Record<string, unknown>;
  sequences: number[];
  segments: Array<{ start: number; end: number; tokens: number[] }>;
  text: string;
  sampled: boolean;
}
interface ChunkedCase {
  name: string;
  options: Record<string, unknown>;
  chunk_tokens: number[][];
  text: string;
  chunks?: Array<{ timestamp: [number | null, number | null]; text: string }>;
  sampled: boolean;
}
interface AudioFixture {
  name: string;
  recipe: { recipe?: string; file?: string; join?: string[]; gap_s?: number };
  samples: number;
  frames: number;
  sequential: SequentialCase[];
  chunked: ChunkedCase[];
}
interface Fixture {
  model: string;
  dims: { d_model: number; encoder_layers: number; decoder_layers: number; vocab_size: number };
  audios: AudioFixture[];
}

const CI_FIXTURES = resolve(__dirname, '../../../tools/reference/longform/fixtures');
const EVAL = join(homedir(), '.cache', 'distil-whisper', 'eval-real');
const LOCAL_FIXTURES = join(homedir(), '.cache', 'distil-whisper', 'longform-fixtures');

const dirs = realWeightDirs('long-form real-weights tier', 'base tiny.en');
const localTier = existsSync(LOCAL_FIXTURES) && existsSync(join(EVAL, 'manifest.jsonl'));
if (dirs.length > 0 && !localTier)
  console.warn(
    `[skip] long-form real-recordings tier: ${LOCAL_FIXTURES} or ${EVAL} is absent (tools/eval-data/gather.py, then tools/reference/longform/make_fixtures.py --real)`,
  );

function fixtureFor(model: WhisperModel, folder: string): Fixture | undefined {
  if (!existsSync(folder)) return undefined;
  const c = model.config;
  for (const f of readdirSync(folder).filter(
    (n) => n.startsWith('whisper-') && n.endsWith('.json'),
  )) {
    const fx = JSON.parse(readFileSync(join(folder, f), 'utf8')) as Fixture;
    const d = fx.dims;
    if (
      d.d_model === c.dModel &&
      d.encoder_layers === c.encoderLayers &&
      d.decoder_layers === c.decoderLayers &&
      d.vocab_size === c.vocabSize
    )
      return fx;
  }
  return undefined;
}

/** transformers' generate() keyword arguments as long-form options. */
function sequentialOptions(o: Record<string, unknown>): LongFormOptions {
  const out: LongFormOptions = {};
  if (typeof o.language === 'string') out.language = o.language;
  if (Array.isArray(o.temperature)) out.temperature = o.temperature as number[];
  if (typeof o.compression_ratio_threshold === 'number')
    out.compressionRatioThreshold = o.compression_ratio_threshold;
  if (typeof o.logprob_threshold === 'number') out.logprobThreshold = o.logprob_threshold;
  if (typeof o.no_speech_threshold === 'number') out.noSpeechThreshold = o.no_speech_threshold;
  if (typeof o.condition_on_prev_tokens === 'boolean')
    out.conditionOnPrevTokens = o.condition_on_prev_tokens;
  if (Array.isArray(o.prompt_ids)) out.promptIds = o.prompt_ids as number[];
  return out;
}

/** Where two token lists first differ (for a readable failure). */
function firstDifference(a: readonly number[], b: readonly number[]): string {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++)
    if (a[i] !== b[i]) return `first difference at token ${i}: ${a[i]} vs ${b[i]}`;
  return a.length === b.length ? 'equal' : `lengths ${a.length} vs ${b.length}`;
}

async function audioOf(a: AudioFixture, jfk: Float32Array): Promise<Float32Array> {
  if (a.recipe.recipe !== undefined) return buildRecipe(a.recipe.recipe, jfk);
  if (a.recipe.file !== undefined) return loadAudio(join(EVAL, a.recipe.file));
  const parts: Float32Array[] = [];
  const manifest = new Map(
    readFileSync(join(EVAL, 'manifest.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim().length > 0)
      .map((l) => JSON.parse(l) as { id: string; audio: string })
      .map((d) => [d.id, d.audio]),
  );
  const gap = new Float32Array(Math.round((a.recipe.gap_s ?? 0) * 16000));
  for (const id of a.recipe.join ?? []) {
    if (parts.length > 0) parts.push(gap);
    parts.push(await loadAudio(join(EVAL, manifest.get(id) as string)));
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const runnable = dirs.length > 0 && hasReference('long-form real-weights tier');
const targets = dirs.length > 0 ? dirs : ['(DW_TEST_MODEL_DIR not set)'];

describe.skipIf(!runnable).each(targets)('long-form parity with transformers in %s', (dir) => {
  let model: WhisperModel;
  let tokenizer: WhisperTokenizer;
  let fe: WhisperFeatureExtractor;
  let jfk: Float32Array;

  beforeAll(async () => {
    model = WhisperModel.load(dir);
    tokenizer = await WhisperTokenizer.fromPretrained(dir);
    fe = await WhisperFeatureExtractor.fromPretrained(dir);
    jfk = await loadAudio(referencePath('assets', 'jfk.wav'));
  }, 120_000);
  afterAll(() => model?.dispose());

  const tiers: Array<[string, string, boolean]> = [
    ['jfk.wav recipes (CI)', CI_FIXTURES, true],
    ['real recordings (local)', LOCAL_FIXTURES, localTier],
  ];
  for (const [tier, folder, present] of tiers)
    describe.skipIf(!present)(tier, () => {
      it('sequential: generate() on > 3000 frames, token for token with the same segments', async () => {
        const fx = fixtureFor(model, folder);
        if (!fx) return console.warn(`[skip] no ${tier} fixture for ${dir}`);
        const encoder = whisperWindowEncoder(model);
        let compared = 0;
        for (const audio of fx.audios) {
          const samples = await audioOf(audio, jfk);
          expect(samples.length).toBe(audio.samples);
          // transformers' features of the whole recording: no padding, one dynamic-range floor.
          const mel = logMelSpectrogram(samples, { nMels: fe.config.featureSize });
          expect(mel.nFrames).toBe(audio.frames);
          for (const c of audio.sequential) {
            if (c.sampled) {
              console.warn(
                `[skip] ${audio.name} / ${c.name}: transformers sampled (torch's generator)`,
              );
              continue;
            }
            const t0 = performance.now();
            const [r] = await transcribeLong(
              encoder,
              model.generationConfig,
              [melArraySource(mel.data, mel.nMels, mel.nFrames)],
              sequentialOptions(c.options),
            );
            const got = r as LongFormResult;
            console.log(
              `${fx.model} ${audio.name} ${c.name}: ${got.windows} windows, ${got.tokens.length} tokens in ${((performance.now() - t0) / 1000).toFixed(1)} s — ${firstDifference(got.tokens, c.sequences)}`,
            );
            expect(got.tokens, `${audio.name} / ${c.name}`).toEqual(c.sequences);
            expect(
              got.segments.map((s) => ({ start: s.start, end: s.end, tokens: s.tokens })),
              `${audio.name} / ${c.name}`,
            ).toEqual(c.segments);
            expect(tokenizer.decode(got.tokens, { skipSpecialTokens: true })).toBe(c.text);
            compared++;
          }
        }
        expect(compared).toBeGreaterThan(0);
      }, 1_800_000);

      it('chunked: the ASR pipeline — every chunk, the merged text and the chunk times', async () => {
        const fx = fixtureFor(model, folder);
        if (!fx) return console.warn(`[skip] no ${tier} fixture for ${dir}`);
        const encoder = whisperWindowEncoder(model);
        const gen = model.generationConfig;
        const languages = new Map(
          Object.entries(gen.langToId).map(([t, id]) => [id, t.slice(2, -2)]),
        );
        for (const audio of fx.audios) {
          const samples = await audioOf(audio, jfk);
          for (const c of audio.chunked) {
            const o = c.options;
            const timestamps = o.return_timestamps === true;
            const plan = planChunks({
              chunkLengthSeconds: o.chunk_length_s as number,
              ...(o.stride_length_s !== undefined
                ? { strideSeconds: o.stride_length_s as number }
                : {}),
            });
            const spans = [...chunkSpans(plan, samples.length)];
            const sources = spans.map((s) =>
              melArraySource(
                fe.extract(samples.subarray(s.start, s.end)).data,
                fe.config.featureSize,
                fe.config.nbMaxFrames,
              ),
            );
            const t0 = performance.now();
            const results = await transcribeLong(encoder, gen, sources, {
              ...(typeof o.language === 'string' ? { language: o.language } : {}),
              returnTimestamps: timestamps,
              batchSize: o.batch_size as number,
            });
            console.log(
              `${fx.model} ${audio.name} ${c.name}: ${results.length} chunks in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
            );
            expect(
              results.map((r) => r.tokens),
              `${audio.name} / ${c.name}`,
            ).toEqual(c.chunk_tokens);
            const merger = new ChunkMerger({
              timestampBegin: (gen.noTimestampsTokenId as number) + 1,
              eot: tokenizer.special.eot,
              languages,
              returnTimestamps: timestamps,
            });
            const merged: MergedSegment[] = [];
            results.forEach((r, i) => {
              const [len, left, right] = (spans[i] as (typeof spans)[number]).stride;
              merged.push(
                ...merger.push({
                  tokens: r.tokens,
                  stride: [len / 16000, left / 16000, right / 16000],
                }),
              );
            });
            merged.push(...merger.finish());
            expect(merged.map((s) => tokenizer.decode(s.tokens)).join('')).toBe(c.text);
            if (c.chunks)
              expect(
                merged.map((s) => ({
                  timestamp: [s.start, s.end],
                  text: tokenizer.decode(s.tokens),
                })),
              ).toEqual(c.chunks);
          }
        }
      }, 1_800_000);
    });
});
