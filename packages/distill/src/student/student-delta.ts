// A distilled student shipped as the difference from its teacher: the tensors training changed
// (e.g. the two decoder layers and the final norm, ~17 MB in f16 for whisper base) in
// `student.safetensors`, and `student.json` naming every other tensor by the teacher's tensor of
// the same name with the sha256 of its stored bytes. `assembleStudent` rebuilds the complete
// Hugging Face directory from a fetched teacher after checking every hash, so a user gets the
// exact student without training it and without us redistributing the teacher's weights.
import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { Tensor, tidy } from '@distil-whisper/kernels';
import {
  loadCheckpoint,
  parseGenerationConfig,
  parseWhisperConfig,
  readCheckpointHeaders,
  readSafetensorsHeader,
  readSafetensorsTensor,
  saveCheckpoint,
  writeDirectoryAtomic,
  writeSafetensors,
  type CheckpointTensorEntry,
  type SafetensorsDType,
  type SafetensorsSource,
} from '@distil-whisper/model';

import { DistillError } from '../errors.js';
import { STUDENT_SIDE_FILES } from './create-student.js';

/** File names of a student delta directory. */
export const STUDENT_DELTA_FILES = {
  meta: 'student.json',
  weights: 'student.safetensors',
} as const;

/** One tensor of a student as `student.json` records it. */
export type StudentTensorRecord =
  | {
      name: string;
      /** Taken from the teacher's tensor of the same name, whose stored bytes hash to `sha256`. */
      source: 'teacher';
      sha256: string;
      dtype: string;
      shape: number[];
    }
  | { name: string; source: 'delta'; dtype: string; shape: number[] };

/** Contents of `student.json`. */
export interface StudentDeltaMeta {
  format: 'distil-whisper-student-delta';
  version: 1;
  /** The student's config.json (complete). */
  config: Record<string, unknown>;
  /** The student's generation_config.json, when it has one. */
  generationConfig: Record<string, unknown> | null;
  /** Every tensor of the student, in name order. */
  tensors: StudentTensorRecord[];
  /** Free-form provenance: teacher description, training command, results. */
  provenance: Record<string, unknown>;
}

/** Options of {@link exportStudentDelta}. */
export interface ExportStudentDeltaOptions {
  /** A trained student checkpoint directory (e.g. a `distill` output directory). */
  studentDir: string;
  /** Its teacher (the checkpoint that will be fetched to rebuild it). */
  teacherDir: string;
  /** Where `student.json` and `student.safetensors` go (written atomically). */
  outDir: string;
  /** Stored dtype of the delta tensors. Default `'f16'` (the teacher's dtype for whisper base). */
  dtype?: 'f16' | 'f32' | 'bf16';
  /** Recorded in `student.json`. */
  provenance?: Record<string, unknown>;
  /** Replace a non-empty `outDir`. */
  force?: boolean;
}

