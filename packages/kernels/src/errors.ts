/** Stable codes carried by every {@link KernelError}. */
export type KernelErrorCode =
  | 'INVALID_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'DTYPE_MISMATCH'
  | 'DEVICE_MISMATCH'
  | 'OUT_OF_MEMORY'
  | 'UNSUPPORTED'
  | 'DEVICE_UNAVAILABLE'
  | 'DISPOSED'
  | 'INTERNAL'
  | 'NATIVE_LOAD_FAILED'
  /** `mapTensors`: a byte range does not fit the file as it is now. */
  | 'OUT_OF_RANGE'
  /** `mapTensors`: the file cannot be memory-mapped here (read it instead). */
  | 'MAP_FAILED';

/**
 * Any failure of a kernel call: a bad shape or dtype, a disposed tensor, an allocation failure.
 * The native layer validates before touching memory, so catching this is always safe.
 *
 * @example
 * ```ts
 * try { matmul(a, b); } catch (e) { if (e instanceof KernelError && e.code === 'SHAPE_MISMATCH') ... }
 * ```
 */
export class KernelError extends Error {
  /** Machine-readable reason; see {@link KernelErrorCode}. */
  readonly code: KernelErrorCode;
  constructor(code: KernelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KernelError';
    this.code = code;
  }
}

/** A tensor was used after `dispose()`. */
export class DisposedError extends KernelError {
  constructor(message: string) {
    super('DISPOSED', message);
    this.name = 'DisposedError';
  }
}

/** The `cuda` backend was requested where it cannot run; `message` says why. */
export class CudaUnavailableError extends KernelError {
  constructor(reason: string) {
    super('DEVICE_UNAVAILABLE', `cuda backend unavailable: ${reason}`);
    this.name = 'CudaUnavailableError';
  }
}

/** The native addon could not be loaded; `tried` lists each path and why it failed. */
export class NativeLoadError extends KernelError {
  readonly tried: readonly string[];
  /**
   * @param tried each path looked at and why it failed
   * @param advice how to build the addon where this package is installed
   */
  constructor(tried: string[], advice = 'Build it with `npm run build:native`.') {
    super(
      'NATIVE_LOAD_FAILED',
      `could not load the distil-whisper native addon. ${advice} ` +
        `(Or set DW_NATIVE_PATH to a dw_native.node.) Tried:\n  ${tried.join('\n  ')}`,
    );
    this.name = 'NativeLoadError';
    this.tried = tried;
  }
}

const codes = new Set<string>([
  'INVALID_ARGUMENT',
  'SHAPE_MISMATCH',
  'DTYPE_MISMATCH',
  'DEVICE_MISMATCH',
  'OUT_OF_MEMORY',
  'UNSUPPORTED',
  'DEVICE_UNAVAILABLE',
  'DISPOSED',
  'INTERNAL',
  'OUT_OF_RANGE',
  'MAP_FAILED',
]);

/**
 * Runs a native call and rethrows its errors as typed {@link KernelError}s whose stack is the
 * caller's (the native stack says nothing useful).
 * @internal
 */
export function call<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toKernelError(err);
  }
}

function toKernelError(err: unknown): unknown {
  if (err instanceof KernelError || !(err instanceof Error)) return err;
  const code = (err as Error & { code?: unknown }).code;
  if (typeof code !== 'string' || !codes.has(code)) return err;
  if (code === 'DISPOSED') return new DisposedError(err.message);
  if (code === 'DEVICE_UNAVAILABLE') {
    return new CudaUnavailableError(err.message.replace(/^cuda backend unavailable: /, ''));
  }
  return new KernelError(code as KernelErrorCode, err.message, { cause: err });
}
