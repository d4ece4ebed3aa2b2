// Target construction (WAVE2 A4) and collation (A5): hand-built cases, the per-example draws, and
// every case of the reference fixture tools/reference/distill/fixtures/collate_cases.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import {
  buildLabels,
  collateLabels,
  DistillError,
  drawTargets,
  IGNORE_INDEX,
  prepareTrainingExamples,
  type ManifestExample,
  type TargetLayout,
} from '../src/index.js';

// Multilingual v2 ids.
const SOT = 50258;
const EN = 50259;
const TRANSCRIBE = 50359;
const PREV = 50361;
const NOTS = 50363;
const TS0 = 50364; // <|0.00|>
const EOT = 50257;
const ts = (seconds: number): number => TS0 + Math.round(seconds / 0.02);

const ML: TargetLayout = {
  special: {
    sot: SOT,
    noTimestamps: NOTS,
    startOfPrev: PREV,
    eot: EOT,
    timestampBegin: TS0,
    pad: EOT,
  },
  timestampPosition: 3,
  maxLabelLength: 448,
};

const KEEP = { keepTimestamps: true, usePrompt: false };
const DROP = { keepTimestamps: false, usePrompt: false };

const stamped = [SOT, EN, TRANSCRIBE, ts(0), 100, 101, ts(1.5), ts(1.5), 102, ts(3), EOT];

describe('buildLabels', () => {
  it('keeps the timestamps when drawn to', () => {
    expect(buildLabels(stamped, null, KEEP, ML)).toEqual(stamped);
  });

  it('drops every id ≥ <|notimestamps|> and inserts <|notimestamps|> at the timestamp position', () => {
    expect(buildLabels(stamped, null, DROP, ML)).toEqual([
      SOT,
      EN,
      TRANSCRIBE,
      NOTS,
      100,
      101,
      102,
      EOT,
    ]);
    const en: TargetLayout = { ...ML, timestampPosition: 1 };
    expect(buildLabels([SOT, ts(0), 7, ts(1), EOT], null, DROP, en)).toEqual([SOT, NOTS, 7, EOT]);
  });

  it('leaves a label without timestamps alone whatever the draw', () => {
    const plain = [SOT, EN, TRANSCRIBE, NOTS, 5, 6, EOT];
    expect(buildLabels(plain, null, DROP, ML)).toEqual(plain);
    expect(buildLabels(plain, null, KEEP, ML)).toEqual(plain);
  });

  it('attaches a prompt only when there is one and it is drawn', () => {
    const plain = [SOT, EN, TRANSCRIBE, NOTS, 5, EOT];
    expect(buildLabels(plain, [9, 8], { keepTimestamps: false, usePrompt: true }, ML)).toEqual([
      PREV,
      9,
      8,
      ...plain,
    ]);
    expect(buildLabels(plain, [9, 8], DROP, ML)).toEqual(plain);
    expect(buildLabels(plain, null, { keepTimestamps: false, usePrompt: true }, ML)).toEqual(plain);
  });

  it('does not double a stored <|startofprev|> (documented deviation) unless asked to', () => {
    const plain = [SOT, EN, TRANSCRIBE, NOTS, 5, EOT];
    const stored = [PREV, 9, 8];
    const draws = { keepTimestamps: true, usePrompt: true };
    expect(buildLabels(plain, stored, draws, ML)).toEqual([PREV, 9, 8, ...plain]);
    expect(buildLabels(plain, stored, draws, ML, { keepStoredStartOfPrev: true })).toEqual([
      PREV,
      PREV,
      9,
      8,
      ...plain,
    ]);
  });

  it('drops the prompt timestamps only together with the target ones', () => {
    const prompt = [PREV, ts(0), 9, ts(2)];
    expect(buildLabels(stamped, prompt, { keepTimestamps: false, usePrompt: true }, ML)).toEqual([
      PREV,
      9,
      SOT,
      EN,
      TRANSCRIBE,
      NOTS,
      100,
      101,
      102,
      EOT,
    ]);
    const plain = [SOT, EN, TRANSCRIBE, NOTS, 5, EOT];
    expect(buildLabels(plain, prompt, { keepTimestamps: false, usePrompt: true }, ML)).toEqual([
      PREV,
      ts(0),
      9,
      ts(2),
      ...plain,
    ]);
  });

  it('cuts prompts as written: > L/2 keeps the last L/2 − 1, then trims to fit L', () => {
    const L16: TargetLayout = { ...ML, maxLabelLength: 16 };
    const ids7 = [SOT, EN, TRANSCRIBE, NOTS, 1, 2, EOT];
    const use = { keepTimestamps: false, usePrompt: true };
    const range = (n: number, from = 1000): number[] =>
      Array.from({ length: n }, (_, i) => from + i);
    // 9 > 8: last 7 → 1 + 7 + 7 = 15
    expect(buildLabels(ids7, range(9), use, L16)).toEqual([PREV, ...range(7, 1002), ...ids7]);
    // 8 is not > 8: whole → 16
    expect(buildLabels(ids7, range(8), use, L16)).toHaveLength(16);
    // 1 + 5 + 12 > 16: prompt[12 − 15:] = last 3
    const ids12 = [SOT, EN, TRANSCRIBE, NOTS, ...range(7, 1), EOT];
    expect(buildLabels(ids12, range(5), use, L16)).toEqual([PREV, ...range(3, 1002), ...ids12]);
    // len(ids) = 15 = L − 1: trim index 0 keeps the whole prompt (reference quirk): too long
    const ids15 = [SOT, EN, TRANSCRIBE, NOTS, ...range(10, 1), EOT];
    expect(buildLabels(ids15, range(3), use, L16)).toHaveLength(19);
  });
});

