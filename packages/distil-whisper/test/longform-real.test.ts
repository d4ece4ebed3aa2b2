// The `model` tier through the pipeline: real Whisper weights (DW_TEST_MODEL_DIR) on the long
// jfk.wav recordings of tools/reference/longform/fixtures, read from a file and streamed (two
// decoding passes, windows produced on demand), give transformers' tokens, segments and merged
// chunks — the streamed features equal the whole-recording ones the model tier checks.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio } from '@distil-whisper/audio';
import { createPipeline, type Pipeline } from '../src';
import { hasReference, referencePath } from '../../../test-support/reference';
import { realWeightDirs } from '../../../test-support/real-weights';
import { buildRecipe, wavBytes } from '../../../test-support/longform-audio';

interface Fixture {
  model: string;
  dims: { d_model: number; encoder_layers: number; decoder_layers: number; vocab_size: number };
  audios: Array<{
    name: string;
    recipe: { recipe?: string };
    sequential: Array<{
      name: string;
      options: Record<string, unknown>;
      sequences: number[];
      segments: Array<{ start: number; end: number; tokens: number[] }>;
      text: string;
      sampled: boolean;
    }>;
    chunked: Array<{
      name: string;
      options: Record<string, unknown>;
      text: string;
      chunks?: Array<{ timestamp: [number | null, number | null]; text: string }>;
    }>;
  }>;
}

const FIXTURES = resolve(__dirname, '../../../tools/reference/longform/fixtures');
const dirs = realWeightDirs('pipeline long-form real-weights tier', 'base tiny.en');

function fixtureFor(dir: string): Fixture | undefined {
  const c = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number>;
  if (!existsSync(FIXTURES)) return undefined;
  for (const f of readdirSync(FIXTURES).filter((n) => n.startsWith('whisper-'))) {
    const fx = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as Fixture;
    const d = fx.dims;
    if (
      d.d_model === c.d_model &&
      d.encoder_layers === c.encoder_layers &&
      d.decoder_layers === c.decoder_layers &&
      d.vocab_size === c.vocab_size
    )
      return fx;
  }
  return undefined;
}

const runnable = dirs.length > 0 && hasReference('pipeline long-form real-weights tier');
const targets = dirs.length > 0 ? dirs : ['(DW_TEST_MODEL_DIR not set)'];

describe.skipIf(!runnable).each(targets)('pipeline long-form on real weights in %s', (dir) => {
  let asr: Pipeline;
  let work: string;
  let fixture: Fixture | undefined;
  const files = new Map<string, string>();

  beforeAll(async () => {
    fixture = fixtureFor(dir);
    work = mkdtempSync(join(tmpdir(), 'dw-longform-real-'));
    const jfk = await loadAudio(referencePath('assets', 'jfk.wav'));
    for (const a of fixture?.audios ?? [])
      if (a.recipe.recipe) {
        const path = join(work, `${a.name}.wav`);
        writeFileSync(path, wavBytes(buildRecipe(a.recipe.recipe, jfk)));
        files.set(a.name, path);
      }
    asr = await createPipeline(dir, { inline: true });
  }, 120_000);
  afterAll(async () => {
    await asr?.dispose();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('sequential (default) from a file: transformers generate() tokens and segments', async () => {
    if (!fixture) return console.warn(`[skip] no long-form fixture for ${dir}`);
    const audio = fixture.audios.find((a) => files.has(a.name));
    const c = audio?.sequential.find((x) => x.name === 'defaults');
    if (!audio || !c) return console.warn(`[skip] no 'defaults' case for ${dir}`);
    const r = await asr.transcribe(files.get(audio.name) as string, {
      ...(typeof c.options.language === 'string' ? { language: c.options.language } : {}),
    });
    expect(r.longForm).toBe('sequential');
    expect(r.tokens).toEqual(c.sequences);
    expect(r.segments.map((s) => ({ start: s.start, end: s.end, tokens: s.tokens }))).toEqual(
      c.segments,
    );
    expect(r.text).toBe(c.text);
  }, 1_200_000);

  it('chunked from a file, batched: the pipeline text and chunk times', async () => {
    if (!fixture) return console.warn(`[skip] no long-form fixture for ${dir}`);
    const audio = fixture.audios.find((a) => files.has(a.name));
    const c = audio?.chunked.find((x) => x.options.return_timestamps === true);
    if (!audio || !c) return console.warn(`[skip] no chunked case with timestamps for ${dir}`);
    const o = c.options;
    const r = await asr.transcribe(files.get(audio.name) as string, {
      longForm: 'chunked',
      chunkLength: o.chunk_length_s as number,
      batchSize: o.batch_size as number,
      returnTimestamps: true,
      ...(typeof o.language === 'string' ? { language: o.language } : {}),
    });
    expect(r.text).toBe(c.text);
    expect(r.segments.map((s) => ({ start: s.start, end: s.end, text: s.text }))).toEqual(
      (c.chunks ?? []).map((k) => ({
        start: k.timestamp[0] ?? 0,
        end: k.timestamp[1] ?? r.durationSeconds,
        text: k.text,
      })),
    );
  }, 1_200_000);
});
