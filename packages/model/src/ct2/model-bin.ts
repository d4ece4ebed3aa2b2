// Reader and writer of CTranslate2's model.bin. Layout (little-endian), as written by
// ctranslate2/specs/model_spec.py:
//   u32 binary_version
//   [version ≥ 2] string spec_name, u32 spec_revision
//   u32 variable count, then per variable:
//     string name, u8 rank, u32 dims[rank],
//     version ≥ 4: u8 dtype id, u32 byte count | version < 4: u8 item size, u32 element count
//     raw row-major data
//   [version ≥ 3] u32 alias count, then per alias: string alias, string target variable
// where a string is u16 byte length (including a trailing NUL) followed by its UTF-8 bytes.
// Only the index is parsed up front; data is read per variable through a file descriptor, so a
// multi-GB model never sits in memory whole.
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';

import { Ct2Error } from './errors';

/** Element types of CTranslate2 variables (ids 0–5 of its `DataType` enum, in that order). */
export type Ct2DType = 'float32' | 'int8' | 'int16' | 'int32' | 'float16' | 'bfloat16';

const DTYPE_BY_ID: readonly Ct2DType[] = [
  'float32',
  'int8',
  'int16',
  'int32',
  'float16',
  'bfloat16',
];
const ITEM_SIZE: Record<Ct2DType, number> = {
  float32: 4,
  int8: 1,
  int16: 2,
  int32: 4,
  float16: 2,
  bfloat16: 2,
};
/** Pre-version-4 files name a dtype by its item size only. */
const DTYPE_BY_ITEM_SIZE: Record<number, Ct2DType> = { 1: 'int8', 2: 'int16', 4: 'float32' };

/** Binary versions this reader understands; Whisper support in CTranslate2 writes 6. */
export const CT2_BINARY_VERSIONS: readonly number[] = [2, 3, 4, 5, 6];

/** Size in bytes of one element of a {@link Ct2DType}. */
export function ct2ItemSize(dtype: Ct2DType): number {
  return ITEM_SIZE[dtype];
}

/** One variable of a model.bin: where its data lies and what it holds. */
export interface Ct2Variable {
  name: string;
  /** Dimensions; `[]` for a scalar. */
  shape: number[];
  dtype: Ct2DType;
  /** Absolute file offset of the first data byte. */
  offset: number;
  byteLength: number;
}

/** Parsed index of a model.bin (no variable data is read). */
export interface Ct2ModelBin {
  path: string;
  binaryVersion: number;
  /** e.g. `'WhisperSpec'` (empty for version < 2). */
  specName: string;
  specRevision: number;
  /** Variables in file order. */
  variables: Map<string, Ct2Variable>;
  /** Alias name → name of the variable it shares (e.g. a tied output projection). */
  aliases: Map<string, string>;
  /** File size in bytes. */
  byteLength: number;
}

function invalid(path: string, problem: string): Ct2Error {
  return new Ct2Error('MODEL_BIN_INVALID', `invalid CTranslate2 model.bin: ${problem}`, {
    path,
    problems: [problem],
  });
}

/** Sequential reads over a file descriptor with bounds checks against the file size. */
class Cursor {
  pos = 0;
  readonly #small = Buffer.alloc(8);
  constructor(
    readonly fd: number,
    readonly size: number,
    readonly path: string,
  ) {}

  bytes(n: number, what: string): Buffer {
    if (this.pos + n > this.size)
      throw invalid(this.path, `file ends inside ${what} (offset ${this.pos}, needs ${n} bytes)`);
    const buf = n <= 8 ? this.#small.subarray(0, n) : Buffer.alloc(n);
    readFully(this.fd, buf, this.pos, this.path);
    this.pos += n;
    return buf;
  }
  u8(what: string): number {
    return this.bytes(1, what).readUInt8(0);
  }
  u16(what: string): number {
    return this.bytes(2, what).readUInt16LE(0);
  }
  u32(what: string): number {
    return this.bytes(4, what).readUInt32LE(0);
  }
  string(what: string): string {
    const n = this.u16(`${what} length`);
    const raw = this.bytes(n, what);
    const end = n > 0 && raw[n - 1] === 0 ? n - 1 : n;
    return raw.toString('utf8', 0, end);
  }
  skip(n: number, what: string): void {
    if (this.pos + n > this.size)
      throw invalid(this.path, `file ends inside ${what} (needs ${n} bytes at offset ${this.pos})`);
    this.pos += n;
  }
}

