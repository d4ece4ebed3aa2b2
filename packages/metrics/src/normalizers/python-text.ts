// Python `re`/`str` semantics expressed as JavaScript regex fragments. The upstream normalisers are
// Python code: `\s`, `\d`, `\w` and `\b` there are Unicode-aware, while JavaScript's `\b`/`\w`/`\d`
// stay ASCII even with the `u` flag, and JavaScript's `\s` differs from Python's on a few code points.

/**
 * Python's whitespace (`str.isspace`, `re` `\s`, `str.split()`): JavaScript `\s` minus U+FEFF, plus
 * the information separators U+001C..U+001F and NEXT LINE U+0085.
 */
export const PY_SPACE =
  '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';

/** Python's `\w` for str patterns: alphanumeric by `str.isalnum` (letters and numbers) or `_`. */
export const PY_WORD = '[\\p{L}\\p{N}_]';

/** Python's `\d`: any Unicode decimal digit (category Nd). */
export const PY_DIGIT = '\\p{Nd}';

/** `\b` immediately before a word character (the only way the upstream patterns use it there). */
export const WORD_START = `(?<!${PY_WORD})`;

/** `\b` immediately after a word character. */
export const WORD_END = `(?!${PY_WORD})`;

const spaceRun = new RegExp(`${PY_SPACE}+`, 'gu');
const leadingSpace = new RegExp(`^${PY_SPACE}+`, 'u');
const trailingSpace = new RegExp(`${PY_SPACE}+$`, 'u');

/** Python's `s.split()` with no argument: split on whitespace runs, drop empty pieces. */
export function pySplit(s: string): string[] {
  return s.split(spaceRun).filter((w) => w.length > 0);
}

/** Python's `s.strip()` with no argument. */
export function pyStrip(s: string): string {
  return s.replace(leadingSpace, '').replace(trailingSpace, '');
}

/** Python's `re.sub(r"\s+", " ", s)`. */
export function collapseSpaces(s: string): string {
  return s.replace(spaceRun, ' ');
}

const decimalDigit = /\p{Nd}/u;

/**
 * ASCII form of a string of Unicode decimal digits, as Python's `int()` reads them. Decimal digits
 * are encoded in contiguous runs 0..9 (a Unicode stability guarantee), so a digit's value is its
 * distance from the start of its run of consecutive Nd code points, modulo 10.
 */
export function toAsciiDigits(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0x30 && cp <= 0x39) {
      out += ch;
      continue;
    }
    if (!decimalDigit.test(ch)) {
      out += ch;
      continue;
    }
    let start = cp;
    while (start > 0 && decimalDigit.test(String.fromCodePoint(start - 1))) start--;
    out += String((cp - start) % 10);
  }
  return out;
}
