// Shipped students: a trained student written as its difference from the teacher, then rebuilt
// from the teacher byte for byte; a wrong teacher is refused before anything is written.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandomCheckpoint, loadCheckpoint, WhisperModel } from '@distil-whisper/model';

import {
  assembleStudent,
  createStudent,
  distill,
  exportStudentDelta,
  readStudentDelta,
  STUDENT_DELTA_FILES,
} from '../src';
import { tempDir, writeWav } from './data-helpers';

const DIMS = {
  dModel: 64,
  encoderLayers: 1,
  decoderLayers: 3,
  encoderAttentionHeads: 4,
  decoderAttentionHeads: 4,
  encoderFfnDim: 128,
  decoderFfnDim: 128,
  vocabSize: 51865,
};
let tmp: ReturnType<typeof tempDir>;
let teacher: string;
let trained: string;

beforeAll(async () => {
  tmp = tempDir('student-delta');
  teacher = join(tmp.dir, 'teacher');
  createRandomCheckpoint({ outDir: teacher, dims: DIMS, dtype: 'f16', seed: 1 });
  createStudent({ teacherDir: teacher, outDir: join(tmp.dir, 'student'), decoderLayers: 2 });
  writeWav(join(tmp.dir, 'a.wav'), 1.5);
  writeWav(join(tmp.dir, 'b.wav'), 2, { seed: 2 });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    join(tmp.dir, 'train.jsonl'),
    `${JSON.stringify({ audio: 'a.wav', text: ' hello' })}\n${JSON.stringify({ audio: 'b.wav', text: ' world' })}\n`,
  );
  trained = join(tmp.dir, 'run');
  await distill({
    teacher,
    student: join(tmp.dir, 'student'),
    trainManifest: join(tmp.dir, 'train.jsonl'),
    outputDir: trained,
    maxSteps: 2,
    batchSize: 2,
    learningRate: 1e-3,
    freezeEmbedPositions: true,
    freezeEmbedTokens: true,
    encoderCacheDir: join(tmp.dir, 'cache'),
  });
}, 300_000);
afterAll(() => tmp?.cleanup());

describe('student deltas', () => {
  it('store only what training changed and rebuild the student exactly', () => {
    const delta = join(tmp.dir, 'delta');
    const { meta, deltaBytes } = exportStudentDelta({
      studentDir: trained,
      teacherDir: teacher,
      outDir: delta,
      provenance: { test: true },
    });
    const stored = meta.tensors.filter((t) => t.source === 'delta').map((t) => t.name);
    // The trained decoder layers and final norm; the frozen embeddings and encoder come from the teacher.
    expect(
      stored.every(
        (n) => n.startsWith('model.decoder.layers.') || n.startsWith('model.decoder.layer_norm'),
      ),
    ).toBe(true);
    expect(stored).toContain('model.decoder.layers.1.fc2.weight');
    expect(meta.tensors.find((t) => t.name === 'model.decoder.embed_tokens.weight')!.source).toBe(
      'teacher',
    );
    expect(statSync(join(delta, STUDENT_DELTA_FILES.weights)).size).toBeGreaterThanOrEqual(
      deltaBytes,
    );
    expect(readStudentDelta(delta).provenance).toEqual({ test: true });

    const out = join(tmp.dir, 'assembled');
    const r = assembleStudent({ teacherDir: teacher, deltaDir: delta, outDir: out });
    expect(r.deltaTensors).toBe(stored.length);
    const a = loadCheckpoint(out);
    const b = loadCheckpoint(trained);
    try {
      expect([...a.tensors.keys()].sort()).toEqual([...b.tensors.keys()].sort());
      for (const [name, t] of a.tensors) {
        const ref = b.tensors.get(name)!;
        // Trained f32 tensors come back as f16 (the delta's dtype): compare in f16.
        const x = t.cast('f16').toArray();
        const y = ref.cast('f16').toArray();
        expect(Buffer.from(x.buffer).equals(Buffer.from(y.buffer)), name).toBe(true);
      }
      expect(a.config.decoderLayers).toBe(2);
    } finally {
      for (const t of [...a.tensors.values(), ...b.tensors.values()]) t.dispose();
    }
    expect(existsSync(join(out, 'tokenizer.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(join(trained, 'config.json'), 'utf8')),
    );
    const m = WhisperModel.load(out);
    m.dispose();
  }, 120_000);

  it('refuses another teacher before writing anything', () => {
    const other = join(tmp.dir, 'other');
    createRandomCheckpoint({ outDir: other, dims: DIMS, dtype: 'f16', seed: 2 });
    const out = join(tmp.dir, 'never');
    expect(() =>
      assembleStudent({ teacherDir: other, deltaDir: join(tmp.dir, 'delta'), outDir: out }),
    ).toThrow(expect.objectContaining({ code: 'TEACHER_MISMATCH' }));
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a directory that is not a delta', () => {
    expect(() => readStudentDelta(teacher)).toThrow(
      expect.objectContaining({ code: 'STUDENT_DELTA_INVALID' }),
    );
  });
});
