// distill() end to end on a small random teacher (multilingual vocabulary, d_model 64) and its
// 2-layer student over synthetic clips: log.jsonl, checkpoints, the final Hugging Face
// directory, evaluation, exact resume (an interrupted run continued from checkpoint-2 gives the
// same step-3 numbers, bit for bit, as the uninterrupted run), and the refusals.
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '@distil-whisper/kernels';
import { createRandomCheckpoint, TrainableDecoder, WhisperModel } from '@distil-whisper/model';

import {
  createStudent,
  distill,
  DistillError,
  trainingStep,
  type DistillOptions,
  type StepLog,
} from '../src';
import { tempDir, writeWav } from './data-helpers';

const DIMS = {
  dModel: 64,
  encoderLayers: 1,
  decoderLayers: 4,
  encoderAttentionHeads: 4,
  decoderAttentionHeads: 4,
  encoderFfnDim: 128,
  decoderFfnDim: 128,
  vocabSize: 51865,
  numMelBins: 80,
  maxSourcePositions: 1500,
  maxTargetPositions: 448,
};

let tmp: ReturnType<typeof tempDir>;
let base: Omit<DistillOptions, 'outputDir'>;

function readLog(dir: string): StepLog[] {
  return readFileSync(join(dir, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as StepLog);
}

beforeAll(() => {
  tmp = tempDir('distill-run');
  const teacher = join(tmp.dir, 'teacher');
  createRandomCheckpoint({ outDir: teacher, dims: DIMS, seed: 5 });
  createStudent({ teacherDir: teacher, outDir: join(tmp.dir, 'student'), decoderLayers: 2 });
  const texts = ['hello world', 'the cat sat', 'a quick test', 'one two three', 'good morning'];
  const lines: string[] = [];
  texts.forEach((text, i) => {
    writeWav(join(tmp.dir, `clip${i}.wav`), 1 + 0.5 * i, { seed: i + 1 });
    lines.push(JSON.stringify({ audio: `clip${i}.wav`, text: ` ${text}` }));
  });
  lines.push(
    JSON.stringify({
      audio: 'clip0.wav',
      text: '<|startoftranscript|><|en|><|transcribe|><|0.00|> Hello there.<|1.00|><|endoftext|>',
      condition_on_prev: [50361, 400, 370],
    }),
  );
  lines.push('{"audio": "clip1.wav"}'); // no text: counted and skipped
  lines.push(JSON.stringify({ audio: 'missing.wav', text: ' gone' })); // skipped at batch time
  writeFileSync(join(tmp.dir, 'train.jsonl'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(tmp.dir, 'eval.jsonl'),
    `${JSON.stringify({ audio: 'clip2.wav', text: 'a quick test' })}\n`,
  );
  base = {
    teacher,
    student: join(tmp.dir, 'student'),
    trainManifest: join(tmp.dir, 'train.jsonl'),
    maxSteps: 3,
    batchSize: 2,
    learningRate: 1e-3,
    warmupSteps: 1,
    lrScheduler: 'linear',
    seed: 3,
    saveSteps: 2,
    weightDecay: 0.01,
    timestampProbability: 0.5,
    conditionOnPrevProbability: 1,
    freezeEmbedPositions: true,
    encoderCacheDir: join(tmp.dir, 'cache'),
  };
});
afterAll(() => tmp?.cleanup());

describe('distill()', () => {
  it('runs, logs every step, checkpoints, evaluates and writes the final student', async () => {
    const out = join(tmp.dir, 'run-a');
    const progress: number[] = [];
    const summary = await distill({
      ...base,
      outputDir: out,
      evalManifest: join(tmp.dir, 'eval.jsonl'),
      onProgress: (p) => progress.push(p.step),
    });
    expect(summary.steps).toBe(3);
    expect(summary.data.badLines).toBe(1);
    expect(summary.data.skippedAudio).toBeGreaterThanOrEqual(1);
    expect(summary.data.problems.some((p) => p.includes('missing.wav'))).toBe(true);
    expect(summary.evals.length).toBe(1);
    expect(Number.isFinite(summary.evals[0]!.wer)).toBe(true);
    const log = readLog(out);
    expect(log.map((l) => l.step)).toEqual([1, 2, 3]);
    for (const l of log) {
      for (const k of ['loss', 'ce_loss', 'kl_loss', 'grad_norm', 'learning_rate', 'seconds'])
        expect(Number.isFinite(l[k as keyof StepLog]), k).toBe(true);
      expect(l.tokens).toBeGreaterThan(0);
      expect(l.loss).toBeCloseTo(0.8 * l.ce_loss + l.kl_loss, 4);
    }
    expect(log[0]!.learning_rate).toBe(0); // HF warmup: the first update uses lr 0
    expect(log[1]!.learning_rate).toBeCloseTo(1e-3, 12);
    expect(progress).toContain(3);
    expect(readdirSync(out).filter((n) => n.startsWith('checkpoint-'))).toEqual([
      'checkpoint-2',
      'checkpoint-3',
    ]);
    for (const f of [
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'tokenizer.json',
    ])
      expect(existsSync(join(out, f)), f).toBe(true);
    const m = WhisperModel.load(out);
    try {
      expect(m.config.decoderLayers).toBe(2);
      expect(m.tensors.get('model.decoder.layers.0.fc1.weight')!.dtype).toBe('f32');
    } finally {
      m.dispose();
    }
  }, 300_000);

  it('resumes from checkpoint-2 exactly where an interrupted run stopped', async () => {
    const out = join(tmp.dir, 'run-b');
    const controller = new AbortController();
    await expect(
      distill({
        ...base,
        outputDir: out,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.step === 2) controller.abort();
        },
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(existsSync(join(out, 'checkpoint-2'))).toBe(true);
    expect(existsSync(join(out, 'checkpoint-3'))).toBe(false);
    // Without --resume or --force the directory is refused.
    await expect(distill({ ...base, outputDir: out })).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
    });
    // Options that change the trajectory are refused on resume.
    await expect(
      distill({ ...base, outputDir: out, resume: true, batchSize: 3 }),
    ).rejects.toMatchObject({ code: 'RESUME_MISMATCH' });
    const summary = await distill({ ...base, outputDir: out, resume: true });
    expect(summary.startStep).toBe(2);
    const resumed = readLog(out);
    const full = readLog(join(tmp.dir, 'run-a'));
    expect(resumed.map((l) => l.step)).toEqual([1, 2, 3]);
    for (const k of ['loss', 'ce_loss', 'kl_loss', 'grad_norm', 'learning_rate', 'tokens'] as const)
      expect(resumed[2]![k], k).toBe(full[2]![k]);
    // The final weights are identical too.
    expect(
      readFileSync(join(out, 'model.safetensors')).equals(
        readFileSync(join(tmp.dir, 'run-a', 'model.safetensors')),
      ),
    ).toBe(true);
  }, 300_000);

  it('starts over with force, keeping nothing of the old run', async () => {
    const out = join(tmp.dir, 'run-c');
    cpSync(join(tmp.dir, 'run-a'), out, { recursive: true });
    const summary = await distill({
      ...base,
      outputDir: out,
      force: true,
      maxSteps: 1,
      saveSteps: 0,
    });
    expect(summary.steps).toBe(1);
    expect(readLog(out).map((l) => l.step)).toEqual([1]);
    expect(readdirSync(out).filter((n) => n.startsWith('checkpoint-'))).toEqual(['checkpoint-1']);
  }, 300_000);

  it('refuses a teacher and student of different widths before any work', async () => {
    const other = join(tmp.dir, 'wide');
    createRandomCheckpoint({
      outDir: other,
      dims: { ...DIMS, dModel: 32, decoderLayers: 2 },
      seed: 9,
    });
    const err = await distill({ ...base, student: other, outputDir: join(tmp.dir, 'run-d') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DistillError);
    expect((err as DistillError).code).toBe('INCOMPATIBLE_MODELS');
    expect(existsSync(join(tmp.dir, 'run-d', 'log.jsonl'))).toBe(false);
  }, 120_000);

  it('stops on a non-finite loss before any update, leaving the weights and checkpoints intact', async () => {
    const teacher = WhisperModel.load(base.teacher);
    const student = new TrainableDecoder(WhisperModel.load(base.student));
    try {
      const before = student.store.weights.toFloat32();
      const states = Tensor.from(new Float32Array(2 * 1500 * 64).fill(Number.NaN), [2, 1500, 64]);
      const mb = {
        decoderInputIds: Int32Array.from([50258, 50259, 50359, 50363, 50258, 50259, 50359, 50363]),
        labels: Int32Array.from([50259, 50359, 50363, 400, 50259, 50359, 50363, 400]),
        batchSize: 2,
        length: 4,
        encoderStates: states,
      };
      expect(() => trainingStep(teacher, student, [mb], { learningRate: 1e-3, step: 1 })).toThrow(
        expect.objectContaining({ code: 'NON_FINITE_LOSS' }),
      );
      const after = student.store.weights.toFloat32();
      expect(Buffer.from(after.buffer).equals(Buffer.from(before.buffer))).toBe(true);
      states.dispose();
    } finally {
      student.dispose();
      student.model.dispose();
      teacher.dispose();
    }
    // In a run, the checkpoints already written stay as they were.
    const out = join(tmp.dir, 'run-a');
    const ckpt = readFileSync(join(out, 'checkpoint-3', 'model.safetensors'));
    expect(ckpt.length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses impossible options with typed errors', async () => {
    for (const bad of [{ maxSteps: 0 }, { batchSize: 0 }, { learningRate: -1 }, { temperature: 0 }])
      await expect(
        distill({ ...base, outputDir: join(tmp.dir, 'run-e'), ...bad }),
      ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
