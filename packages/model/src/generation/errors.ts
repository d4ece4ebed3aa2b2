/**
 * Stable codes of {@link GenerationError}:
 * - `INVALID_OPTION`: an option has an impossible value (e.g. `numBeams: 0`, an unknown task).
 * - `UNSUPPORTED_LANGUAGE`: the language is not in the checkpoint's `lang_to_id` table.
 * - `CONFIG_INCOMPLETE`: the generation config lacks a token id the requested feature needs.
 * - `TOO_LONG`: prompt + prefix + `maxNewTokens` exceed the decoder's `max_target_positions`.
 * - `ABORTED`: the caller's AbortSignal fired.
 * - `ASSISTANT_INCOMPATIBLE`: a speculative-decoding assistant cannot draft for the main model
 *   (another vocabulary or mel-bin count, other audio windows, a decoder-only assistant of
 *   another width).
 */
export type GenerationErrorCode =
  | 'INVALID_OPTION'
  | 'UNSUPPORTED_LANGUAGE'
  | 'CONFIG_INCOMPLETE'
  | 'TOO_LONG'
  | 'ABORTED'
  | 'ASSISTANT_INCOMPATIBLE';

/**
 * Generation cannot run with the given options and checkpoint.
 *
 * @example
 * ```ts
 * try { await generate(model, gen, { language: 'xx' }); }
 * catch (e) { if (e instanceof GenerationError && e.code === 'UNSUPPORTED_LANGUAGE') console.error(e.message); }
 * ```
 */
export class GenerationError extends Error {
  override readonly name = 'GenerationError';
  /** Stable machine-readable reason. */
  readonly code: GenerationErrorCode;

  constructor(code: GenerationErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Throws {@link GenerationError} `ABORTED` when `signal` has fired (checked between steps). */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new GenerationError('ABORTED', 'generation was aborted', { cause: signal.reason });
}