describe('drawTargets', () => {
  it('is a function of (seed, id) only', () => {
    const a = drawTargets(7, 'clip-1', {
      timestampProbability: 0.5,
      conditionOnPrevProbability: 0.5,
    });
    const b = drawTargets(7, 'clip-1', {
      timestampProbability: 0.5,
      conditionOnPrevProbability: 0.5,
    });
    expect(a).toEqual(b);
  });

  it('follows the probabilities (0 never, 1 always, p about p) and differs across seeds', () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `ex-${i}`);
    const p = { timestampProbability: 0.2, conditionOnPrevProbability: 0.7 };
    const draws = ids.map((id) => drawTargets(3, id, p));
    const rate = (f: (d: { keepTimestamps: boolean; usePrompt: boolean }) => boolean): number =>
      draws.filter(f).length / draws.length;
    expect(rate((d) => d.keepTimestamps)).toBeCloseTo(0.2, 1);
    expect(rate((d) => d.usePrompt)).toBeCloseTo(0.7, 1);
    expect(ids.every((id) => !drawTargets(3, id, { timestampProbability: 0 }).keepTimestamps)).toBe(
      true,
    );
    expect(ids.every((id) => drawTargets(3, id, { timestampProbability: 1 }).keepTimestamps)).toBe(
      true,
    );
    const other = ids.map((id) => drawTargets(4, id, p));
    const same = draws.filter(
      (d, i) =>
        d.keepTimestamps === other[i]!.keepTimestamps && d.usePrompt === other[i]!.usePrompt,
    ).length;
    expect(same).toBeLessThan(ids.length * 0.8);
  });

  it('does not depend on order or on the other examples (prepareTrainingExamples)', () => {
    const examples: ManifestExample[] = Array.from({ length: 50 }, (_, i) => ({
      id: `u${i}`,
      line: i + 1,
      audioPath: `/a/${i}.wav`,
      text: '',
      textKind: 'pseudo-label',
      ids: stamped,
      prompt: [PREV, 9],
      speaker: undefined,
    }));
    const opts = {
      layout: ML,
      seed: 11,
      timestampProbability: 0.5,
      conditionOnPrevProbability: 0.5,
    };
    const forward = prepareTrainingExamples(examples, opts).examples;
    const reversed = prepareTrainingExamples([...examples].reverse(), opts).examples;
    const shard = prepareTrainingExamples(
      examples.filter((_, i) => i % 3 === 0),
      opts,
    ).examples;
    const byId = new Map(forward.map((e) => [e.id, e.labels]));
    for (const e of [...reversed, ...shard]) expect(e.labels).toEqual(byId.get(e.id));
    const kinds = new Set(forward.map((e) => `${e.draws.keepTimestamps}/${e.draws.usePrompt}`));
    expect(kinds.size).toBe(4);
  });

  it('rejects probabilities outside [0, 1]', () => {
    expect(() => drawTargets(0, 'x', { timestampProbability: 1.5 })).toThrow(DistillError);
    expect(() => drawTargets(0, 'x', { conditionOnPrevProbability: Number.NaN })).toThrow(
      /probability/,
    );
  });
});

