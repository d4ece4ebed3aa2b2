// Hugging Face checkpoint directories: tensor names and shapes expected for a config (exactly
// transformers' WhisperForConditionalGeneration / WhisperForCausalLM state dicts), loading
// (single file or sharded), and saving.
import { existsSync, readFileSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';

import { releasePages, Tensor, type Device, type DType } from '@distil-whisper/kernels';

import { parseWhisperConfig, whisperConfigToJson, type WhisperConfig } from './config';
import { CheckpointError } from './errors';
import {
  generationConfigFromModelConfig,
  generationConfigToJson,
  parseGenerationConfig,
  type WhisperGenerationConfig,
} from './generation-config';
import { writeDirectoryAtomic } from './io/atomic-write';
import { declareParameters, PROJ_OUT, type CheckpointKind } from './parameters';
import {
  mapSafetensorsTensors,
  openForRead,
  readHeaderFromFd,
  readSafetensorsTensor,
  safetensorsDType,
  writeSafetensors,
  writeTensorBytes,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type SafetensorsSource,
} from './safetensors';

export { PROJ_OUT, type CheckpointKind };

/** Expected name → shape of every tensor of a checkpoint. */
export type TensorSpec = Map<string, number[]>;

/**
 * Names and shapes of the tensors a checkpoint of this config holds, exactly as transformers
 * names them (the parameter declaration, {@link declareParameters}, as a map).
 * `proj_out.weight` is not listed: it is optional (tied to `embed_tokens`).
 *
 * @internal Exported for @distil-whisper/distill; not part of the public API.
 */
export function expectedTensors(
  config: WhisperConfig,
  kind: CheckpointKind = 'encoder-decoder',
): TensorSpec {
  return new Map(declareParameters(config, kind).map((p) => [p.name, [...p.shape]]));
}

/**
 * Compares the tensors a checkpoint holds with those its config implies. Returns every
 * missing, unexpected and mis-shaped tensor (empty when all is well).
 *
 * @internal Exported for @distil-whisper/distill; not part of the public API.
 */
export function tensorProblems(
  config: WhisperConfig,
  kind: CheckpointKind,
  found: ReadonlyMap<string, readonly number[]>,
): string[] {
  const spec = expectedTensors(config, kind);
  spec.set(PROJ_OUT, [config.vocabSize, config.dModel]);
  const problems: string[] = [];
  for (const [name, shape] of spec) {
    const got = found.get(name);
    if (!got) {
      if (name !== PROJ_OUT) problems.push(`missing tensor ${name} [${shape.join(', ')}]`);
      continue;
    }
    if (got.length !== shape.length || got.some((v, i) => v !== shape[i]))
      problems.push(`tensor ${name} has shape [${got.join(', ')}], expected [${shape.join(', ')}]`);
  }
  for (const name of found.keys()) if (!spec.has(name)) problems.push(`unexpected tensor ${name}`);
  return problems;
}

/**
 * Decides whether a state dict is transformers' WhisperForCausalLM (decoder only).
 *
 * @internal Exported for @distil-whisper/distill; not part of the public API.
 */
export function checkpointKind(config: WhisperConfig, names: Iterable<string>): CheckpointKind {
  if (config.architectures.includes('WhisperForCausalLM')) return 'decoder-only';
  let encoder = false;
  let decoder = false;
  for (const n of names) {
    if (n.startsWith('model.encoder.')) encoder = true;
    else if (n.startsWith('model.decoder.')) decoder = true;
  }
  return decoder && !encoder ? 'decoder-only' : 'encoder-decoder';
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /**
   * Convert matrix weights (every tensor of rank ≥ 2) to this dtype while loading, one tensor at
   * a time. Default: keep each tensor's stored dtype (F32 / F16 / BF16).
   */
  dtype?: 'f32' | 'f16' | 'bf16';
  /** Device the weights are placed on. Default: the kernels' default device. */
  device?: Device;
  /**
   * Receives warnings about a checkpoint that loads but is incomplete (no generation_config.json).
   * Default: `process.emitWarning` (code `DW_NO_GENERATION_CONFIG`).
   */
  onWarning?: (message: string) => void;
  /**
   * Check every float weight for NaN and ±Infinity and refuse the checkpoint with
   * {@link CheckpointError} `NON_FINITE_WEIGHTS`. Memory-mapped, the check is one native SIMD
   * pass over the mapped bytes on the kernel threads, which also brings the pages in (about
   * 0.5 ms per million parameters, page faults included: ≈ 40 ms for whisper base); read into
   * memory (`mmap: false`), it runs in JS as the bytes stream in (about 2 ms per million).
   * Default true.
   */
  checkFinite?: boolean;
  /**
   * Memory-map the safetensors files and use the weights where they lie, as views of the
   * mapping in their stored dtype: no copy, no anonymous memory for weights, pages shared with
   * every process using the same file and brought in when first touched. The mapping lives until
   * the last tensor viewing it is disposed. `false` reads every tensor into native memory
   * instead (8 MiB chunks).
   *
   * The one risk of a mapping: if another process truncates the file while the model is
   * loaded, the next touch of a page past the new end kills the process with SIGBUS (a file
   * *replaced* by rename, as every writer of this project does, is harmless: the mapping keeps
   * the old one). Use `false` for weights that may be rewritten in place.
   *
   * Files that cannot be mapped (no mmap on the platform or file system) are read. On CUDA the
   * tensors are uploaded straight from the mapping, which is then released.
   *
   * Default: true, unless the environment variable `DW_MMAP` is `0` (for applications that do
   * not pass load options, e.g. the `distil-whisper` CLI).
   */
  mmap?: boolean;
}

/** A loaded checkpoint: configs and every stored tensor by its transformers name. */
export interface LoadedCheckpoint {
  config: WhisperConfig;
  generationConfig: WhisperGenerationConfig;
  kind: CheckpointKind;
  /** Tensors by name, in their stored dtype (or `options.dtype` for rank ≥ 2). Caller owns them. */
  tensors: Map<string, Tensor>;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new CheckpointError('FILE_NOT_FOUND', 'file not found', { path });
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CheckpointError('CONFIG_INVALID', `not valid JSON: ${(err as Error).message}`, {
      path,
      cause: err,
    });
  }
}

