// End-to-end: a random-weight checkpoint (nonsense text; the pipeline is what is tested).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPipeline,
  formatTranscription,
  TranscribeError,
  type Pipeline,
  type Transcription,
} from '../src';
import { hasReference, referencePath } from '../../../test-support/reference';
import { randomPipeline, type RandomPipeline } from './support/fixture';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');

describe.skipIf(!hasReference('distil-whisper pipeline (jfk.wav, tokenizers)'))(
  'pipeline on a random checkpoint',
  () => {
    let model: RandomPipeline;
    let dir: string;
    let asr: Pipeline;
    const jfk = (): string => referencePath('assets', 'jfk.wav');

    beforeAll(async () => {
      model = await randomPipeline('dw-pipeline-');
      ({ dir, asr } = model);
    }, 120_000);

    afterAll(async () => {
      await model?.dispose();
    });

    it('transcribes a WAV path: text, tokens, one segment, detected language', async () => {
      const stages = new Set<string>();
      const r = await asr.transcribe(jfk(), {
        maxNewTokens: 16,
        onProgress: (p) => stages.add(p.stage),
      });
      expect(typeof r.text).toBe('string');
      expect(r.tokens.length).toBeGreaterThan(0);
      expect(r.tokens.length).toBeLessThanOrEqual(16);
      expect(r.segments).toHaveLength(1);
      expect(r.durationSeconds).toBeCloseTo(11, 3);
      expect(r.language).toMatch(/^[a-z]{2,3}$/);
      expect([...stages]).toEqual(expect.arrayContaining(['audio', 'encoder', 'decoder', 'done']));
    });

    it('accepts bytes and Float32Array samples at another rate, with language, beams and timestamps', async () => {
      const bytes = readFileSync(jfk());
      const a = await asr.transcribe(bytes, { language: 'english', maxNewTokens: 8, numBeams: 2 });
      expect(a.language).toBe('en');
      const samples = new Float32Array(8000 * 2).map((_, i) => 0.1 * Math.sin(i / 10));
      const b = await asr.transcribe(samples, {
        sampleRate: 8000,
        language: 'en',
        returnTimestamps: true,
        maxNewTokens: 12,
      });
      expect(b.durationSeconds).toBeCloseTo(2, 3);
      for (const s of b.segments) expect(s.end).toBeGreaterThanOrEqual(s.start);
    });

    it('reports a missing model directory', async () => {
      await expect(createPipeline(join(dir, 'missing'))).rejects.toThrow(/does not exist/);
    });

    it('passes device and activation dtype to the model (f16 activations need cuda)', async () => {
      await expect(
        createPipeline(dir, { inline: true, device: 'cpu', activationDtype: 'f16' }),
      ).rejects.toThrow(/cuda/);
    });

    it('refuses bad long-form options with a typed error', async () => {
      const long = new Float32Array(16000 * 31);
      await expect(
        asr.transcribe(long, { longForm: 'chunked', chunkLength: 40 }),
      ).rejects.toSatisfy(
        (e: unknown) =>
          e instanceof TranscribeError && e.code === 'INVALID_INPUT' && /30\] s/.test(e.message),
      );
    });

    it('keeps the event loop free: a timer ticks while the model thread works', async () => {
      let ticks = 0;
      let last = performance.now();
      let maxGap = 0;
      const timer = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        ticks++;
      }, 5);
      const t0 = performance.now();
      try {
        await asr.transcribe(jfk(), { maxNewTokens: 24 });
      } finally {
        clearInterval(timer);
      }
      const elapsed = performance.now() - t0;
      // Blocking the loop would give ~1 tick and a gap as long as the whole transcription.
      expect(ticks).toBeGreaterThan(Math.min(20, elapsed / 50));
      expect(maxGap).toBeLessThan(Math.max(250, elapsed / 4));
    });

    it('the CLI transcribes jfk.wav end to end (JSON and SRT) and creates random checkpoints', async () => {
      const cli = [
        '--conditions=@distil-whisper/source',
        '--import',
        'tsx',
        join(pkg, 'src', 'cli.ts'),
      ];
      const out = await run(
        process.execPath,
        [...cli, 'transcribe', jfk(), '--model', dir, '--json', '--max-new-tokens', '8'],
        { cwd: pkg },
      );
      const parsed = JSON.parse(out.stdout) as Transcription;
      expect(parsed.tokens.length).toBeGreaterThan(0);
      const srt = await run(
        process.execPath,
        [
          ...cli,
          'transcribe',
          jfk(),
          '-m',
          dir,
          '--timestamps',
          '-f',
          'srt',
          '--language',
          'en',
          '--max-new-tokens',
          '8',
        ],
        { cwd: pkg },
      );
      expect(srt.stdout).toMatch(/^1\n\d\d:\d\d:\d\d,\d{3} --> /);
      // --activations reaches the model: f16 activations on the CPU are refused with a reason.
      const refused = await run(
        process.execPath,
        [...cli, 'transcribe', jfk(), '-m', dir, '--activations', 'f16'],
        { cwd: pkg },
      ).then(
        () => undefined,
        (e: { code?: number; stderr?: string }) => e,
      );
      expect(refused?.code).toBe(1);
      expect(refused?.stderr).toMatch(/f16.*cuda/);
      const out2 = mkdtempSync(join(tmpdir(), 'dw-cli-random-'));
      try {
        const made = await run(
          process.execPath,
          [...cli, 'create-random', '--preset', 'tiny', '--dtype', 'f16', '--out', out2],
          { cwd: pkg },
        );
        expect(made.stdout).toMatch(/wrote/);
        expect(JSON.parse(readFileSync(join(out2, 'config.json'), 'utf8')).d_model).toBe(384);
      } finally {
        rmSync(out2, { recursive: true, force: true });
      }
    }, 120_000);
  },
);

describe('output formats', () => {
  const t: Transcription = {
    text: ' Hello world.',
    segments: [
      { start: 0, end: 1.5, text: ' Hello', tokens: [] },
      { start: 1.5, end: 3661.25, text: ' world.', tokens: [] },
    ],
    tokens: [],
    language: 'en',
    durationSeconds: 3661.25,
    temperature: 0,
    avgLogprob: -0.1,
    noSpeechProb: 0.01,
    longForm: 'sequential',
    windows: 123,
  };
  it('srt and vtt', () => {
    expect(formatTranscription(t, 'srt')).toBe(
      '1\n00:00:00,000 --> 00:00:01,500\nHello\n\n2\n00:00:01,500 --> 01:01:01,250\nworld.\n',
    );
    expect(formatTranscription(t, 'vtt')).toBe(
      'WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello\n\n00:00:01.500 --> 01:01:01.250\nworld.\n',
    );
    expect(formatTranscription(t, 'txt')).toBe('Hello world.\n');
  });
});
