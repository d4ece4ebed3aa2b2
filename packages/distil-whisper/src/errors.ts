/**
 * Stable codes of {@link TranscribeError}:
 * - `INVALID_INPUT`: the input or an option has the wrong kind or value.
 * - `WORKER_FAILED`: the model thread exited or could not start.
 * - `DISPOSED`: the pipeline was disposed.
 * - `ABORTED`: the caller's AbortSignal fired.
 * - `CALLBACK_FAILED`: the caller's `onProgress` or `onResult` threw; the request was stopped and
 *   the thrown value is the `cause`.
 */
export type TranscribeErrorCode =
  'INVALID_INPUT' | 'WORKER_FAILED' | 'DISPOSED' | 'ABORTED' | 'CALLBACK_FAILED';

/**
 * A transcription request that cannot be served. Errors of the underlying packages
 * (`AudioError`, `CheckpointError`, `TokenizerError`, `GenerationError`, ...) are passed through
 * with their own class name and `code`.
 *
 * @example
 * ```ts
 * try { await asr.transcribe('long.wav'); }
 * catch (e) { if (e instanceof TranscribeError && e.code === 'INVALID_INPUT') console.error(e.message); }
 * ```
 */
export class TranscribeError extends Error {
  override readonly name = 'TranscribeError';
  /** Stable machine-readable reason. */
  readonly code: TranscribeErrorCode;
  /** Duration of the audio in seconds, when an error concerns it. */
  readonly durationSeconds: number | undefined;

  constructor(
    code: TranscribeErrorCode,
    message: string,
    options: { cause?: unknown; durationSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.durationSeconds = options.durationSeconds;
  }
}

/** A serialisable view of an error, for crossing the worker boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  durationSeconds?: number;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof Error) {
    const out: SerializedError = { name: e.name, message: e.message };
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    if (e.stack !== undefined) out.stack = e.stack;
    const d = (e as { durationSeconds?: unknown }).durationSeconds;
    if (typeof d === 'number') out.durationSeconds = d;
    return out;
  }
  return { name: 'Error', message: String(e) };
}

/** Rebuilds an error thrown in the worker, keeping its name and code; the caller's stack is appended. */
export function deserializeError(s: SerializedError, callerStack?: string): Error {
  let err: Error;
  if (s.name === 'TranscribeError' && s.code !== undefined) {
    err = new TranscribeError(
      s.code as TranscribeErrorCode,
      s.message,
      s.durationSeconds === undefined ? {} : { durationSeconds: s.durationSeconds },
    );
  } else {
    err = new Error(s.message);
    Object.defineProperty(err, 'name', {
      value: s.name,
      enumerable: false,
      configurable: true,
      writable: true,
    });
    if (s.code !== undefined)
      Object.defineProperty(err, 'code', { value: s.code, enumerable: true });
  }
  err.stack = `${s.name}: ${s.message}\n    [model thread]${s.stack ? `\n${s.stack.split('\n').slice(1).join('\n')}` : ''}${callerStack ? `\n    [caller]\n${callerStack.split('\n').slice(1).join('\n')}` : ''}`;
  return err;
}