/** Default warning sink: `process.emitWarning`, which Node prints on stderr. */
function emitWarning(message: string, code: string): void {
  process.emitWarning(message, { code });
}

/**
 * Reads config.json (and generation_config.json when present) of a checkpoint directory.
 * Without generation_config.json the settings come from config.json
 * ({@link generationConfigFromModelConfig}: `max_length` 448, not 20) and `onWarning` is told,
 * since language / task tables and timestamp settings are then missing.
 *
 * @param onWarning receives the warning text; default: `process.emitWarning` with code
 *   `DW_NO_GENERATION_CONFIG`
 * @throws {@link CheckpointError} `FILE_NOT_FOUND` (no config.json), `CONFIG_INVALID`
 * @example
 * ```ts
 * const { config, generationConfig } = readCheckpointConfigs('./whisper-base');
 * ```
 */
export function readCheckpointConfigs(
  dir: string,
  onWarning: (message: string) => void = (m) => emitWarning(m, 'DW_NO_GENERATION_CONFIG'),
): {
  config: WhisperConfig;
  generationConfig: WhisperGenerationConfig;
} {
  const configPath = join(dir, 'config.json');
  const config = parseWhisperConfig(readJson(configPath), configPath);
  const genPath = join(dir, 'generation_config.json');
  if (existsSync(genPath))
    return { config, generationConfig: parseGenerationConfig(readJson(genPath), config, genPath) };
  const generationConfig = generationConfigFromModelConfig(config);
  onWarning(
    `${dir} has no generation_config.json: generating with max_length ${String(generationConfig.maxLength)} and the token ids of config.json, ` +
      'without language/task tables or timestamp settings; copy the generation_config.json of the checkpoint this model came from',
  );
  return { config, generationConfig };
}

