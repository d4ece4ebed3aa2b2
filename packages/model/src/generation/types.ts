/**
 * The small surface generation needs from a Whisper decoder (the model's graph implements it;
 * tests implement it with hand-made logits, so every search rule is testable without weights),
 * and what every search takes and returns.
 */
import type { ProcessorSettings } from './logits-processors';

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

/** One finished row of a search. */
export interface SearchOutput {
  /** Generated tokens, the final `<|endoftext|>` included when one was produced. */
  tokens: number[];
  /**
   * Per generated token, its log-probability under the processed (and, when sampling, warped and
   * re-scaled) distribution of its step: the terms of transformers' average log-probability.
   */
  logprobs: number[];
  /** Length-penalised beam score (beam search only). */
  score?: number;
}

/** Settings shared by every search. */
export interface SearchSettings {
  processors: ProcessorSettings;
  eosTokenId: number;
  /** Longest total sequence (prefix + generated), transformers' `max_length`. */
  maxLength: number;
  /** Prefix length (prompt + forced tokens) of every row. */
  prefixLength: number;
  signal?: AbortSignal | undefined;
  /** Called after every step with the number of tokens generated so far (longest row). */
  onStep?: ((generated: number) => void) | undefined;
}
