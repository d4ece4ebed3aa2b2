// The pseudo-label WER filter of Distil-Whisper (WAVE2 A3, paper §4.2 / Table 10): a label is
// trusted only when it agrees with the ground truth after normalisation. Keep iff the normalised
// reference is non-empty, the label is not written all in upper case (a large-v3 failure mode),
// and 100 · WER(norm(label), norm(reference)) < λ.
import {
  createNormalizer,
  measureTexts,
  type SpellingMap,
  type TextNormalizer,
} from '@distil-whisper/metrics';

import { DistillError } from '../errors.js';

/** What {@link filterByWer} reads from an example. */
export interface WerFilterExample {
  /** The pseudo-label as stored (special tokens inside the string are ignored). */
  readonly label?: string | null;
  /** The ground-truth transcript. */
  readonly reference?: string | null;
}

/**
 * Why an example was dropped:
 * - `no-label`: it has no label;
 * - `no-reference`: it has no ground truth (nothing to check the label against);
 * - `empty-reference`: the ground truth normalises to nothing;
 * - `upper-case`: the label's text is all upper case;
 * - `above-threshold`: its WER is λ or more.
 */
export type WerDropReason =
  'no-label' | 'no-reference' | 'empty-reference' | 'upper-case' | 'above-threshold';

/** The filter's decision on one example. */
export interface WerVerdict<T> {
  readonly example: T;
  readonly keep: boolean;
  readonly reason: 'kept' | WerDropReason;
  /** 100 · WER of the normalised label against the normalised reference; NaN when not measured. */
  readonly wer: number;
  /** Substitutions + deletions + insertions (0 when not measured). */
  readonly errors: number;
  /** Words of the normalised reference (0 when not measured). */
  readonly referenceWords: number;
}

/** Corpus figures of a group of examples. */
export interface WerGroupStats {
  /** Examples in the group. */
  readonly examples: number;
  /** Examples whose WER could be measured (non-empty normalised reference). */
  readonly measured: number;
  readonly errors: number;
  readonly referenceWords: number;
  /** Corpus WER in percent: 100 · errors / reference words over the measured examples (NaN: none). */
  readonly wer: number;
}

/** Which normaliser the filter used. */
export type WerFilterNormalizer = 'english' | 'english+spelling-map' | 'basic' | 'custom';

/** Options of {@link filterByWer}. */
export interface FilterByWerOptions {
  /** λ in percent: an example is kept when 100 · WER < λ. Default 10 (the paper's choice). */
  readonly threshold?: number;
  /**
   * Language of the data: unset, `'en'` or `'english'` → Whisper's English normaliser; any other
   * language → the basic (multilingual) normaliser.
   */
  readonly language?: string | null;
  /** British → American spelling map of the English normaliser (the checkpoint's normalizer.json). */
  readonly spellingMap?: SpellingMap;
  /** Replaces the normaliser choice above. */
  readonly normalizer?: TextNormalizer;
}

/** Result of {@link filterByWer}. */
export interface WerFilterResult<T> {
  /** Kept examples, in input order. */
  readonly kept: ReadonlyArray<WerVerdict<T>>;
  /** Dropped examples, in input order. */
  readonly dropped: ReadonlyArray<WerVerdict<T>>;
  /** Every verdict, in input order. */
  readonly verdicts: ReadonlyArray<WerVerdict<T>>;
  /** λ used (percent). */
  readonly threshold: number;
  readonly normalizer: WerFilterNormalizer;
  /** Corpus figures of all, kept and dropped examples (the paper's Table 10 in small). */
  readonly stats: {
    readonly all: WerGroupStats;
    readonly kept: WerGroupStats;
    readonly dropped: WerGroupStats;
  };
  /** Dropped examples per reason. */
  readonly dropCounts: Readonly<Partial<Record<WerDropReason, number>>>;
}

const SPECIAL_TOKEN = /<\|[^|<>]*\|>/g;

/** The label without its `<|…|>` special and timestamp tokens. */
export function labelWithoutSpecialTokens(label: string): string {
  return label.replace(SPECIAL_TOKEN, '');
}

/**
 * Whether a label's text (special tokens removed) is written all in upper case: it has at least
 * one cased letter and no lower-case one. A label without letters (`" 1995."`) is not upper case
 * — the reference's literal `s.upper() == s` would drop it; here the WER decides.
 *
 * @example
 * ```ts
 * isAllUpperCase('<|startoftranscript|><|en|><|transcribe|><|notimestamps|> HELLO THERE.<|endoftext|>'); // true
 * ```
 */
export function isAllUpperCase(label: string): boolean {
  const text = labelWithoutSpecialTokens(label);
  return text !== text.toLowerCase() && text === text.toUpperCase();
}

/**
 * The filter's normaliser: Whisper's English normaliser (with `spellingMap` when given) for
 * English or unset languages, the basic normaliser for every other language.
 */
export function werFilterNormalizer(
  language: string | null | undefined,
  spellingMap?: SpellingMap,
): { normalize: TextNormalizer; kind: WerFilterNormalizer } {
  const lang = language?.trim().toLowerCase();
  if (lang && lang !== 'en' && lang !== 'english')
    return { normalize: createNormalizer('basic'), kind: 'basic' };
  return {
    // The missing-map warning is reported once through `kind`, not printed per example.
    normalize: createNormalizer('english', {
      ...(spellingMap ? { spellingMap } : {}),
      onWarning: () => {},
    }),
    kind: spellingMap ? 'english+spelling-map' : 'english',
  };
}

