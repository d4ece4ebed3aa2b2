import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasReference, referencePath } from '../../../test-support/reference';
import {
  BasicTextNormalizer,
  EnglishNumberNormalizer,
  EnglishSpellingNormalizer,
  EnglishTextNormalizer,
  loadSpellingMapSync,
} from '../src/index';

interface Case {
  normalizer: string;
  input: string;
  expected: string;
  options?: { remove_diacritics?: boolean; split_letters?: boolean };
  note?: string;
}

function readCases(file: string): Case[] {
  return readFileSync(referencePath('normalizer', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Case);
}

describe.skipIf(!hasReference('metrics normalizer parity'))(
  'normalizer parity with openai/whisper',
  () => {
    const spellingMap = hasReference('spelling map')
      ? loadSpellingMapSync(referencePath('assets', 'english.json'))
      : new Map();
    const normalizers: Record<string, (s: string, c: Case) => string> = {
      EnglishTextNormalizer: (s) => new EnglishTextNormalizer({ spellingMap }).normalize(s),
      EnglishNumberNormalizer: (s) => new EnglishNumberNormalizer().normalize(s),
      EnglishSpellingNormalizer: (s) => new EnglishSpellingNormalizer(spellingMap).normalize(s),
      BasicTextNormalizer: (s, c) =>
        new BasicTextNormalizer({
          removeDiacritics: c.options?.remove_diacritics ?? false,
          splitLetters: c.options?.split_letters ?? false,
        }).normalize(s),
    };

    for (const file of [
      'english_cases.jsonl',
      'english_extra_cases.jsonl',
      'basic_extra_cases.jsonl',
    ]) {
      describe(file, () => {
        const cases = hasReference(file) ? readCases(file) : [];
        it('has cases', () => expect(cases.length).toBeGreaterThan(0));
        it.each(cases.map((c, i) => [i, c.normalizer, c.input, c] as const))(
          '#%i %s %j',
          (_i, name, input, c) => {
            const fn = normalizers[name];
            expect(fn, `unknown normalizer ${name}`).toBeDefined();
            expect(fn!(input, c)).toBe(c.expected);
          },
        );
      });
    }
  },
);
