// The chunked pipeline's pieces against transformers: chunk placement (chunk_iter), the merge of
// chunk outputs (_decode_asr) and the longest-common-sequence join, on cases recorded from
// transformers' own functions (tools/reference/longform/make_merge_cases.py).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ChunkMerger,
  chunkSpans,
  longestCommonSequence,
  planChunks,
  pythonRound2,
  roundHalfEven,
  type ChunkOutput,
  type MergedSegment,
} from '../src/longform';

interface MergeCases {
  decode_asr: Array<{
    timestamps: boolean;
    outputs: Array<{ tokens: number[]; stride: [number, number, number] }>;
    segments: Array<{
      start: number | null;
      end: number | null;
      tokens: number[];
      language: string | null;
    }>;
  }>;
  lcs: Array<{ sequences: number[][]; merged: number[] }>;
}

const cases = JSON.parse(
  readFileSync(
    resolve(__dirname, '../../../tools/reference/longform/fixtures/merge-cases.json'),
    'utf8',
  ),
) as MergeCases;

const NAMES: Record<string, string> = { en: 'english', fr: 'french' };

function merge(outputs: readonly ChunkOutput[], returnTimestamps: boolean): MergedSegment[] {
  const merger = new ChunkMerger({
    timestampBegin: 50364,
    eot: 50257,
    languages: new Map([
      [50259, 'en'],
      [50265, 'fr'],
    ]),
    returnTimestamps,
    prevSot: 50361,
    sot: 50258,
  });
  return [...outputs.flatMap((o) => merger.push(o)), ...merger.finish()];
}

describe('chunk placement (transformers chunk_iter)', () => {
  it('sizes chunks and strides with Python rounding', () => {
    expect(planChunks({ chunkLengthSeconds: 30 })).toEqual({
      chunkSamples: 480000,
      strideLeft: 80000,
      strideRight: 80000,
      step: 320000,
    });
    expect(planChunks({ chunkLengthSeconds: 25 })).toMatchObject({
      strideLeft: 66667,
      step: 266666,
    });
    expect(planChunks({ chunkLengthSeconds: 15, strideSeconds: [1, 2] })).toMatchObject({
      strideLeft: 16000,
      strideRight: 32000,
      step: 192000,
    });
    expect(() => planChunks({ chunkLengthSeconds: 10, strideSeconds: 6 })).toThrow(/strides/);
    expect([0.5, 1.5, 2.5, 3.5, 66666.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, 66666]);
  });
  it('places chunks and their strides; the last one reaches the end', () => {
    const spans = [...chunkSpans(planChunks({ chunkLengthSeconds: 30 }), 16000 * 70)];
    expect(spans.map((s) => [s.start, s.end, ...s.stride, s.isLast])).toEqual([
      [0, 480000, 480000, 0, 80000, false],
      [320000, 800000, 480000, 80000, 80000, false],
      [640000, 1120000, 480000, 80000, 0, true],
    ]);
    expect([...chunkSpans(planChunks({ chunkLengthSeconds: 30 }), 1000)]).toEqual([
      { start: 0, end: 1000, stride: [1000, 0, 0], isLast: true },
    ]);
  });
});

describe('merging chunk outputs (transformers _decode_asr)', () => {
  it('Python round(x, 2): exact decimal value, ties to even', () => {
    expect([0.125, 0.375, 2.675, 1.005, 0.015, 16.666625].map(pythonRound2)).toEqual([
      0.12, 0.38, 2.67, 1, 0.01, 16.67,
    ]);
  });
  it.each(cases.lcs.map((c, i) => [i, c] as const))('longest common sequence, case %i', (_, c) => {
    expect(longestCommonSequence(c.sequences).tokens).toEqual(c.merged);
  });
  it.each(cases.decode_asr.map((c, i) => [i, c] as const))('merge case %i', (_, c) => {
    const got = merge(c.outputs, c.timestamps).map((s) => ({
      ...s,
      language: s.language === null ? null : (NAMES[s.language] ?? s.language),
    }));
    expect(got).toEqual(c.segments);
  });
});
