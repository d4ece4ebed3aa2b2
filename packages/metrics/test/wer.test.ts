import { describe, expect, it } from 'vitest';
import { encodePair, levenshteinDistance } from '../src/wer/edit-distance';
import {
  MetricsError,
  alignTexts,
  alignTokens,
  cer,
  corpusCer,
  corpusWer,
  errorMeasures,
  measureCorpus,
  measureTexts,
  measureTokens,
  wer,
} from '../src/index';

const ops = (ref: string, hyp: string): string[] =>
  alignTexts(ref, hyp).pairs.map((p) => `${p.op[0]}:${p.ref ?? '-'}>${p.hyp ?? '-'}`);

describe('jiwer definitions (values checked against jiwer 4.0.0)', () => {
  it('one substitution, one substitution, one insertion', () => {
    // the quick brown fox jumps / the quack brown fox jumped over:
    // S quick>quack, S jumps>jumped, I over; H = 3, N = 5, P = 6
    const m = measureTexts('the quick brown fox jumps', 'the quack brown fox jumped over');
    expect([m.hits, m.substitutions, m.deletions, m.insertions]).toEqual([3, 2, 0, 1]);
    expect(m.errorRate).toBeCloseTo(0.6, 12);
    expect(m.mer).toBeCloseTo(0.5, 12);
    expect(m.wip).toBeCloseTo(0.3, 12); // (3/5)(3/6)
    expect(m.wil).toBeCloseTo(0.7, 12);
    expect(m.substitutionRate + m.deletionRate + m.insertionRate).toBeCloseTo(m.errorRate, 12);
  });

  it('corpus level sums counts instead of averaging utterance rates', () => {
    const refs = ['ask not what your country can do for you', 'hello world'];
    const hyps = ['ask what your country can do for you too', 'hello'];
    const m = measureCorpus(refs, hyps, { perUtterance: true });
    expect([m.hits, m.substitutions, m.deletions, m.insertions]).toEqual([9, 0, 2, 1]);
    expect(m.errorRate).toBeCloseTo(3 / 11, 12); // jiwer: 0.2727...
    expect(m.mer).toBeCloseTo(0.25, 12);
    expect(m.wil).toBeCloseTo(0.26363636363636356, 12);
    expect(m.wip).toBeCloseTo(0.7363636363636364, 12);
    // the mean of per-utterance WERs would be (2/9 + 1/2) / 2 ≈ 0.361, a different number
    expect(m.perUtterance?.map((u) => u.errorRate)).toEqual([2 / 9, 1 / 2]);
    expect(corpusWer(refs, hyps)).toBe(m.errorRate);
  });

  it('an empty reference inside a corpus adds insertions only', () => {
    expect(corpusWer(['a b', '', 'c'], ['a x', 'y', 'c'])).toBeCloseTo(2 / 3, 12);
  });

  it('edge cases: empty reference, empty hypothesis, both empty', () => {
    const refEmpty = measureTexts('', 'a b');
    expect(refEmpty).toMatchObject({
      hits: 0,
      insertions: 2,
      errorRate: 2,
      mer: 1,
      wil: 1,
      wip: 0,
    });
    const hypEmpty = measureTexts('a b', '');
    expect(hypEmpty).toMatchObject({ deletions: 2, errorRate: 1, mer: 1, wil: 1, wip: 0 });
    const both = measureTexts('', '   ');
    expect(both).toMatchObject({
      hits: 0,
      errorRate: 0,
      mer: 0,
      wil: 0,
      wip: 1,
      referenceLength: 0,
    });
    expect(corpusWer([], [])).toBe(0);
    expect(cer('', 'a b')).toBe(3);
  });

  it('CER counts characters incl. inner spaces, trims the ends (jiwer 4)', () => {
    expect(cer('ab  c ', 'ab c')).toBeCloseTo(0.2, 12);
    expect(cer('ab c', 'ab  c ')).toBeCloseTo(0.25, 12);
    expect(cer('héllo', 'hello')).toBeCloseTo(0.2, 12);
    expect(cer('hello world', 'hello word')).toBeCloseTo(1 / 11, 12);
    expect(corpusCer(['ab', 'cd'], ['ab', 'ce'])).toBeCloseTo(1 / 4, 12);
    // code points, not UTF-16 units
    expect(measureTexts('a😀b', 'a😀c', { unit: 'character' }).referenceLength).toBe(3);
  });

  it('wer() of identical and disjoint texts', () => {
    expect(wer('a b c', 'a b c')).toBe(0);
    expect(wer('a b c', 'x y z')).toBe(1);
    expect(wer('a b', 'x y z w')).toBe(2); // 2 S + 2 I over 2 words: WER can exceed 1
  });

  it('applies the normaliser to both sides', () => {
    const lower = (s: string): string => s.toLowerCase();
    expect(wer('Hello World', 'hello world')).toBe(1);
    expect(wer('Hello World', 'hello world', { normalizer: lower })).toBe(0);
  });

  it('rejects corpora of different lengths with a coded error', () => {
    expect(() => measureCorpus(['a'], [])).toThrow(MetricsError);
    try {
      measureCorpus(['a'], []);
    } catch (e) {
      expect((e as MetricsError).code).toBe('LENGTH_MISMATCH');
    }
  });

  it('errorMeasures from raw counts', () => {
    expect(
      errorMeasures({ hits: 3, substitutions: 1, deletions: 0, insertions: 1 }).errorRate,
    ).toBe(0.5);
  });
});

