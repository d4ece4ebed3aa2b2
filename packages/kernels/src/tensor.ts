import { call, DisposedError, KernelError } from './errors';
import { native, type Device, type DType, type NativeTensor } from './native';
import { track } from './scope';

/** Typed array returned by {@link Tensor.toArray} for each dtype (f16/bf16 as raw bits). */
export interface ArrayForDType {
  f32: Float32Array;
  f16: Uint16Array;
  bf16: Uint16Array;
  i32: Int32Array;
  i8: Int8Array;
}

/** Data accepted by {@link Tensor.from}. */
export type TensorData =
  Float32Array | Uint16Array | Int32Array | Int8Array | Uint8Array | readonly number[];

/** Options for creating a tensor. */
export interface TensorOptions {
  /** Element type. Default: inferred from the typed array (`Float32Array` → f32, `Int32Array` → i32), else f32. */
  dtype?: DType;
  /** Where the tensor lives. Default: {@link getDefaultDevice} (initially `'cpu'`). */
  device?: Device;
}

let defaultDevice: Device = 'cpu';

/** Sets the device new tensors are created on when no `device` option is given. */
export function setDefaultDevice(device: Device): void {
  if (device !== 'cpu' && device !== 'cuda')
    throw new KernelError('INVALID_ARGUMENT', `unknown device ${String(device)}`);
  defaultDevice = device;
}

/** The device new tensors are created on by default. */
export function getDefaultDevice(): Device {
  return defaultDevice;
}

function inferDType(data: TensorData): DType {
  if (data instanceof Int32Array) return 'i32';
  if (data instanceof Int8Array) return 'i8';
  return 'f32';
}

function toTyped(data: TensorData, dtype: DType): ArrayBufferView {
  if (ArrayBuffer.isView(data)) return data;
  switch (dtype) {
    case 'f32':
      return Float32Array.from(data);
    case 'i32':
      return Int32Array.from(data);
    case 'i8':
      return Int8Array.from(data);
    default:
      // Plain numbers for f16/bf16: convert through f32 natively, never by hand in JS.
      return Float32Array.from(data);
  }
}

/**
 * An n-dimensional array in native memory (CPU or CUDA). Tensors are immutable values: ops
 * return new tensors. Views (`reshape`, `slice`, `transpose`) share memory with their source.
 * Release memory with {@link Tensor.dispose} or inside {@link tidy}; the garbage collector
 * frees forgotten tensors eventually, but large models should not rely on it.
 *
 * @example
 * ```ts
 * const a = Tensor.from(new Float32Array([1, 2, 3, 4]), [2, 2]);
 * const b = matmul(a, a, { transB: true });
 * console.log(b.toArray()); // Float32Array [5, 11, 11, 25]
 * a.dispose(); b.dispose();
 * ```
 */
export class Tensor {
  readonly #handle: NativeTensor;

  /** @internal Wraps a native handle; use the static constructors instead. */
  constructor(handle: NativeTensor) {
    this.#handle = handle;
    track(this);
  }

  /** Creates a tensor holding a copy of `data`. `data.length` must equal the product of `shape`. */
  static from(data: TensorData, shape: readonly number[], options: TensorOptions = {}): Tensor {
    const dtype = options.dtype ?? inferDType(data);
    const device = options.device ?? defaultDevice;
    const typed = toTyped(data, dtype);
    if (!ArrayBuffer.isView(data) && (dtype === 'f16' || dtype === 'bf16')) {
      const f32 = call(() => native().fromBuffer(typed, [...shape], 'f32', device));
      try {
        return new Tensor(call(() => native().cast(f32, dtype)));
      } finally {
        f32.dispose();
      }
    }
    return new Tensor(call(() => native().fromBuffer(typed, [...shape], dtype, device)));
  }

  /** A tensor of zeros. */
  static zeros(shape: readonly number[], options: TensorOptions = {}): Tensor {
    return new Tensor(
      call(() =>
        native().zeros([...shape], options.dtype ?? 'f32', options.device ?? defaultDevice),
      ),
    );
  }

