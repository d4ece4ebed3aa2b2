// Word timestamps, the VAD pre-pass and silence through the whole pipeline on real whisper base
// weights (the `model` tier: DW_TEST_MODEL_DIR; VAD cases also need the converted Silero VAD,
// `bash tools/vad/fetch.sh`). Each part is skipped with a notice when what it needs is absent.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSileroModel, loadAudio } from '@distil-whisper/audio';
import { hasReference, referencePath } from '../../../test-support/reference';
import { whisperBaseDir } from '../../../test-support/real-weights';
import { createPipeline, formatTranscription, type Pipeline } from '../src';

const run = promisify(execFile);
const cli = [
  '--conditions=@distil-whisper/source',
  '--import',
  'tsx',
  resolve(__dirname, '..', 'src', 'cli.ts'),
];
const base = whisperBaseDir('pipeline words / VAD / silence on real weights');
const runnable = base !== undefined && hasReference('pipeline words / VAD / silence');
const vadModel = findSileroModel();
if (runnable && !vadModel)
  console.warn('[skip] pipeline VAD cases: Silero VAD weights not found (bash tools/vad/fetch.sh)');

interface OwWord {
  word: string;
  start: number;
  end: number;
}
const OW = (
  JSON.parse(
    readFileSync(
      resolve(__dirname, '../../../tools/reference/word-timestamps/fixtures/openai-base-jfk.json'),
      'utf8',
    ),
  ) as { clips: Array<{ segments: Array<{ words: OwWord[] }> }> }
).clips[0]!.segments.flatMap((s) => s.words);