/** Opened, validated safetensors files of a checkpoint and which file holds each tensor. */
interface OpenedWeights {
  files: Array<{ fd: number; header: SafetensorsHeader }>;
  where: Map<string, { fd: number; header: SafetensorsHeader }>;
}

function openWeights(dir: string): OpenedWeights {
  const single = join(dir, 'model.safetensors');
  const indexPath = join(dir, 'model.safetensors.index.json');
  const opened: OpenedWeights = { files: [], where: new Map() };
  const open = (path: string): { fd: number; header: SafetensorsHeader } => {
    const fd = openForRead(path);
    try {
      const file = { fd, header: readHeaderFromFd(fd, path) };
      opened.files.push(file);
      return file;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  };
  try {
    if (existsSync(single)) {
      const file = open(single);
      for (const name of file.header.tensors.keys()) opened.where.set(name, file);
      return opened;
    }
    if (!existsSync(indexPath))
      throw new CheckpointError(
        'FILE_NOT_FOUND',
        'no model.safetensors or model.safetensors.index.json in the checkpoint directory (only safetensors weights are supported)',
        {
          path: dir,
        },
      );
    const index = readJson(indexPath) as { weight_map?: unknown };
    const map = index?.weight_map;
    if (
      map === null ||
      typeof map !== 'object' ||
      Array.isArray(map) ||
      !Object.values(map).every((v) => typeof v === 'string')
    )
      throw new CheckpointError(
        'INDEX_INVALID',
        'weight_map must map tensor names to shard file names',
        { path: indexPath },
      );
    const shards = new Map<string, { fd: number; header: SafetensorsHeader }>();
    const problems: string[] = [];
    for (const shard of new Set(Object.values(map as Record<string, string>))) {
      if (shard.includes('/') || shard.includes('\\') || shard.startsWith('.')) {
        problems.push(`shard name ${shard} must be a plain file name`);
        continue;
      }
      shards.set(shard, open(join(dir, shard)));
    }
    for (const [name, shard] of Object.entries(map as Record<string, string>)) {
      const file = shards.get(shard);
      if (!file) continue;
      if (!file.header.tensors.has(name))
        problems.push(`${name} is mapped to ${shard}, which does not hold it`);
      else opened.where.set(name, file);
    }
    for (const [shard, file] of shards)
      for (const name of file.header.tensors.keys()) {
        const owner = (map as Record<string, string>)[name];
        if (owner === undefined)
          problems.push(`${shard} holds ${name}, which the index does not list`);
      }
    if (problems.length > 0)
      throw new CheckpointError(
        'INDEX_INVALID',
        `inconsistent sharded checkpoint: ${problems.join('; ')}`,
        { problems, path: indexPath },
      );
    return opened;
  } catch (err) {
    for (const f of opened.files) closeSync(f.fd);
    throw err;
  }
}

/** One stored tensor of a checkpoint directory: its header entry and the file holding it. */
export interface CheckpointTensorEntry extends SafetensorsEntry {
  /** The safetensors file (model.safetensors or a shard) that holds the tensor. */
  path: string;
}

/**
 * Indexes the weights of a checkpoint directory without reading any tensor data: every
 * safetensors header (single file or shards of model.safetensors.index.json) is validated as
 * {@link loadCheckpoint} does, and each tensor's name is mapped to its file, dtype, shape and
 * byte range. Lets tools copy or inspect tensors byte for byte, whatever their dtype.
 *
 * @throws {@link CheckpointError} `FILE_NOT_FOUND`, `SAFETENSORS_INVALID`, `INDEX_INVALID`.
 * @example
 * ```ts
 * const entries = readCheckpointHeaders('./whisper-base');
 * const e = entries.get('model.decoder.embed_tokens.weight')!;
 * console.log(e.path, e.dtype, e.shape, e.byteLength);
 * ```
 */
export function readCheckpointHeaders(dir: string): Map<string, CheckpointTensorEntry> {
  const opened = openWeights(dir);
  try {
    const out = new Map<string, CheckpointTensorEntry>();
    for (const [name, file] of opened.where)
      out.set(name, { ...file.header.tensors.get(name)!, path: file.header.path });
    return out;
  } finally {
    for (const f of opened.files) closeSync(f.fd);
  }
}

/**
 * Loads a Hugging Face Whisper checkpoint directory: config.json, generation_config.json
 * (optional) and model.safetensors or a sharded model.safetensors.index.json. Every header is
 * validated and every tensor name/shape checked against the config before any weight is read;
 * then each file is memory-mapped and its tensors are views of the mapping in their stored dtype
 * (or, with `mmap: false` or where mapping is impossible, streamed one by one into native
 * memory). See {@link LoadCheckpointOptions} for the options.
 *
 * @throws {@link CheckpointError} `FILE_NOT_FOUND`, `CONFIG_INVALID`, `SAFETENSORS_INVALID`,
 *   `INDEX_INVALID`, `TENSORS_MISMATCH` listing every missing / unexpected / mis-shaped tensor,
 *   or `NON_FINITE_WEIGHTS` naming the first weight that holds NaN or ±Infinity.
 */
export function loadCheckpoint(dir: string, options: LoadCheckpointOptions = {}): LoadedCheckpoint {
  const { config, generationConfig } = readCheckpointConfigs(dir, options.onWarning);
  const opened = openWeights(dir);
  const tensors = new Map<string, Tensor>();
  // Views of mapped files, until each moves into `tensors` (disposed with them on failure).
  const mapped = new Map<string, Tensor>();
  try {
    const found = new Map<string, readonly number[]>();
    const dtypeProblems: string[] = [];
    for (const [name, file] of opened.where) {
      const entry = file.header.tensors.get(name)!;
      found.set(name, entry.shape);
      if (entry.dtype !== 'F32' && entry.dtype !== 'F16' && entry.dtype !== 'BF16')
        dtypeProblems.push(
          `tensor ${name} has dtype ${entry.dtype}; weights must be F32, F16 or BF16`,
        );
    }
    const kind = checkpointKind(config, found.keys());
    const problems = [...tensorProblems(config, kind, found), ...dtypeProblems];
    if (problems.length > 0)
      throw new CheckpointError(
        'TENSORS_MISMATCH',
        `checkpoint tensors do not match config.json (${problems.length} problems): ${problems.join('; ')}`,
        {
          problems,
          path: dir,
        },
      );
    const read = {
      rejectNonFinite: options.checkFinite ?? true,
      ...(options.device === undefined ? {} : { device: options.device }),
    };
    if (options.mmap ?? process.env.DW_MMAP !== '0')
      for (const file of opened.files) {
        const names = [...opened.where].filter(([, f]) => f === file).map(([n]) => n);
        const views = mapSafetensorsTensors(file.fd, file.header, names, read);
        if (views) for (const [name, t] of views) mapped.set(name, t);
      }
    // In the order of the index (what callers iterating `tensors` always saw); tensors of a file
    // that could not be mapped are read here.
    for (const [name, file] of opened.where) {
      const t = mapped.get(name) ?? readSafetensorsTensor(file.fd, file.header, name, read);
      mapped.delete(name);
      tensors.set(name, t);
      if (options.dtype && t.rank >= 2 && t.dtype !== options.dtype) {
        tensors.set(name, t.cast(options.dtype));
        // The mapping outlives this view (other tensors share it): drop the pages the cast read,
        // or a converted checkpoint would stay resident twice.
        releasePages(t);
        t.dispose();
      }
    }
    return { config, generationConfig, kind, tensors };
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    for (const t of mapped.values()) t.dispose();
    throw err;
  } finally {
    for (const f of opened.files) closeSync(f.fd);
  }
}

/** Options of {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Write every float tensor in this dtype. Default: each tensor's own dtype. */
  dtype?: 'f32' | 'f16' | 'bf16';
  /**
   * Replace a non-empty `dir`. Default: false, and an existing checkpoint (any non-empty
   * directory) is refused with {@link WriteError} `OUTPUT_EXISTS`.
   */
  force?: boolean;
}

