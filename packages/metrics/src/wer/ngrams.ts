import { splitWords, type TextNormalizer } from './measures.js';

/** Repetition statistics of the n-grams of one token sequence. */
export interface NgramRepetition {
  /** n-gram length. */
  n: number;
  /** Number of n-grams (tokens − n + 1, or 0). */
  total: number;
  /** Number of distinct n-grams. */
  distinct: number;
  /** Occurrences that repeat an earlier n-gram: total − distinct (the paper's "5-Dup." per text). */
  repeated: number;
}

/**
 * Counts repeated n-grams, the Distil-Whisper paper's hallucination measure for long-form output
 * (n = 5: a looping decoder repeats whole phrases, so duplicate 5-grams pile up).
 *
 * @example
 * ```ts
 * repeatedNgrams('a b c d e a b c d e'.split(' '), 5).repeated; // 1 ('a b c d e' occurs twice)
 * ```
 */
export function repeatedNgrams<T>(tokens: readonly T[], n = 5): NgramRepetition {
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`Expected a positive integer for n but received ${n}`);
  const total = Math.max(0, tokens.length - n + 1);
  // Map each token to an id once, then key n-grams by their id tuple; the separator cannot occur in ids.
  const ids = new Map<T, number>();
  const seq = tokens.map((t) => {
    let id = ids.get(t);
    if (id === undefined) ids.set(t, (id = ids.size));
    return id;
  });
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(seq.slice(i, i + n).join(','));
  return { n, total, distinct: seen.size, repeated: total - seen.size };
}

/**
 * Repeated n-grams of a text's words, after an optional normaliser.
 *
 * @example
 * ```ts
 * repeatedWordNgrams('thank you thank you thank you', { n: 2 }).repeated; // 3
 * ```
 */
export function repeatedWordNgrams(
  text: string,
  options: { n?: number; normalizer?: TextNormalizer } = {},
): NgramRepetition {
  const normalized = options.normalizer ? options.normalizer(text) : text;
  return repeatedNgrams(splitWords(normalized), options.n ?? 5);
}