describe('hand-checked alignments', () => {
  // Policy: fewest edits; among those, most hits; remaining ties broken from the end preferring
  // hit/substitution, then deletion, then insertion.
  it('plain substitution / deletion / insertion', () => {
    expect(ops('a b c', 'a x c')).toEqual(['h:a>a', 's:b>x', 'h:c>c']);
    expect(ops('a b c', 'a c')).toEqual(['h:a>a', 'd:b>-', 'h:c>c']);
    expect(ops('a c', 'a b c')).toEqual(['h:a>a', 'i:->b', 'h:c>c']);
  });

  it('prefers deletion + hit + insertion over two substitutions (same 2 edits, one more hit)', () => {
    // jiwer happens to report S=2 for this pair; both have 2 edits, so WER is equal, but the
    // hit-maximising alignment is the one a reader expects: "not" dropped, "you" added.
    expect(ops('ask not what', 'ask what you')).toEqual([
      'h:ask>ask',
      'd:not>-',
      'h:what>what',
      'i:->you',
    ]);
    expect(ops('a b', 'b c')).toEqual(['d:a>-', 'h:b>b', 'i:->c']);
  });

  it('a swapped pair keeps one word as a hit', () => {
    // x y -> y x: one hit and two edits rather than 2 substitutions. Keeping y or keeping x tie;
    // from the end a deletion is preferred to an insertion, so y is deleted last and x kept
    // (jiwer 4.0.0 reports the same: insert, equal, delete).
    expect(ops('x y', 'y x')).toEqual(['i:->y', 'h:x>x', 'd:y>-']);
  });

  it('unavoidable deletions/insertions go first when placements tie', () => {
    // "a b" -> "c": one substitution and one deletion, either order; the backtrace from the end
    // takes the diagonal first, so b>c is the substitution and a is deleted.
    expect(ops('a b', 'c')).toEqual(['d:a>-', 's:b>c']);
    expect(ops('a', 'b c')).toEqual(['i:->b', 's:a>c']);
  });

  it('empty sides', () => {
    expect(ops('', 'a b')).toEqual(['i:->a', 'i:->b']);
    expect(ops('a b', '')).toEqual(['d:a>-', 'd:b>-']);
    expect(ops('', '')).toEqual([]);
  });

  it('pairs carry indices and tokens', () => {
    const a = alignTokens([1, 2, 3], [1, 3, 4]);
    expect(a.pairs).toEqual([
      { op: 'hit', refIndex: 0, hypIndex: 0, ref: 1, hyp: 1 },
      { op: 'deletion', refIndex: 1, hypIndex: -1, ref: 2, hyp: null },
      { op: 'hit', refIndex: 2, hypIndex: 1, ref: 3, hyp: 3 },
      { op: 'insertion', refIndex: -1, hypIndex: 2, ref: null, hyp: 4 },
    ]);
    expect(a.errorRate).toBeCloseTo(2 / 3, 12);
  });
});

