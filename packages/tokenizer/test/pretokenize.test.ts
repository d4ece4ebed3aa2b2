// The hand-written scanner must split text exactly like the pattern it replaces.
import { describe, expect, it } from 'vitest';
import { pretokenize } from '../src/index.js';
import { pretokenizePattern, type WhitespaceSemantics } from '../src/pretokenize.js';

const viaRegex = (text: string, ws: WhitespaceSemantics): string[] =>
  text.match(pretokenizePattern(ws)) ?? [];

// Characters chosen to hit every branch: contraction letters in both cases, the space before each
// class, other whitespace (incl. the two that differ between engines), digits of several scripts,
// marks, symbols, emoji (astral letters/numbers/symbols), lone surrogates.
const ALPHABET = [
  "'",
  "'",
  's',
  't',
  'r',
  'e',
  'v',
  'm',
  'l',
  'd',
  'S',
  'L',
  'a',
  'é',
  '中',
  'ß',
  ' ',
  ' ',
  ' ',
  '\n',
  '\t',
  '\r',
  '\u000b',
  '\u0085',
  '\ufeff',
  '\u00a0',
  '\u3000',
  '\u2028',
  '1',
  '٣',
  '½',
  'Ⅻ',
  '!',
  '.',
  ',',
  '<',
  '|',
  '\u0301',
  '\u200d',
  '😀',
  '𝐀',
  '𝟙',
  '🏽',
  '\ud800',
  '\udc00',
  '\u00ad',
  '_',
  '-',
];

describe('pre-tokenisation scanner', () => {
  it('matches the documented examples', () => {
    expect(pretokenize("I'm here  now")).toEqual(['I', "'m", ' here', ' ', ' now']);
    expect(pretokenize("They'RE 12,5 ok!!\n\nNext")).toEqual([
      'They',
      "'",
      'RE',
      ' 12',
      ',',
      '5',
      ' ok',
      '!!',
      '\n',
      '\n',
      'Next',
    ]);
    expect(pretokenize('')).toEqual([]);
    expect(pretokenize('   ')).toEqual(['   ']);
    expect(pretokenize('a \u0085b')).toEqual(['a', ' ', '\u0085', 'b']);
    expect(pretokenize('a \u0085b', 'javascript')).toEqual(['a', ' \u0085', 'b']);
  });

  it.each(['unicode', 'javascript'] as const)(
    'agrees with the regular expression on random text (%s)',
    (ws) => {
      let seed = ws === 'unicode' ? 1 : 2;
      const random = (): number => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
      for (let trial = 0; trial < 4000; trial++) {
        const length = Math.floor(random() * 24);
        let text = '';
        for (let k = 0; k < length; k++) text += ALPHABET[Math.floor(random() * ALPHABET.length)];
        const expected = viaRegex(text, ws);
        const actual = pretokenize(text, ws);
        if (JSON.stringify(actual) !== JSON.stringify(expected))
          expect({ text, actual }).toEqual({ text, actual: expected });
      }
    },
  );

  it('agrees with the regular expression on every BMP code point after a space and alone', () => {
    for (const ws of ['unicode', 'javascript'] as const) {
      let text = '';
      for (let c = 0; c < 0x10000; c++)
        text += `x ${String.fromCharCode(c)}${String.fromCharCode(c)}'s `;
      expect(pretokenize(text, ws)).toEqual(viaRegex(text, ws));
    }
  });
});
