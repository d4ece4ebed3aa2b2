// safetensors reader/writer. Format: u64 little-endian header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}, then the data
// area; offsets are relative to the data area. Every claim of the header is checked against the
// file before a byte of tensor data is read, so a lying file gives a CheckpointError, not a crash.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

import { KernelError, mapTensors, Tensor, type Device, type DType } from '@distil-whisper/kernels';

import { CheckpointError } from './errors';

/** Element types safetensors defines, with their size in bytes. */
const SAFETENSORS_DTYPE_SIZES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
};

/**
 * safetensors dtype names this package can load into native tensors.
 *
 * @internal Exported for @distil-whisper/distill; not part of the public API.
 */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'I32' | 'I8';

const TO_NATIVE: Record<SafetensorsDType, DType> = {
  F32: 'f32',
  F16: 'f16',
  BF16: 'bf16',
  I32: 'i32',
  I8: 'i8',
};
const FROM_NATIVE: Record<DType, SafetensorsDType> = {
  f32: 'F32',
  f16: 'F16',
  bf16: 'BF16',
  i32: 'I32',
  i8: 'I8',
};

/** Largest header accepted (the safetensors reference implementation uses the same 100 MB limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor entry of a validated header. Offsets are absolute positions in the file. */
export interface SafetensorsEntry {
  name: string;
  /** safetensors dtype name as written in the file (e.g. `'F16'`). */
  dtype: string;
  shape: number[];
  /** Absolute byte offset of the first element in the file. */
  offset: number;
  /** Size in bytes. */
  byteLength: number;
}

/** A safetensors file whose header has been validated. */
export interface SafetensorsHeader {
  path: string;
  fileSize: number;
  /** Absolute offset of the data area (8 + header length). */
  dataOffset: number;
  /** `__metadata__` (string → string), empty when absent. */
  metadata: Record<string, string>;
  /** Entries by name, in file order of their data. */
  tensors: Map<string, SafetensorsEntry>;
}

function invalid(path: string, problems: string[]): CheckpointError {
  return new CheckpointError(
    'SAFETENSORS_INVALID',
    `invalid safetensors file: ${problems.join('; ')}`,
    { problems, path },
  );
}

function readExactly(fd: number, buf: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < buf.byteLength) {
    const n = readSync(fd, buf, done, buf.byteLength - done, position + done);
    if (n === 0) throw invalid(path, [`unexpected end of file at byte ${position + done}`]);
    done += n;
  }
}

/**
 * Parses and validates the header of a safetensors file already opened as `fd`: header length
 * sane and inside the file, JSON well-formed, every dtype known, `shape`·dtype size equal to the
 * byte range, ranges inside the data area, within the file and not overlapping.
 * @internal
 */
