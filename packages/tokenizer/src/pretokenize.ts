// The GPT-2 pre-tokenisation pattern Whisper uses:
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// implemented as a hand-written scanner over character classes (the regular expression is kept as
// the executable specification the tests compare against). Every alternative is a run of one
// class, so the scanner is linear and never backtracks more than one character.

/**
 * Which characters the pattern's `\s` means.
 *
 * - `'unicode'` (default): Unicode White_Space, as in tiktoken's Rust regex engine (openai/whisper)
 *   and Hugging Face tokenizers. U+0085 is whitespace, U+FEFF is not.
 * - `'javascript'`: JavaScript's `\s`, as js-tiktoken and transformers.js use. U+FEFF is
 *   whitespace, U+0085 is not.
 *
 * The two agree on every string without U+0085 or U+FEFF.
 */
export type WhitespaceSemantics = 'unicode' | 'javascript';

/** The pattern as a global, Unicode-aware regular expression (the specification of the scanner). */
export function pretokenizePattern(whitespace: WhitespaceSemantics): RegExp {
  const ws = whitespace === 'unicode' ? '\\p{White_Space}' : '\\s';
  const notWs = whitespace === 'unicode' ? '\\P{White_Space}' : '\\S';
  return new RegExp(
    `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${ws}\\p{L}\\p{N}]+|${ws}+(?!${notWs})|${ws}+`,
    'gu',
  );
}

const LETTER = 1;
const NUMBER = 2;
const SPACE = 3;
const OTHER = 4;

const IS_LETTER = /^\p{L}$/u;
const IS_NUMBER = /^\p{N}$/u;
const IS_WHITE_SPACE = /^\p{White_Space}$/u;
const IS_JS_SPACE = /^\s$/u;

/** Character classes of code points, filled lazily (a regex test the first time a code point is seen). */
class CharClasses {
  private readonly bmp = new Uint8Array(0x10000);
  private readonly astral = new Map<number, number>();
  private readonly space: RegExp;

  constructor(whitespace: WhitespaceSemantics) {
    this.space = whitespace === 'unicode' ? IS_WHITE_SPACE : IS_JS_SPACE;
  }

  private classify(codePoint: number): number {
    const s = String.fromCodePoint(codePoint);
    if (IS_LETTER.test(s)) return LETTER;
    if (IS_NUMBER.test(s)) return NUMBER;
    if (this.space.test(s)) return SPACE;
    return OTHER;
  }

  /** Class of a BMP code unit that is not a surrogate. */
  ofUnit(c: number): number {
    const known = this.bmp[c]!;
    if (known !== 0) return known;
    const cls = this.classify(c);
    this.bmp[c] = cls;
    return cls;
  }

  ofAstral(codePoint: number): number {
    let cls = this.astral.get(codePoint);
    if (cls === undefined) {
      cls = this.classify(codePoint);
      this.astral.set(codePoint, cls);
    }
    return cls;
  }

  /** Class of the code point starting at `k` (a lone surrogate is OTHER). */
  at(text: string, k: number): number {
    const c = text.charCodeAt(k);
    if (c < 0xd800 || c > 0xdfff) return this.ofUnit(c);
    if (c <= 0xdbff && k + 1 < text.length) {
      const d = text.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff)
        return this.ofAstral(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00));
    }
    return OTHER;
  }

  /** End of the run of code points of class `cls` starting at `k`. */
  runEnd(text: string, k: number, cls: number): number {
    const n = text.length;
    while (k < n) {
      const c = text.charCodeAt(k);
      if (c < 0xd800 || c > 0xdfff) {
        if (this.ofUnit(c) !== cls) break;
        k++;
      } else if (c <= 0xdbff && k + 1 < n && (text.charCodeAt(k + 1) & 0xfc00) === 0xdc00) {
        const d = text.charCodeAt(k + 1);
        if (this.ofAstral(0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00)) !== cls) break;
        k += 2;
      } else {
        if (cls !== OTHER) break;
        k++;
      }
    }
    return k;
  }
}

const CLASSES: Record<WhitespaceSemantics, CharClasses | undefined> = {
  unicode: undefined,
  javascript: undefined,
};

/** Finds the pieces of the pattern in text, one at a time. */
export class PieceScanner {
  private readonly classes: CharClasses;

  constructor(whitespace: WhitespaceSemantics) {
    this.classes = CLASSES[whitespace] ??= new CharClasses(whitespace);
  }

  /** End (exclusive) of the piece that starts at `i` (< text.length). */
  pieceEnd(text: string, i: number): number {
    const n = text.length;
    const c = text.charCodeAt(i);
    if (c === 0x27 && i + 1 < n) {
      // 's 't 'm 'd 're 've 'll (lower case only, as in the pattern)
      const d = text.charCodeAt(i + 1);
      if (d === 0x73 || d === 0x74 || d === 0x6d || d === 0x64) return i + 2;
      if (i + 2 < n) {
        const e = text.charCodeAt(i + 2);
        if ((e === 0x65 && (d === 0x72 || d === 0x76)) || (d === 0x6c && e === 0x6c)) return i + 3;
      }
    }
    const classes = this.classes;
    if (c === 0x20 && i + 1 < n) {
      const next = classes.at(text, i + 1);
      // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+" with their optional leading space.
      if (next !== SPACE) return classes.runEnd(text, i + 1, next);
    }
    const cls = classes.at(text, i);
    if (cls !== SPACE) return classes.runEnd(text, i, cls);
    // "\s+(?!\S)": a whitespace run not followed by a non-space — all of it at the end of the text,
    // otherwise all but its last character (which then leads the next piece); "\s+" when that
    // leaves nothing.
    const end = classes.runEnd(text, i, SPACE);
    if (end === n || end - 1 === i) return end;
    return end - 1;
  }
}

/**
 * Splits text into the pieces BPE runs on (useful to inspect tokenisation).
 *
 * @example
 * ```ts
 * pretokenize("I'm here  now"); // ['I', "'m", ' here', ' ', ' now']
 * ```
 */
export function pretokenize(text: string, whitespace: WhitespaceSemantics = 'unicode'): string[] {
  const scanner = new PieceScanner(whitespace);
  const pieces: string[] = [];
  for (let i = 0; i < text.length;) {
    const end = scanner.pieceEnd(text, i);
    pieces.push(text.slice(i, end));
    i = end;
  }
  return pieces;
}
