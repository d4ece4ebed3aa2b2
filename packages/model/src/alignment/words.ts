// Words from token times (openai/whisper find_alignment's tail; transformers'
// _collate_word_timestamps): a word starts where its first token starts and ends where the next
// word starts; its probability is the mean of its tokens' probabilities.

import { AlignmentError } from './errors';

/**
 * Words and the tokens each was decoded from, as the tokenizer's `splitToWordTokens` returns
 * them (structurally the tokenizer's `WordSplit`; this package does not depend on the tokenizer).
 */
export interface WordTokens {
  /** Text of each word, leading space included (`" hello"`). */
  readonly words: readonly string[];
  /** Tokens of each word; concatenated they are the text tokens, in order. */
  readonly wordTokens: readonly (readonly number[])[];
}

/** One timed word. */
export interface WordTiming {
  /** The word's text, leading space included (`" country."`). */
  word: string;
  /** The tokens it was decoded from (punctuation merged into it included). */
  tokens: number[];
  /** Start in seconds. */
  start: number;
  /** End in seconds. */
  end: number;
  /** Mean probability of the word's own tokens (punctuation merged later does not change it). */
  probability: number;
}

/**
 * Times the words of `split`: `tokenStarts[k]` is the start of text token `k` and
 * `tokenStarts[n]` the end of the last one (n = number of text tokens); `tokenProbabilities[k]`
 * is the probability of text token `k`.
 *
 * @throws {@link AlignmentError} `INVALID_INPUT` when the split does not cover exactly the n
 *   tokens or the arrays' lengths disagree
 */
export function timeWords(
  split: WordTokens,
  tokenStarts: ArrayLike<number>,
  tokenProbabilities: ArrayLike<number>,
): WordTiming[] {
  const n = tokenProbabilities.length;
  if (tokenStarts.length !== n + 1)
    throw new AlignmentError(
      'INVALID_INPUT',
      `expected ${n + 1} token start times for ${n} text tokens, got ${tokenStarts.length}`,
    );
  if (split.words.length !== split.wordTokens.length)
    throw new AlignmentError('INVALID_INPUT', 'word split: words and wordTokens differ in length');
  const covered = split.wordTokens.reduce((a, t) => a + t.length, 0);
  if (covered !== n)
    throw new AlignmentError(
      'INVALID_INPUT',
      `the word split covers ${covered} tokens but ${n} text tokens were aligned`,
    );
  const out: WordTiming[] = [];
  let b = 0;
  split.wordTokens.forEach((tokens, i) => {
    const e = b + tokens.length;
    let p = 0;
    for (let k = b; k < e; k++) p += tokenProbabilities[k]!;
    out.push({
      word: split.words[i]!,
      tokens: [...tokens],
      start: tokenStarts[b]!,
      end: tokenStarts[e]!,
      // An empty word (never produced by the tokenizer) would divide by zero: NaN, as np.mean([]).
      probability: tokens.length > 0 ? p / tokens.length : NaN,
    });
    b = e;
  });
  return out;
}
