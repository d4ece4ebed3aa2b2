import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  BasicTextNormalizer,
  EnglishTextNormalizer,
  MISSING_SPELLING_MAP_WARNING,
  MetricsError,
  createNormalizer,
  loadSpellingMap,
  loadSpellingMapSync,
} from '../src/index';
import { pySplit, toAsciiDigits } from '../src/normalizers/python-text';

describe('English normaliser without a spelling map', () => {
  it('normalises everything else and warns once', () => {
    const onWarning = vi.fn();
    const english = new EnglishTextNormalizer({ onWarning });
    expect(english.hasSpellingMap).toBe(false);
    expect(english.normalize('The colour cost twenty dollars')).toBe('the colour cost $20');
    english.normalize('again');
    expect(onWarning).toHaveBeenCalledTimes(1);
    expect(onWarning).toHaveBeenCalledWith(MISSING_SPELLING_MAP_WARNING);
  });

  it('uses a given map', () => {
    const english = new EnglishTextNormalizer({
      spellingMap: new Map([['colour', 'color']]),
      onWarning: () => {},
    });
    expect(english.normalize('The colour')).toBe('the color');
  });
});

describe('spelling map loading', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dw-metrics-'));
  writeFileSync(join(dir, 'normalizer.json'), JSON.stringify({ colour: 'color' }));
  writeFileSync(join(dir, 'bad.json'), '[1, 2]');

  it('from a checkpoint directory or a file', async () => {
    expect((await loadSpellingMap(dir)).get('colour')).toBe('color');
    expect(loadSpellingMapSync(join(dir, 'normalizer.json')).get('colour')).toBe('color');
  });

  it('with coded errors', async () => {
    await expect(loadSpellingMap(join(dir, 'missing'))).rejects.toMatchObject({
      code: 'SPELLING_MAP_NOT_FOUND',
    });
    expect(() => loadSpellingMapSync(join(dir, 'bad.json'))).toThrow(MetricsError);
  });
});

describe('Python text semantics', () => {
  it('splits on Python whitespace, not on U+FEFF', () => {
    expect(pySplit(' a\u0085b\u001cc\ufeffd ')).toEqual(['a', 'b', 'c\ufeffd']);
  });

  it('reads non-ASCII decimal digits like int()', () => {
    expect(toAsciiDigits('٣٤')).toBe('34');
    expect(toAsciiDigits('१२')).toBe('12');
  });

  it('word boundaries are Unicode-aware (no filler removed inside "umé")', () => {
    const english = new EnglishTextNormalizer({ onWarning: () => {} });
    expect(english.normalize('um é umé')).toBe('e ume');
  });

  it('Arabic-Indic digits become ASCII numbers like Python Fraction/int', () => {
    const english = new EnglishTextNormalizer({ onWarning: () => {} });
    expect(english.normalize('٣ hundred')).toBe('300');
  });
});

describe('createNormalizer', () => {
  it('by name', () => {
    expect(createNormalizer('none')(' A ')).toBe(' A ');
    expect(createNormalizer('basic')('Hello, World!')).toBe('hello world ');
    expect(createNormalizer('english', { onWarning: () => {} })('Hello, World!')).toBe(
      'hello world',
    );
    expect(() => createNormalizer('klingon' as 'none')).toThrow(
      /english, 'basic' or 'none'|'english', 'basic' or 'none'/,
    );
  });

  it('basic normaliser options', () => {
    expect(new BasicTextNormalizer({ splitLetters: true }).normalize('ab cd')).toBe('a b c d');
  });
});
