import { collapseSpaces } from './python-text.js';

// Letters that NFKD does not decompose but that Whisper's normaliser still folds to ASCII
// (openai/whisper `whisper/normalizers/basic.py`, ADDITIONAL_DIACRITICS).
const EXTRA_DIACRITICS: ReadonlyMap<string, string> = new Map([
  ['œ', 'oe'],
  ['Œ', 'OE'],
  ['ø', 'o'],
  ['Ø', 'O'],
  ['æ', 'ae'],
  ['Æ', 'AE'],
  ['ß', 'ss'],
  ['ẞ', 'SS'],
  ['đ', 'd'],
  ['Đ', 'D'],
  ['ð', 'd'],
  ['Ð', 'D'],
  ['þ', 'th'],
  ['Þ', 'th'],
  ['ł', 'l'],
  ['Ł', 'L'],
]);

const nonspacingMark = /^\p{Mn}$/u;
const markSymbolOrPunctuation = /^[\p{M}\p{S}\p{P}]$/u;

/**
 * NFKD, then: characters in `keep` stay, a few letters are folded to ASCII (ø → o, ß → ss, ...),
 * non-spacing marks (the decomposed diacritics) are dropped and every other mark, symbol or
 * punctuation character becomes a space. Mirrors `remove_symbols_and_diacritics` of openai/whisper.
 *
 * @example
 * ```ts
 * removeSymbolsAndDiacritics('Crème brûlée!'); // 'Creme brulee '
 * ```
 */
export function removeSymbolsAndDiacritics(s: string, keep = ''): string {
  let out = '';
  for (const c of s.normalize('NFKD')) {
    if (keep.includes(c)) out += c;
    else {
      const folded = EXTRA_DIACRITICS.get(c);
      if (folded !== undefined) out += folded;
      else if (nonspacingMark.test(c)) continue;
      else if (markSymbolOrPunctuation.test(c)) out += ' ';
      else out += c;
    }
  }
  return out;
}

/**
 * NFKC, then every mark, symbol or punctuation character becomes a space; diacritics stay composed.
 * Mirrors `remove_symbols` of openai/whisper.
 *
 * @example
 * ```ts
 * removeSymbols('Hola, güey!'); // 'Hola  güey '
 * ```
 */
export function removeSymbols(s: string): string {
  let out = '';
  for (const c of s.normalize('NFKC')) out += markSymbolOrPunctuation.test(c) ? ' ' : c;
  return out;
}

// `[<\[][^>\]]*[>\]]` and `\(([^)]+?)\)` of upstream: annotations such as [MUSIC], <noise>, (laughs).
const bracketed = /[<[][^>\]]*[>\]]/gu;
const parenthesised = /\(([^)]+?)\)/gu;

/** Removes `[...]`, `<...>` and `(...)` spans, as both Whisper normalisers do first. */
export function removeBracketedText(s: string): string {
  return s.replace(bracketed, '').replace(parenthesised, '');
}

/** Options of {@link BasicTextNormalizer}. */
export interface BasicTextNormalizerOptions {
  /** Drop diacritics (NFKD and mark removal) instead of keeping them composed (NFKC). Default false. */
  removeDiacritics?: boolean;
  /** Separate every grapheme cluster with a space (for CER-like scoring of CJK/Thai...). Default false. */
  splitLetters?: boolean;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Whisper's language-independent normaliser (openai/whisper `BasicTextNormalizer`): lower-case,
 * remove bracketed/parenthesised annotations, replace symbols and punctuation by spaces, optionally
 * drop diacritics and split into grapheme clusters, and collapse whitespace runs to one space.
 * Like upstream it does not trim: `"Hello, World!"` → `"hello world "`.
 *
 * @example
 * ```ts
 * const basic = new BasicTextNormalizer({ removeDiacritics: true });
 * basic.normalize('Crème Brûlée'); // 'creme brulee'
 * ```
 */
export class BasicTextNormalizer {
  readonly removeDiacritics: boolean;
  readonly splitLetters: boolean;

  constructor(options: BasicTextNormalizerOptions = {}) {
    this.removeDiacritics = options.removeDiacritics ?? false;
    this.splitLetters = options.splitLetters ?? false;
  }

  /** Normalises one string. */
  normalize(text: string): string {
    let s = removeBracketedText(text.toLowerCase());
    s = (this.removeDiacritics ? removeSymbolsAndDiacritics(s) : removeSymbols(s)).toLowerCase();
    if (this.splitLetters) {
      const clusters: string[] = [];
      for (const { segment } of graphemes.segment(s)) clusters.push(segment);
      s = clusters.join(' ');
    }
    return collapseSpaces(s);
  }
}
