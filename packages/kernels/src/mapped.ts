// Tensors that are views into a memory-mapped file (native/binding/mapped_file.cpp): weights are
// used where the page cache holds them instead of being copied into native memory.
import { call, KernelError } from './errors';
import { native, type Device, type DType } from './native';
import { getDefaultDevice, Tensor } from './tensor';

/** Where one tensor's bytes lie in a file, and what they hold. */
export interface MappedTensorSpec {
  /** Absolute byte offset of the first element in the file. */
  offset: number;
  /** Bytes the tensor occupies: the product of `shape` times the element size. */
  byteLength: number;
  /** Dimensions, outermost first (row-major, contiguous in the file). */
  shape: readonly number[];
  /** Element type of the stored bytes (little-endian). */
  dtype: DType;
}

/** Options of {@link mapTensors}. */
export interface MapTensorsOptions {
  /**
   * Device of the tensors. `'cpu'`: views into the mapping (a copy only for a tensor whose offset
   * is not a multiple of its element size); `'cuda'`: uploaded from the mapping, which is then
   * released. Default: {@link getDefaultDevice}.
   */
  device?: Device;
  /**
   * Scan every f32 / f16 / bf16 tensor for NaN and ±Infinity (natively, in parallel, over the
   * mapped bytes) before any tensor is made. Default false.
   */
  checkFinite?: boolean;
}

/** The first NaN or ±Infinity {@link mapTensors} found. */
export interface NonFiniteElement {
  /** Index into the specs of the tensor holding it. */
  index: number;
  /** Row-major element index inside that tensor. */
  element: number;
  /** What the element is. */
  value: 'NaN' | 'Infinity' | '-Infinity';
}

/** What {@link mapTensors} made: every tensor, or the non-finite element that stopped it. */
export type MapTensorsResult =
  | {
      ok: true;
      /** One tensor per spec, in spec order; the caller owns (and disposes) them. */
      tensors: Tensor[];
      /** How many tensors are copies rather than views of the mapping. */
      copied: number;
    }
  | {
      ok: false;
      /** Where the check found a non-finite value (no tensor was made). */
      nonFinite: NonFiniteElement;
    };

/**
 * Maps a file into memory (private, copy-on-write: the file is never written) and returns tensors
 * viewing it. The mapping lives as long as any tensor (or view of one) made from it, however it
 * goes — {@link Tensor.dispose} or garbage collection — and is unmapped after the last.
 *
 * Every byte range is checked against the size of the file as it is when mapped, so a spec that
 * does not fit gives {@link KernelError} `OUT_OF_RANGE` and never a read past the end. One risk
 * remains and cannot be checked in advance: if another process truncates the file while it is
 * mapped, touching a page past the new end kills the process with SIGBUS. Read files that may
 * be rewritten in place into memory instead.
 *
 * @param fd an open, readable file descriptor (from `fs.openSync`); the caller may close it
 *   right after this returns
 * @param specs the tensors to make
 * @throws {@link KernelError} `OUT_OF_RANGE` (a spec past the end of the file), `MAP_FAILED`
 *   (not a regular file, or a file system or platform without mmap: read the file instead),
 *   `UNSUPPORTED` (an addon built before this function existed), `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * const fd = openSync('weights.bin', 'r');
 * const r = mapTensors(fd, [{ offset: 0, byteLength: 24, shape: [2, 3], dtype: 'f32' }], { checkFinite: true });
 * closeSync(fd);
 * if (r.ok) console.log(r.tensors[0]!.toArray());
 * ```
 */
export function mapTensors(
  fd: number,
  specs: readonly MappedTensorSpec[],
  options: MapTensorsOptions = {},
): MapTensorsResult {
  const addon = native();
  if (typeof addon.mapTensors !== 'function')
    throw new KernelError(
      'UNSUPPORTED',
      'this build of the native addon cannot map files (it predates mapTensors): rebuild it with `npm run build:native`',
    );
  const r = call(() =>
    addon.mapTensors!(
      fd,
      specs.map((s) => ({ ...s, shape: [...s.shape] })),
      options.device ?? getDefaultDevice(),
      options.checkFinite === true,
    ),
  );
  if (r.nonFinite) return { ok: false, nonFinite: r.nonFinite };
  return { ok: true, tensors: r.tensors.map((h) => new Tensor(h)), copied: r.copied };
}

/**
 * Drops the memory pages of a tensor that is a view of a mapped file (see {@link mapTensors}) from
 * this process's resident set; they are read from the file again on the next touch. Meant for
 * weights read once and not needed soon, e.g. the float originals of weights just quantised to
 * int8. Returns false, doing nothing, for a tensor that is not such a view. Do not use on a
 * tensor that was written to: privately modified pages revert to the file's contents.
 */
export function releasePages(tensor: Tensor): boolean {
  return call(() => native().releasePages(tensor.handle));
}
