// On-disk cache of frozen-encoder outputs. The teacher's encoder is frozen and runs without
// dropout or augmentation, so its output for a clip never changes during a run (WAVE2 A9): it is
// computed once, stored as f16, and read back on every later epoch (and by every later run with
// the same encoder). Entries are keyed by content — the encoder's weights and the clip's samples
// or features — so renaming files or reordering a manifest never serves a wrong entry.
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';

import type { WhisperFeatureExtractor, WhisperFeatureExtractorConfig } from '@distil-whisper/audio';
import { getDefaultDevice, Tensor, type Device } from '@distil-whisper/kernels';
import { EncoderOutput, writeFileAtomic, type WhisperModel } from '@distil-whisper/model';

import { DistillError } from '../errors.js';

/*
 * Entry file format (little-endian), `<root>/<encoder hash>/<key[0:2]>/<key>.f16`:
 *
 *   offset  size  field
 *   0       4     magic "DWES"
 *   4       2     format version (1)
 *   6       2     dtype code (1 = f16)
 *   8       4     positions
 *   12      4     d_model
 *   16      4     CRC-32 of the payload
 *   20      4     reserved (0)
 *   24      32    the key (SHA-256 digest): a file copied under another name is not trusted
 *   56      8     reserved (0)
 *   64      positions × d_model × 2   f16 payload, row-major [positions, d_model]
 *
 * A file is used only if every field checks out and its size is exactly 64 + payload; anything
 * else (truncation, a bit flip, another version) is a miss and the entry is recomputed.
 */
const MAGIC = 0x53455744; // "DWES" read as a little-endian uint32
const VERSION = 1;
const DTYPE_F16 = 1;
const HEADER_BYTES = 64;

/** Environment variable that overrides the default cache root. */
export const ENCODER_CACHE_ENV = 'DW_ENCODER_CACHE';

/** Counters of an {@link EncoderStateCache}, cumulative since it was created. */
export interface EncoderCacheStats {
  /** Entries served from disk. */
  hits: number;
  /** Entries that were absent and computed. */
  misses: number;
  /** Entries present but unusable (truncated, corrupt, wrong shape or key), recomputed. */
  corrupt: number;
  /** Entries written. */
  writes: number;
  bytesRead: number;
  bytesWritten: number;
  /** Milliseconds spent reading and validating entries (hits and corrupt ones). */
  readMs: number;
  /** Milliseconds spent in the encode function. */
  encodeMs: number;
}

/** Options of {@link EncoderStateCache}. */
export interface EncoderStateCacheOptions {
  /**
   * Cache root; entries go to `<root>/<encoderHash>/`. Default: `$DW_ENCODER_CACHE`, else
   * `~/.cache/distil-whisper/encoder-states`.
   */
  readonly root?: string;
  /** Encoder positions per clip (1500 for 30 s). Default: taken from the first entry written or read. */
  readonly positions?: number;
  /** Encoder width. Default: taken from the first entry written or read. */
  readonly dModel?: number;
  /** Device of the returned tensors. Default: the kernels' default device. */
  readonly device?: Device;
}

/** One clip for {@link EncoderStateCache.getOrCompute}. */
export interface EncoderCacheClip {
  /** Content key ({@link EncoderStateCache.keyForAudio} or {@link EncoderStateCache.keyForFeatures}). */
  readonly key: string;
  /**
   * The clip's log-mel window `[numMelBins, frames]` (e.g. `extractor.extract(pcm).data`). Called
   * only on a miss, so a cache hit costs no feature extraction.
   */
  readonly features: () => Float32Array | Promise<Float32Array>;
}

/**
 * Encodes a batch of log-mel windows `[batch, numMelBins, frames]` (row-major) to
 * `[batch, positions, dModel]`: `(f, b) => model.encode(f, b)`. Tensors or EncoderOutputs
 * returned are disposed by the cache.
 */
export type EncodeWindows = (features: Float32Array, batch: number) => Tensor | EncoderOutput;

/** Options of {@link EncoderStateCache.getOrCompute}. */
export interface GetOrComputeOptions {
  /** Most windows passed to one encode call. Default 8. */
  readonly maxEncodeBatch?: number;
}

const hashes = new WeakMap<WhisperModel, string>();

/**
 * Identity of a model's encoder: SHA-256 over every `model.encoder.*` tensor, in name order, of
 * its name, dtype, shape and bytes. Computed once per model object (it reads every encoder
 * weight: about a second per GB) and remembered.
 *
 * @throws {@link DistillError} `INVALID_ARGUMENT` for a model without encoder tensors (a
 *   decoder-only checkpoint: hash its main model instead).
 *
 * @example
 * ```ts
 * encoderWeightsHash(teacher); // '3f1c…' (64 hex digits)
 * ```
 */