function readFully(fd: number, buf: Uint8Array, position: number, path: string): void {
  let done = 0;
  while (done < buf.byteLength) {
    const n = readSync(fd, buf, done, buf.byteLength - done, position + done);
    if (n === 0) throw invalid(path, `unexpected end of file at offset ${position + done}`);
    done += n;
  }
}

function openOrThrow(path: string): number {
  try {
    return openSync(path, 'r');
  } catch (err) {
    throw new Ct2Error('FILE_NOT_FOUND', `cannot open: ${(err as Error).message}`, {
      path,
      cause: err,
    });
  }
}

/**
 * Parses the index of a CTranslate2 model.bin: version, spec, every variable's name, shape,
 * dtype and data location, and the aliases. Checks that each byte count matches its shape and
 * that the file ends exactly after the alias table (so a wrongly reassembled split file is
 * caught here, not as garbage weights later).
 *
 * @throws {@link Ct2Error} `FILE_NOT_FOUND`, `UNSUPPORTED_VERSION`, `UNSUPPORTED_MODEL` (unknown
 *   dtype id) or `MODEL_BIN_INVALID`.
 * @example
 * ```ts
 * const bin = readCt2ModelBin('./faster-whisper-base/model.bin');
 * console.log(bin.specName, bin.variables.get('decoder/embeddings/weight')?.shape);
 * ```
 */
export function readCt2ModelBin(path: string): Ct2ModelBin {
  const fd = openOrThrow(path);
  try {
    const size = fstatSync(fd).size;
    const c = new Cursor(fd, size, path);
    const binaryVersion = c.u32('binary version');
    if (!CT2_BINARY_VERSIONS.includes(binaryVersion))
      throw new Ct2Error(
        'UNSUPPORTED_VERSION',
        `model.bin binary version ${binaryVersion} is not supported (supported: ${CT2_BINARY_VERSIONS.join(', ')}); is this a CTranslate2 model?`,
        { path },
      );
    let specName = '';
    let specRevision = 1;
    if (binaryVersion >= 2) {
      specName = c.string('spec name');
      specRevision = c.u32('spec revision');
    }
    const count = c.u32('variable count');
    const variables = new Map<string, Ct2Variable>();
    for (let i = 0; i < count; i++) {
      const name = c.string(`name of variable ${i}`);
      const rank = c.u8(`rank of ${name}`);
      const shape: number[] = [];
      for (let d = 0; d < rank; d++) shape.push(c.u32(`shape of ${name}`));
      let dtype: Ct2DType;
      let byteLength: number;
      if (binaryVersion >= 4) {
        const id = c.u8(`dtype of ${name}`);
        const known = DTYPE_BY_ID[id];
        if (known === undefined)
          throw new Ct2Error(
            'UNSUPPORTED_MODEL',
            `variable ${name} has dtype id ${id}, which this reader does not know (known: 0–5: ${DTYPE_BY_ID.join(', ')})`,
            { path },
          );
        dtype = known;
        byteLength = c.u32(`byte count of ${name}`);
      } else {
        const itemSize = c.u8(`item size of ${name}`);
        const known = DTYPE_BY_ITEM_SIZE[itemSize];
        if (known === undefined) throw invalid(path, `variable ${name} has item size ${itemSize}`);
        dtype = known;
        byteLength = c.u32(`element count of ${name}`) * itemSize;
      }
      const expected = shape.reduce((a, b) => a * b, 1) * ITEM_SIZE[dtype];
      if (byteLength !== expected)
        throw invalid(
          path,
          `variable ${name} [${shape.join(', ')}] ${dtype} holds ${byteLength} bytes, its shape needs ${expected}`,
        );
      if (variables.has(name)) throw invalid(path, `variable ${name} appears twice`);
      variables.set(name, { name, shape, dtype, offset: c.pos, byteLength });
      c.skip(byteLength, `data of ${name}`);
    }
    const aliases = new Map<string, string>();
    if (binaryVersion >= 3) {
      const n = c.u32('alias count');
      for (let i = 0; i < n; i++) {
        const alias = c.string(`alias ${i}`);
        const target = c.string(`target of alias ${alias}`);
        if (!variables.has(target))
          throw invalid(path, `alias ${alias} points at unknown variable ${target}`);
        aliases.set(alias, target);
      }
    }
    if (c.pos !== size)
      throw invalid(
        path,
        `${size - c.pos} unexpected bytes after the last table entry (file is ${size} bytes, content ends at ${c.pos}); a split model.bin reassembled from the wrong parts?`,
      );
    return { path, binaryVersion, specName, specRevision, variables, aliases, byteLength: size };
  } finally {
    closeSync(fd);
  }
}