export function readHeaderFromFd(fd: number, path: string): SafetensorsHeader {
  const fileSize = fstatSync(fd).size;
  if (fileSize < 8)
    throw invalid(path, [`file is ${fileSize} bytes, shorter than the 8-byte header length`]);
  const lenBuf = new Uint8Array(8);
  readExactly(fd, lenBuf, 0, path);
  const headerLength = new DataView(lenBuf.buffer).getBigUint64(0, true);
  if (headerLength < 2n)
    throw invalid(path, [`header length ${headerLength} is too small for a JSON object`]);
  if (headerLength > BigInt(MAX_HEADER_BYTES))
    throw invalid(path, [
      `header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`,
    ]);
  if (headerLength > BigInt(fileSize - 8))
    throw invalid(path, [
      `header length ${headerLength} runs past the end of the ${fileSize}-byte file`,
    ]);
  const n = Number(headerLength);
  const headerBytes = new Uint8Array(n);
  readExactly(fd, headerBytes, 8, path);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (err) {
    throw invalid(path, [`header is not valid UTF-8 JSON (${(err as Error).message})`]);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw invalid(path, ['header is not a JSON object']);
  const dataOffset = 8 + n;
  const dataSize = fileSize - dataOffset;
  const problems: string[] = [];
  const metadata: Record<string, string> = {};
  const entries: SafetensorsEntry[] = [];
  const ranges: Array<{ name: string; begin: number; end: number }> = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        problems.push('__metadata__ must be an object');
      else
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          if (typeof v === 'string') metadata[k] = v;
          else problems.push(`__metadata__.${k} must be a string`);
        }
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`${name}: entry must be an object with dtype, shape and data_offsets`);
      continue;
    }
    const e = value as Record<string, unknown>;
    const dtype = e.dtype;
    const size = typeof dtype === 'string' ? SAFETENSORS_DTYPE_SIZES[dtype] : undefined;
    if (size === undefined) {
      problems.push(`${name}: unknown dtype ${JSON.stringify(dtype)}`);
      continue;
    }
    const shape = e.shape;
    if (
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)
    ) {
      problems.push(
        `${name}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`,
      );
      continue;
    }
    const offsets = e.data_offsets;
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
      (offsets[0] as number) > (offsets[1] as number)
    ) {
      problems.push(
        `${name}: data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(offsets)}`,
      );
      continue;
    }
    const [begin, end] = offsets as [number, number];
    let bytes = size;
    for (const d of shape as number[]) bytes *= d;
    if (!Number.isSafeInteger(bytes) || bytes !== end - begin) {
      problems.push(
        `${name}: shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${bytes} bytes but data_offsets span ${end - begin}`,
      );
      continue;
    }
    if (end > dataSize) {
      problems.push(
        `${name}: data_offsets [${begin}, ${end}] run past the end of the data area (${dataSize} bytes)`,
      );
      continue;
    }
    ranges.push({ name, begin, end });
    entries.push({
      name,
      dtype: dtype as string,
      shape: [...(shape as number[])],
      offset: dataOffset + begin,
      byteLength: bytes,
    });
  }
  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  // Track the furthest-reaching range so far: a long range can overlap several later ones.
  let reach: { name: string; begin: number; end: number } | undefined;
  for (const cur of ranges) {
    if (cur.end === cur.begin) continue;
    if (reach && cur.begin < reach.end)
      problems.push(
        `${cur.name}: bytes [${cur.begin}, ${cur.end}) overlap ${reach.name} [${reach.begin}, ${reach.end})`,
      );
    if (!reach || cur.end > reach.end) reach = cur;
  }
  if (problems.length > 0) throw invalid(path, problems);
  entries.sort((a, b) => a.offset - b.offset);
  return {
    path,
    fileSize,
    dataOffset,
    metadata,
    tensors: new Map(entries.map((e) => [e.name, e])),
  };
}

/**
 * Reads and validates the header of a safetensors file (no tensor data is read).
 *
 * @throws {@link CheckpointError} `FILE_NOT_FOUND`, or `SAFETENSORS_INVALID` listing every lie
 *   found in the header.
 * @example
 * ```ts
 * const header = readSafetensorsHeader('model.safetensors');
 * for (const t of header.tensors.values()) console.log(t.name, t.dtype, t.shape);
 * ```
 *
 * @internal Exported for @distil-whisper/distill; not part of the public API.
 */
export function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = openForRead(path);
  try {
    return readHeaderFromFd(fd, path);
  } finally {
    closeSync(fd);
  }
}

/** @internal */
export function openForRead(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw new CheckpointError(
      'FILE_NOT_FOUND',
      `cannot open ${(err as NodeJS.ErrnoException).code ?? 'file'}`,
      { path, cause: err },
    );
  }
}

/** Bytes read per chunk when streaming a tensor into native memory (bounds transient JS memory). */
const CHUNK_BYTES = 8 << 20;
let scratch: Uint8Array | undefined;

/** Options of {@link readSafetensorsTensor}. */
export interface ReadTensorOptions {
  /** Device of the tensor. Default: the kernels' default device. */
  device?: Device;
  /**
   * Refuse a float tensor holding NaN or ±Infinity with {@link CheckpointError}
   * `NON_FINITE_WEIGHTS` (checked on the bytes as they stream past, before they reach the
   * tensor). Default false.
   */
  rejectNonFinite?: boolean;
}

/** Exponent bits of each float dtype: all ones means NaN or ±Infinity. */
const EXPONENT_MASK: Partial<Record<SafetensorsDType, number>> = {
  F32: 0x7f800000,
  F16: 0x7c00,
  BF16: 0x7f80,
};

