// Splitting decoded tokens into words for word-level timestamps, as openai/whisper does
// (`split_to_word_tokens` in whisper/tokenizer.py).

/** Words and the tokens each word was decoded from (parallel arrays). */
export interface WordSplit {
  /** Decoded text of each word, leading space included (`" hello"`). */
  readonly words: string[];
  /** Tokens of each word; concatenated they give back the input tokens. */
  readonly wordTokens: number[][];
}

/** Languages written without spaces between words: split on unicode boundaries instead. */
export const LANGUAGES_WITHOUT_SPACES: ReadonlySet<string> = new Set([
  'zh',
  'ja',
  'th',
  'lo',
  'my',
  'yue',
]);

// Python's string.punctuation; openai/whisper tests `word.strip() in string.punctuation`, a
// substring test, so "" and runs such as "()" count as punctuation too.
const PY_PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

// Characters Python's str.strip() removes (those for which str.isspace() is true).
const PY_SPACE: ReadonlySet<number> = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
  0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
  0x205f, 0x3000,
]);

function pyStrip(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PY_SPACE.has(text.charCodeAt(start))) start++;
  while (end > start && PY_SPACE.has(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

const REPLACEMENT = '\ufffd';

/**
 * Groups tokens into the shortest runs that decode to whole characters: a run ends as soon as its
 * text has no U+FFFD, or its U+FFFD is also in the full decode (a genuinely invalid byte).
 */
export function splitTokensOnUnicode(
  tokens: readonly number[],
  decode: (ids: readonly number[]) => string,
): WordSplit {
  const full = decode(tokens);
  const words: string[] = [];
  const wordTokens: number[][] = [];
  let current: number[] = [];
  let offset = 0;
  for (const token of tokens) {
    current.push(token);
    const text = decode(current);
    const bad = text.indexOf(REPLACEMENT);
    if (bad < 0 || full[offset + bad] === REPLACEMENT) {
      words.push(text);
      wordTokens.push(current);
      current = [];
      offset += text.length;
    }
  }
  return { words, wordTokens };
}

/**
 * Unicode runs joined into words: a new word starts at a special token (id ≥ `eot`), a run starting
 * with a space, or punctuation.
 */
export function splitTokensOnSpaces(
  tokens: readonly number[],
  decode: (ids: readonly number[]) => string,
  eot: number,
): WordSplit {
  const sub = splitTokensOnUnicode(tokens, decode);
  const words: string[] = [];
  const wordTokens: number[][] = [];
  sub.words.forEach((subword, i) => {
    const subTokens = sub.wordTokens[i]!;
    const special = subTokens[0]! >= eot;
    const withSpace = subword.startsWith(' ');
    const punctuation = PY_PUNCTUATION.includes(pyStrip(subword));
    if (special || withSpace || punctuation || words.length === 0) {
      words.push(subword);
      wordTokens.push(subTokens);
    } else {
      words[words.length - 1] += subword;
      wordTokens[wordTokens.length - 1]!.push(...subTokens);
    }
  });
  return { words, wordTokens };
}