// --- independent plain full-matrix reference: (edits, -hits) lexicographic, no band, no trimming ---
function referenceCounts(
  a: readonly number[],
  b: readonly number[],
): { edits: number; hits: number } {
  const n = a.length;
  const m = b.length;
  const E = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  const H = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = 0; i <= n; i++) E[i]![0] = i;
  for (let j = 0; j <= m; j++) E[0]![j] = j;
  // candidate (e, h) beats (e0, h0) when it has fewer edits, or as many edits and more hits
  for (let i = 1; i <= n; i++) {
    const Ei = E[i]!;
    const Hi = H[i]!;
    const Ep = E[i - 1]!;
    const Hp = H[i - 1]!;
    for (let j = 1; j <= m; j++) {
      const same = a[i - 1] === b[j - 1];
      let e = Ep[j - 1]! + (same ? 0 : 1);
      let h = Hp[j - 1]! + (same ? 1 : 0);
      const eUp = Ep[j]! + 1;
      if (eUp < e || (eUp === e && Hp[j]! > h)) {
        e = eUp;
        h = Hp[j]!;
      }
      const eLeft = Ei[j - 1]! + 1;
      if (eLeft < e || (eLeft === e && Hi[j - 1]! > h)) {
        e = eLeft;
        h = Hi[j - 1]!;
      }
      Ei[j] = e;
      Hi[j] = h;
    }
  }
  return { edits: E[n]![m]!, hits: H[n]![m]! };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomSeq(r: () => number, len: number, vocab: number): number[] {
  return Array.from({ length: len }, () => Math.floor(r() * vocab));
}

function mutate(r: () => number, seq: readonly number[], rate: number, vocab: number): number[] {
  const out: number[] = [];
  for (const t of seq) {
    const x = r();
    if (x < rate / 3) continue; // delete
    if (x < (2 * rate) / 3)
      out.push(Math.floor(r() * vocab)); // substitute
    else if (x < rate)
      out.push(t, Math.floor(r() * vocab)); // insert
    else out.push(t);
  }
  return out;
}

function checkAlignmentConsistency(a: readonly number[], b: readonly number[]): void {
  const al = alignTokens(a, b);
  let i = 0;
  let j = 0;
  for (const p of al.pairs) {
    if (p.op === 'hit' || p.op === 'substitution') {
      expect([p.refIndex, p.hypIndex]).toEqual([i++, j++]);
      expect(p.ref === p.hyp).toBe(p.op === 'hit');
    } else if (p.op === 'deletion') expect(p.refIndex).toBe(i++);
    else expect(p.hypIndex).toBe(j++);
  }
  expect([i, j]).toEqual([a.length, b.length]);
  const counted = measureTokens(a, b);
  expect([al.hits, al.substitutions, al.deletions, al.insertions]).toEqual([
    counted.hits,
    counted.substitutions,
    counted.deletions,
    counted.insertions,
  ]);
}

describe('linear-memory counts agree with the full DP', () => {
  it('on 2000 random short pairs (small vocabularies, many ties)', () => {
    const r = rng(12345);
    for (let t = 0; t < 2000; t++) {
      const vocab = 1 + Math.floor(r() * 5);
      const a = randomSeq(r, Math.floor(r() * 12), vocab);
      const b = randomSeq(r, Math.floor(r() * 12), vocab);
      const ref = referenceCounts(a, b);
      const got = measureTokens(a, b);
      expect(
        { edits: got.substitutions + got.deletions + got.insertions, hits: got.hits },
        JSON.stringify([a, b]),
      ).toEqual(ref);
      const enc = encodePair(a, b);
      expect(levenshteinDistance(enc.ref, enc.hyp)).toBe(ref.edits);
      checkAlignmentConsistency(a, b);
    }
  });

  it('on long pairs that need band widening (up to 1500 tokens, 0–60 % edits)', () => {
    const r = rng(777);
    for (const [len, rate] of [
      [1500, 0.02],
      [1200, 0.1],
      [800, 0.3],
      [600, 0.6],
      [400, 1],
    ] as const) {
      const a = randomSeq(r, len, 50);
      const b = mutate(r, a, rate, 50);
      const ref = referenceCounts(a, b);
      const got = measureTokens(a, b);
      expect({ edits: got.substitutions + got.deletions + got.insertions, hits: got.hits }).toEqual(
        ref,
      );
      checkAlignmentConsistency(a, b);
    }
  });

  it('on unrelated sequences of very different lengths', () => {
    const r = rng(99);
    const a = randomSeq(r, 700, 7);
    const b = randomSeq(r, 90, 7);
    const ref = referenceCounts(a, b);
    const got = measureTokens(a, b);
    expect({ edits: got.substitutions + got.deletions + got.insertions, hits: got.hits }).toEqual(
      ref,
    );
    checkAlignmentConsistency(b, a);
  });

  it('scales to a 50k-word transcript pair in linear memory', () => {
    const r = rng(4242);
    const a = randomSeq(r, 50_000, 5000);
    const b = mutate(r, a, 0.05, 5000);
    const m = measureTokens(a, b);
    expect(m.referenceLength).toBe(50_000);
    expect(m.hypothesisLength).toBe(b.length);
    expect(m.errorRate).toBeGreaterThan(0.02);
    expect(m.errorRate).toBeLessThan(0.07);
  });
});
