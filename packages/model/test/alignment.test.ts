// Word alignment without a model: every step against openai-whisper's own functions on recorded
// inputs (tools/reference/word-timestamps/make_fixtures.py --core), plus cases known by construction.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AlignmentError,
  alignmentMatrix,
  alignWords,
  assignWordsToSegments,
  dynamicTimeWarping,
  medianFilter,
  mergePunctuations,
  resolveAlignmentHeads,
  timeWords,
  tokenStartTimes,
  type WordTiming,
} from '../src/alignment';

interface CoreCases {
  median_filter: Array<{ shape: [number, number, number]; x: number[]; y: number[] }>;
  dtw: Array<{ shape: [number, number]; x: number[]; text: number[]; time: number[] }>;
  words: Array<{
    eot: number;
    words: WordTiming[];
    segments: Array<{ start: number; end: number; tokens: number[] }>;
    last_speech_timestamp: number;
    expected: Array<{
      start: number;
      end: number;
      words: Array<{ word: string; start: number; end: number; probability: number }>;
    }>;
  }>;
}

const CORE = JSON.parse(
  readFileSync(
    resolve(__dirname, '../../../tools/reference/word-timestamps/fixtures/core-cases.json'),
    'utf8',
  ),
) as CoreCases;

describe('medianFilter (openai-whisper median_filter, width 7)', () => {
  it.each(CORE.median_filter.map((c, i) => [i, c] as const))(
    'case %i equals the reference',
    (_, c) => {
      const [a, b, cols] = c.shape;
      const y = medianFilter(Float32Array.from(c.x), a * b, cols, 7);
      expect(Array.from(y)).toEqual(Array.from(Float32Array.from(c.y)));
    },
  );

  it('reflects at the edges and rejects even widths', () => {
    expect(Array.from(medianFilter(Float32Array.of(1, 9, 2, 8, 3), 1, 5, 3))).toEqual([
      9, 2, 8, 3, 8,
    ]);
    expect(() => medianFilter(new Float32Array(4), 1, 4, 4)).toThrow(AlignmentError);
  });
});

describe('dynamicTimeWarping (openai-whisper dtw_cpu + backtrace)', () => {
  it.each(CORE.dtw.map((c, i) => [i, c] as const))('case %i takes the same path', (_, c) => {
    const [rows, cols] = c.shape;
    const { textIndices, timeIndices } = dynamicTimeWarping(c.x, rows, cols);
    expect(Array.from(textIndices)).toEqual(c.text);
    expect(Array.from(timeIndices)).toEqual(c.time);
  });

  it('rejects an empty or mis-sized matrix', () => {
    expect(() => dynamicTimeWarping([], 0, 3)).toThrow(AlignmentError);
    expect(() => dynamicTimeWarping([1, 2, 3], 2, 2)).toThrow(/2 × 2/);
  });
});

