// Long-form through the pipeline on a random checkpoint (nonsense text; the machinery is what is
// tested): any length, both algorithms, batches of chunks and of recordings, streams, regions,
// progress, per-recording failures, and memory that does not grow with the length.
import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio } from '@distil-whisper/audio';
import type { Pipeline, TranscribeProgress } from '../src';
import { hasReference, referencePath } from '../../../test-support/reference';
import { jfkJoined, wavBytes, writeRepeatedWav } from '../../../test-support/longform-audio';
import { randomPipeline, type RandomPipeline } from './support/fixture';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');

describe.skipIf(!hasReference('distil-whisper long-form (jfk.wav, tokenizers)'))(
  'long-form transcription on a random checkpoint',
  () => {
    let model: RandomPipeline;
    let dir: string;
    let work: string;
    let asr: Pipeline;
    let long: string; // 126 s: jfk.wav 11 times
    let jfk: Float32Array;

    beforeAll(async () => {
      model = await randomPipeline('dw-longform-model-');
      ({ dir, asr } = model);
      work = mkdtempSync(join(tmpdir(), 'dw-longform-work-'));
      jfk = await loadAudio(referencePath('assets', 'jfk.wav'));
      long = join(work, 'long.wav');
      writeFileSync(long, wavBytes(jfkJoined(jfk)));
    }, 120_000);

    afterAll(async () => {
      await model?.dispose();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('sequential: 126 s in 30 s windows; one new token per window ends each window', async () => {
      const progress: TranscribeProgress[] = [];
      // One token per window is one timestamp: no closed pair, so every window is consumed whole.
      const r = await asr.transcribe(long, {
        language: 'en',
        maxNewTokens: 1,
        onProgress: (p) => progress.push(p),
      });
      expect(r.longForm).toBe('sequential');
      expect(r.windows).toBe(Math.ceil(12600 / 3000));
      expect(r.durationSeconds).toBeCloseTo(126, 3);
      for (const s of r.segments) {
        expect(s.end).toBeGreaterThanOrEqual(s.start);
        expect(s.end).toBeLessThanOrEqual(126);
      }
      const seconds = progress.filter((p) => p.seconds !== undefined);
      expect(seconds.at(-1)).toMatchObject({ seconds: 126, totalSeconds: 126 });
      expect(progress.some((p) => p.stage === 'audio')).toBe(true);
    }, 120_000);

    it('chunked: chunks of 30 s with 5 s strides, batched; timestamps or text only', async () => {
      const a = await asr.transcribe(long, {
        language: 'en',
        longForm: 'chunked',
        batchSize: 4,
        maxNewTokens: 3,
        returnTimestamps: true,
      });
      // chunk_iter: starts every 20 s until a chunk reaches the end (120 s + 30 s > 126 s).
      expect(a.longForm).toBe('chunked');
      expect(a.windows).toBe(6);
      const b = await asr.transcribe(long, {
        language: 'en',
        longForm: 'chunked',
        maxNewTokens: 3,
        chunkLength: 15,
        stride: [2, 3],
      });
      expect(b.windows).toBe(Math.ceil((126 - 15) / 10) + 1);
      expect(b.segments).toHaveLength(1);
      expect(b.segments[0]).toMatchObject({ start: 0, end: 126 });
    }, 120_000);

    it('transcribeMany: recordings share batches, a bad one is named and the others go on', async () => {
      const short = join(work, 'short.wav');
      writeFileSync(short, wavBytes(jfk));
      const done: number[] = [];
      for (const longForm of ['sequential', 'chunked'] as const) {
        const outcomes = await asr.transcribeMany([long, join(work, 'missing.wav'), short], {
          language: 'en',
          longForm,
          batchSize: 3,
          maxNewTokens: 1,
          onResult: (i) => done.push(i),
        });
        expect(outcomes.map((o) => o.ok)).toEqual([true, false, true]);
        const bad = outcomes[1]!;
        expect(!bad.ok && bad.error.message).toMatch(/missing\.wav/);
        expect(outcomes[2]!.ok && outcomes[2]!.result.longForm).toBe(
          longForm === 'chunked' ? 'chunked' : null,
        );
      }
      expect(done.sort()).toEqual([0, 0, 1, 1, 2, 2]);
    }, 120_000);

    it('a stream of bytes is transcribed like the file; regions map times back', async () => {
      const fromFile = await asr.transcribe(long, { language: 'en', maxNewTokens: 1 });
      const fromStream = await asr.transcribe(createReadStream(long), {
        language: 'en',
        maxNewTokens: 1,
      });
      expect(fromStream.tokens).toEqual(fromFile.tokens);
      const cut = await asr.transcribe(long, {
        language: 'en',
        maxNewTokens: 1,
        returnTimestamps: true,
        regions: [
          { start: 11.5, end: 22.5 },
          { start: 46, end: 57 },
        ],
      });
      expect(cut.durationSeconds).toBeCloseTo(57, 3);
      for (const s of cut.segments) {
        expect(s.start).toBeGreaterThanOrEqual(11.5);
        expect(s.end).toBeLessThanOrEqual(57);
      }
    }, 120_000);

    it('memory does not grow with the length (2 vs 24 minutes, in a fresh process)', async () => {
      const peak = async (minutes: number, mode: string): Promise<number> => {
        const path = join(work, `repeat-${minutes}.wav`);
        writeRepeatedWav(path, jfk, minutes * 60, 1.5);
        const script = `
          const { createPipeline } = await import(${JSON.stringify(join(pkg, 'src', 'index.ts'))});
          const asr = await createPipeline(${JSON.stringify(dir)}, { inline: true });
          const r = await asr.transcribe(${JSON.stringify(path)}, { language: 'en', maxNewTokens: 1, longForm: ${JSON.stringify(mode)}, batchSize: 4 });
          await asr.dispose();
          console.log(JSON.stringify({ windows: r.windows, maxRss: process.resourceUsage().maxRSS }));`;
        const out = await run(
          process.execPath,
          [
            '--conditions=@distil-whisper/source',
            '--import',
            'tsx',
            '--input-type=module',
            '-e',
            script,
          ],
          { cwd: pkg, maxBuffer: 1 << 20 },
        );
        const res = JSON.parse(out.stdout.trim().split('\n').at(-1) as string) as {
          windows: number;
          maxRss: number;
        };
        expect(res.windows).toBeGreaterThan(minutes);
        return res.maxRss / 1024;
      };
      // A single process's peak wanders by up to ±20 MB (GC timing, when a large buffer is freed
      // relative to the next allocation): the lower of two runs of each length is compared.
      const lowest = async (minutes: number, mode: string): Promise<number> =>
        Math.min(await peak(minutes, mode), await peak(minutes, mode));
      for (const mode of ['sequential', 'chunked']) {
        const short = await lowest(2, mode);
        const longer = await lowest(24, mode);
        console.log(
          `${mode}: peak RSS 2 min ${short.toFixed(0)} MB, 24 min ${longer.toFixed(0)} MB`,
        );
        // 22 more minutes are 84 MB of samples (and 12× the windows): growth well under that,
        // within the allocators' and GC's noise (±10–20 MB run to run; a 40 min run peaks no higher
        // than a 6 min one), shows nothing is kept per minute.
        expect(longer - short).toBeLessThan(40);
      }
    }, 600_000);
  },
);