export function encoderWeightsHash(model: WhisperModel): string {
  const known = hashes.get(model);
  if (known !== undefined) return known;
  const names = [...model.tensors.keys()].filter((n) => n.startsWith('model.encoder.')).sort();
  if (names.length === 0)
    throw new DistillError(
      'INVALID_ARGUMENT',
      'the model has no model.encoder.* tensors (a decoder-only checkpoint?); hash the model that owns the encoder',
    );
  const h = createHash('sha256').update('distil-whisper/encoder-weights/1');
  for (const name of names) {
    const t = model.tensors.get(name)!;
    const bytes = t.toArray();
    h.update(`\0${name}\0${t.dtype}\0${t.shape.join('x')}\0`);
    h.update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }
  const hex = h.digest('hex');
  hashes.set(model, hex);
  return hex;
}

function extractorIdentity(config: WhisperFeatureExtractorConfig): string {
  return [
    config.featureSize,
    config.samplingRate,
    config.hopLength,
    config.nFft,
    config.chunkLength,
    config.paddingValue,
  ].join('/');
}

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function checkDim(value: number | undefined, name: string): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 1))
    throw new DistillError(
      'INVALID_ARGUMENT',
      `${name} must be a positive integer, got ${String(value)}`,
    );
  return value;
}

/**
 * Frozen-encoder outputs cached on disk as f16 `[positions, dModel]` (1500 × 384 × 2 B = 1.15 MB
 * per clip for whisper-tiny, 3.84 MB for large), one file per clip, written atomically (temporary
 * sibling + fsync + rename, via `writeFileAtomic`) and validated on read (header, exact size,
 * CRC-32, key): a truncated or corrupt file is recomputed, never trusted.
 *
 * States come back as f32 tensors `[batch, positions, dModel]`, the dtype the CPU decoder
 * computes in. A freshly computed state is rounded through f16 before it is returned, so a clip
 * gives bit-identical states whether it was a hit or a miss (a resumed run sees the same numbers).
 *
 * @example
 * ```ts
 * const cache = EncoderStateCache.forModel(teacher);
 * const states = await cache.encodeAudio(batch.audio, extractor, teacher); // Tensor f32 [B, 1500, d]
 * ```
 */
export class EncoderStateCache {
  /** The encoder identity entries are keyed under ({@link encoderWeightsHash}). */
  readonly encoderHash: string;
  /** `<root>/<encoderHash>`. */
  readonly directory: string;
  /** Live counters. */
  readonly stats: EncoderCacheStats = {
    hits: 0,
    misses: 0,
    corrupt: 0,
    writes: 0,
    bytesRead: 0,
    bytesWritten: 0,
    readMs: 0,
    encodeMs: 0,
  };
  readonly #device: Device;
  #positions: number | undefined;
  #dModel: number | undefined;

  /**
   * A cache for the encoder with the given identity (normally from {@link encoderWeightsHash};
   * prefer {@link EncoderStateCache.forModel}).
   *
   * @throws {@link DistillError} `INVALID_ARGUMENT` for a hash that is not 64 hex digits or bad dims.
   */
  constructor(encoderHash: string, options: EncoderStateCacheOptions = {}) {
    if (typeof encoderHash !== 'string' || !/^[0-9a-f]{64}$/.test(encoderHash))
      throw new DistillError(
        'INVALID_ARGUMENT',
        `encoderHash must be 64 lowercase hex digits (see encoderWeightsHash), got ${JSON.stringify(encoderHash)}`,
      );
    this.encoderHash = encoderHash;
    const root =
      options.root ??
      process.env[ENCODER_CACHE_ENV] ??
      join(homedir(), '.cache', 'distil-whisper', 'encoder-states');
    this.directory = join(resolve(root), encoderHash);
    this.#positions = checkDim(options.positions, 'positions');
    this.#dModel = checkDim(options.dModel, 'dModel');
    this.#device = options.device ?? getDefaultDevice();
  }

  /**
   * The cache of a model's encoder: identity from {@link encoderWeightsHash}, shape from the
   * model's config (`maxSourcePositions` × `dModel`).
   */
  static forModel(
    model: WhisperModel,
    options: Omit<EncoderStateCacheOptions, 'positions' | 'dModel'> = {},
  ): EncoderStateCache {
    return new EncoderStateCache(encoderWeightsHash(model), {
      ...options,
      positions: model.config.maxSourcePositions,
      dModel: model.config.dModel,
    });
  }

