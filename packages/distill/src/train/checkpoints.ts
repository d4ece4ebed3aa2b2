// Training checkpoints `<output-dir>/checkpoint-N/`: a complete Hugging Face student directory
// (the trained parameters in f32, every frozen tensor as loaded, tokenizer and preprocessor
// files), the AdamW moments, and the trainer's state (step, data position, options that must not
// change on resume). Each checkpoint is written into a temporary sibling and renamed into place,
// so a crash mid-save leaves the previous checkpoints untouched and never a partial one.
import {
  closeSync,
  copyFileSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { Tensor, tidy } from '@distil-whisper/kernels';
import {
  readSafetensorsHeader,
  readSafetensorsTensor,
  saveCheckpoint,
  writeDirectoryAtomic,
  writeSafetensors,
  type TrainableDecoder,
} from '@distil-whisper/model';

import type { BatchPosition } from '../data/batches.js';
import { DistillError } from '../errors.js';
import { STUDENT_SIDE_FILES } from '../student/create-student.js';

/** File of the AdamW moments inside a checkpoint. */
export const OPTIMIZER_FILE = 'optimizer.safetensors';
/** File of the trainer state inside a checkpoint. */
export const TRAINER_STATE_FILE = 'trainer_state.json';

/** What a checkpoint records besides tensors. JSON. */
export interface TrainerState {
  /** Optimizer steps done. */
  step: number;
  /** Data position of the next batch. */
  position: BatchPosition;
  /** Options that must be equal on resume for the run to continue exactly (name → value). */
  fingerprint: Record<string, string | number | boolean | null>;
  /** Wall time spent training so far (seconds). */
  seconds: number;
  /** Label tokens seen so far. */
  tokens: number;
}

/** Directory name of the checkpoint of `step`. */
export function checkpointName(step: number): string {
  return `checkpoint-${step}`;
}

/**
 * Writes `checkpoint-<step>` into `outputDir` atomically.
 *
 * @param sideFilesFrom directory whose tokenizer / preprocessor files are copied in
 */
export function saveTrainingCheckpoint(
  outputDir: string,
  student: TrainableDecoder,
  state: TrainerState,
  sideFilesFrom: string,
): string {
  const dir = join(outputDir, checkpointName(state.step));
  writeDirectoryAtomic(
    dir,
    (tmp) => {
      writeStudentDirectory(tmp, student, sideFilesFrom);
      const moments = student.store.decls.flatMap((d) => {
        const v = student.store.get(d.name);
        return [
          { name: `exp_avg.${d.name}`, tensor: v.m },
          { name: `exp_avg_sq.${d.name}`, tensor: v.v },
        ];
      });
      writeSafetensors(join(tmp, OPTIMIZER_FILE), moments, { format: 'pt' });
      writeFileSyncJson(join(tmp, TRAINER_STATE_FILE), state);
    },
    { force: true },
  );
  return dir;
}

// Inside a temporary directory that is renamed into place as a whole, a plain write suffices.
function writeFileSyncJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Writes the student as a Hugging Face directory into `dir` (which must be empty or absent):
 * config, generation config, model.safetensors (trained parameters f32, the rest as loaded)
 * and the tokenizer / preprocessor files found in `sideFilesFrom`.
 */
export function writeStudentDirectory(
  dir: string,
  student: TrainableDecoder,
  sideFilesFrom: string,
): void {
  const model = student.model;
  saveCheckpoint(dir, {
    config: model.config,
    generationConfig: model.generationConfig,
    tensors: student.currentTensors(),
    kind: model.kind,
  });
  for (const f of STUDENT_SIDE_FILES) {
    const src = join(sideFilesFrom, f);
    if (existsSync(src) && !existsSync(join(dir, f))) copyFileSync(src, join(dir, f));
  }
}

/** Steps of the complete checkpoints in `outputDir`, ascending. */
export function listCheckpoints(outputDir: string): number[] {
  if (!existsSync(outputDir)) return [];
  const steps: number[] = [];
  for (const name of readdirSync(outputDir)) {
    const m = /^checkpoint-(\d+)$/.exec(name);
    if (!m) continue;
    const dir = join(outputDir, name);
    if (
      statSync(dir).isDirectory() &&
      existsSync(join(dir, TRAINER_STATE_FILE)) &&
      existsSync(join(dir, OPTIMIZER_FILE))
    )
      steps.push(Number(m[1]));
  }
  return steps.sort((a, b) => a - b);
}

/** Reads a checkpoint's trainer state. */
export function readTrainerState(dir: string): TrainerState {
  const path = join(dir, TRAINER_STATE_FILE);
  let state: TrainerState;
  try {
    state = JSON.parse(readFileSync(path, 'utf8')) as TrainerState;
  } catch (err) {
    throw new DistillError('CHECKPOINT_INVALID', `cannot read ${path}: ${(err as Error).message}`, {
      path,
      cause: err,
    });
  }
  if (
    !Number.isInteger(state.step) ||
    state.step < 0 ||
    typeof state.position !== 'object' ||
    state.position === null
  )
    throw new DistillError('CHECKPOINT_INVALID', `${path} does not hold a valid trainer state`, {
      path,
    });
  return state;
}

/**
 * Loads a checkpoint's AdamW moments into the student's store (its weights come with the
 * checkpoint's model directory, loaded as the student).
 */
export function loadOptimizerMoments(dir: string, student: TrainableDecoder): void {
  const path = join(dir, OPTIMIZER_FILE);
  const header = readSafetensorsHeader(path);
  const fd = openSync(path, 'r');
  try {
    loadMoments(path, fd, header, student);
  } finally {
    closeSync(fd);
  }
}

function loadMoments(
  path: string,
  fd: number,
  header: ReturnType<typeof readSafetensorsHeader>,
  student: TrainableDecoder,
): void {
  for (const d of student.store.decls) {
    const views = student.store.get(d.name);
    for (const [key, target] of [
      [`exp_avg.${d.name}`, views.m],
      [`exp_avg_sq.${d.name}`, views.v],
    ] as const) {
      const entry = header.tensors.get(key);
      if (!entry || entry.dtype !== 'F32')
        throw new DistillError(
          'CHECKPOINT_INVALID',
          `${path} lacks an f32 ${key}: the checkpoint does not belong to this student`,
          { path },
        );
      tidy(() => {
        const t: Tensor = readSafetensorsTensor(fd, header, key);
        target.assign(t);
      });
    }
  }
}

/** Deletes all but the newest `keep` checkpoints (never the one just written). */
export function pruneCheckpoints(outputDir: string, keep: number): void {
  if (!(keep > 0)) return;
  const steps = listCheckpoints(outputDir);
  for (const step of steps.slice(0, Math.max(0, steps.length - keep)))
    rmSync(join(outputDir, checkpointName(step)), { recursive: true, force: true });
}
