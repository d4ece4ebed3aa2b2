// The number of tokens an assistant drafts per round (transformers'
// AssistedCandidateGenerator.update_candidate_strategy, "heuristic" schedule).
import { GenerationError } from './errors';
import type { DraftSchedule } from './speculative-types';

/** transformers' default `num_assistant_tokens` for the heuristic schedule. */
export const DEFAULT_DRAFT_LENGTH = 5;

/** Throws {@link GenerationError} `INVALID_OPTION` unless `k` is a positive integer. */
export function checkDraftLength(k: number): number {
  if (!Number.isInteger(k) || k < 1)
    throw new GenerationError(
      'INVALID_OPTION',
      `numAssistantTokens must be a positive integer, got ${k}`,
    );
  return k;
}

/**
 * The draft length of one row: grows by 2 after a fully accepted round and shrinks by 1 (to 1 at
 * least) otherwise under `'heuristic'`; fixed under `'constant'`.
 */
export class DraftLength {
  #current: number;

  constructor(
    initial: number,
    readonly schedule: DraftSchedule,
  ) {
    this.#current = checkDraftLength(initial);
  }

  /** Tokens to draft in the next round. */
  get current(): number {
    return this.#current;
  }

  /**
   * Records a round in which the row drafted at least one token.
   *
   * @param allAccepted every drafted token was accepted
   */
  update(allAccepted: boolean): void {
    if (this.schedule !== 'heuristic') return;
    // A perfect round says the assistant tracks the main model here: draft further ahead.
    this.#current = allAccepted ? this.#current + 2 : Math.max(1, this.#current - 1);
  }
}
