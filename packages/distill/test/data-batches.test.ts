// TrainingBatches: seeded per-epoch shuffles, exact resumption from a saved position, and audio
// problems (missing, unreadable, empty, silent, ≥ 30 s) skipped, counted and named.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  SeededRandom,
  randomPermutation,
  TrainingBatches,
  type AudioLoader,
  type TrainingExample,
} from '../src/index.js';
import { makeWav } from '../../audio/test/wav-builder';
import { tempDir, writeWav } from './data-helpers';

const SOT = 50258;
const EOT = 50257;
const ids = { sot: SOT, pad: EOT };

function example(id: string, audioPath: string, n = 3): TrainingExample {
  return {
    id,
    line: Number(id.replace(/\D/g, '')) || 1,
    audioPath,
    speaker: undefined,
    labels: [SOT, ...Array.from({ length: n }, (_, i) => 100 + i), EOT],
    draws: { keepTimestamps: false, usePrompt: false },
    prompted: false,
    timestamps: false,
  };
}

/** A loader that never touches the disk: one second of a constant per path. */
const fakeLoader: AudioLoader = async (path) =>
  new Float32Array(16000).fill(0.1 + (path.length % 7) / 10);

const many = Array.from({ length: 23 }, (_, i) => example(`e${i}`, `/fake/${i}.wav`, 1 + (i % 5)));

async function take(b: TrainingBatches, n: number): Promise<string[][]> {
  const out: string[][] = [];
  for (let i = 0; i < n; i++) out.push((await b.next()).examples.map((e) => e.id));
  return out;
}

