// `distil-whisper distill` end to end through the CLI on a random teacher (multilingual
// vocabulary, d_model 64) and its 2-layer student: exit codes, summary, log.jsonl, refusal of a
// non-empty output directory, --resume, and typed errors for bad flags.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudent } from '@distil-whisper/distill';
import { createRandomCheckpoint } from '@distil-whisper/model';

import { makeWav, testSignal } from '../../audio/test/wav-builder';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');
const cli = ['--conditions=@distil-whisper/source', '--import', 'tsx', join(pkg, 'src', 'cli.ts')];
const work = mkdtempSync(join(tmpdir(), 'dw-cli-distill-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function distilWhisper(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [...cli, ...args], { cwd: pkg });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('distil-whisper distill', () => {
  const teacher = join(work, 'teacher');
  const student = join(work, 'student');
  const manifest = join(work, 'train.jsonl');
  const common = (out: string): string[] => [
    'distill',
    '--teacher',
    teacher,
    '--student',
    student,
    '--train-manifest',
    manifest,
    '--output-dir',
    out,
    '--batch-size',
    '2',
    '--learning-rate',
    '1e-3',
    '--encoder-cache',
    join(work, 'cache'),
  ];
  beforeAll(() => {
    createRandomCheckpoint({
      outDir: teacher,
      dims: {
        dModel: 64,
        encoderLayers: 1,
        decoderLayers: 3,
        encoderAttentionHeads: 4,
        decoderAttentionHeads: 4,
        encoderFfnDim: 128,
        decoderFfnDim: 128,
        vocabSize: 51865,
      },
      seed: 2,
    });
    createStudent({ teacherDir: teacher, outDir: student, decoderLayers: 2 });
    const lines = ['hello world', 'good morning', 'the end'].map((text, i) => {
      writeFileSync(
        join(work, `c${i}.wav`),
        makeWav({ channels: [testSignal(16000 + 8000 * i, i + 1)], sampleRate: 16000 }),
      );
      return JSON.stringify({ audio: `c${i}.wav`, text: ` ${text}` });
    });
    writeFileSync(manifest, `${lines.join('\n')}\n{"audio": 3}\n`);
  });

  it('trains, prints a summary and writes log.jsonl and the student', async () => {
    const out = join(work, 'run');
    const r = await distilWhisper(...common(out), '--max-steps', '2', '--save-steps', '1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained steps 1–2/);
    expect(r.stdout).toMatch(/1 bad manifest lines/);
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n');
    expect(log).toHaveLength(2);
    expect(Object.keys(JSON.parse(log[0]!) as object)).toEqual([
      'step',
      'loss',
      'ce_loss',
      'kl_loss',
      'grad_norm',
      'learning_rate',
      'tokens',
      'seconds',
    ]);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    // A second run into the same directory is refused without --resume / --force ...
    const again = await distilWhisper(...common(out), '--max-steps', '3');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/OUTPUT_EXISTS/);
    // ... and continues with --resume.
    const resumed = await distilWhisper(...common(out), '--max-steps', '3', '--resume');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming from .*checkpoint-2/);
    expect(readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
  }, 300_000);

  it('rejects bad flags with a clear message', async () => {
    const out = join(work, 'bad');
    for (const [flag, value] of [
      ['--max-steps', '0'],
      ['--timestamp-probability', '1.5'],
      ['--learning-rate', 'abc'],
    ] as const) {
      const r = await distilWhisper(...common(out), '--max-steps', '1', flag, value);
      expect(r.code).not.toBe(0);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
  }, 120_000);
});