/**
 * Index of the first NaN or ±Infinity among the elements stored in `bytes` (little-endian, as
 * safetensors stores them), or -1 when all are finite or the dtype is not a float type.
 *
 * @internal
 */
export function firstNonFinite(bytes: Uint8Array, dtype: SafetensorsDType): number {
  const mask = EXPONENT_MASK[dtype];
  if (mask === undefined) return -1;
  const width = dtype === 'F32' ? 4 : 2;
  const n = Math.floor(bytes.byteLength / width);
  // Typed views need aligned offsets; every buffer read here starts at offset 0 of its own.
  const aligned = bytes.byteOffset % width === 0 ? bytes : bytes.slice(0, n * width);
  const words =
    width === 4
      ? new Uint32Array(aligned.buffer, aligned.byteOffset, n)
      : new Uint16Array(aligned.buffer, aligned.byteOffset, n);
  for (let i = 0; i < n; i++) if (((words[i] as number) & mask) === mask) return i;
  return -1;
}

/** What the bad element is, for the message: NaN, Infinity or -Infinity. */
function describeNonFinite(bytes: Uint8Array, dtype: SafetensorsDType, index: number): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bits =
    dtype === 'F32'
      ? view.getUint32(index * 4, true)
      : dtype === 'F16'
        ? view.getUint16(index * 2, true)
        : view.getUint16(index * 2, true) << 16;
  const mantissa = dtype === 'F16' ? bits & 0x3ff : bits & 0x7fffff;
  if (mantissa !== 0) return 'NaN';
  return (dtype === 'F16' ? bits & 0x8000 : bits >>> 31) ? '-Infinity' : 'Infinity';
}

/** The NON_FINITE_WEIGHTS error, worded alike whichever reader found the value. */
function nonFiniteError(
  path: string,
  name: string,
  what: string,
  element: number,
): CheckpointError {
  return new CheckpointError(
    'NON_FINITE_WEIGHTS',
    `tensor ${name} holds ${what} at element ${element}; a model with non-finite weights ` +
      'produces garbage (e.g. "!!!") — the file is corrupt or was saved after training diverged: ' +
      're-download or re-convert it, or use an earlier training checkpoint',
    { path },
  );
}

function checkFiniteChunk(
  header: SafetensorsHeader,
  name: string,
  dtype: SafetensorsDType,
  bytes: Uint8Array,
  firstElement: number,
): void {
  const bad = firstNonFinite(bytes, dtype);
  if (bad < 0) return;
  throw nonFiniteError(header.path, name, describeNonFinite(bytes, dtype, bad), firstElement + bad);
}

/**
 * Reads one tensor of a validated file into a native tensor of the stored dtype (F32 / F16 /
 * BF16 / I32 / I8: never converted). Data is streamed in 8 MiB chunks into a preallocated tensor,
 * so no full-size JS copy of a large weight exists at any time.
 *
 * @param fd an open descriptor of `header.path`
 * @throws {@link CheckpointError} `SAFETENSORS_INVALID` for a dtype that cannot be loaded or a
 *   file truncated since its header was read.
 *
 * @internal Exported for @distil-whisper/distill; not part of the public API.
 */
