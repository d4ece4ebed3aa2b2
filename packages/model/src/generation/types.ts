/**
 * The small surface generation needs from a Whisper decoder. The model's graph implements it;
 * tests implement it with hand-made logits, so every search rule is testable without weights.
 */

/** One decoding pass over a set of rows, each with its own self-attention cache. */
export interface DecoderSession {
  /**
   * Appends `tokens[r]` (one or more ids) to row `r` and returns, per row, the logits that follow
   * the last appended token (length = vocabulary size). The returned arrays may be reused by the
   * next call: read them before calling again.
   */
  decode(tokens: readonly (readonly number[])[]): Float32Array[] | Promise<Float32Array[]>;
  /**
   * Re-arranges rows: new row `i` continues former row `indices[i]` (duplicates allowed, rows not
   * named are dropped). Used by beam search and to drop finished rows.
   */
  reorder(indices: readonly number[]): void | Promise<void>;
  /** Frees the session's caches. */
  dispose(): void;
}

/** A decoder that has already encoded a batch of audio windows. */
export interface GenerationModel {
  /** Logit row length. */
  readonly vocabSize: number;
  /** Longest decoder sequence (config `max_target_positions`, 448 for Whisper). */
  readonly maxTargetPositions: number;
  /** Number of encoded audio windows available to sessions. */
  readonly batchSize: number;
  /**
   * Opens a session with one row per entry of `audioIndex`; row `r` cross-attends to encoded
   * window `audioIndex[r]`.
   */
  startSession(audioIndex: readonly number[]): DecoderSession | Promise<DecoderSession>;
}
