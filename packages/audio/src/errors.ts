/**
 * Stable machine-readable reasons an {@link AudioError} is thrown. Match on these, not on messages.
 *
 * - `INVALID_ARGUMENT`: a caller-supplied value has the wrong type or is out of range.
 * - `UNSUPPORTED_FORMAT`: the bytes are not a container this package recognises.
 * - `UNSUPPORTED_CODEC`: the container is known but its encoding is not (e.g. ADPCM inside WAV).
 * - `CORRUPT_DATA`: the bytes claim to be a known format but are malformed or a header lies.
 * - `TRUNCATED`: the file ends before its header says it should.
 * - `EMPTY_AUDIO`: the input holds no samples.
 * - `NON_FINITE_SAMPLES`: a sample is NaN or ±Infinity.
 * - `INVALID_SAMPLE_RATE`: a sample rate is not an integer within {@link MIN_SAMPLE_RATE}..{@link MAX_SAMPLE_RATE}.
 * - `TOO_LONG`: the audio exceeds the caller's `maxDurationSeconds`.
 * - `TOO_SHORT`: the audio is too short for the requested operation (e.g. an STFT without padding).
 * - `IO_ERROR`: reading the file or stream failed.
 * - `INVALID_CONFIG`: a feature-extractor configuration is inconsistent or unsupported.
 * - `ABORTED`: the caller's AbortSignal fired.
 */
export type AudioErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNSUPPORTED_FORMAT'
  | 'UNSUPPORTED_CODEC'
  | 'CORRUPT_DATA'
  | 'TRUNCATED'
  | 'EMPTY_AUDIO'
  | 'NON_FINITE_SAMPLES'
  | 'INVALID_SAMPLE_RATE'
  | 'TOO_LONG'
  | 'TOO_SHORT'
  | 'IO_ERROR'
  | 'INVALID_CONFIG'
  | 'ABORTED';

/**
 * The only error type this package throws for bad input. `code` is stable across versions;
 * `message` says what was wrong and what to do about it. `cause` keeps the underlying error
 * (e.g. from the file system or a codec) when there is one.
 *
 * @example
 * ```ts
 * try {
 *   await loadAudio('clip.xyz');
 * } catch (err) {
 *   if (err instanceof AudioError && err.code === 'UNSUPPORTED_FORMAT') console.error(err.message);
 *   else throw err;
 * }
 * ```
 */
export class AudioError extends Error {
  /** Stable reason; see {@link AudioErrorCode}. */
  readonly code: AudioErrorCode;

  constructor(code: AudioErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AudioError';
    this.code = code;
  }
}

/**
 * Something decoded but not as the file promised, reported through `onWarning` of
 * `loadAudio` / `streamAudio` while the samples that decoded are kept.
 *
 * - `TRUNCATED`: fewer samples decoded than the header declares (an MP3's Xing/Info frame count;
 *   a WAV or FLAC length with `lenient: true`), or an Ogg stream that ends without its
 *   end-of-stream page. With `strict: true` the same findings throw {@link AudioError} `TRUNCATED`.
 */
export interface AudioWarning {
  readonly code: 'TRUNCATED';
  /** What was found, with both durations, and what to do about it. */
  readonly message: string;
  /** Seconds that decoded, at the source's own rate. */
  readonly decodedSeconds: number;
  /** Seconds the header declares, when it declares a length. */
  readonly expectedSeconds?: number;
}

/** Lowest sample rate accepted anywhere in the package, in Hz. */
export const MIN_SAMPLE_RATE = 1000;
/** Highest sample rate accepted anywhere in the package, in Hz (the largest rate common hardware records). */
export const MAX_SAMPLE_RATE = 768_000;

/** Throws `INVALID_SAMPLE_RATE` unless `rate` is an integer in the accepted range. */
export function checkSampleRate(rate: unknown, what: string): number {
  if (
    typeof rate !== 'number' ||
    !Number.isInteger(rate) ||
    rate < MIN_SAMPLE_RATE ||
    rate > MAX_SAMPLE_RATE
  ) {
    throw new AudioError(
      'INVALID_SAMPLE_RATE',
      `Expected ${what} to be an integer between ${MIN_SAMPLE_RATE} and ${MAX_SAMPLE_RATE} Hz but received ${describe(rate)}`,
    );
  }
  return rate;
}

// Whole-array finiteness without a branch per sample: x·0 is ±0 for finite x and NaN for NaN and
// ±Infinity, so four running sums of x·0 stay 0 exactly when every sample is finite. One copy
// per array type keeps each loop monomorphic (about 4× faster than the generic loop below on
// float32, which matters because log-mel checks every sample of its input).
function allFiniteF32(x: Float32Array): boolean {
  const n = x.length;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    a += x[i]! * 0;
    b += x[i + 1]! * 0;
    c += x[i + 2]! * 0;
    d += x[i + 3]! * 0;
  }
  for (; i < n; i++) a += x[i]! * 0;
  return a + b + c + d === 0;
}

function allFiniteF64(x: Float64Array): boolean {
  const n = x.length;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    a += x[i]! * 0;
    b += x[i + 1]! * 0;
    c += x[i + 2]! * 0;
    d += x[i + 3]! * 0;
  }
  for (; i < n; i++) a += x[i]! * 0;
  return a + b + c + d === 0;
}

/** Index of the first NaN/±Infinity in `samples`, or -1. */
export function firstNonFinite(samples: ArrayLike<number>): number {
  if (samples instanceof Float32Array && allFiniteF32(samples)) return -1;
  if (samples instanceof Float64Array && allFiniteF64(samples)) return -1;
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    // v - v is NaN exactly for NaN and ±Infinity; cheaper than Number.isFinite in a hot loop.
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Throws `NON_FINITE_SAMPLES` if any sample is NaN or infinite. */
export function checkFinite(samples: ArrayLike<number>, what: string): void {
  const i = firstNonFinite(samples);
  if (i >= 0) {
    throw new AudioError(
      'NON_FINITE_SAMPLES',
      `${what} contains a non-finite value (${String(samples[i])}) at index ${i}; clean or clip the signal before computing features`,
    );
  }
}

/** Short human description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength} bytes)`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value === 'object'
    ? `an object (${value.constructor?.name ?? 'Object'})`
    : typeof value;
}
