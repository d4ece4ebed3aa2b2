import { describe, expect, it } from 'vitest';
import { MetricsError, repeatedNgrams, repeatedWordNgrams, werFilter } from '../src/index';

describe('werFilter', () => {
  const filter = werFilter({ spellingMap: new Map([['colour', 'color']]) });

  it('keeps a pair whose normalised WER is below 10 %', () => {
    expect(filter('The colour is red, twenty percent.', 'the color is red 20%')).toEqual({
      keep: true,
      wer: 0,
      reason: 'within-threshold',
    });
  });

  it('drops a pair at or above the threshold (strict <, as the training scripts)', () => {
    // 1 substitution in 10 words = exactly 10 %
    const ref = 'one two three four five six seven eight nine ten'
      .split(' ')
      .map((w) => `w${w}`)
      .join(' ');
    const hyp = ref.replace('wone', 'wzero');
    const d = filter(ref, hyp);
    expect(d).toMatchObject({ keep: false, reason: 'above-threshold' });
    expect(d.wer).toBeCloseTo(0.1, 12);
    expect(werFilter({ threshold: 0.11, normalizer: (s) => s })(ref, hyp).keep).toBe(true);
  });

  it('drops pairs whose ground truth normalises to nothing', () => {
    expect(filter('[MUSIC]', 'la la la')).toMatchObject({ keep: false, reason: 'empty-reference' });
  });

  it('optionally drops all-upper-case pseudo-labels', () => {
    const strict = werFilter({ rejectUpperCase: true, normalizer: (s) => s.toLowerCase() });
    expect(strict('hello there', 'HELLO THERE')).toMatchObject({
      keep: false,
      reason: 'upper-case',
    });
    expect(strict('hello there', 'Hello there').keep).toBe(true);
  });

  it('validates the threshold', () => {
    expect(() => werFilter({ threshold: -1 })).toThrow(MetricsError);
    expect(() => werFilter({ threshold: Number.NaN })).toThrow(/threshold/);
  });
});

describe('repeated n-grams', () => {
  it('counts duplicate 5-grams', () => {
    expect(repeatedNgrams('a b c d e a b c d e'.split(' '))).toEqual({
      n: 5,
      total: 6,
      distinct: 5,
      repeated: 1,
    });
    expect(repeatedNgrams(['a', 'b'], 5)).toEqual({ n: 5, total: 0, distinct: 0, repeated: 0 });
    expect(repeatedWordNgrams('thank you thank you thank you', { n: 2 }).repeated).toBe(3);
  });

  it('does not confuse tokens that contain the key separator', () => {
    expect(repeatedNgrams(['a,b', 'c', 'a', 'b,c'], 2).repeated).toBe(0);
  });

  it('validates n', () => {
    expect(() => repeatedNgrams(['a'], 0)).toThrow(RangeError);
  });
});
