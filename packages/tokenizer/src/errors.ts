/**
 * Stable machine-readable reasons for a {@link TokenizerError}.
 *
 * - `FILE_NOT_FOUND`: no loadable tokenizer file where one was expected.
 * - `MALFORMED_FILE`: a tokenizer file is truncated, not valid JSON / text, or misses a field.
 * - `UNSUPPORTED_TOKENIZER`: the file is well formed but describes a tokenizer this package does not
 *   implement (e.g. not byte-level BPE).
 * - `UNKNOWN_MERGE_TOKEN`: a merge refers to a token that is not in the vocabulary.
 * - `NOT_A_WHISPER_TOKENIZER`: a Whisper control token (`<|startoftranscript|>`, …) is missing.
 * - `INVALID_TOKEN_ID`: decode was given an id that is not an integer in `[0, vocabSize)`.
 * - `DISALLOWED_SPECIAL_TOKEN`: text contains special-token text and the caller asked to reject it.
 * - `UNKNOWN_LANGUAGE`: a language code or name that this tokenizer does not have.
 * - `UNKNOWN_TASK`: a task other than `transcribe` / `translate`.
 * - `MODEL_MISMATCH`: the tokenizer's vocabulary or control-token ids differ from the model's
 *   (`WhisperTokenizer.checkModel`).
 * - `INVALID_ARGUMENT`: any other argument of the wrong kind or out of range.
 */
export type TokenizerErrorCode =
  | 'FILE_NOT_FOUND'
  | 'MALFORMED_FILE'
  | 'UNSUPPORTED_TOKENIZER'
  | 'UNKNOWN_MERGE_TOKEN'
  | 'NOT_A_WHISPER_TOKENIZER'
  | 'INVALID_TOKEN_ID'
  | 'DISALLOWED_SPECIAL_TOKEN'
  | 'UNKNOWN_LANGUAGE'
  | 'UNKNOWN_TASK'
  | 'MODEL_MISMATCH'
  | 'INVALID_ARGUMENT';

/**
 * Every failure of this package: a bad tokenizer file, an id out of range, an unknown language, …
 * `code` is stable across versions; `message` says what to do about it.
 *
 * @example
 * ```ts
 * try {
 *   tokenizer.decode([999_999]);
 * } catch (e) {
 *   if (e instanceof TokenizerError && e.code === 'INVALID_TOKEN_ID') { ... }
 * }
 * ```
 */
export class TokenizerError extends Error {
  /** Stable reason; see {@link TokenizerErrorCode}. */
  readonly code: TokenizerErrorCode;

  constructor(code: TokenizerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TokenizerError';
    this.code = code;
  }
}