describe('prepareTrainingExamples', () => {
  const base = (id: string, ids: number[], prompt: number[] | null = null): ManifestExample => ({
    id,
    line: Number(id.slice(1)),
    audioPath: `/a/${id}.wav`,
    text: '',
    textKind: 'pseudo-label',
    ids,
    prompt,
    speaker: undefined,
  });

  it('applies 0 < len ≤ maxLabelLength and counts what it drops', () => {
    const long = [SOT, ...Array.from({ length: 448 }, () => 5)];
    const out = prepareTrainingExamples(
      [base('l1', [SOT, 5, EOT]), base('l2', long), base('l3', [])],
      {
        layout: ML,
        draw: () => KEEP,
      },
    );
    expect(out.examples.map((e) => e.id)).toEqual(['l1']);
    expect(out.droppedCounts).toEqual({ LABELS_TOO_LONG: 1, EMPTY_LABELS: 1 });
    expect(out.dropped.map((d) => [d.id, d.code])).toEqual([
      ['l2', 'LABELS_TOO_LONG'],
      ['l3', 'EMPTY_LABELS'],
    ]);
  });

  it('throws NO_USABLE_EXAMPLES when every example is dropped', () => {
    expect(() => prepareTrainingExamples([base('l1', [])], { layout: ML })).toThrow(
      expect.objectContaining({ code: 'NO_USABLE_EXAMPLES' }),
    );
  });
});

describe('collateLabels', () => {
  it('shifts, pads to the longest row, masks padding, the prompt and the prompted SOT target', () => {
    const plain = [SOT, EN, TRANSCRIBE, NOTS, 5, EOT];
    const prompted = [PREV, 9, 8, SOT, EN, TRANSCRIBE, NOTS, 6, 7, EOT];
    const out = collateLabels([plain, prompted], { sot: SOT, pad: EOT });
    expect(out.batchSize).toBe(2);
    expect(out.length).toBe(9);
    const row = (a: Int32Array, r: number): number[] => [...a.subarray(r * 9, r * 9 + 9)];
    const X = IGNORE_INDEX;
    expect(row(out.decoderInputIds, 0)).toEqual([SOT, EN, TRANSCRIBE, NOTS, 5, EOT, EOT, EOT, EOT]);
    expect(row(out.labels, 0)).toEqual([EN, TRANSCRIBE, NOTS, 5, EOT, X, X, X, X]);
    expect(row(out.decoderInputIds, 1)).toEqual(prompted.slice(0, 9));
    expect(row(out.labels, 1)).toEqual([X, X, X, EN, TRANSCRIBE, NOTS, 6, 7, EOT]);
    expect(out.labelTokens).toBe(5 + 6);
  });

  it('keeps a real <|endoftext|> scored even though it equals the pad id', () => {
    const out = collateLabels(
      [
        [SOT, 5, EOT],
        [SOT, EOT],
      ],
      { sot: SOT, pad: EOT },
    );
    expect([...out.labels]).toEqual([5, EOT, EOT, IGNORE_INDEX]);
  });

  it('keeps the reference quirk: an empty prompt leaves the SOT target scored', () => {
    const out = collateLabels([[PREV, SOT, EN, EOT]], { sot: SOT, pad: EOT });
    expect([...out.labels]).toEqual([SOT, EN, EOT]);
  });

  it('rejects an empty batch or row', () => {
    expect(() => collateLabels([], { sot: SOT, pad: EOT })).toThrow(DistillError);
    expect(() => collateLabels([[]], { sot: SOT, pad: EOT })).toThrow(/no tokens/);
  });
});