/** Corpus figures of a set of verdicts. */
export function werGroupStats<T>(verdicts: ReadonlyArray<WerVerdict<T>>): WerGroupStats {
  let measured = 0;
  let errors = 0;
  let referenceWords = 0;
  for (const v of verdicts) {
    if (Number.isNaN(v.wer)) continue;
    measured++;
    errors += v.errors;
    referenceWords += v.referenceWords;
  }
  return {
    examples: verdicts.length,
    measured,
    errors,
    referenceWords,
    wer: referenceWords > 0 ? (100 * errors) / referenceWords : Number.NaN,
  };
}

function checkThreshold(threshold: number): number {
  if (!Number.isFinite(threshold) || threshold < 0)
    throw new DistillError(
      'INVALID_ARGUMENT',
      `the WER threshold λ is a percentage >= 0 (10 keeps labels under 10 % WER), got ${String(threshold)}`,
    );
  return threshold;
}

/**
 * Filters pseudo-labelled examples by their WER against the ground truth (WAVE2 A3): keep iff
 * there is a label and a reference, the normalised reference is non-empty, the label is not all
 * upper case ({@link isAllUpperCase}) and `100 · WER(norm(label), norm(reference)) < threshold`.
 * Special tokens in the label vanish in the normaliser. Dropped examples are measured too
 * (except when there is nothing to measure) so the result can report their WER.
 *
 * @throws {@link DistillError} `INVALID_ARGUMENT` for a negative or non-finite threshold.
 * @example
 * ```ts
 * const r = filterByWer(
 *   [{ label: '<|startoftranscript|><|notimestamps|> Hello world.<|endoftext|>', reference: 'hello world' }],
 *   { threshold: 10 },
 * );
 * r.kept.length; // 1
 * r.stats.kept.wer; // 0
 * ```
 */
export function filterByWer<T extends WerFilterExample>(
  examples: readonly T[],
  options: FilterByWerOptions = {},
): WerFilterResult<T> {
  const threshold = checkThreshold(options.threshold ?? 10);
  const chosen = options.normalizer
    ? { normalize: options.normalizer, kind: 'custom' as const }
    : werFilterNormalizer(options.language, options.spellingMap);
  const { normalize } = chosen;
  const verdicts: Array<WerVerdict<T>> = [];
  const dropCounts: Partial<Record<WerDropReason, number>> = {};
  const unmeasured = (example: T, reason: WerDropReason): WerVerdict<T> => ({
    example,
    keep: false,
    reason,
    wer: Number.NaN,
    errors: 0,
    referenceWords: 0,
  });
  for (const example of examples) {
    const { label, reference } = example;
    let verdict: WerVerdict<T>;
    if (typeof label !== 'string' || label.length === 0) verdict = unmeasured(example, 'no-label');
    else if (typeof reference !== 'string') verdict = unmeasured(example, 'no-reference');
    else {
      const ref = normalize(reference);
      if (ref.trim().length === 0) verdict = unmeasured(example, 'empty-reference');
      else {
        const m = measureTexts(ref, normalize(label));
        const errors = m.substitutions + m.deletions + m.insertions;
        const wer = (100 * errors) / m.referenceLength;
        const reason: 'kept' | WerDropReason = isAllUpperCase(label)
          ? 'upper-case'
          : wer < threshold
            ? 'kept'
            : 'above-threshold';
        verdict = {
          example,
          keep: reason === 'kept',
          reason,
          wer,
          errors,
          referenceWords: m.referenceLength,
        };
      }
    }
    if (!verdict.keep)
      dropCounts[verdict.reason as WerDropReason] =
        (dropCounts[verdict.reason as WerDropReason] ?? 0) + 1;
    verdicts.push(verdict);
  }
  const kept = verdicts.filter((v) => v.keep);
  const dropped = verdicts.filter((v) => !v.keep);
  return {
    kept,
    dropped,
    verdicts,
    threshold,
    normalizer: chosen.kind,
    stats: {
      all: werGroupStats(verdicts),
      kept: werGroupStats(kept),
      dropped: werGroupStats(dropped),
    },
    dropCounts,
  };
}

/** One row of {@link werThresholdSweep}. */
export interface WerSweepRow {
  /** λ in percent. */
  readonly threshold: number;
  /** Examples kept at this λ. */
  readonly kept: number;
  /** Kept share of all examples, in percent. */
  readonly keptPercent: number;
  /** Corpus WER of the kept examples, in percent (NaN when none is kept). */
  readonly wer: number;
}

/** The thresholds of the λ table: the paper's Table 10 values and the two ends. */
export const WER_SWEEP_THRESHOLDS: readonly number[] = [100, 80, 40, 20, 15, 10, 5];

/**
 * What each λ would keep, from one {@link filterByWer} result (the other rules do not depend on
 * λ): kept count and share, and the corpus WER of the kept examples.
 *
 * @example
 * ```ts
 * werThresholdSweep(filterByWer(examples).verdicts).map((r) => `${r.threshold}: ${r.keptPercent.toFixed(1)} %`);
 * ```
 */
export function werThresholdSweep<T>(
  verdicts: ReadonlyArray<WerVerdict<T>>,
  thresholds: readonly number[] = WER_SWEEP_THRESHOLDS,
): WerSweepRow[] {
  const eligible = verdicts.filter((v) => v.reason === 'kept' || v.reason === 'above-threshold');
  return thresholds.map((t) => {
    const threshold = checkThreshold(t);
    const kept = eligible.filter((v) => v.wer < threshold);
    return {
      threshold,
      kept: kept.length,
      keptPercent: verdicts.length > 0 ? (100 * kept.length) / verdicts.length : 0,
      wer: werGroupStats(kept).wer,
    };
  });
}