const TORCH_DTYPE: Record<string, string> = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' };

/**
 * Writes a Hugging Face checkpoint directory (config.json, generation_config.json,
 * model.safetensors) that transformers and {@link loadCheckpoint} read back unchanged. Tensors
 * are streamed to disk one at a time; sorted by name as transformers' `save_pretrained` does.
 *
 * The directory is written atomically ({@link writeDirectoryAtomic}): into a temporary sibling
 * that is renamed into place once complete, so an interrupted save never leaves a half-written
 * checkpoint. A non-empty `dir` is refused unless `options.force` (then it is replaced whole,
 * the old directory deleted only after the new one is in place).
 *
 * @param options `dtype`: convert every float tensor while writing (default: as stored);
 *   `force`: replace a non-empty `dir` (default: refuse)
 * @throws {@link WriteError} `OUTPUT_EXISTS` (non-empty `dir` without `force`), `OUTPUT_INVALID`,
 *   `WRITE_FAILED`; {@link CheckpointError} `WRITE_FAILED`, or `TENSORS_MISMATCH` when `tensors`
 *   do not match `config` (checked before anything is written).
 * @example
 * ```ts
 * saveCheckpoint('./out', { config, generationConfig, tensors }, { dtype: 'f16', force: true });
 * ```
 */
