/**
 * Stable codes of {@link AlignmentError}:
 * - `INVALID_INPUT`: shapes or values of the alignment inputs do not fit together (matrix sizes,
 *   token counts, a word split that does not cover the tokens, an even filter width).
 * - `NO_ALIGNMENT_HEADS`: no cross-attention head can be used (a decoder without layers).
 */
export type AlignmentErrorCode = 'INVALID_INPUT' | 'NO_ALIGNMENT_HEADS';

/**
 * Word alignment cannot run on the given inputs.
 *
 * @example
 * ```ts
 * try { medianFilter(data, rows, cols, 4); }
 * catch (e) { if (e instanceof AlignmentError && e.code === 'INVALID_INPUT') console.error(e.message); }
 * ```
 */
export class AlignmentError extends Error {
  override readonly name = 'AlignmentError';
  /** Stable machine-readable reason. */
  readonly code: AlignmentErrorCode;

  constructor(code: AlignmentErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}
