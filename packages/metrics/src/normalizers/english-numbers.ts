import { PY_SPACE, WORD_END, WORD_START, pySplit, pyStrip, toAsciiDigits } from './python-text.js';

// Behaviour mirrors openai/whisper `whisper/normalizers/english.py` `EnglishNumberNormalizer`,
// including its quirks (the parity cases pin them down). Integers are BigInt because spelled-out
// multipliers go up to decillion (10^33).

type Value = bigint | string | null;
type Suffixed = readonly [bigint, string];

const ONES_NAMES = [
  'one',
  'two',
  'three',
  'four',
  'five',
  'six',
  'seven',
  'eight',
  'nine',
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const ZEROS = new Set(['o', 'oh', 'zero']);
const ONES = new Map<string, bigint>(ONES_NAMES.map((name, i) => [name, BigInt(i + 1)]));
const ONES_SUFFIXED = new Map<string, Suffixed>([
  ...[...ONES].map(([name, v]): [string, Suffixed] => [
    name === 'six' ? 'sixes' : `${name}s`,
    [v, 's'],
  ]),
  ['zeroth', [0n, 'th']],
  ['first', [1n, 'st']],
  ['second', [2n, 'nd']],
  ['third', [3n, 'rd']],
  ['fifth', [5n, 'th']],
  ['twelfth', [12n, 'th']],
  ...[...ONES]
    .filter(([, v]) => v > 3n && v !== 5n && v !== 12n)
    .map(([name, v]): [string, Suffixed] => [name + (name.endsWith('t') ? 'h' : 'th'), [v, 'th']]),
]);
const TENS = new Map<string, bigint>([
  ['twenty', 20n],
  ['thirty', 30n],
  ['forty', 40n],
  ['fifty', 50n],
  ['sixty', 60n],
  ['seventy', 70n],
  ['eighty', 80n],
  ['ninety', 90n],
]);
const TENS_SUFFIXED = new Map<string, Suffixed>([
  ...[...TENS].map(([name, v]): [string, Suffixed] => [name.replace('y', 'ies'), [v, 's']]),
  ...[...TENS].map(([name, v]): [string, Suffixed] => [name.replace('y', 'ieth'), [v, 'th']]),
]);
const MULTIPLIERS = new Map<string, bigint>(
  [
    'hundred',
    'thousand',
    'million',
    'billion',
    'trillion',
    'quadrillion',
    'quintillion',
    'sextillion',
    'septillion',
    'octillion',
    'nonillion',
    'decillion',
  ].map((name, i) => [name, i === 0 ? 100n : 1000n ** BigInt(i)]),
);
const MULTIPLIERS_SUFFIXED = new Map<string, Suffixed>([
  ...[...MULTIPLIERS].map(([name, v]): [string, Suffixed] => [`${name}s`, [v, 's']]),
  ...[...MULTIPLIERS].map(([name, v]): [string, Suffixed] => [`${name}th`, [v, 'th']]),
]);
const DECIMALS = new Set([...ONES.keys(), ...TENS.keys(), ...ZEROS]);
const PRECEDING_PREFIXERS = new Map([
  ['minus', '-'],
  ['negative', '-'],
  ['plus', '+'],
  ['positive', '+'],
]);
const FOLLOWING_PREFIXERS = new Map([
  ['pound', '£'],
  ['pounds', '£'],
  ['euro', '€'],
  ['euros', '€'],
  ['dollar', '$'],
  ['dollars', '$'],
  ['cent', '¢'],
  ['cents', '¢'],
]);
const PREFIXES = new Set([...PRECEDING_PREFIXERS.values(), ...FOLLOWING_PREFIXERS.values()]);
// "per" only becomes % when followed by "cent"; "percent" always does.
const SUFFIXERS = new Set(['per', 'percent']);
const SPECIALS = new Set(['and', 'double', 'triple', 'point']);
const WORDS = new Set<string>([
  ...ZEROS,
  ...ONES.keys(),
  ...ONES_SUFFIXED.keys(),
  ...TENS.keys(),
  ...TENS_SUFFIXED.keys(),
  ...MULTIPLIERS.keys(),
  ...MULTIPLIERS_SUFFIXED.keys(),
  ...PRECEDING_PREFIXERS.keys(),
  ...FOLLOWING_PREFIXERS.keys(),
  ...SUFFIXERS,
  ...SPECIALS,
]);

const arabicNumber = /^\p{Nd}+(\.\p{Nd}+)?$/u;

interface Fraction {
  num: bigint;
  den: bigint;
}

/**
 * Python's `Fraction(str)` restricted to what can reach it here: an optional digit run, an optional
 * `.` and digit run, at least one digit. Returns null where Python raises ValueError.
 */
function parseFraction(value: bigint | string): Fraction | null {
  if (typeof value === 'bigint') return { num: value, den: 1n };
  const m = /^(\p{Nd}*)(?:\.(\p{Nd}*))?$/u.exec(value);
  if (!m || !/^(?:\p{Nd}|\.\p{Nd})/u.test(value)) return null;
  const intPart = toAsciiDigits(m[1] ?? '');
  const fracPart = toAsciiDigits(m[2] ?? '');
  const den = 10n ** BigInt(fracPart.length);
  return { num: BigInt((intPart || '0') + fracPart), den };
}

/** `Fraction(value) * multiplier` when it is an integer, else null. */
function scaledInteger(value: bigint | string, multiplier: bigint): bigint | null {
  const f = parseFraction(value);
  if (!f) return null;
  const p = f.num * multiplier;
  return p % f.den === 0n ? p / f.den : null;
}

/** Python truthiness of the running value (`value or ""`): None, 0 and "" are false. */
function truthy(value: Value): value is bigint | string {
  return value !== null && value !== 0n && value !== '';
}

function str(value: bigint | string): string {
  return typeof value === 'bigint' ? value.toString() : value;
}

function lastChar(value: Value): string {
  const s = value === null ? '' : str(value);
  return s.slice(-1);
}

function* processWords(words: readonly string[]): Generator<string> {
  let prefix: string | null = null;
  let value: Value = null;
  let skip = false;

  const output = (result: bigint | string): string => {
    let s = str(result);
    if (prefix !== null) s = prefix + s;
    value = null;
    prefix = null;
    return s;
  };

  for (let i = 0; i < words.length; i++) {
    const prev = i > 0 ? words[i - 1] : undefined;
    const current = words[i] as string;
    const next = words[i + 1];
    if (skip) {
      skip = false;
      continue;
    }
    const nextIsNumeric = next !== undefined && arabicNumber.test(next);
    const first = current[0] ?? '';
    const hasPrefix = PREFIXES.has(first);
    const currentWithoutPrefix = hasPrefix ? current.slice(1) : current;
    const nextInWords = next !== undefined && WORDS.has(next);

    if (arabicNumber.test(currentWithoutPrefix)) {
      const f = parseFraction(currentWithoutPrefix) as Fraction;
      if (value !== null) {
        if (typeof value === 'string' && value.endsWith('.')) {
          // concatenate decimals / ip address components
          value = value + current;
          continue;
        }
        yield output(value);
      }
      prefix = hasPrefix ? first : prefix;
      // Fraction() reduces, so "2.0" is the integer 2 while "3.50" stays as written
      value = f.num % f.den === 0n ? f.num / f.den : currentWithoutPrefix;
    } else if (!WORDS.has(current)) {
      if (value !== null) yield output(value);
      yield output(current);
    } else if (ZEROS.has(current)) {
      value = (truthy(value) ? str(value) : '') + '0';
    } else if (ONES.has(current)) {
      const ones = ONES.get(current) as bigint;
      if (value === null) value = ones;
      else if (typeof value === 'string' || (prev !== undefined && ONES.has(prev))) {
        const v = str(value);
        if (prev !== undefined && TENS.has(prev) && ones < 10n && lastChar(v) === '0') {
          value = v.slice(0, -1) + ones.toString(); // replace the last zero with the digit
        } else value = v + ones.toString();
      } else if (ones < 10n) {
        value = value % 10n === 0n ? value + ones : str(value) + ones.toString();
      } else {
        value = value % 100n === 0n ? value + ones : str(value) + ones.toString();
      }
    } else if (ONES_SUFFIXED.has(current)) {
      // ordinal or plural: the number ends here
      const [ones, suffix] = ONES_SUFFIXED.get(current) as Suffixed;
      if (value === null) yield output(ones.toString() + suffix);
      else if (typeof value === 'string' || (prev !== undefined && ONES.has(prev))) {
        const v = str(value);
        if (prev !== undefined && TENS.has(prev) && ones < 10n && lastChar(v) === '0') {
          yield output(v.slice(0, -1) + ones.toString() + suffix);
        } else yield output(v + ones.toString() + suffix);
      } else if (ones < 10n) {
        yield output(
          value % 10n === 0n
            ? (value + ones).toString() + suffix
            : str(value) + ones.toString() + suffix,
        );
      } else {
        yield output(
          value % 100n === 0n
            ? (value + ones).toString() + suffix
            : str(value) + ones.toString() + suffix,
        );
      }
      value = null;
    } else if (TENS.has(current)) {
      const tens = TENS.get(current) as bigint;
      if (value === null) value = tens;
      else if (typeof value === 'string') value = value + tens.toString();
      else value = value % 100n === 0n ? value + tens : str(value) + tens.toString();
    } else if (TENS_SUFFIXED.has(current)) {
      const [tens, suffix] = TENS_SUFFIXED.get(current) as Suffixed;
      if (value === null) yield output(tens.toString() + suffix);
      else if (typeof value === 'string') yield output(value + tens.toString() + suffix);
      else {
        yield output(
          value % 100n === 0n
            ? (value + tens).toString() + suffix
            : str(value) + tens.toString() + suffix,
        );
      }
    } else if (MULTIPLIERS.has(current)) {
      const multiplier = MULTIPLIERS.get(current) as bigint;
      if (value === null) value = multiplier;
      else if (typeof value === 'string' || value === 0n) {
        const p = scaledInteger(value, multiplier);
        if (p !== null) value = p;
        else {
          yield output(value);
          value = multiplier;
        }
      } else {
        value = (value / 1000n) * 1000n + (value % 1000n) * multiplier;
      }
    } else if (MULTIPLIERS_SUFFIXED.has(current)) {
      const [multiplier, suffix] = MULTIPLIERS_SUFFIXED.get(current) as Suffixed;
      if (value === null) yield output(multiplier.toString() + suffix);
      else if (typeof value === 'string') {
        const p = scaledInteger(value, multiplier);
        if (p !== null) yield output(p.toString() + suffix);
        else {
          yield output(value);
          yield output(multiplier.toString() + suffix);
        }
      } else {
        value = (value / 1000n) * 1000n + (value % 1000n) * multiplier;
        yield output(value.toString() + suffix);
      }
      value = null;
    } else if (PRECEDING_PREFIXERS.has(current)) {
      // a sign word becomes a prefix only in front of something numeric
      if (value !== null) yield output(value);
      if (nextInWords || nextIsNumeric) prefix = PRECEDING_PREFIXERS.get(current) as string;
      else yield output(current);
    } else if (FOLLOWING_PREFIXERS.has(current)) {
      // a currency word becomes a prefix of the number before it
      if (value !== null) {
        prefix = FOLLOWING_PREFIXERS.get(current) as string;
        yield output(value);
      } else yield output(current);
    } else if (SUFFIXERS.has(current)) {
      if (value !== null) {
        if (current === 'per') {
          if (next === 'cent') {
            yield output(str(value) + '%');
            skip = true;
          } else {
            yield output(value);
            yield output(current);
          }
        } else yield output(str(value) + '%');
      } else yield output(current);
    } else {
      // specials: and, double, triple, point
      if (!nextInWords && !nextIsNumeric) {
        if (value !== null) yield output(value);
        yield output(current);
      } else if (current === 'and') {
        // "and" after hundred/thousand/... is part of the number
        if (prev === undefined || !MULTIPLIERS.has(prev)) {
          if (value !== null) yield output(value);
          yield output(current);
        }
      } else if (current === 'double' || current === 'triple') {
        if (next !== undefined && (ONES.has(next) || ZEROS.has(next))) {
          const repeats = current === 'double' ? 2 : 3;
          const ones = ONES.get(next) ?? 0n;
          value = (truthy(value) ? str(value) : '') + ones.toString().repeat(repeats);
          skip = true;
        } else {
          if (value !== null) yield output(value);
          yield output(current);
        }
      } else if (next !== undefined && (DECIMALS.has(next) || nextIsNumeric)) {
        // "point"
        value = (truthy(value) ? str(value) : '') + '.';
      }
    }
  }
  if (value !== null) yield output(value);
}

const andAHalf = new RegExp(`${WORD_START}and${PY_SPACE}+a${PY_SPACE}+half${WORD_END}`, 'u');
const letterThenDigit = /([a-z])([0-9])/gu;
const digitThenLetter = /([0-9])([a-z])/gu;
const detachedSuffix = new RegExp(`([0-9])${PY_SPACE}+(st|nd|rd|th|s)${WORD_END}`, 'gu');
const dollarsAndCents = new RegExp(`([€£$])([0-9]+) (?:and )?¢([0-9]{1,2})${WORD_END}`, 'gu');
// Upstream's `.` here is unescaped, so it matches any character but a newline.
const zeroPointCents = new RegExp(`[€£$]0[^\\n]([0-9]{1,2})${WORD_END}`, 'gu');
const loneOne = new RegExp(`${WORD_START}1(s?)${WORD_END}`, 'gu');

function preprocess(s: string): string {
  // "<number> and a half" → "<number> point five"
  const segments = s.split(andAHalf);
  const results: string[] = [];
  segments.forEach((segment, i) => {
    if (pyStrip(segment).length === 0) return;
    results.push(segment);
    if (i === segments.length - 1) return;
    const lastWord = pySplit(segment).at(-1) ?? '';
    results.push(DECIMALS.has(lastWord) || MULTIPLIERS.has(lastWord) ? 'point five' : 'and a half');
  });
  return results
    .join(' ')
    .replace(letterThenDigit, '$1 $2')
    .replace(digitThenLetter, '$1 $2')
    .replace(detachedSuffix, '$1$2');
}

function postprocess(s: string): string {
  return s
    .replace(
      dollarsAndCents,
      (_m, currency: string, integer: string, cents: string) =>
        `${currency}${integer}.${String(Number(cents)).padStart(2, '0')}`,
    )
    .replace(zeroPointCents, (_m, cents: string) => `¢${Number(cents)}`)
    .replace(loneOne, 'one$1');
}

/**
 * Whisper's spelled-number standardiser (openai/whisper `EnglishNumberNormalizer`): spelled-out
 * numbers become digits (`"twenty nineteen"` → `"2019"`), currency words become symbols in front
 * (`"five dollars"` → `"$5"`), percent/ordinal/plural suffixes are kept (`"thirty first"` → `"31st"`),
 * commas inside digit groups are expected to be removed beforehand, and a lone `1`/`1s` is written
 * `one`/`ones`. Input is expected lower-case, as {@link EnglishTextNormalizer} provides.
 *
 * @example
 * ```ts
 * new EnglishNumberNormalizer().normalize('two point five million'); // '2500000'
 * ```
 */
export class EnglishNumberNormalizer {
  /** Normalises one lower-case string. */
  normalize(text: string): string {
    const words = pySplit(preprocess(text));
    return postprocess([...processWords(words)].join(' '));
  }
}