export function saveCheckpoint(
  dir: string,
  checkpoint: {
    config: WhisperConfig;
    generationConfig: WhisperGenerationConfig;
    tensors: ReadonlyMap<string, Tensor>;
    kind?: CheckpointKind;
  },
  options: SaveCheckpointOptions = {},
): void {
  const { config, generationConfig, tensors } = checkpoint;
  const kind = checkpoint.kind ?? checkpointKind(config, tensors.keys());
  const problems = tensorProblems(
    config,
    kind,
    new Map([...tensors].map(([n, t]) => [n, t.shape])),
  );
  if (problems.length > 0)
    throw new CheckpointError('TENSORS_MISMATCH', `cannot save: ${problems.join('; ')}`, {
      problems,
      path: dir,
    });
  const names = [...tensors.keys()].sort();
  const sources: SafetensorsSource[] = names.map((name) => {
    const t = tensors.get(name)!;
    const target = options.dtype;
    if (!target || t.dtype === target) return { name, tensor: t };
    // Cast lazily, one tensor at a time, so converted copies never accumulate.
    return {
      name,
      dtype: safetensorsDType(target),
      shape: t.shape,
      write: (sink) => {
        const c = t.cast(target);
        try {
          writeTensorBytes(c, sink);
        } finally {
          c.dispose();
        }
      },
    };
  });
  const storedDtype: DType =
    options.dtype ?? tensors.get('model.decoder.embed_tokens.weight')?.dtype ?? 'f32';
  const json = whisperConfigToJson({
    ...config,
    torchDtype: TORCH_DTYPE[storedDtype] ?? config.torchDtype,
  });
  writeDirectoryAtomic(
    dir,
    (tmp) => {
      writeJson(join(tmp, 'config.json'), json);
      writeJson(join(tmp, 'generation_config.json'), generationConfigToJson(generationConfig));
      writeSafetensors(join(tmp, 'model.safetensors'), sources, { format: 'pt' });
    },
    { force: options.force ?? false },
  );
}

/** @internal */
export function writeJson(path: string, value: unknown): void {
  try {
    writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
  } catch (err) {
    throw new CheckpointError('WRITE_FAILED', `cannot write: ${(err as Error).message}`, {
      path,
      cause: err,
    });
  }
}

/**
 * Tokenizer and text-normaliser files a Hugging Face Whisper directory may hold next to the
 * weights (whichever exist); copied along when a checkpoint is written from another source.
 * `preprocessor_config.json` is not listed: it belongs to the feature extractor.
 *
 * @example
 * ```ts
 * for (const f of TOKENIZER_FILES) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dst, f));
 * ```
 */
export const TOKENIZER_FILES: readonly string[] = [
  'tokenizer.json',
  'vocab.json',
  'merges.txt',
  'added_tokens.json',
  'special_tokens_map.json',
  'tokenizer_config.json',
  'normalizer.json',
];
