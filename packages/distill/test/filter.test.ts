// The pseudo-label WER filter (WAVE2 A3): the keep rules (non-empty normalised reference, label
// not all upper case, 100 · WER strictly below λ), the normaliser choice, the corpus figures of
// kept / dropped / all, the λ sweep, and the file-level filter that copies kept lines unchanged.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { spellingMapFromObject } from '@distil-whisper/metrics';

import {
  DistillError,
  filterByWer,
  filterManifest,
  formatWerSweep,
  isAllUpperCase,
  werFilterNormalizer,
  werThresholdSweep,
} from '../src';
import { tempDir } from './data-helpers';

const label = (text: string, timestamps = false): string =>
  `<|startoftranscript|><|en|><|transcribe|>${timestamps ? '<|0.00|>' : '<|notimestamps|>'}${text}${timestamps ? '<|2.00|>' : ''}<|endoftext|>`;

const TEN = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet';

describe('filterByWer', () => {
  it('keeps a label iff 100·WER < λ, the reference is non-empty and the label not all caps', () => {
    const examples = [
      { id: 'exact', label: label(' Hello, world!'), reference: 'hello world' },
      { id: 'timed', label: label(' Hello world.', true), reference: 'Hello world' },
      { id: 'one-in-ten', label: label(` ${TEN.replace('echo', 'ecko')}`), reference: TEN },
      { id: 'caps', label: label(' HELLO WORLD.'), reference: 'hello world' },
      { id: 'empty-ref', label: label(' Hello.'), reference: '  [noise] ' },
      { id: 'no-ref', label: label(' Hello.'), reference: undefined },
      { id: 'no-label', label: undefined, reference: 'hello' },
      { id: 'digits', label: label(' 42.'), reference: '42' },
      { id: 'bad', label: label(' Goodbye moon.'), reference: 'hello world' },
    ];
    const r = filterByWer(examples, { threshold: 10 });
    const by = Object.fromEntries(r.verdicts.map((v) => [v.example.id, v]));
    expect(r.kept.map((v) => v.example.id)).toEqual(['exact', 'timed', 'digits']);
    expect(by['exact']).toMatchObject({ keep: true, reason: 'kept', wer: 0, referenceWords: 2 });
    // Exactly λ is dropped: the reference keeps `wer < threshold`.
    expect(by['one-in-ten']).toMatchObject({ keep: false, reason: 'above-threshold', wer: 10 });
    expect(by['caps']).toMatchObject({ keep: false, reason: 'upper-case', wer: 0 });
    expect(by['empty-ref']!.reason).toBe('empty-reference');
    expect(Number.isNaN(by['empty-ref']!.wer)).toBe(true);
    expect(by['no-ref']!.reason).toBe('no-reference');
    expect(by['no-label']!.reason).toBe('no-label');
    expect(by['bad']).toMatchObject({ reason: 'above-threshold', wer: 100 });
    expect(r.dropCounts).toEqual({
      'above-threshold': 2,
      'upper-case': 1,
      'empty-reference': 1,
      'no-reference': 1,
      'no-label': 1,
    });
    // Corpus figures: kept 0 errors / 5 words; dropped 1 + 0 + 2 errors / 10 + 2 + 2 words.
    expect(r.stats.kept).toEqual({
      examples: 3,
      measured: 3,
      errors: 0,
      referenceWords: 5,
      wer: 0,
    });
    expect(r.stats.dropped).toMatchObject({
      examples: 6,
      measured: 3,
      errors: 3,
      referenceWords: 14,
    });
    expect(r.stats.dropped.wer).toBeCloseTo((100 * 3) / 14, 10);
    expect(r.stats.all).toMatchObject({ examples: 9, measured: 6, errors: 3, referenceWords: 19 });
    expect(r.stats.all.wer).toBeCloseTo((100 * 3) / 19, 10);

    const looser = filterByWer(examples, { threshold: 10.5 });
    expect(looser.kept.map((v) => v.example.id)).toContain('one-in-ten');
  });

  it('all caps means cased letters and none in lower case, special tokens aside', () => {
    expect(isAllUpperCase(label(' HELLO THERE.'))).toBe(true);
    expect(isAllUpperCase(label(' Hello there.'))).toBe(false);
    expect(isAllUpperCase(label(' 1995!'))).toBe(false);
    expect(isAllUpperCase(label(''))).toBe(false);
    expect(isAllUpperCase(' ÉCOLE')).toBe(true);
  });

  it('picks the English normaliser (with the spelling map) or the basic one', () => {
    const spellingMap = spellingMapFromObject({ colour: 'color' });
    expect(werFilterNormalizer(undefined).kind).toBe('english');
    expect(werFilterNormalizer('en', spellingMap).kind).toBe('english+spelling-map');
    expect(werFilterNormalizer('English').kind).toBe('english');
    expect(werFilterNormalizer('de').kind).toBe('basic');
    const ex = [{ label: label(' The colour red.'), reference: 'the color red' }];
    expect(filterByWer(ex, { spellingMap }).kept).toHaveLength(1);
    expect(filterByWer(ex).verdicts[0]!.wer).toBeCloseTo(100 / 3, 10);
    // The basic normaliser keeps spelling and numbers as written but drops the special tokens.
    const de = filterByWer([{ label: label(' Guten Tag!'), reference: 'guten tag' }], {
      language: 'de',
    });
    expect(de.normalizer).toBe('basic');
    expect(de.kept).toHaveLength(1);
  });

  it("keeps the caller's example type in its verdicts", () => {
    const r = filterByWer([{ label: 'x', reference: 'x', line: 3 }]);
    expectTypeOf(r.kept[0]!.example.line).toEqualTypeOf<number>();
    expectTypeOf(r.verdicts[0]!.reason).toEqualTypeOf<
      'kept' | 'no-label' | 'no-reference' | 'empty-reference' | 'upper-case' | 'above-threshold'
    >();
    expect(r.kept[0]!.example.line).toBe(3);
  });

  it('rejects a negative or non-finite λ', () => {
    expect(() => filterByWer([], { threshold: -1 })).toThrow(DistillError);
    expect(() => filterByWer([], { threshold: Number.NaN })).toThrow(/percentage/);
  });

  it('sweeps λ: kept share and corpus WER of the kept', () => {
    const examples = [
      { label: label(' a b c d'), reference: 'a b c d' }, // 0 %
      { label: label(' a b c x'), reference: 'a b c d' }, // 25 %
      { label: label(' a x c x'), reference: 'a b c d' }, // 50 %
      { label: label(' A B C D'), reference: 'a b c d' }, // all caps: never kept
      { label: label(' a'), reference: '' }, // empty reference: never kept
    ];
    const rows = werThresholdSweep(filterByWer(examples).verdicts);
    expect(rows.map((r) => [r.threshold, r.kept])).toEqual([
      [100, 3],
      [80, 3],
      [40, 2],
      [20, 1],
      [15, 1],
      [10, 1],
      [5, 1],
    ]);
    expect(rows[0]!.keptPercent).toBe(60);
    expect(rows[0]!.wer).toBe(25); // 3 errors / 12 words
    expect(rows[2]!.wer).toBe(12.5);
    expect(rows[6]!.wer).toBe(0);
    expect(werThresholdSweep(filterByWer([]).verdicts)[0]).toMatchObject({
      kept: 0,
      keptPercent: 0,
    });
    expect(formatWerSweep(rows)).toMatch(/\| 40 \| 2 \| 40\.0 % \| 12\.50 % \|/);
  });
});

