import { MetricsError } from './errors.js';
import { createNormalizer } from './normalizers/create.js';
import type { SpellingMap } from './normalizers/english-spelling.js';
import { measureTexts, type TextNormalizer } from './wer/measures.js';

/** Why {@link werFilter} kept or dropped a pair. */
export type WerFilterReason =
  'within-threshold' | 'above-threshold' | 'empty-reference' | 'upper-case';

/** Decision of {@link werFilter} for one (ground truth, pseudo-label) pair. */
export interface WerFilterDecision {
  keep: boolean;
  /** WER of the normalised pseudo-label against the normalised ground truth (NaN when not measured). */
  wer: number;
  reason: WerFilterReason;
}

/** Options of {@link werFilter}. */
export interface WerFilterOptions {
  /**
   * λ as a fraction: a pair is kept when its WER is strictly below it. Default 0.1 (the paper's
   * 10 %, the best of the thresholds it tried).
   */
  threshold?: number;
  /**
   * Applied to both sides before measuring. Default: Whisper's English normaliser, with
   * `spellingMap` when given (without one it warns once and skips the spelling rule).
   */
  normalizer?: TextNormalizer;
  /** Spelling map for the default English normaliser. */
  spellingMap?: SpellingMap;
  /**
   * Also drop pseudo-labels written entirely in upper case (a known failure of large-v3 teachers,
   * which the Distil-Whisper training scripts filter). Default false.
   */
  rejectUpperCase?: boolean;
}

/**
 * The pseudo-label filter of Distil-Whisper: normalise ground truth and pseudo-label, measure the
 * WER, keep the pair when WER < threshold. A ground truth that normalises to nothing cannot be
 * scored and is dropped, as in the Distil-Whisper training scripts.
 *
 * @throws {@link MetricsError} `INVALID_ARGUMENT` for a negative or non-finite threshold.
 * @example
 * ```ts
 * const filter = werFilter({ threshold: 0.1, spellingMap });
 * filter('The cat sat on the mat.', 'the cat sat on the mat'); // { keep: true, wer: 0, reason: 'within-threshold' }
 * ```
 */
export function werFilter(
  options: WerFilterOptions = {},
): (groundTruth: string, pseudoLabel: string) => WerFilterDecision {
  const threshold = options.threshold ?? 0.1;
  if (!Number.isFinite(threshold) || threshold < 0) {
    throw new MetricsError(
      'INVALID_ARGUMENT',
      `Expected a finite threshold >= 0 (a fraction, 0.1 = 10 %) but received ${threshold}`,
    );
  }
  const normalize =
    options.normalizer ??
    createNormalizer('english', options.spellingMap ? { spellingMap: options.spellingMap } : {});
  const rejectUpperCase = options.rejectUpperCase ?? false;
  return (groundTruth, pseudoLabel) => {
    if (rejectUpperCase && pseudoLabel.toUpperCase() === pseudoLabel) {
      return { keep: false, wer: Number.NaN, reason: 'upper-case' };
    }
    const reference = normalize(groundTruth);
    if (reference.trim().length === 0)
      return { keep: false, wer: Number.NaN, reason: 'empty-reference' };
    const measured = measureTexts(reference, normalize(pseudoLabel)).errorRate;
    const keep = measured < threshold;
    return { keep, wer: measured, reason: keep ? 'within-threshold' : 'above-threshold' };
  };
}
