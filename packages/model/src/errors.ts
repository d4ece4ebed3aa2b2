/**
 * Stable codes of {@link CheckpointError}:
 * - `CONFIG_INVALID`: config.json / generation_config.json is missing, not JSON, or has impossible values.
 * - `FILE_NOT_FOUND`: a file the checkpoint needs (config, weights, a shard) does not exist.
 * - `SAFETENSORS_INVALID`: a safetensors file whose header lies (length, JSON, dtype, sizes, offsets, overlaps, truncation).
 * - `TENSORS_MISMATCH`: tensor names or shapes do not match the config (lists every problem at once).
 * - `INDEX_INVALID`: model.safetensors.index.json is malformed or points at missing tensors.
 * - `NON_FINITE_WEIGHTS`: a weight holds NaN or ±Infinity (a corrupt file, or one saved after
 *   training diverged); the message names the tensor and the element.
 * - `WRITE_FAILED`: saving a checkpoint failed.
 */
export type CheckpointErrorCode =
  | 'CONFIG_INVALID'
  | 'FILE_NOT_FOUND'
  | 'SAFETENSORS_INVALID'
  | 'TENSORS_MISMATCH'
  | 'INDEX_INVALID'
  | 'NON_FINITE_WEIGHTS'
  | 'WRITE_FAILED';

/**
 * Base of the package's file errors: a stable `code`, every individual finding in `problems`
 * and the file concerned in `path`.
 * @internal
 */
export abstract class ProblemListError<Code extends string> extends Error {
  /** Stable machine-readable reason. */
  readonly code: Code;
  /** Every individual problem found (at least one). */
  readonly problems: readonly string[];
  /** File the error is about, when there is one. */
  readonly path: string | undefined;

  constructor(
    code: Code,
    message: string,
    options: { problems?: readonly string[]; path?: string; cause?: unknown } = {},
  ) {
    super(
      options.path ? `${message} (${options.path})` : message,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.problems = options.problems && options.problems.length > 0 ? options.problems : [message];
    this.path = options.path;
  }
}

/**
 * A checkpoint directory or file cannot be used. `code` is stable; `problems` lists every
 * individual finding (e.g. each missing tensor) and `path` the file concerned, when known.
 *
 * @example
 * ```ts
 * try { await WhisperModel.load(dir); }
 * catch (e) { if (e instanceof CheckpointError && e.code === 'TENSORS_MISMATCH') console.error(e.problems); }
 * ```
 */
export class CheckpointError extends ProblemListError<CheckpointErrorCode> {
  override readonly name = 'CheckpointError';
}

/** Wrong use of the model API (bad token ids, batch sizes, disposed state, ...). Stable `code`. */
export type ModelErrorCode = 'INVALID_ARGUMENT' | 'SEQUENCE_TOO_LONG' | 'DISPOSED' | 'UNSUPPORTED';

/** Thrown for misuse of {@link WhisperModel} / {@link DecoderState}; `code` is stable. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  /** Stable machine-readable reason. */
  readonly code: ModelErrorCode;
  constructor(code: ModelErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