describe('SeededRandom / randomPermutation', () => {
  it('is reproducible and keyed', () => {
    const a = SeededRandom.fromKey('t', 1, 'x');
    const b = SeededRandom.fromKey('t', 1, 'x');
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    const c = SeededRandom.fromKey('t', 2, 'x');
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
    // the documented xoshiro128** recurrence from a hand-set state
    const r = new SeededRandom(1, 2, 3, 4);
    expect([r.nextUint32(), r.nextUint32(), r.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('gives permutations, roughly uniform', () => {
    const rng = SeededRandom.fromKey('perm', 0);
    const firsts = new Array<number>(4).fill(0);
    for (let k = 0; k < 4000; k++) {
      const p = randomPermutation(4, rng);
      expect([...p].sort()).toEqual([0, 1, 2, 3]);
      firsts[p[0]!]!++;
    }
    for (const f of firsts) expect(f).toBeGreaterThan(850);
  });
});

describe('TrainingBatches order and position', () => {
  const make = (seed: number, start?: { epoch: number; index: number }) =>
    new TrainingBatches(many, { batchSize: 5, ids, seed, loadAudio: fakeLoader, start });

  it('shuffles each epoch with the seed: same seed same order, other seed or epoch another', () => {
    const a = make(1);
    expect(a.batchesPerEpoch).toBe(5);
    expect(a.order(0)).toEqual(make(1).order(0));
    expect([...a.order(0)].sort((x, y) => x - y)).toEqual(many.map((_, i) => i));
    expect(a.order(0)).not.toEqual(make(2).order(0));
    expect(a.order(1)).not.toEqual(a.order(0));
  });

  it('visits every example once per epoch, the last batch smaller, then moves to the next epoch', async () => {
    const b = make(3);
    const epoch0 = await take(b, 5);
    expect(epoch0.map((x) => x.length)).toEqual([5, 5, 5, 5, 3]);
    expect(epoch0.flat().sort()).toEqual(many.map((e) => e.id).sort());
    expect(b.position).toEqual({ epoch: 1, index: 0 });
    const first = await b.next();
    expect(first.position).toEqual({ epoch: 1, index: 0 });
    expect(first.next).toEqual({ epoch: 1, index: 1 });
    expect(first.examples.map((e) => e.id)).toEqual(
      b
        .order(1)
        .slice(0, 5)
        .map((i) => `e${i}`),
    );
  });

  it('resumes exactly from a saved position (also through JSON)', async () => {
    const full = make(7);
    const all = await take(full, 12);
    const probe = make(7);
    await take(probe, 7);
    const saved = JSON.parse(JSON.stringify((await probe.next()).next)) as {
      epoch: number;
      index: number;
    };
    expect(saved).toEqual({ epoch: 1, index: 3 });
    expect(await take(make(7, saved), 4)).toEqual(all.slice(8, 12));
    // an index past the end of an epoch is carried into the next epoch
    expect(make(7, { epoch: 0, index: 5 }).position).toEqual({ epoch: 1, index: 0 });
  });

  it('collates the labels of the batch', async () => {
    const batch = await make(0).next();
    const longest = Math.max(...batch.examples.map((e) => e.labels.length));
    expect(batch.labels.batchSize).toBe(batch.examples.length);
    expect(batch.labels.length).toBe(longest - 1);
    expect(batch.audio).toHaveLength(batch.examples.length);
  });

  it('keeps the input order without shuffling, and dropLast drops the partial batch', async () => {
    const plain = new TrainingBatches(many, {
      batchSize: 10,
      ids,
      shuffle: false,
      dropLast: true,
      loadAudio: fakeLoader,
    });
    expect(plain.batchesPerEpoch).toBe(2);
    expect(await take(plain, 3)).toEqual([
      many.slice(0, 10).map((e) => e.id),
      many.slice(10, 20).map((e) => e.id),
      many.slice(0, 10).map((e) => e.id),
    ]);
  });

  it('rejects bad options', () => {
    expect(() => new TrainingBatches([], { batchSize: 1, ids })).toThrow(/at least one example/);
    expect(() => new TrainingBatches(many, { batchSize: 0, ids })).toThrow(/batchSize/);
    expect(() => new TrainingBatches(many, { batchSize: 30, ids, dropLast: true })).toThrow(
      /leaves no batch/,
    );
    expect(
      () => new TrainingBatches(many, { batchSize: 2, ids, start: { epoch: -1, index: 0 } }),
    ).toThrow(/start/);
    expect(() => new TrainingBatches(many, { batchSize: 2, ids, silenceThreshold: -1 })).toThrow(
      /silenceThreshold/,
    );
  });
});

describe('TrainingBatches audio problems', () => {
  let dir: string;
  let cleanup: () => void;
  const files: Record<string, string> = {};
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('batches'));
    const p = (name: string): string => (files[name] = join(dir, name));
    writeWav(p('good1.wav'), 1, { seed: 1 });
    writeWav(p('good2.wav'), 2, { seed: 2 });
    writeWav(p('good3.wav'), 29.9, { seed: 3 });
    writeWav(p('silent.wav'), 1, { silent: true });
    writeWav(p('thirty.wav'), 30);
    writeWav(p('long.wav'), 31);
    writeFileSync(p('empty.wav'), makeWav({ channels: [new Float32Array(0)], sampleRate: 16000 }));
    writeFileSync(p('garbage.wav'), Buffer.from('this is not audio at all, just text'));
    writeWav(p('good8k.wav'), 1, { sampleRate: 8000 });
    files['missing.wav'] = join(dir, 'missing.wav');
  });
  afterAll(() => cleanup());

  it('skips, counts and names missing, unreadable, empty, silent and ≥ 30 s clips', async () => {
    const names = [
      'good1',
      'missing',
      'garbage',
      'empty',
      'silent',
      'thirty',
      'long',
      'good2',
      'good3',
      'good8k',
    ];
    const examples = names.map((n, i) => example(`x${i}`, files[`${n}.wav`]!));
    const b = new TrainingBatches(examples, { batchSize: 5, ids, shuffle: false });
    const first = await b.next();
    expect(first.examples.map((e) => e.id)).toEqual(['x0']);
    expect(first.skipped.map((s) => [s.id, s.code])).toEqual([
      ['x1', 'MISSING'],
      ['x2', 'UNREADABLE'],
      ['x3', 'EMPTY'],
      ['x4', 'SILENT'],
    ]);
    const second = await b.next();
    expect(second.examples.map((e) => e.id)).toEqual(['x7', 'x8', 'x9']);
    expect(second.audio.map((a) => a.length)).toEqual([32000, Math.round(29.9 * 16000), 16000]);
    expect(second.skipped.map((s) => [s.id, s.code])).toEqual([
      ['x5', 'TOO_LONG'],
      ['x6', 'TOO_LONG'],
    ]);
    expect(b.problemCounts).toEqual({
      MISSING: 1,
      UNREADABLE: 1,
      EMPTY: 1,
      SILENT: 1,
      TOO_LONG: 2,
    });
    expect(b.problems.map((p) => p.path)).toEqual(
      ['missing', 'garbage', 'empty', 'silent', 'thirty', 'long'].map((n) => files[`${n}.wav`]),
    );
    expect(b.problems[4]!.reason).toMatch(
      /30\.00 s is not shorter than the maximum duration 30\.00 s/,
    );

    // Next epoch: known-bad clips are skipped again without being counted twice.
    const again = await b.next();
    expect(again.skipped).toHaveLength(4);
    expect(b.problems).toHaveLength(6);
  });

  it('keeps silent clips when silenceThreshold is null (the reference keeps them)', async () => {
    const b = new TrainingBatches([example('s1', files['silent.wav']!)], {
      batchSize: 1,
      ids,
      silenceThreshold: null,
    });
    expect((await b.next()).examples).toHaveLength(1);
  });

  it('passes over a batch whose clips all fail, and stops when none is usable', async () => {
    const b = new TrainingBatches(
      [example('m1', files['missing.wav']!), example('g1', files['good1.wav']!)],
      { batchSize: 1, ids, shuffle: false },
    );
    const batch = await b.next();
    expect(batch.position).toEqual({ epoch: 0, index: 1 });
    expect(batch.examples.map((e) => e.id)).toEqual(['g1']);

    const none = new TrainingBatches([example('m1', files['missing.wav']!)], { batchSize: 1, ids });
    await expect(none.next()).rejects.toMatchObject({ code: 'NO_USABLE_EXAMPLES' });
  });

  it('counts loader failures of a custom loader too', async () => {
    const loader: AudioLoader = async () => {
      throw Object.assign(new Error('gone'), { code: 'ENOENT' });
    };
    const b = new TrainingBatches([example('a1', '/x/a.wav'), example('a2', '/x/b.wav')], {
      batchSize: 2,
      ids,
      loadAudio: loader,
    });
    await expect(b.next()).rejects.toMatchObject({ code: 'NO_USABLE_EXAMPLES' });
    expect(b.problemCounts).toEqual({ MISSING: 2 });
  });
});