  /** An uninitialised tensor (contents undefined): for outputs that will be fully written. */
  static empty(shape: readonly number[], options: TensorOptions = {}): Tensor {
    return new Tensor(
      call(() =>
        native().empty([...shape], options.dtype ?? 'f32', options.device ?? defaultDevice),
      ),
    );
  }

  /** @internal The native handle; throws {@link DisposedError} after dispose(). */
  get handle(): NativeTensor {
    if (this.#handle.disposed) throw new DisposedError('this tensor has been disposed');
    return this.#handle;
  }

  /** Dimensions, outermost first. */
  get shape(): readonly number[] {
    return this.#handle.shape;
  }
  /** Element strides of this view. */
  get strides(): readonly number[] {
    return this.#handle.strides;
  }
  /** Element type. */
  get dtype(): DType {
    return this.#handle.dtype;
  }
  /** Device holding the data. */
  get device(): Device {
    return this.#handle.device;
  }
  /** Number of dimensions. */
  get rank(): number {
    return this.#handle.shape.length;
  }
  /** Number of elements. */
  get size(): number {
    return this.#handle.shape.reduce((a, b) => a * b, 1);
  }
  /** True once {@link Tensor.dispose} has run. */
  get disposed(): boolean {
    return this.#handle.disposed;
  }
  /** True when the elements are laid out densely in row-major order. */
  get isContiguous(): boolean {
    return this.#handle.contiguous;
  }

  /**
   * Copies the data to a new typed array of the dtype's natural type (f16/bf16 as raw 16-bit
   * patterns; use {@link Tensor.toFloat32} to get numbers).
   */
  toArray<D extends DType = DType>(): ArrayForDType[D] {
    const buf = call(() => native().toBuffer(this.handle));
    switch (this.dtype) {
      case 'f32':
        return new Float32Array(buf) as ArrayForDType[D];
      case 'i32':
        return new Int32Array(buf) as ArrayForDType[D];
      case 'i8':
        return new Int8Array(buf) as ArrayForDType[D];
      default:
        return new Uint16Array(buf) as ArrayForDType[D];
    }
  }

  /** Copies the data out as float32 numbers, converting from the tensor's dtype. */
  toFloat32(): Float32Array {
    if (this.dtype === 'f32') return this.toArray<'f32'>();
    const t = call(() => native().cast(this.handle, 'f32'));
    try {
      return new Float32Array(call(() => native().toBuffer(t)));
    } finally {
      t.dispose();
    }
  }

  /** A view with a new shape (one dimension may be -1). The tensor must be contiguous. */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(call(() => native().reshape(this.handle, [...shape])));
  }
  /** A view of elements `start` (inclusive) to `end` (exclusive) along `dim`. */
  slice(dim: number, start: number, end: number): Tensor {
    return new Tensor(call(() => native().slice(this.handle, dim, start, end)));
  }
  /** A view with two dimensions swapped (a strided view: call {@link Tensor.contiguous} before most ops). */
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(call(() => native().transpose(this.handle, dim0, dim1)));
  }
  /** A dense copy of a strided view (or a new handle on the same memory when already dense). */
  contiguous(): Tensor {
    return new Tensor(call(() => native().contiguous(this.handle)));
  }
  /** Converts to another dtype (round to nearest even; to integers: round and saturate, NaN → 0). */
  cast(dtype: DType): Tensor {
    return new Tensor(call(() => native().cast(this.handle, dtype)));
  }
  /** Copies to another device (or returns a handle on the same memory when already there). */
  to(device: Device): Tensor {
    return new Tensor(call(() => native().to(this.handle, device)));
  }
  /** Overwrites this tensor (or view, e.g. a slice of a KV cache) with `src` (same shape and dtype). */
  assign(src: Tensor): this {
    call(() => native().copyInto(this.handle, src.handle));
    return this;
  }

  /**
   * Releases this handle's reference to the native memory. The memory is freed once no view of
   * it remains. Idempotent.
   */
  dispose(): void {
    this.#handle.dispose();
  }

  /** Same as {@link Tensor.dispose}, for `using` declarations. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** A short description, e.g. `Tensor(f32, cpu, [2, 3])`. */
  toString(): string {
    return `Tensor(${this.dtype}, ${this.device}, [${this.shape.join(', ')}]${this.disposed ? ', disposed' : ''})`;
  }
}