  /**
   * Key of a clip given as 16 kHz mono PCM (the samples the extractor pads to its window):
   * SHA-256 of the encoder identity, the extractor settings and the samples' bytes. Cheaper than
   * {@link keyForFeatures}: a hit then needs no log-mel at all.
   */
  keyForAudio(pcm: Float32Array, extractor: WhisperFeatureExtractorConfig): string {
    return createHash('sha256')
      .update(
        `distil-whisper/encoder-state/pcm/1\0${this.encoderHash}\0${extractorIdentity(extractor)}\0`,
      )
      .update(bytesOf(pcm))
      .digest('hex');
  }

  /** Key of a clip given as its log-mel window `[numMelBins, frames]`. */
  keyForFeatures(features: Float32Array): string {
    return createHash('sha256')
      .update(`distil-whisper/encoder-state/mel/1\0${this.encoderHash}\0`)
      .update(bytesOf(features))
      .digest('hex');
  }

  /** File of a key (whether or not it exists). */
  pathFor(key: string): string {
    checkKey(key);
    return join(this.directory, key.slice(0, 2), `${key}.f16`);
  }

  /**
   * The cached state of one clip as an f32 tensor `[1, positions, dModel]`, or undefined when
   * absent or unusable (an unusable file counts in `stats.corrupt` and is left for
   * {@link EncoderStateCache.put} to replace).
   */
  async get(key: string): Promise<Tensor | undefined> {
    const bits = await this.#read(key);
    if (bits === undefined) return undefined;
    return this.#toF32(bits, 1);
  }

  /**
   * Stores the state of one clip: an f32/f16 tensor `[positions, dModel]` or `[1, positions,
   * dModel]`, or an {@link EncoderOutput} of batch 1. Replaces an existing entry.
   *
   * @throws {@link DistillError} `INVALID_ARGUMENT` for another shape, `CACHE_IO` when the file
   *   cannot be written.
   */
  async put(key: string, states: Tensor | EncoderOutput): Promise<void> {
    const t = states instanceof EncoderOutput ? states.hiddenStates : states;
    const shape = t.shape;
    const ok =
      (t.rank === 2 || (t.rank === 3 && shape[0] === 1)) &&
      (t.dtype === 'f32' || t.dtype === 'f16');
    if (!ok)
      throw new DistillError(
        'INVALID_ARGUMENT',
        `put expects an f32/f16 [positions, d_model] or [1, positions, d_model] tensor, got ${t.toString()}`,
      );
    const positions = shape[shape.length - 2]!;
    const dModel = shape[shape.length - 1]!;
    this.#checkShape(positions, dModel);
    const half = t.dtype === 'f16' ? t : t.cast('f16');
    try {
      await this.#write(key, half.toArray<'f16'>(), positions, dModel);
    } finally {
      if (half !== t) half.dispose();
    }
  }

  /**
   * States of a batch of clips as one f32 tensor `[clips.length, positions, dModel]`, in clip
   * order: hits are read from disk; misses have their features computed (only theirs) and go
   * through `encode` in batches of up to `maxEncodeBatch` windows, and are written back. A key
   * that appears twice is computed once.
   *
   * @throws {@link DistillError} `INVALID_ARGUMENT` for an empty batch, features of different
   *   sizes or an encoder output of the wrong shape; `CACHE_IO` when an entry cannot be written.
   */
  async getOrCompute(
    clips: readonly EncoderCacheClip[],
    encode: EncodeWindows,
    options: GetOrComputeOptions = {},
  ): Promise<Tensor> {
    if (clips.length === 0)
      throw new DistillError('INVALID_ARGUMENT', 'getOrCompute needs at least one clip');
    const maxBatch = options.maxEncodeBatch ?? 8;
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new DistillError(
        'INVALID_ARGUMENT',
        `maxEncodeBatch must be a positive integer, got ${String(maxBatch)}`,
      );
    // Hits are read straight into their row of the batch buffer (no intermediate copy); the
    // buffer is allocated once the state shape is known (from the options or the first entry).
    let per =
      this.#positions !== undefined && this.#dModel !== undefined
        ? this.#positions * this.#dModel
        : 0;
    let all = per > 0 ? new Uint16Array(clips.length * per) : undefined;
    const rowOf = new Map<string, number>();
    const early = new Map<number, Uint16Array>();
    const missing: EncoderCacheClip[] = [];
    const missingRows: number[] = [];
    for (let i = 0; i < clips.length; i++) {
      const clip = clips[i]!;
      checkKey(clip.key);
      if (rowOf.has(clip.key)) continue;
      rowOf.set(clip.key, i);
      const bits = await this.#read(clip.key, all?.subarray(i * per, (i + 1) * per));
      if (bits === undefined) {
        missing.push(clip);
        missingRows.push(i);
      } else if (all === undefined) early.set(i, bits);
    }
    for (let start = 0; start < missing.length; start += maxBatch) {
      const computed = await this.#compute(missing.slice(start, start + maxBatch), encode);
      computed.forEach((bits, k) => early.set(missingRows[start + k]!, bits));
    }
    per = this.#positions! * this.#dModel!;
    all ??= new Uint16Array(clips.length * per);
    for (const [row, bits] of early) all.set(bits, row * per);
    // Repeated keys: copy the row of their first occurrence.
    clips.forEach((clip, i) => {
      const first = rowOf.get(clip.key)!;
      if (first !== i) all.copyWithin(i * per, first * per, (first + 1) * per);
    });
    return this.#toF32(all, clips.length);
  }

