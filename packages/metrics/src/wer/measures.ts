import { MetricsError } from '../errors.js';
import { pySplit, pyStrip } from '../normalizers/python-text.js';
import { alignEncoded, editCounts, encodePair, type EditCounts } from './edit-distance.js';

/** A text normaliser applied to both sides before scoring, e.g. `english.normalize`. */
export type TextNormalizer = (text: string) => string;

/**
 * Error counts and rates of an alignment (jiwer's definitions). `referenceLength` N = H + S + D and
 * `hypothesisLength` P = H + S + I count tokens (words for WER, characters for CER).
 *
 * - `errorRate` = (S + D + I) / N — WER or CER. With N = 0 the denominator is taken as 1, so an
 *   empty reference scores the number of inserted tokens (0 when both are empty), as jiwer 4 does.
 * - `mer` = (S + D + I) / (H + S + D + I); 0 when both sides are empty.
 * - `wip` = (H / N) · (H / P); 1 when both sides are empty, 0 when only one is.
 * - `wil` = 1 − `wip`.
 * - `substitutionRate`, `deletionRate`, `insertionRate` = S, D, I / N (denominator at least 1): they
 *   sum to `errorRate`; `insertionRate` is the paper's IER.
 */
export interface ErrorMeasures extends EditCounts {
  referenceLength: number;
  hypothesisLength: number;
  errorRate: number;
  mer: number;
  wil: number;
  wip: number;
  substitutionRate: number;
  deletionRate: number;
  insertionRate: number;
}

/**
 * Rates from raw counts; corpus-level measures are the rates of the summed counts.
 *
 * @example
 * ```ts
 * errorMeasures({ hits: 3, substitutions: 1, deletions: 0, insertions: 1 }).errorRate; // 0.5
 * ```
 */
export function errorMeasures(counts: EditCounts): ErrorMeasures {
  const { hits: H, substitutions: S, deletions: D, insertions: I } = counts;
  const N = H + S + D;
  const P = H + S + I;
  const edits = S + D + I;
  const denominator = Math.max(N, 1);
  const wip = N === 0 && P === 0 ? 1 : N === 0 || P === 0 ? 0 : (H / N) * (H / P);
  return {
    hits: H,
    substitutions: S,
    deletions: D,
    insertions: I,
    referenceLength: N,
    hypothesisLength: P,
    errorRate: edits / denominator,
    mer: edits === 0 ? 0 : edits / (H + edits),
    wil: 1 - wip,
    wip,
    substitutionRate: S / denominator,
    deletionRate: D / denominator,
    insertionRate: I / denominator,
  };
}

/** Words of a text: split on whitespace runs (leading/trailing whitespace ignored). */
export function splitWords(text: string): string[] {
  return pySplit(text);
}

/**
 * Characters of a text as CER counts them (jiwer 4's convention): the ends are trimmed and every
 * remaining code point is a token, inner spaces included (runs are not collapsed; the Whisper
 * normalisers already collapse them).
 */
export function splitCharacters(text: string): string[] {
  return Array.from(pyStrip(text));
}

/** How to tokenise for {@link measureTexts}: words (WER) or characters (CER). */
export type TokenUnit = 'word' | 'character';

/** Options shared by the text-level functions. */
export interface MeasureOptions {
  /** Applied to reference and hypothesis first. Default: none (texts are compared as given). */
  normalizer?: TextNormalizer;
  /** Tokens to compare. Default `'word'`. */
  unit?: TokenUnit;
}

function tokenize(text: string, options: MeasureOptions): string[] {
  const normalized = options.normalizer ? options.normalizer(text) : text;
  return options.unit === 'character' ? splitCharacters(normalized) : splitWords(normalized);
}

/**
 * Counts and rates for one token-sequence pair, in memory linear in the sequence lengths. Tokens
 * are compared with SameValueZero (strings, numbers, token ids...).
 *
 * @example
 * ```ts
 * measureTokens(['the', 'cat', 'sat'], ['the', 'cat', 'sat', 'down']).insertions; // 1
 * ```
 */
export function measureTokens<T>(reference: readonly T[], hypothesis: readonly T[]): ErrorMeasures {
  const { ref, hyp } = encodePair(reference, hypothesis);
  return errorMeasures(editCounts(ref, hyp));
}

/**
 * Counts and rates for one (reference, hypothesis) text pair.
 *
 * @example
 * ```ts
 * measureTexts('the cat sat', 'the cat sat down').errorRate; // 1/3
 * measureTexts('the cat', 'the bat', { unit: 'character' }).errorRate; // 1/7
 * ```
 */
export function measureTexts(
  reference: string,
  hypothesis: string,
  options: MeasureOptions = {},
): ErrorMeasures {
  return measureTokens(tokenize(reference, options), tokenize(hypothesis, options));
}

/**
 * Word error rate of one pair: (S + D + I) / reference words.
 *
 * @example
 * ```ts
 * wer('ask not what your country can do', 'ask what your country can do for'); // 2/7
 * ```
 */
export function wer(
  reference: string,
  hypothesis: string,
  options: Omit<MeasureOptions, 'unit'> = {},
): number {
  return measureTexts(reference, hypothesis, { ...options, unit: 'word' }).errorRate;
}

/**
 * Character error rate of one pair (spaces count as characters, see {@link splitCharacters}).
 *
 * @example
 * ```ts
 * cer('hello world', 'hello word'); // 1/11
 * ```
 */
export function cer(
  reference: string,
  hypothesis: string,
  options: Omit<MeasureOptions, 'unit'> = {},
): number {
  return measureTexts(reference, hypothesis, { ...options, unit: 'character' }).errorRate;
}