/** Opens a model.bin for {@link readCt2VariableBytes}; close with `fs.closeSync`. */
export function openCt2ModelBin(bin: Ct2ModelBin): number {
  return openOrThrow(bin.path);
}

/**
 * Reads one variable's raw little-endian bytes (a fresh buffer).
 *
 * @param fd descriptor from {@link openCt2ModelBin}
 * @throws {@link Ct2Error} `MODEL_BIN_INVALID` when the file was truncated since it was indexed.
 */
export function readCt2VariableBytes(fd: number, bin: Ct2ModelBin, v: Ct2Variable): Uint8Array {
  const buf = new Uint8Array(v.byteLength);
  readFully(fd, buf, v.offset, bin.path);
  return buf;
}

/** A variable to write with {@link writeCt2ModelBin}. */
export interface Ct2VariableSource {
  name: string;
  shape: readonly number[];
  dtype: Ct2DType;
  /** Raw little-endian bytes, row-major (`product(shape) · itemSize` bytes). */
  data: Uint8Array;
}

/**
 * Writes a model.bin (binary version 6) in the layout CTranslate2 reads. Used to make small
 * fixtures, e.g. int8-quantised models for tests.
 *
 * @throws {@link Ct2Error} `MODEL_BIN_INVALID` when a variable's bytes do not match its shape.
 * @example
 * ```ts
 * writeCt2ModelBin('m/model.bin', { specName: 'WhisperSpec', specRevision: 3, variables: [
 *   { name: 'decoder/num_heads', shape: [], dtype: 'int16', data: new Uint8Array([6, 0]) },
 * ] });
 * ```
 */
export function writeCt2ModelBin(
  path: string,
  model: {
    specName: string;
    specRevision: number;
    variables: readonly Ct2VariableSource[];
    aliases?: ReadonlyMap<string, string>;
  },
): void {
  const parts: Uint8Array[] = [];
  const u8 = (v: number): void => void parts.push(Uint8Array.of(v));
  const u16 = (v: number): void => {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    parts.push(b);
  };
  const u32 = (v: number): void => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const str = (s: string): void => {
    const b = Buffer.from(`${s}\0`, 'utf8');
    u16(b.byteLength);
    parts.push(b);
  };
  u32(6);
  str(model.specName);
  u32(model.specRevision);
  u32(model.variables.length);
  for (const v of model.variables) {
    const expected = v.shape.reduce((a, b) => a * b, 1) * ITEM_SIZE[v.dtype];
    if (v.data.byteLength !== expected)
      throw invalid(
        path,
        `variable ${v.name}: ${v.data.byteLength} bytes, shape needs ${expected}`,
      );
    str(v.name);
    u8(v.shape.length);
    for (const d of v.shape) u32(d);
    u8(DTYPE_BY_ID.indexOf(v.dtype));
    u32(v.data.byteLength);
    parts.push(v.data);
  }
  const aliases = model.aliases ?? new Map<string, string>();
  u32(aliases.size);
  for (const [alias, target] of aliases) {
    str(alias);
    str(target);
  }
  const fd = openSync(path, 'w');
  try {
    let position = 0;
    for (const p of parts) {
      let done = 0;
      while (done < p.byteLength)
        done += writeSync(fd, p, done, p.byteLength - done, position + done);
      position += p.byteLength;
    }
  } finally {
    closeSync(fd);
  }
}