/** Raw stored bytes of a checkpoint tensor. */
function rawBytes(entry: CheckpointTensorEntry): Buffer {
  const buf = Buffer.allocUnsafe(entry.byteLength);
  const fd = openSync(entry.path, 'r');
  try {
    for (let done = 0; done < entry.byteLength;) {
      const n = readSync(fd, buf, done, entry.byteLength - done, entry.offset + done);
      if (n <= 0) throw new Error(`${entry.path}: unexpected end of file`);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const bytesOf = (t: Tensor): Uint8Array => {
  const a = t.toArray();
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
};

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

const NATIVE: Record<string, 'f16' | 'f32' | 'bf16'> = { F16: 'f16', F32: 'f32', BF16: 'bf16' };
const STORED: Record<'f16' | 'f32' | 'bf16', SafetensorsDType> = {
  f16: 'F16',
  f32: 'F32',
  bf16: 'BF16',
};

/**
 * Writes the difference between a trained student and its teacher: a tensor whose bytes, in the
 * teacher's dtype, equal the teacher's tensor of the same name is referenced by hash; every other
 * tensor is stored in `dtype`.
 *
 * @returns the metadata written and the stored tensors' size in bytes
 * @example
 * ```ts
 * exportStudentDelta({ studentDir: 'run1', teacherDir: 'whisper-base', outDir: 'students/base-2l' });
 * ```
 */
export function exportStudentDelta(options: ExportStudentDeltaOptions): {
  meta: StudentDeltaMeta;
  deltaBytes: number;
} {
  const dtype = options.dtype ?? 'f16';
  const student = loadCheckpoint(options.studentDir);
  try {
    const teacherEntries = readCheckpointHeaders(options.teacherDir);
    const records: StudentTensorRecord[] = [];
    const stored: SafetensorsSource[] = [];
    let deltaBytes = 0;
    for (const name of [...student.tensors.keys()].sort()) {
      const t = student.tensors.get(name)!;
      const te = teacherEntries.get(name);
      const target = te ? NATIVE[te.dtype] : undefined;
      if (
        te &&
        target &&
        te.shape.length === t.shape.length &&
        te.shape.every((n, i) => n === t.shape[i])
      ) {
        const teacherBytes = rawBytes(te);
        const same = tidy(() =>
          Buffer.from(bytesOf(t.dtype === target ? t : t.cast(target))).equals(teacherBytes),
        );
        if (same) {
          records.push({
            name,
            source: 'teacher',
            sha256: sha256(teacherBytes),
            dtype: te.dtype,
            shape: [...te.shape],
          });
          continue;
        }
      }
      records.push({ name, source: 'delta', dtype: STORED[dtype], shape: [...t.shape] });
      deltaBytes += t.size * (dtype === 'f32' ? 4 : 2);
      stored.push({
        name,
        dtype: STORED[dtype],
        shape: t.shape,
        write: (sink) => tidy(() => sink(bytesOf(t.dtype === dtype ? t : t.cast(dtype)))),
      });
    }
    const genPath = join(options.studentDir, 'generation_config.json');
    const meta: StudentDeltaMeta = {
      format: 'distil-whisper-student-delta',
      version: 1,
      config: readJson(join(options.studentDir, 'config.json')),
      generationConfig: existsSync(genPath) ? readJson(genPath) : null,
      tensors: records,
      provenance: options.provenance ?? {},
    };
    writeDirectoryAtomic(
      options.outDir,
      (tmp) => {
        writeSafetensors(join(tmp, STUDENT_DELTA_FILES.weights), stored, { format: 'pt' });
        writeFileSync(join(tmp, STUDENT_DELTA_FILES.meta), `${JSON.stringify(meta, null, 1)}\n`);
      },
      { force: options.force ?? false },
    );
    return { meta, deltaBytes };
  } finally {
    for (const t of student.tensors.values()) t.dispose();
  }
}

/** Options of {@link assembleStudent}. */
export interface AssembleStudentOptions {
  /** The teacher checkpoint directory (e.g. from tools/real-weights/fetch.sh base). */
  teacherDir: string;
  /** A student delta directory (`student.json` + `student.safetensors`). */
  deltaDir: string;
  /** Output Hugging Face directory (written atomically). */
  outDir: string;
  /** Replace a non-empty `outDir`. */
  force?: boolean;
}

/** Reads and validates a delta's `student.json`. */
export function readStudentDelta(deltaDir: string): StudentDeltaMeta {
  const path = join(deltaDir, STUDENT_DELTA_FILES.meta);
  let meta: StudentDeltaMeta;
  try {
    meta = JSON.parse(readFileSync(path, 'utf8')) as StudentDeltaMeta;
  } catch (err) {
    throw new DistillError(
      'STUDENT_DELTA_INVALID',
      `cannot read ${path}: ${(err as Error).message}`,
      { path, cause: err },
    );
  }
  if (
    meta.format !== 'distil-whisper-student-delta' ||
    meta.version !== 1 ||
    !Array.isArray(meta.tensors)
  )
    throw new DistillError('STUDENT_DELTA_INVALID', `${path} is not a version-1 student delta`, {
      path,
    });
  return meta;
}

/**
 * Rebuilds a complete Hugging Face student directory from its delta and the teacher: every
 * tensor referenced by the delta is taken from the teacher after its sha256 is checked, the
 * stored ones from `student.safetensors`; config and generation config from `student.json`; the
 * tokenizer and preprocessor files from the teacher.
 *
 * @throws {@link DistillError} `TEACHER_MISMATCH` (naming every tensor that is missing or differs)
 *   before anything is written, `STUDENT_DELTA_INVALID` for an unreadable or inconsistent delta
 * @example
 * ```ts
 * assembleStudent({ teacherDir: 'whisper-base', deltaDir: STUDENT_WHISPER_BASE_2L, outDir: 'student' });
 * ```
 */
export function assembleStudent(options: AssembleStudentOptions): {
  outDir: string;
  teacherTensors: number;
  deltaTensors: number;
} {
  const meta = readStudentDelta(options.deltaDir);
  const teacherEntries = readCheckpointHeaders(options.teacherDir);
  const problems: string[] = [];
  for (const r of meta.tensors) {
    if (r.source !== 'teacher') continue;
    const e = teacherEntries.get(r.name);
    if (!e) problems.push(`${r.name}: not in the teacher`);
    else if (e.dtype !== r.dtype || sha256(rawBytes(e)) !== r.sha256)
      problems.push(`${r.name}: differs from the teacher the student was trained from`);
  }
  if (problems.length > 0)
    throw new DistillError(
      'TEACHER_MISMATCH',
      `${options.teacherDir} is not the teacher this student was distilled from (${problems.length} tensors differ or are missing, e.g. ${problems[0]}); fetch the right teacher (see the student's provenance)`,
      { problems, path: options.teacherDir },
    );
  const config = parseWhisperConfig(meta.config);
  const generationConfig = meta.generationConfig
    ? parseGenerationConfig(
        meta.generationConfig,
        config,
        join(options.deltaDir, STUDENT_DELTA_FILES.meta),
      )
    : undefined;
  const deltaPath = join(options.deltaDir, STUDENT_DELTA_FILES.weights);
  const header = readSafetensorsHeader(deltaPath);
  const teacher = loadCheckpoint(options.teacherDir);
  const tensors = new Map<string, Tensor>();
  const fd = openSync(deltaPath, 'r');
  try {
    for (const r of meta.tensors) {
      if (r.source === 'teacher') {
        tensors.set(r.name, teacher.tensors.get(r.name)!);
        continue;
      }
      if (!header.tensors.has(r.name))
        throw new DistillError('STUDENT_DELTA_INVALID', `${deltaPath} lacks ${r.name}`, {
          path: deltaPath,
        });
      tensors.set(r.name, readSafetensorsTensor(fd, header, r.name));
    }
    writeDirectoryAtomic(
      options.outDir,
      (tmp) => {
        saveCheckpoint(tmp, {
          config,
          ...(generationConfig
            ? { generationConfig }
            : { generationConfig: teacher.generationConfig }),
          tensors,
        });
        // Keep every key of the original JSON files (the typed writers keep only known ones).
        writeFileSync(join(tmp, 'config.json'), `${JSON.stringify(meta.config, null, 2)}\n`);
        if (meta.generationConfig)
          writeFileSync(
            join(tmp, 'generation_config.json'),
            `${JSON.stringify(meta.generationConfig, null, 2)}\n`,
          );
        for (const f of STUDENT_SIDE_FILES) {
          const src = join(options.teacherDir, f);
          if (existsSync(src)) copyFileSync(src, join(tmp, f));
        }
      },
      { force: options.force ?? false },
    );
  } finally {
    closeSync(fd);
    for (const t of tensors.values()) t.dispose();
    for (const t of teacher.tensors.values()) t.dispose();
  }
  const deltaTensors = meta.tensors.filter((r) => r.source === 'delta').length;
  return {
    outDir: resolve(options.outDir),
    teacherTensors: meta.tensors.length - deltaTensors,
    deltaTensors,
  };
}

/** Students shipped with this package, by name (each a delta directory under `students/`). */
export const SHIPPED_STUDENTS = ['whisper-base-2l'] as const;
/** Name of a shipped student. */
export type ShippedStudentName = (typeof SHIPPED_STUDENTS)[number];

/**
 * Directory of a shipped student delta, found by walking up from this module to the package
 * root (the same from `src/` and from `dist/`).
 *
 * @throws {@link DistillError} `STUDENT_DELTA_INVALID` when the package does not contain it
 */
export function shippedStudentDir(name: ShippedStudentName): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'students', name);
    if (existsSync(join(candidate, STUDENT_DELTA_FILES.meta))) return candidate;
    dir = dirname(dir);
  }
  throw new DistillError(
    'STUDENT_DELTA_INVALID',
    `the shipped student ${name} is not in this installation of @distil-whisper/distill`,
  );
}