export function readSafetensorsTensor(
  fd: number,
  header: SafetensorsHeader,
  name: string,
  options: ReadTensorOptions = {},
): Tensor {
  const entry = header.tensors.get(name);
  if (!entry) throw invalid(header.path, [`no tensor named ${name}`]);
  const dtype = TO_NATIVE[entry.dtype as SafetensorsDType];
  if (dtype === undefined)
    throw invalid(header.path, [
      `${name}: dtype ${entry.dtype} cannot be loaded (supported: F32, F16, BF16, I32, I8)`,
    ]);
  const device = options.device;
  const opts = device === undefined ? { dtype } : { dtype, device };
  const shape = entry.shape;
  const rows = shape[0] ?? 1;
  const rowBytes = rows === 0 ? 0 : entry.byteLength / rows;
  const stored = entry.dtype as SafetensorsDType;
  const width = safetensorsDTypeSize(stored) ?? 1;
  const check = options.rejectNonFinite === true;
  if (entry.byteLength <= CHUNK_BYTES || shape.length < 2 || rowBytes > CHUNK_BYTES) {
    const buf =
      entry.byteLength <= CHUNK_BYTES
        ? scratchView(entry.byteLength)
        : new Uint8Array(entry.byteLength);
    readExactly(fd, buf, entry.offset, header.path);
    if (check) checkFiniteChunk(header, name, stored, buf, 0);
    return Tensor.from(buf, shape, opts);
  }
  const out = Tensor.empty(shape, opts);
  try {
    const rowsPerChunk = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
    for (let r = 0; r < rows; r += rowsPerChunk) {
      const r1 = Math.min(rows, r + rowsPerChunk);
      const buf = scratchView((r1 - r) * rowBytes);
      readExactly(fd, buf, entry.offset + r * rowBytes, header.path);
      if (check) checkFiniteChunk(header, name, stored, buf, (r * rowBytes) / width);
      const chunk = Tensor.from(buf, [r1 - r, ...shape.slice(1)], opts);
      const dst = out.slice(0, r, r1);
      try {
        dst.assign(chunk);
      } finally {
        dst.dispose();
        chunk.dispose();
      }
    }
    return out;
  } catch (err) {
    out.dispose();
    throw err;
  }
}

/**
 * Memory-maps tensors of a validated file instead of reading them: each comes back as a native
 * view of the mapping in its stored dtype (a copy only for a tensor whose offset is not a
 * multiple of its element size), the mapping living until the last of them is disposed or
 * collected. With `rejectNonFinite`, every float tensor is scanned natively over the mapped bytes
 * before any tensor is made (one pass, the same pass that brings the pages in).
 *
 * @param fd an open descriptor of `header.path` (may be closed once this returns)
 * @returns the tensors by name, or `undefined` when the file cannot be mapped here (a platform
 *   or file system without mmap, or an addon built before mapping existed): read it instead.
 * @throws {@link CheckpointError} `SAFETENSORS_INVALID` for a dtype that cannot be loaded or a
 *   file that no longer holds the ranges its header claims (truncated since the header was
 *   read); `NON_FINITE_WEIGHTS` naming the first NaN / ±Infinity.
 *
 * @internal
 */
export function mapSafetensorsTensors(
  fd: number,
  header: SafetensorsHeader,
  names: readonly string[],
  options: ReadTensorOptions = {},
): Map<string, Tensor> | undefined {
  const specs = names.map((name) => {
    const entry = header.tensors.get(name);
    if (!entry) throw invalid(header.path, [`no tensor named ${name}`]);
    const dtype = TO_NATIVE[entry.dtype as SafetensorsDType];
    if (dtype === undefined)
      throw invalid(header.path, [
        `${name}: dtype ${entry.dtype} cannot be loaded (supported: F32, F16, BF16, I32, I8)`,
      ]);
    return { offset: entry.offset, byteLength: entry.byteLength, shape: entry.shape, dtype };
  });
  let result: ReturnType<typeof mapTensors>;
  try {
    result = mapTensors(fd, specs, {
      checkFinite: options.rejectNonFinite === true,
      ...(options.device === undefined ? {} : { device: options.device }),
    });
  } catch (err) {
    if (err instanceof KernelError && (err.code === 'MAP_FAILED' || err.code === 'UNSUPPORTED'))
      return undefined;
    if (err instanceof KernelError && err.code === 'OUT_OF_RANGE')
      throw invalid(header.path, [
        `the file no longer holds the bytes its header describes (${err.message}); it was truncated or rewritten while being loaded`,
      ]);
    throw err;
  }
  if (!result.ok) {
    const { index, element, value } = result.nonFinite;
    throw nonFiniteError(header.path, names[index]!, value, element);
  }
  const tensors = result.tensors;
  return new Map(names.map((name, i) => [name, tensors[i]!]));
}

function scratchView(bytes: number): Uint8Array {
  if (!scratch || scratch.byteLength < bytes)
    scratch = new Uint8Array(Math.max(bytes, CHUNK_BYTES));
  return scratch.subarray(0, bytes);
}