// ---- the reference fixture (Python port of run_distillation.py, checked against transformers)

interface FixtureCase {
  name: string;
  variant: 'multilingual' | 'en';
  special: {
    sot: number;
    notimestamps: number;
    startofprev: number;
    eot: number;
    timestamp_begin: number;
    pad: number;
  };
  timestamp_position: number;
  max_label_length: number;
  examples: {
    ids: number[];
    prompt: number[] | null;
    keep_timestamps: boolean;
    use_prompt: boolean;
  }[];
  expected: {
    kept: number[];
    labels_full?: number[][];
    decoder_input_ids: number[][];
    labels: number[][];
  };
}

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURE = join(
  here,
  '..',
  '..',
  '..',
  'tools',
  'reference',
  'distill',
  'fixtures',
  'collate_cases.json',
);
const fixturePresent = existsSync(FIXTURE);
if (!fixturePresent)
  console.warn(
    `[skip] data-targets fixture: ${FIXTURE} not found — reference collation cases skipped`,
  );

function layoutOf(c: FixtureCase): TargetLayout {
  return {
    special: {
      sot: c.special.sot,
      noTimestamps: c.special.notimestamps,
      startOfPrev: c.special.startofprev,
      eot: c.special.eot,
      timestampBegin: c.special.timestamp_begin,
      pad: c.special.pad,
    },
    timestampPosition: c.timestamp_position,
    maxLabelLength: c.max_label_length,
  };
}

/** Rows of a flat [B, N] array, trailing all-(−100) label columns trimmed (as the fixture is). */
function trimmed(out: ReturnType<typeof collateLabels>): { dec: number[][]; lab: number[][] } {
  let width = 0;
  for (let r = 0; r < out.batchSize; r++)
    for (let i = out.length - 1; i >= 0; i--)
      if (out.labels[r * out.length + i] !== IGNORE_INDEX) {
        width = Math.max(width, i + 1);
        break;
      }
  const rows = (a: Int32Array): number[][] =>
    Array.from({ length: out.batchSize }, (_, r) => [
      ...a.subarray(r * out.length, r * out.length + width),
    ]);
  return { dec: rows(out.decoderInputIds), lab: rows(out.labels) };
}

function run(c: FixtureCase, keepStoredStartOfPrev: boolean) {
  const layout = layoutOf(c);
  const built = c.examples.map((e) =>
    buildLabels(
      e.ids,
      e.prompt,
      { keepTimestamps: e.keep_timestamps, usePrompt: e.use_prompt },
      layout,
      {
        keepStoredStartOfPrev,
      },
    ),
  );
  const kept = built.flatMap((b, i) =>
    b.length > 0 && b.length <= layout.maxLabelLength ? [i] : [],
  );
  const seqs = kept.map((i) => built[i]!);
  const collated =
    seqs.length > 0 ? trimmed(collateLabels(seqs, layout.special)) : { dec: [], lab: [] };
  return { kept, seqs, ...collated };
}

describe.skipIf(!fixturePresent)('reference fixture collate_cases.json', () => {
  const cases: FixtureCase[] = fixturePresent
    ? (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: FixtureCase[] }).cases
    : [];

  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    '%s: reference mode matches exactly',
    (_name, c) => {
      const got = run(c, true);
      expect(got.kept).toEqual(c.expected.kept);
      if (c.expected.labels_full) expect(got.seqs).toEqual(c.expected.labels_full);
      expect(got.dec).toEqual(c.expected.decoder_input_ids);
      expect(got.lab).toEqual(c.expected.labels);
    },
  );

  it.each(cases.map((c) => [c.name, c] as const))(
    '%s: default mode differs only by the collapsed doubled <|startofprev|>',
    (_name, c) => {
      const got = run(c, false);
      expect(got.kept).toEqual(c.expected.kept);
      const prev = c.special.startofprev;
      const expected = (c.expected.labels_full ?? []).map((s) =>
        s[0] === prev && s[1] === prev ? s.slice(1) : s,
      );
      if (c.expected.labels_full) expect(got.seqs).toEqual(expected);
    },
  );
});
