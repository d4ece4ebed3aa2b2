// Student initialisation from a teacher checkpoint directory, as distil-whisper's
// training/create_student_model.py does it (spec: shared/spec/WAVE2.md §A1): same config with
// fewer layers, every teacher tensor copied, student layer i taken from teacher layer map[i].
// Tensors are copied as stored bytes straight from the teacher's safetensors files (no dtype
// conversion, no native memory), and the output directory is written atomically.
import {
  closeSync,
  copyFileSync,
  existsSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { join, resolve } from 'node:path';

import {
  assertOutputOutside,
  checkpointKind,
  CheckpointError,
  parseGenerationConfig,
  parseWhisperConfig,
  readCheckpointConfigs,
  readCheckpointHeaders,
  tensorProblems,
  TOKENIZER_FILES,
  writeDirectoryAtomic,
  writeFileAtomic,
  writeSafetensors,
  type CheckpointTensorEntry,
  type SafetensorsDType,
  type SafetensorsSource,
  type WhisperConfig,
} from '@distil-whisper/model';

import { DistillError } from '../errors.js';
import { resolveLayerMap } from './layer-map.js';
import { studentConfigJson, studentGenerationConfigJson } from './student-config.js';
import { parameterCounts, planStudentTensors, type ParameterCounts } from './tensor-plan.js';

/**
 * Files copied verbatim from the teacher directory when present: the tokenizer side files the
 * model package lists, and the feature extractor's preprocessor_config.json (what
 * `WhisperProcessor.save_pretrained` writes in create_student_model.py).
 */
export const STUDENT_SIDE_FILES: readonly string[] = [
  ...TOKENIZER_FILES,
  'preprocessor_config.json',
];

/** Options of {@link createStudent}. */
export interface CreateStudentOptions {
  /** Teacher checkpoint directory (Hugging Face layout; single or sharded safetensors). */
  teacherDir: string;
  /** Student directory to write. Must not be, contain or lie inside `teacherDir`. */
  outDir: string;
  /**
   * Student decoder layers. Default: 2 (distil-whisper's default), or the number of
   * `decoderLayerIds` when those are given.
   */
  decoderLayers?: number;
  /**
   * Student encoder layers. Default: the teacher's, and the encoder is copied whole (the official
   * distil-whisper models keep the full encoder). When given, the encoder is mapped like the
   * decoder (the teacher's count gives the identity map).
   */
  encoderLayers?: number;
  /**
   * Teacher decoder layer for each student decoder layer, in student order (0-based, no repeats),
   * instead of the maximally spaced choice. Default: `maxSpacedLayerMap(teacher, decoderLayers)`.
   */
  decoderLayerIds?: readonly number[];
  /** Same for the encoder; implies a mapped encoder of `encoderLayerIds.length` layers. */
  encoderLayerIds?: readonly number[];
  /** Replace a non-empty `outDir` whole. Default: false (refused with `WriteError` `OUTPUT_EXISTS`). */
  force?: boolean;
}

/** Result of {@link createStudent}. */
export interface CreateStudentResult {
  /** Absolute path of the written student directory. */
  outDir: string;
  /** The student's config (the teacher's with the layer counts replaced). */
  config: WhisperConfig;
  /** The teacher's config. */
  teacherConfig: WhisperConfig;
  /** `decoderLayerMap[i]` = teacher decoder layer copied into student decoder layer `i`. */
  decoderLayerMap: number[];
  /** Same for the encoder (the identity when the encoder is copied whole). */
  encoderLayerMap: number[];
  /** Whether the encoder was remapped (`encoderLayers` or `encoderLayerIds` given). */
  encoderMapped: boolean;
  /** Parameter counts of teacher and student, by part. */
  parameters: { teacher: ParameterCounts; student: ParameterCounts };
  /** Every file written into `outDir`, sorted. */
  files: string[];
  /** Size of the student's model.safetensors in bytes. */
  weightBytes: number;
}

function readJsonObject(path: string): Record<string, unknown> {
  // readCheckpointConfigs has parsed and validated the same files already.
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

function checkOptions(options: CreateStudentOptions): void {
  const problems: string[] = [];
  for (const key of ['teacherDir', 'outDir'] as const)
    if (typeof options[key] !== 'string' || options[key].length === 0)
      problems.push(`${key} must be a directory path`);
  for (const key of ['decoderLayerIds', 'encoderLayerIds'] as const)
    if (options[key] !== undefined && !Array.isArray(options[key]))
      problems.push(`${key} must be an array of teacher layer numbers`);
  if (problems.length > 0)
    throw new DistillError('INVALID_ARGUMENT', problems.join('; '), { problems });
}

/** Bytes copied per read when streaming a teacher tensor into the student file. */
const CHUNK_BYTES = 8 << 20;

/** A safetensors source that streams one teacher tensor's stored bytes unchanged. */
function copiedTensor(
  name: string,
  entry: CheckpointTensorEntry,
  fdOf: (path: string) => number,
  scratch: Uint8Array,
): SafetensorsSource {
  return {
    name,
    dtype: entry.dtype as SafetensorsDType,
    shape: entry.shape,
    write: (sink) => {
      const fd = fdOf(entry.path);
      for (let done = 0; done < entry.byteLength;) {
        const want = Math.min(scratch.byteLength, entry.byteLength - done);
        const n = readSync(fd, scratch, 0, want, entry.offset + done);
        if (n === 0)
          throw new CheckpointError(
            'SAFETENSORS_INVALID',
            `${entry.path} was truncated while copying ${name}`,
            {
              path: entry.path,
            },
          );
        sink(scratch.subarray(0, n));
        done += n;
      }
    },
  };
}

/**
 * Creates a student checkpoint from a teacher checkpoint directory, following distil-whisper's
 * `create_student_model.py` (WAVE2 §A1):
 *
 * - config.json: the teacher's, with `decoder_layers` (default 2) and `encoder_layers` (default:
 *   the teacher's) replaced; every other key kept, so transformers loads the result unchanged.
 * - weights: every teacher tensor the student has is copied (conv stem, encoder, positional
 *   embeddings, token embedding — tied to `proj_out` —, every layer norm including the decoder's
 *   final `layer_norm`); student decoder layer `i` comes from teacher layer `decoderLayerMap[i]`,
 *   where the map is `floor(linspace(0, L−1, N))` with the last entry forced to `L−1` (32→2
 *   `[0, 31]`, 6→2 `[0, 5]`, 12→4 `[0, 3, 7, 11]`) or `decoderLayerIds`. The encoder is copied whole
 *   unless `encoderLayers` / `encoderLayerIds` is given; then it is mapped the same way. Tensors
 *   keep their stored dtype and bytes (no conversion); a sharded teacher gives a single
 *   model.safetensors, tensors sorted by name.
 * - generation_config.json: the teacher's without `forced_decoder_ids`. Everything else is kept,
 *   including `alignment_heads`, which may then name decoder layers the student lacks
 *   (word-timestamp code skips those; re-derive the heads after training for word timestamps).
 * - side files: tokenizer files and preprocessor_config.json ({@link STUDENT_SIDE_FILES}) copied
 *   when present.
 *
 * Everything is checked before anything is written: the teacher's configs and every safetensors
 * header (not its data), that it is an encoder-decoder checkpoint whose tensors match its config,
 * the layer counts and ids, and the output directory. The directory is written atomically (a
 * temporary sibling renamed into place); an existing non-empty `outDir` is replaced only with
 * `force`.
 *
 * @returns the layer maps, both configs, parameter counts before and after, the files written
 * @throws {@link DistillError} `TEACHER_UNSUPPORTED` (decoder-only teacher), `LAYERS_INVALID`
 *   (counts above the teacher's or below 1, bad ids), `INVALID_ARGUMENT`;
 *   `CheckpointError` (`FILE_NOT_FOUND`, `CONFIG_INVALID`, `SAFETENSORS_INVALID`,
 *   `INDEX_INVALID`, `TENSORS_MISMATCH`) for an unusable teacher; `WriteError` `OUTPUT_EXISTS`
 *   (non-empty `outDir` without `force`), `OUTPUT_INVALID` (`outDir` overlaps `teacherDir`),
 *   `WRITE_FAILED`.
 * @example
 * ```ts
 * // distil-large-v3 style: full encoder, decoder layers 0 and 31 of 32.
 * const r = createStudent({ teacherDir: './whisper-large-v3', outDir: './student', decoderLayers: 2 });
 * console.log(r.decoderLayerMap, r.parameters.student.total);
 * // explicit layers, smaller encoder too
 * createStudent({ teacherDir: './whisper-base', outDir: './s', decoderLayerIds: [0, 3, 5], encoderLayers: 3 });
 * ```
 */
export function createStudent(options: CreateStudentOptions): CreateStudentResult {
  checkOptions(options);
  const teacherDir = resolve(options.teacherDir);
  const outDir = resolve(options.outDir);
  assertOutputOutside(teacherDir, outDir, 'the teacher directory');
  const { config: teacherConfig } = readCheckpointConfigs(teacherDir);
  if (teacherConfig.architectures.includes('WhisperForCausalLM'))
    throw teacherUnsupported(teacherDir);
  const decoderLayerMap = resolveLayerMap({
    stack: 'decoder',
    teacherLayers: teacherConfig.decoderLayers,
    layers: options.decoderLayers,
    layerIds: options.decoderLayerIds,
    defaultLayers: 2,
  });
  const encoderMapped =
    options.encoderLayers !== undefined || options.encoderLayerIds !== undefined;
  const encoderLayerMap = resolveLayerMap({
    stack: 'encoder',
    teacherLayers: teacherConfig.encoderLayers,
    layers: options.encoderLayers,
    layerIds: options.encoderLayerIds,
    defaultLayers: teacherConfig.encoderLayers,
  });

  const teacherTensors = readCheckpointHeaders(teacherDir);
  if (checkpointKind(teacherConfig, teacherTensors.keys()) === 'decoder-only')
    throw teacherUnsupported(teacherDir);
  const problems = tensorProblems(
    teacherConfig,
    'encoder-decoder',
    new Map([...teacherTensors].map(([n, e]) => [n, e.shape])),
  );
  if (problems.length > 0)
    throw new CheckpointError(
      'TENSORS_MISMATCH',
      `teacher tensors do not match its config.json (${problems.length} problems): ${problems.join('; ')}`,
      { problems, path: teacherDir },
    );

  const configJson = studentConfigJson(
    readJsonObject(join(teacherDir, 'config.json')),
    encoderLayerMap.length,
    decoderLayerMap.length,
  );
  const config = parseWhisperConfig(configJson);
  const genPath = join(teacherDir, 'generation_config.json');
  const generationJson = existsSync(genPath)
    ? studentGenerationConfigJson(readJsonObject(genPath))
    : undefined;
  // The student must load in this package's own loader, not only in transformers.
  if (generationJson) parseGenerationConfig(generationJson, config, genPath);
  const plan = planStudentTensors(config, teacherTensors, encoderLayerMap, decoderLayerMap);
  const sideFiles = STUDENT_SIDE_FILES.filter((f) => existsSync(join(teacherDir, f)));

  const files = writeDirectoryAtomic(
    outDir,
    (tmp) => {
      const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
      writeFileAtomic(join(tmp, 'config.json'), json(configJson));
      if (generationJson)
        writeFileAtomic(join(tmp, 'generation_config.json'), json(generationJson));
      for (const f of sideFiles) copyFileSync(join(teacherDir, f), join(tmp, f));
      const fds = new Map<string, number>();
      const fdOf = (path: string): number => {
        let fd = fds.get(path);
        if (fd === undefined) {
          fd = openSync(path, 'r');
          fds.set(path, fd);
        }
        return fd;
      };
      const scratch = new Uint8Array(CHUNK_BYTES);
      try {
        writeSafetensors(
          join(tmp, 'model.safetensors'),
          plan.map((p) => copiedTensor(p.name, p.source, fdOf, scratch)),
          { format: 'pt' },
        );
      } finally {
        for (const fd of fds.values()) closeSync(fd);
      }
      return [
        'config.json',
        ...(generationJson ? ['generation_config.json'] : []),
        'model.safetensors',
        ...sideFiles,
      ].sort();
    },
    { force: options.force ?? false },
  );

  return {
    outDir,
    config,
    teacherConfig,
    decoderLayerMap,
    encoderLayerMap,
    encoderMapped,
    parameters: {
      teacher: parameterCounts([...teacherTensors].map(([name, e]) => ({ name, shape: e.shape }))),
      student: parameterCounts(plan.map((p) => ({ name: p.name, shape: p.source.shape }))),
    },
    files,
    weightBytes: statSync(join(outDir, 'model.safetensors')).size,
  };
}

function teacherUnsupported(teacherDir: string): DistillError {
  return new DistillError(
    'TEACHER_UNSUPPORTED',
    'the teacher is a decoder-only WhisperForCausalLM checkpoint (e.g. a speculative-decoding assistant); a student needs the teacher encoder — pass a WhisperForConditionalGeneration checkpoint',
    { path: teacherDir },
  );
}