/** Maps a native dtype to its safetensors name. */
export function safetensorsDType(dtype: DType): SafetensorsDType {
  return FROM_NATIVE[dtype];
}

/** Size in bytes of one element of a safetensors dtype (undefined when unknown). */
export function safetensorsDTypeSize(dtype: string): number | undefined {
  return SAFETENSORS_DTYPE_SIZES[dtype];
}

/**
 * A tensor to write: either a native tensor (written as stored) or a producer of raw
 * little-endian bytes (called with a `sink` to stream arbitrarily large data).
 *
 * @internal Exported for @distil-whisper/distill; not part of the public API.
 */
export type SafetensorsSource =
  | { name: string; tensor: Tensor }
  | {
      name: string;
      dtype: SafetensorsDType;
      shape: readonly number[];
      write: (sink: (bytes: Uint8Array) => void) => void;
    };

/**
 * Writes a safetensors file, streaming each tensor to disk in turn (never the whole file in
 * memory). The header is padded with spaces to a multiple of 8 bytes, as the reference
 * implementation does, so data stays aligned.
 *
 * @throws {@link CheckpointError} `WRITE_FAILED` when a producer writes the wrong byte count
 *   or the file cannot be written.
 * @example
 * ```ts
 * writeSafetensors('out.safetensors', [{ name: 'w', tensor: Tensor.from(new Float32Array(6), [2, 3]) }]);
 * ```
 *
 * @internal Exported for @distil-whisper/distill; not part of the public API.
 */
export function writeSafetensors(
  path: string,
  sources: readonly SafetensorsSource[],
  metadata: Record<string, string> = { format: 'pt' },
): void {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const plan = sources.map((s) => {
    const dtype = 'tensor' in s ? safetensorsDType(s.tensor.dtype) : s.dtype;
    const shape = 'tensor' in s ? [...s.tensor.shape] : [...s.shape];
    const bytes = shape.reduce((a, b) => a * b, SAFETENSORS_DTYPE_SIZES[dtype] ?? 0);
    header[s.name] = { dtype, shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
    return { source: s, bytes };
  });
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const headerBytes = Buffer.from(json, 'utf8');
  let fd: number;
  try {
    fd = openSync(path, 'w');
  } catch (err) {
    throw new CheckpointError('WRITE_FAILED', `cannot create file: ${(err as Error).message}`, {
      path,
      cause: err,
    });
  }
  try {
    let position = 0;
    const put = (bytes: Uint8Array): void => {
      let done = 0;
      while (done < bytes.byteLength) {
        done += writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
      }
      position += bytes.byteLength;
    };
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
    put(len);
    put(headerBytes);
    for (const { source, bytes } of plan) {
      const start = position;
      if ('tensor' in source) writeTensorBytes(source.tensor, put);
      else source.write(put);
      if (position - start !== bytes)
        throw new CheckpointError(
          'WRITE_FAILED',
          `${source.name}: wrote ${position - start} bytes, expected ${bytes}`,
          { path },
        );
    }
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError('WRITE_FAILED', `cannot write: ${(err as Error).message}`, {
      path,
      cause: err,
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Streams a tensor's bytes in row chunks so a large weight is never copied whole into JS.
 * @internal
 */
export function writeTensorBytes(t: Tensor, put: (bytes: Uint8Array) => void): void {
  const rows = t.shape[0] ?? 1;
  const total = t.size * elementSize(t.dtype);
  const rowBytes = rows === 0 ? 0 : total / rows;
  if (t.rank < 2 || total <= CHUNK_BYTES || rowBytes > CHUNK_BYTES) {
    const a = t.toArray();
    put(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return;
  }
  const step = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
  for (let r = 0; r < rows; r += step) {
    const view = t.slice(0, r, Math.min(rows, r + step));
    try {
      const a = view.toArray();
      put(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    } finally {
      view.dispose();
    }
  }
}

function elementSize(dtype: DType): number {
  return dtype === 'f32' || dtype === 'i32' ? 4 : dtype === 'i8' ? 1 : 2;
}
