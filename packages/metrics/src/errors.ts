/** Stable machine-readable codes carried by {@link MetricsError}. */
export type MetricsErrorCode =
  | 'INVALID_ARGUMENT'
  | 'LENGTH_MISMATCH'
  | 'SPELLING_MAP_NOT_FOUND'
  | 'SPELLING_MAP_INVALID'
  | 'ALIGNMENT_TOO_LARGE'
  | 'CLI_USAGE';

/**
 * Error thrown by `@distil-whisper/metrics`. Branch on `code`, not on the message.
 *
 * @example
 * ```ts
 * try { corpusWer(refs, hyps); } catch (e) {
 *   if (e instanceof MetricsError && e.code === 'LENGTH_MISMATCH') { ... }
 * }
 * ```
 */
export class MetricsError extends Error {
  /** Stable code identifying the failure. */
  readonly code: MetricsErrorCode;

  constructor(code: MetricsErrorCode, message: string) {
    super(message);
    this.name = 'MetricsError';
    this.code = code;
  }
}
