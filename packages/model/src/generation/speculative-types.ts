// What speculative decoding needs from a decoder session beyond DecoderSession (scoring several
// positions in one call, forgetting rejected tokens), and the options and reports of the
// assistant. The algorithm itself is in speculative-search.ts.
import type { DecoderSession, GenerationModel } from './types';

/**
 * A {@link DecoderSession} that can also score several new positions in one call and forget
 * cached tokens: what both the main model and the assistant must offer for speculative decoding.
 * The sessions of {@link whisperGenerationModel} are rewindable.
 */
export interface RewindableSession extends DecoderSession {
  /** Tokens in the session's cache; every row holds the same number. */
  readonly length: number;
  /**
   * Appends `tokens[r]` to row `r` (every row the same count) and returns, per row, the logits
   * after each appended token: `result[r][i]` follows `tokens[r][i]`. The arrays may be reused
   * by the next call.
   */
  decodeAll(tokens: readonly (readonly number[])[]): Float32Array[][] | Promise<Float32Array[][]>;
  /** Forgets every row's cached tokens beyond `length` (≤ {@link RewindableSession.length}). */
  rewind(length: number): void;
}

/** A session that is rewindable and answers synchronously (a WhisperModel's). */
export interface SyncRewindableSession extends RewindableSession {
  decode(tokens: readonly (readonly number[])[]): Float32Array[];
  decodeAll(tokens: readonly (readonly number[])[]): Float32Array[][];
  reorder(indices: readonly number[]): void;
}

/** True when `session` offers what speculative decoding needs. */
export function isRewindable(session: DecoderSession): session is RewindableSession {
  const s = session as Partial<RewindableSession>;
  return typeof s.decodeAll === 'function' && typeof s.rewind === 'function' && 'length' in s;
}

/**
 * How the number of drafted tokens per round evolves (transformers' `num_assistant_tokens_schedule`):
 * - `'heuristic'`: +2 after a round in which the row's every draft was accepted, −1 otherwise
 *   (never below 1). Each row keeps its own count; it starts afresh with every {@link generate} call
 *   (transformers' `"heuristic_transient"`; pass the last round's `nextDraftLengths` as
 *   `numAssistantTokens` to carry it over, e.g. from one long-form window to the next).
 * - `'constant'`: always `numAssistantTokens`.
 */
export type DraftSchedule = 'heuristic' | 'constant';

/** One round of speculative decoding, as reported to {@link AssistantOptions.onRound}. */
export interface SpeculativeRound {
  /** Rows decoded in this round (the session's rows, finished rows excluded). */
  rows: number;
  /** Tokens the assistant drafted, per row (0 for a row whose cache was catching up). */
  drafted: number[];
  /** Drafted tokens the main model kept, per row. */
  accepted: number[];
  /** Tokens committed this round per row: the accepted drafts plus the main model's own token. */
  committed: number[];
  /** Positions per row the main model scored in its one forward of this round. */
  verifiedPositions: number;
  /** Forward calls the assistant made this round. */
  assistantCalls: number;
  /** Draft length of every row for the next round. */
  nextDraftLengths: number[];
}

/**
 * Speculative decoding: an assistant (a smaller decoder sharing the tokenizer) drafts tokens and
 * the main model verifies them in one forward pass. With greedy decoding the output is the main
 * model's greedy output token for token; with sampling it has the main model's sampling
 * distribution (speculative sampling).
 */
export interface AssistantOptions {
  /**
   * The assistant's decoder over the same audio windows as the main model (same window order),
   * e.g. `whisperGenerationModel(student, encoderOutput)`; its sessions must be rewindable.
   */
  model: GenerationModel;
  /**
   * Tokens drafted per row in the first round: one number for every row, or one per audio window.
   * Default 5 (transformers' `num_assistant_tokens`).
   */
  numAssistantTokens?: number | readonly number[];
  /** How the draft length adapts. Default `'heuristic'`. */
  schedule?: DraftSchedule;
  /** Called after every round (acceptance statistics). */
  onRound?: (round: SpeculativeRound) => void;
}