/** Corpus-level measures plus the number of utterances and, on request, per-utterance measures. */
export interface CorpusMeasures extends ErrorMeasures {
  utterances: number;
  /** Present when `perUtterance: true` was asked for. */
  perUtterance?: ErrorMeasures[];
}

/** Options of {@link measureCorpus}. */
export interface CorpusOptions extends MeasureOptions {
  /** Also return the measures of every pair. Default false. */
  perUtterance?: boolean;
}

/**
 * Corpus-level measures: counts are summed over all pairs and the rates computed from the sums,
 * so the WER is total edits / total reference words — not the mean of per-utterance WERs.
 *
 * @throws {@link MetricsError} `LENGTH_MISMATCH` when the lists differ in length.
 * @example
 * ```ts
 * measureCorpus(['a b', '', 'c'], ['a x', 'y', 'c']).errorRate; // (1 S + 1 I) / 3 words
 * ```
 */
export function measureCorpus(
  references: readonly string[],
  hypotheses: readonly string[],
  options: CorpusOptions = {},
): CorpusMeasures {
  if (references.length !== hypotheses.length) {
    throw new MetricsError(
      'LENGTH_MISMATCH',
      `Expected as many hypotheses as references but received ${hypotheses.length} hypotheses for ${references.length} references`,
    );
  }
  const total: EditCounts = { hits: 0, substitutions: 0, deletions: 0, insertions: 0 };
  const perUtterance: ErrorMeasures[] = [];
  for (let k = 0; k < references.length; k++) {
    const { ref, hyp } = encodePair(
      tokenize(references[k] as string, options),
      tokenize(hypotheses[k] as string, options),
    );
    const c = editCounts(ref, hyp);
    total.hits += c.hits;
    total.substitutions += c.substitutions;
    total.deletions += c.deletions;
    total.insertions += c.insertions;
    if (options.perUtterance) perUtterance.push(errorMeasures(c));
  }
  const result: CorpusMeasures = { ...errorMeasures(total), utterances: references.length };
  if (options.perUtterance) result.perUtterance = perUtterance;
  return result;
}

/**
 * Corpus word error rate: total edits / total reference words.
 *
 * @example
 * ```ts
 * corpusWer(['the cat sat', 'hello'], ['the cat sat', 'yellow']); // 1/4
 * ```
 */
export function corpusWer(
  references: readonly string[],
  hypotheses: readonly string[],
  options: Omit<MeasureOptions, 'unit'> = {},
): number {
  return measureCorpus(references, hypotheses, { ...options, unit: 'word' }).errorRate;
}

/**
 * Corpus character error rate: total character edits / total reference characters.
 */
export function corpusCer(
  references: readonly string[],
  hypotheses: readonly string[],
  options: Omit<MeasureOptions, 'unit'> = {},
): number {
  return measureCorpus(references, hypotheses, { ...options, unit: 'character' }).errorRate;
}

/** One aligned position: a hit or substitution pairs two tokens; a deletion/insertion has one side. */
export interface AlignedPair<T = string> {
  op: 'hit' | 'substitution' | 'deletion' | 'insertion';
  /** Index in the reference tokens, or -1 for an insertion. */
  refIndex: number;
  /** Index in the hypothesis tokens, or -1 for a deletion. */
  hypIndex: number;
  /** The reference token, or null for an insertion. */
  ref: T | null;
  /** The hypothesis token, or null for a deletion. */
  hyp: T | null;
}

/** An alignment with its measures. */
export interface Alignment<T = string> extends ErrorMeasures {
  reference: T[];
  hypothesis: T[];
  pairs: AlignedPair<T>[];
}

/**
 * The alignment itself, pair by pair. It has the same counts as {@link measureTokens} (both minimise
 * edits, then maximise hits). Among equally good alignments, the backtrace from the end prefers a
 * hit/substitution, then a deletion, then an insertion, so e.g. `a b` → `c` aligns as
 * deletion(a), substitution(b→c). Memory grows with length × edits; for hours-long transcripts use
 * the counts-only functions when pairs are not needed.
 *
 * @throws RangeError when the alignment would need more than 2^30 band cells.
 * @example
 * ```ts
 * alignTokens(['a', 'b', 'c'], ['a', 'c', 'd']).pairs.map((p) => p.op);
 * // ['hit', 'deletion', 'hit', 'insertion']
 * ```
 */
export function alignTokens<T>(reference: readonly T[], hypothesis: readonly T[]): Alignment<T> {
  const { ref, hyp } = encodePair(reference, hypothesis);
  const { steps, counts } = alignEncoded(ref, hyp);
  return {
    ...errorMeasures(counts),
    reference: [...reference],
    hypothesis: [...hypothesis],
    pairs: steps.map((s) => ({
      op: s.op,
      refIndex: s.refIndex,
      hypIndex: s.hypIndex,
      ref: s.refIndex >= 0 ? (reference[s.refIndex] as T) : null,
      hyp: s.hypIndex >= 0 ? (hypothesis[s.hypIndex] as T) : null,
    })),
  };
}

/**
 * Word (or character) alignment of two texts.
 *
 * @example
 * ```ts
 * const a = alignTexts('ask not what', 'ask what you');
 * a.pairs.map((p) => `${p.op}:${p.ref ?? ''}>${p.hyp ?? ''}`);
 * // ['hit:ask>ask', 'deletion:not>', 'hit:what>what', 'insertion:>you']
 * ```
 */
export function alignTexts(
  reference: string,
  hypothesis: string,
  options: MeasureOptions = {},
): Alignment<string> {
  return alignTokens(tokenize(reference, options), tokenize(hypothesis, options));
}