const bare = (t: string): string => t.replace(/[^\p{L}\p{N}']/gu, '').toLowerCase();
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function noise(n: number, amplitude: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * amplitude;
  }
  return out;
}

describe.skipIf(!runnable)('pipeline on real whisper base weights', () => {
  let asr: Pipeline;
  let jfk: Float32Array;
  beforeAll(async () => {
    asr = await createPipeline(base!, { threads: 2 });
    jfk = await loadAudio(referencePath('assets', 'jfk.wav'), { sampleRate: 16000 });
  }, 120_000);
  afterAll(async () => asr?.dispose());

  it('wordTimestamps: words in json, within 0.1 s (median) of openai-whisper on jfk.wav', async () => {
    const r = await asr.transcribe(jfk, { language: 'en', wordTimestamps: true });
    const words = r.segments.flatMap((s) => s.words ?? []);
    expect(words.map((w) => bare(w.text))).toEqual(OW.map((w) => bare(w.word)));
    const ds = words.map((w, i) => Math.abs(w.start - OW[i]!.start));
    const de = words.map((w, i) => Math.abs(w.end - OW[i]!.end));
    console.log(
      `[pipeline words] jfk: median |Δstart| ${median(ds).toFixed(3)} s, |Δend| ${median(de).toFixed(3)} s`,
    );
    expect(median(ds)).toBeLessThanOrEqual(0.1);
    expect(median(de)).toBeLessThanOrEqual(0.1);
    const json = JSON.parse(formatTranscription(r, 'json')) as typeof r;
    expect(json.segments[0]!.words!.length).toBeGreaterThan(0);
    const srt = formatTranscription(r, 'srt', { maxWordsPerCue: 1 });
    expect(srt.trim().split('\n\n')).toHaveLength(words.length);
  }, 120_000);

  it('wordTimestamps on long-form (sequential): jfk twice around 12 s of silence', async () => {
    const x = new Float32Array(jfk.length * 2 + 16000 * 12);
    x.set(jfk, 0);
    x.set(jfk, jfk.length + 16000 * 12);
    const r = await asr.transcribe(x, { language: 'en', wordTimestamps: true });
    const words = r.segments.flatMap((s) => s.words ?? []);
    for (let i = 1; i < words.length; i++)
      expect(words[i]!.start).toBeGreaterThanOrEqual(words[i - 1]!.start);
    const second = words.filter((w) => w.start > 20);
    expect(second.length).toBeGreaterThan(10);
    // The second copy starts 23 s in: its first word near 23 s.
    expect(Math.abs(second[0]!.start - (23 + OW[0]!.start))).toBeLessThan(0.5);
  }, 300_000);

  it('wordTimestamps on chunked long-form: every word once, in order, on the recording timeline', async () => {
    const x = new Float32Array(jfk.length * 2 + 16000 * 12);
    x.set(jfk, 0);
    x.set(jfk, jfk.length + 16000 * 12);
    const r = await asr.transcribe(x, {
      language: 'en',
      wordTimestamps: true,
      longForm: 'chunked',
      chunkLength: 15,
      batchSize: 2,
    });
    const words = r.segments.flatMap((s) => s.words ?? []);
    for (let i = 1; i < words.length; i++)
      expect(words[i]!.start).toBeGreaterThanOrEqual(words[i - 1]!.start);
    // Two copies of the 22 words (chunk seams may split or join one at most).
    expect(Math.abs(words.length - 2 * OW.length)).toBeLessThanOrEqual(2);
    const second = words.filter((w) => w.start > 20);
    expect(Math.abs(second[0]!.start - (23 + OW[0]!.start))).toBeLessThan(0.5);
  }, 300_000);

  it('CLI: --word-timestamps --max-words-per-cue 3 -f vtt', async () => {
    const { stdout } = await run(process.execPath, [
      ...cli,
      'transcribe',
      referencePath('assets', 'jfk.wav'),
      '-m',
      base!,
      '-l',
      'en',
      '--threads',
      '2',
      '--max-words-per-cue',
      '3',
      '-f',
      'vtt',
    ]);
    const cues = stdout.trim().split('\n\n').slice(1);
    expect(cues).toHaveLength(Math.ceil(14 / 3) + Math.ceil(8 / 3));
    expect(cues[0]).toMatch(/^00:00:00\.\d{3} --> 00:00:0\d\.\d{3}\nAnd so my$/);
  }, 120_000);

  it('silence gives no text (default options), short and long', async () => {
    for (const seconds of [8, 40]) {
      const r = await asr.transcribe(new Float32Array(16000 * seconds), { language: 'en' });
      expect(r.text).toBe('');
      expect(r.segments.every((s) => s.text === '')).toBe(true);
    }
  }, 120_000);

  // Distil-Whisper's long-form recipe (and openai/whisper's defaults, its 2.4 being on text): on
  // 40 s of noise whisper base loops at temperature 0 with a high log-probability; the
  // compression-ratio fallback breaks the loop, then the no-speech rule skips the window.
  it('white noise gives no text with the recommended thresholds', async () => {
    for (const seconds of [8, 40]) {
      const r = await asr.transcribe(noise(16000 * seconds, 0.1, 3), {
        language: 'en',
        noSpeechThreshold: 0.6,
        logprobThreshold: -1,
        compressionRatioThreshold: 1.35,
        temperature: [0, 0.2, 0.4, 0.6, 0.8, 1],
      });
      expect(r.text).toBe('');
    }
  }, 300_000);

  it.skipIf(!vadModel)(
    'vad: transcribes only the speech and maps times back',
    async () => {
      const x = new Float32Array(16000 * 10 + jfk.length + 16000 * 10);
      x.set(jfk, 16000 * 10);
      x.set(noise(16000 * 8, 0.05), 16000 * 10 + jfk.length + 16000);
      const r = await asr.transcribe(x, { language: 'en', vad: true, wordTimestamps: true });
      expect(bare(r.text)).toBe(bare(OW.map((w) => w.word).join('')));
      const words = r.segments.flatMap((s) => s.words ?? []);
      expect(Math.abs(words[0]!.start - (10 + OW[0]!.start))).toBeLessThan(0.5);
      expect(Math.abs(words.at(-1)!.end - (10 + OW.at(-1)!.end))).toBeLessThan(0.6);
      expect(r.durationSeconds).toBeCloseTo(x.length / 16000, 2);
    },
    300_000,
  );

  it.skipIf(!vadModel)(
    'vad: pure silence and pure noise give no text',
    async () => {
      expect((await asr.transcribe(new Float32Array(16000 * 6), { vad: true })).text).toBe('');
      expect((await asr.transcribe(noise(16000 * 6, 0.1), { vad: true })).text).toBe('');
    },
    120_000,
  );
});