  /**
   * {@link EncoderStateCache.getOrCompute} for 16 kHz clips: keys from
   * {@link EncoderStateCache.keyForAudio}, features from the extractor on a miss, misses encoded
   * by `model.encode` (or the given function).
   *
   * @example
   * ```ts
   * const states = await cache.encodeAudio(batch.audio, extractor, teacher);
   * ```
   */
  async encodeAudio(
    audio: readonly Float32Array[],
    extractor: WhisperFeatureExtractor,
    encoder: WhisperModel | EncodeWindows,
    options: GetOrComputeOptions = {},
  ): Promise<Tensor> {
    const encode: EncodeWindows =
      typeof encoder === 'function' ? encoder : (f, b) => encoder.encode(f, b);
    const clips = audio.map((pcm) => ({
      key: this.keyForAudio(pcm, extractor.config),
      features: () => extractor.extract(pcm).data,
    }));
    return this.getOrCompute(clips, encode, options);
  }

  #checkShape(positions: number, dModel: number): void {
    if (this.#positions === undefined) this.#positions = positions;
    if (this.#dModel === undefined) this.#dModel = dModel;
    if (positions !== this.#positions || dModel !== this.#dModel)
      throw new DistillError(
        'INVALID_ARGUMENT',
        `encoder states are [${positions}, ${dModel}] but this cache holds [${this.#positions}, ${this.#dModel}] states`,
      );
  }

  async #compute(
    group: readonly EncoderCacheClip[],
    encode: EncodeWindows,
  ): Promise<Uint16Array[]> {
    const windows: Float32Array[] = [];
    for (const clip of group) windows.push(await clip.features());
    const size = windows[0]!.length;
    if (size === 0 || windows.some((w) => w.length !== size))
      throw new DistillError(
        'INVALID_ARGUMENT',
        `every clip's features must be one window of the same size; got ${windows.map((w) => w.length).join(', ')} values`,
      );
    const features = new Float32Array(size * windows.length);
    windows.forEach((w, i) => features.set(w, i * size));
    const t0 = performance.now();
    const out = encode(features, windows.length);
    const hidden = out instanceof EncoderOutput ? out.hiddenStates : out;
    let bits: Uint16Array;
    let positions: number;
    let dModel: number;
    try {
      if (hidden.rank !== 3 || hidden.shape[0] !== windows.length)
        throw new DistillError(
          'INVALID_ARGUMENT',
          `the encode function returned ${hidden.toString()} for ${windows.length} windows; expected [${windows.length}, positions, d_model]`,
        );
      positions = hidden.shape[1]!;
      dModel = hidden.shape[2]!;
      this.#checkShape(positions, dModel);
      const half = hidden.dtype === 'f16' ? hidden : hidden.cast('f16');
      try {
        bits = half.toArray<'f16'>();
      } finally {
        if (half !== hidden) half.dispose();
      }
    } finally {
      out.dispose();
    }
    this.stats.encodeMs += performance.now() - t0;
    const per = positions * dModel;
    const result: Uint16Array[] = [];
    for (let i = 0; i < group.length; i++) {
      const one = bits.subarray(i * per, (i + 1) * per);
      await this.#write(group[i]!.key, one, positions, dModel);
      this.stats.misses++;
      result.push(one);
    }
    return result;
  }

  /**
   * Reads and validates one entry, into `dest` when given (it must have room for exactly one
   * state; on failure its contents are undefined). Undefined for an absent or unusable entry.
   */
  async #read(key: string, dest?: Uint16Array): Promise<Uint16Array | undefined> {
    const path = this.pathFor(key);
    const t0 = performance.now();
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      // Absent is the normal miss; any other failure is an unusable entry, recomputed.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.stats.corrupt++;
      return undefined;
    }
    let out: Uint16Array | undefined;
    let size = 0;
    try {
      size = (await handle.stat()).size;
      const header = Buffer.alloc(HEADER_BYTES);
      if (size >= HEADER_BYTES && (await readFully(handle, header, 0))) {
        const dims = this.#checkHeader(header, key, size);
        if (dims !== undefined) {
          const values = dims.positions * dims.dModel;
          const target =
            dest !== undefined && dest.length === values ? dest : new Uint16Array(values);
          const body = new Uint8Array(target.buffer, target.byteOffset, target.byteLength);
          if (
            (await readFully(handle, body, HEADER_BYTES)) &&
            crc32(body) === header.readUInt32LE(16)
          ) {
            // The first valid entry fixes the shape of a cache created without one.
            this.#positions ??= dims.positions;
            this.#dModel ??= dims.dModel;
            out = target;
          }
        }
      }
    } catch {
      out = undefined;
    } finally {
      await handle.close();
    }
    this.stats.readMs += performance.now() - t0;
    if (out === undefined) {
      this.stats.corrupt++;
      return undefined;
    }
    this.stats.hits++;
    this.stats.bytesRead += size;
    return out;
  }

  /** Shape of a valid header for `key` in a file of `size` bytes, else undefined. */
  #checkHeader(
    header: Buffer,
    key: string,
    size: number,
  ): { positions: number; dModel: number } | undefined {
    if (header.readUInt32LE(0) !== MAGIC) return undefined;
    if (header.readUInt16LE(4) !== VERSION || header.readUInt16LE(6) !== DTYPE_F16)
      return undefined;
    const positions = header.readUInt32LE(8);
    const dModel = header.readUInt32LE(12);
    if (positions === 0 || dModel === 0) return undefined;
    if (this.#positions !== undefined && positions !== this.#positions) return undefined;
    if (this.#dModel !== undefined && dModel !== this.#dModel) return undefined;
    if (size !== HEADER_BYTES + positions * dModel * 2) return undefined;
    if (!header.subarray(24, 56).equals(Buffer.from(key, 'hex'))) return undefined;
    return { positions, dModel };
  }

  async #write(key: string, bits: Uint16Array, positions: number, dModel: number): Promise<void> {
    const path = this.pathFor(key);
    const body = new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
    const file = Buffer.alloc(HEADER_BYTES + body.byteLength);
    file.writeUInt32LE(MAGIC, 0);
    file.writeUInt16LE(VERSION, 4);
    file.writeUInt16LE(DTYPE_F16, 6);
    file.writeUInt32LE(positions, 8);
    file.writeUInt32LE(dModel, 12);
    file.writeUInt32LE(crc32(body), 16);
    Buffer.from(key, 'hex').copy(file, 24);
    file.set(body, HEADER_BYTES);
    try {
      // writeFileAtomic creates the missing <root>/<hash>/<xx>/ directories.
      writeFileAtomic(path, file, { force: true });
    } catch (err) {
      throw new DistillError(
        'CACHE_IO',
        `cannot write the encoder-state cache entry ${path}: ${(err as Error).message}; check that the cache root is writable or set ${ENCODER_CACHE_ENV}`,
        { path, cause: err },
      );
    }
    this.stats.writes++;
    this.stats.bytesWritten += file.byteLength;
  }

  #toF32(bits: Uint16Array, batch: number): Tensor {
    const half = Tensor.from(bits, [batch, this.#positions!, this.#dModel!], {
      dtype: 'f16',
      device: this.#device,
    });
    try {
      return half.cast('f32');
    } finally {
      half.dispose();
    }
  }
}

/** Fills `into` from the file at `position`; false when the file ends first. */
async function readFully(handle: FileHandle, into: Uint8Array, position: number): Promise<boolean> {
  for (let done = 0; done < into.byteLength;) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done);
    if (bytesRead === 0) return false;
    done += bytesRead;
  }
  return true;
}

function checkKey(key: string): void {
  if (typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key))
    throw new DistillError(
      'INVALID_ARGUMENT',
      `a cache key is 64 lowercase hex digits (keyForAudio / keyForFeatures), got ${JSON.stringify(key)}`,
    );
}