describe('alignment matrix and token times', () => {
  // Three tokens that attend to frames 0-1, 2-5 and 6-9 of ten: starts 0, 2, 6 (× 0.02 s).
  const rows = 3;
  const frames = 12;
  const attention = new Float32Array(rows * frames);
  const spans: Array<[number, number]> = [
    [0, 2],
    [2, 6],
    [6, 10],
  ];
  spans.forEach(([a, b], r) => {
    for (let c = a; c < b; c++) attention[r * frames + c] = 1 / (b - a);
  });

  it('warps a block-diagonal attention onto its blocks', () => {
    const m = alignmentMatrix(
      { data: attention, heads: 1, rows, frames },
      { audioFrames: 10, firstRow: 0, rowCount: rows, medianFilterWidth: 1 },
    );
    expect(Array.from(tokenStartTimes(m, rows, 10))).toEqual([0, 0.04, 0.12]);
  });

  it('re-normalising the cropped rows (openai-whisper) changes nothing for rows inside the crop', () => {
    const opts = { audioFrames: 10, firstRow: 0, rowCount: rows, medianFilterWidth: 1 };
    const a = alignmentMatrix({ data: attention, heads: 1, rows, frames }, opts);
    const b = alignmentMatrix(
      { data: attention, heads: 1, rows, frames },
      { ...opts, renormalize: true },
    );
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('checks the sizes', () => {
    expect(() =>
      alignmentMatrix(
        { data: attention, heads: 2, rows, frames },
        { audioFrames: 10, firstRow: 0, rowCount: 3 },
      ),
    ).toThrow(AlignmentError);
    expect(() =>
      alignmentMatrix(
        { data: attention, heads: 1, rows, frames },
        { audioFrames: 13, firstRow: 0, rowCount: 3 },
      ),
    ).toThrow(/audioFrames/);
  });

  it('alignWords: words start at their first token, end where the next word starts', () => {
    const words = alignWords({
      attention: { data: attention, heads: 1, rows, frames },
      firstTextRow: 0,
      tokenProbabilities: [0.5, 1],
      split: { words: [' a', 'b'], wordTokens: [[1], [2]] },
      numFrames: 20,
      medianFilterWidth: 1,
    });
    expect(words).toEqual([
      { word: ' a', tokens: [1], start: 0, end: 0.04, probability: 0.5 },
      { word: 'b', tokens: [2], start: 0.04, end: 0.12, probability: 1 },
    ]);
    expect(
      alignWords({
        attention: { data: attention, heads: 1, rows, frames },
        firstTextRow: 0,
        tokenProbabilities: [],
        split: { words: [], wordTokens: [] },
        numFrames: 20,
      }),
    ).toEqual([]);
  });
});

describe('timeWords', () => {
  it('averages token probabilities per word', () => {
    const w = timeWords(
      { words: [' ab', ' c'], wordTokens: [[1, 2], [3]] },
      [0, 0.1, 0.2, 0.3],
      [0.2, 0.4, 0.9],
    );
    expect(w.map((x) => [x.start, x.end, x.probability])).toEqual([
      [0, 0.2, expect.closeTo(0.3, 12)],
      [0.2, 0.3, 0.9],
    ]);
  });

  it('refuses a split that does not cover the tokens', () => {
    expect(() => timeWords({ words: [' a'], wordTokens: [[1]] }, [0, 0.1, 0.2], [1, 1])).toThrow(
      /covers 1 tokens/,
    );
  });
});

describe('mergePunctuations', () => {
  const w = (word: string, start: number): WordTiming => ({
    word,
    tokens: [start],
    start,
    end: start + 1,
    probability: 1,
  });

  it('joins opening marks to the next word and closing marks to the previous one', () => {
    const merged = mergePunctuations([w(' "', 0), w('Hi', 1), w(',', 2), w(' you', 3), w('.', 4)]);
    expect(merged.map((x) => [x.word, x.tokens, x.start, x.end])).toEqual([
      [' "Hi,', [0, 1, 2], 1, 2],
      [' you.', [3, 4], 3, 4],
    ]);
  });

  it('does not append to a word that ends with a space', () => {
    expect(mergePunctuations([w(' a ', 0), w('.', 1)]).map((x) => x.word)).toEqual([' a ', '.']);
  });
});

describe('assignWordsToSegments (openai-whisper add_word_timestamps on synthetic alignments)', () => {
  it.each(CORE.words.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    const { segments } = assignWordsToSegments(c.words, c.segments, {
      eot: c.eot,
      lastSpeechTimestamp: c.last_speech_timestamp,
      // openai-whisper's prepend list (transformers adds '¡', absent from these cases).
    });
    expect(segments.length).toBe(c.expected.length);
    segments.forEach((s, i) => {
      const e = c.expected[i]!;
      expect(s.start).toBeCloseTo(e.start, 9);
      expect(s.end).toBeCloseTo(e.end, 9);
      expect(s.words.map((x) => x.word)).toEqual(e.words.map((x) => x.word));
      s.words.forEach((x, k) => {
        expect(x.start).toBeCloseTo(e.words[k]!.start, 9);
        expect(x.end).toBeCloseTo(e.words[k]!.end, 9);
        expect(x.probability).toBeCloseTo(e.words[k]!.probability, 12);
      });
    });
  });

  it('adds the time offset and carries the last speech time', () => {
    const words: WordTiming[] = [
      { word: ' a', tokens: [1], start: 0.2, end: 0.4, probability: 1 },
      { word: ' b', tokens: [2], start: 0.4, end: 0.6, probability: 1 },
    ];
    const r = assignWordsToSegments(words, [{ start: 10.2, end: 10.6, tokens: [99, 1, 2] }], {
      eot: 50,
      timeOffset: 10,
    });
    expect(r.segments[0]!.words.map((x) => [x.start, x.end])).toEqual([
      [10.2, 10.4],
      [10.4, 10.6],
    ]);
    expect(r.lastSpeechTimestamp).toBe(10.6);
    expect(words[0]!.start).toBe(0.2); // inputs untouched
  });
});

describe('resolveAlignmentHeads', () => {
  it('keeps a list that fits the decoder', () => {
    expect(
      resolveAlignmentHeads(6, 8, [
        [5, 1],
        [3, 1],
      ]),
    ).toEqual({
      heads: [
        [3, 1],
        [5, 1],
      ],
      source: 'generation-config',
    });
  });

  it("falls back to the upper half for a student holding its teacher's list", () => {
    const r = resolveAlignmentHeads(2, 4, [
      [7, 0],
      [1, 2],
    ]);
    expect(r.source).toBe('fallback');
    expect(r.heads).toEqual([
      [1, 0],
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(r.reason).toMatch(/\[7, 0\]/);
  });

  it('falls back without a list, and refuses a decoder without heads', () => {
    expect(resolveAlignmentHeads(4, 2, []).heads).toEqual([
      [2, 0],
      [2, 1],
      [3, 0],
      [3, 1],
    ]);
    expect(() => resolveAlignmentHeads(0, 8, [])).toThrow(AlignmentError);
  });
});