describe('filterManifest', () => {
  let tmp: ReturnType<typeof tempDir>;
  let input: string;
  const lines = [
    JSON.stringify({
      id: 'a',
      audio: 'a.wav',
      text: label(' Hello world.'),
      reference: 'hello world',
      members: ['a'],
    }),
    JSON.stringify({ id: 'b', audio: 'b.wav', text: label(' Goodbye.'), reference: 'hello world' }),
    '{"id": "c", "audio": "c.wav", "text": "<|startoftranscript|><|en|><|transcribe|><|notimestamps|> Same   spacing kept.<|endoftext|>", "reference": "same spacing kept"}',
    'not json',
    JSON.stringify({ id: 'd', audio: 'd.wav', text: label(' No reference.') }),
  ];
  beforeAll(() => {
    tmp = tempDir('filter');
    input = join(tmp.dir, 'labels.jsonl');
    writeFileSync(input, `${lines.join('\n')}\n`);
  });
  afterAll(() => tmp?.cleanup());

  it('copies the kept lines unchanged and reports the figures', async () => {
    const out = join(tmp.dir, 'kept.jsonl');
    const s = await filterManifest({ manifest: input, out, threshold: 10 });
    expect(readFileSync(out, 'utf8')).toBe(`${lines[0]}\n${lines[2]}\n`);
    expect(s.result.kept.map((v) => v.example.id)).toEqual(['a', 'c']);
    expect(s.result.dropped.map((v) => [v.example.id, v.reason])).toEqual([
      ['b', 'above-threshold'],
      ['d', 'no-reference'],
    ]);
    expect(s.problems).toEqual([{ line: 4, reason: expect.stringMatching(/not valid JSON/) }]);
    expect(s.text).toMatch(/^kept 2 of 4 examples \(50\.0 %\) with WER < 10 %/);
    expect(s.text).toMatch(/English normaliser without a spelling map/);
    expect(s.text).toMatch(/\| all \| 4 \| 100\.0 % \| 7 \| 28\.57 % \|/);
    expect(s.text).toMatch(/\| kept \(WER < 10 %\) \| 2 \| 50\.0 % \| 5 \| 0\.00 % \|/);
    expect(s.text).toMatch(/\| dropped \| 2 \| 50\.0 % \| 2 \| 100\.00 % \|/);
    expect(s.sweep.map((r) => r.kept)).toEqual([2, 2, 2, 2, 2, 2, 2]);

    await expect(filterManifest({ manifest: input, out })).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
    });
    const all = await filterManifest({ manifest: input, out, threshold: 101, force: true });
    expect(all.result.kept).toHaveLength(3);
  });

  it('uses a spelling map from a directory and refuses a bad one', async () => {
    writeFileSync(join(tmp.dir, 'normalizer.json'), JSON.stringify({ colour: 'color' }));
    const m = join(tmp.dir, 'colour.jsonl');
    writeFileSync(
      m,
      `${JSON.stringify({ id: 'x', text: label(' Colour.'), reference: 'color' })}\n`,
    );
    const s = await filterManifest({
      manifest: m,
      out: join(tmp.dir, 'colour-out.jsonl'),
      spellingMap: tmp.dir,
    });
    expect(s.result.kept).toHaveLength(1);
    expect(s.text).toMatch(/English normaliser with the spelling map/);
    await expect(
      filterManifest({
        manifest: m,
        out: join(tmp.dir, 'x.jsonl'),
        spellingMap: join(tmp.dir, 'none'),
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(filterManifest({ manifest: m, out: m })).rejects.toThrow(/must differ/);
    await expect(
      filterManifest({ manifest: join(tmp.dir, 'missing.jsonl'), out: join(tmp.dir, 'y.jsonl') }),
    ).rejects.toMatchObject({ code: 'MANIFEST_UNREADABLE' });
  });
});
