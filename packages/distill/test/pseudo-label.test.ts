// pseudoLabel() on a small random multilingual teacher over synthetic clips: the output is a
// training manifest that readTrainingManifest and prepareTrainingExamples take as it is; labels
// keep their special tokens and one <|endoftext|>; packing joins only same-speaker neighbours
// within the limit and stores the previous pack's ids as the prompt; bad lines and clips are named
// and skipped; reruns resume (and repair a torn last line); shards cover the manifest exactly
// once. A gated suite labels jfk.wav with real Whisper base (DW_TEST_MODEL_DIR).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { loadAudio } from '@distil-whisper/audio';
import { createRandomCheckpoint } from '@distil-whisper/model';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';

import {
  DistillError,
  encodeLabelText,
  labelIds,
  parseShard,
  prepareTrainingExamples,
  previousTextPrompt,
  pseudoLabel,
  pseudoLabelMetaPath,
  readTrainingManifest,
  shardLineRange,
  targetLayout,
  type LabelRecord,
  type PseudoLabelOptions,
  type PseudoLabelSummary,
} from '../src';
import { Packer } from '../src/pseudo-label/packer';
import { floatWav } from '../src/pseudo-label/wav-file';
import { referenceDir, referencePath } from '../../../test-support/reference';
import { isWhisperBase, realWeightDirs } from '../../../test-support/real-weights';
import { syntheticTokenizer, tempDir, writeWav } from './data-helpers';

const DIMS = {
  dModel: 64,
  encoderLayers: 1,
  decoderLayers: 2,
  encoderAttentionHeads: 4,
  decoderAttentionHeads: 4,
  encoderFfnDim: 128,
  decoderFfnDim: 128,
  vocabSize: 51865,
  numMelBins: 80,
  maxSourcePositions: 1500,
  maxTargetPositions: 448,
};
const PREFIX = '<|startoftranscript|><|en|><|transcribe|>';
const EOT = '<|endoftext|>';

let tmp: ReturnType<typeof tempDir>;
let teacher: string;
let tokenizer: WhisperTokenizer;

function readRecords(path: string): LabelRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as LabelRecord);
}

function writeManifest(name: string, lines: Array<Record<string, unknown> | string>): string {
  const path = join(tmp.dir, name);
  writeFileSync(
    path,
    `${lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n')}\n`,
  );
  return path;
}

function options(manifest: string, out: string, extra: Partial<PseudoLabelOptions> = {}) {
  return {
    teacher,
    manifest,
    out: join(tmp.dir, out),
    language: 'en',
    maxLabelLength: 14,
    batchSize: 3,
    ...extra,
  } satisfies PseudoLabelOptions;
}

let basic: string;
let packed: string;

beforeAll(async () => {
  tmp = tempDir('pseudo-label');
  teacher = join(tmp.dir, 'teacher');
  createRandomCheckpoint({ outDir: teacher, dims: DIMS, seed: 7 });
  tokenizer = await WhisperTokenizer.fromPretrained(teacher);
  const clip = (name: string, seconds: number, seed: number): void =>
    writeWav(join(tmp.dir, name), seconds, { seed });
  clip('a.wav', 1, 1);
  clip('b.wav', 1.5, 2);
  clip('c.wav', 2, 3);
  writeWav(join(tmp.dir, 'empty.wav'), 0);
  clip('long.wav', 31, 4);
  writeFileSync(join(tmp.dir, 'garbage.wav'), Buffer.from('this is not audio at all'));
  basic = writeManifest('basic.jsonl', [
    { id: 'a', audio: 'a.wav', text: 'hello world', speaker: 's1' },
    { id: 'b', audio: 'b.wav', text: 'the cat sat', speaker: 's1' },
    'not json',
    { id: 'gone', audio: 'missing.wav', text: 'gone' },
    { id: 'e', audio: 'empty.wav', text: 'nothing' },
    { id: 'l', audio: 'long.wav', text: 'long' },
    { id: 'a', audio: 'b.wav' },
    { audio: 'c.wav', speaker: 's2' },
    { id: 'g', audio: 'garbage.wav' },
    { id: 'n', text: 'no audio' },
  ]);
  for (const [name, seconds, seed] of [
    ['p1', 10, 11],
    ['p2', 10, 12],
    ['p3', 12, 13],
    ['p4', 5, 14],
    ['p5', 5, 15],
    ['p6', 3, 16],
  ] as const)
    clip(`${name}.wav`, seconds, seed);
  packed = writeManifest('packed.jsonl', [
    { id: 'p1', audio: 'p1.wav', text: 'one', speaker: 's1' },
    { id: 'p2', audio: 'p2.wav', text: 'two', speaker: 's1' },
    { id: 'p3', audio: 'p3.wav', text: 'three', speaker: 's1' },
    { id: 'p4', audio: 'p4.wav', text: 'four', speaker: 's2' },
    { id: 'p5', audio: 'p5.wav', text: 'five', speaker: 's2' },
    { id: 'p6', audio: 'p6.wav', text: 'six', speaker: 's1' },
  ]);
});
afterAll(() => tmp?.cleanup());

describe('pure parts', () => {
  const input = (id: string, speaker?: string) => ({
    id,
    line: 1,
    audioPath: `/x/${id}.wav`,
    text: id,
    speaker,
  });
  it('packs consecutive clips of one speaker while the total stays within the limit', () => {
    const packer = new Packer({ concatenate: true, maxSamples: 10 });
    const packs = [
      ...packer.push({ input: input('a', 's'), samples: new Float32Array(4) }),
      ...packer.push({ input: input('b', 's'), samples: new Float32Array(6) }), // 10: joins
      ...packer.push({ input: input('c', 's'), samples: new Float32Array(1) }), // 11: new pack
      ...packer.push({ input: input('d', 't'), samples: new Float32Array(1) }), // other speaker
      ...packer.push({ input: input('e', 't'), samples: new Float32Array(12) }), // alone, too long
      ...packer.push({ input: input('f'), samples: new Float32Array(1) }),
      ...packer.push({ input: input('g'), samples: new Float32Array(1) }), // undefined == undefined
    ];
    packs.push(packer.close()!);
    expect(packs.map((p) => p.members.map((m) => m.id).join(''))).toEqual([
      'ab',
      'c',
      'd',
      'e',
      'fg',
    ]);
    expect(packs[0]!.samples.length).toBe(10);
    expect(packer.close()).toBeUndefined();
    const single = new Packer({ concatenate: false, maxSamples: 10 });
    expect(single.push({ input: input('a', 's'), samples: new Float32Array(2) })).toHaveLength(1);
    expect(single.close()).toBeUndefined();
  });

  it('label ids: every EOT stripped, one appended; the prompt is <|startofprev|> + ids[3:]', () => {
    const tok = syntheticTokenizer(true);
    const { sot, eot, transcribe, noTimestamps, startOfPrev } = tok.special;
    const en = tok.languageToken('en');
    const ids = labelIds([sot, en, transcribe, noTimestamps], [104, eot, 105, eot], eot);
    expect(ids).toEqual([sot, en, transcribe, noTimestamps, 104, 105, eot]);
    expect(previousTextPrompt(ids, tok)).toEqual([startOfPrev, noTimestamps, 104, 105]);
    const english = syntheticTokenizer(false);
    const s = english.special;
    expect(previousTextPrompt([s.sot, s.noTimestamps, 104, s.eot], english)).toEqual([
      s.startOfPrev,
      s.noTimestamps,
      104,
    ]);
  });

  it('shards are 0-based, validated, and partition the lines', () => {
    expect(parseShard('2/8')).toEqual({ index: 2, count: 8 });
    expect(() => parseShard('3/3')).toThrow(/0-based.*k−1/);
    expect(() => parseShard('0/0')).toThrow(DistillError);
    expect(() => parseShard('1-3')).toThrow(/I\/N/);
    for (const lines of [0, 1, 7, 10, 101])
      for (const count of [1, 2, 3, 8]) {
        const seen: number[] = [];
        for (let index = 0; index < count; index++) {
          const { start, end } = shardLineRange({ index, count }, lines);
          for (let i = start; i < end; i++) seen.push(i);
        }
        expect(seen).toEqual(Array.from({ length: lines }, (_, i) => i));
      }
  });

  it('packed audio is a float WAV that decodes to the same samples', async () => {
    const samples = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i / 7) * 0.5);
    const back = await loadAudio(floatWav(samples, 16000));
    expect(Array.from(back)).toEqual(Array.from(samples));
  });
});

describe('pseudoLabel', () => {
  it('writes a training manifest, names and skips bad lines and clips', async () => {
    const s = await pseudoLabel(options(basic, 'basic-out.jsonl'));
    expect(s.packsWritten).toBe(3);
    expect(s.clipsLabelled).toBe(3);
    expect(s.lines).toBe(10);
    expect(s.problems.map((p) => [p.line, p.code])).toEqual([
      [3, 'INVALID_JSON'],
      [4, 'AUDIO_MISSING'],
      [5, 'AUDIO_EMPTY'],
      [6, 'AUDIO_TOO_LONG'],
      [7, 'DUPLICATE_ID'],
      [9, 'AUDIO_UNREADABLE'],
      [10, 'MISSING_FIELD'],
    ]);
    expect(s.text).toMatch(/3 records written \(3 clips, 4\.5 s of audio\), 7 skipped/);
    expect(s.text).toMatch(/line 4 \(gone\): AUDIO_MISSING/);

    const records = readRecords(s.out);
    expect(records.map((r) => r.id)).toEqual(['a', 'b', '8']);
    expect(records[0]).toMatchObject({
      audio: 'a.wav',
      reference: 'hello world',
      speaker: 's1',
      duration: 1,
      members: ['a'],
    });
    expect(records[2]!.reference).toBeUndefined();
    expect(records[2]!.speaker).toBe('s2');
    for (const r of records) {
      expect(r.text.startsWith(`${PREFIX}<|notimestamps|>`)).toBe(true);
      expect(r.text.endsWith(EOT)).toBe(true);
      expect(r.text.split(EOT)).toHaveLength(2);
      expect(r.condition_on_prev).toBeUndefined();
      // max_length counts the prefix: 14 tokens at most, then the appended EOT.
      const ids = tokenizer.encode(r.text, { allowedSpecial: 'all' });
      expect(ids.length).toBeLessThanOrEqual(15);
    }
    const meta = JSON.parse(readFileSync(pseudoLabelMetaPath(s.out), 'utf8'));
    expect(meta.options).toMatchObject({ language: 'en', maxLabelLength: 14, timestamps: false });

    const manifest = await readTrainingManifest(s.out, { tokenizer });
    expect(manifest.problems).toEqual([]);
    expect(manifest.examples.map((e) => [e.id, e.textKind])).toEqual([
      ['a', 'pseudo-label'],
      ['b', 'pseudo-label'],
      ['8', 'pseudo-label'],
    ]);
    expect(manifest.examples[0]!.audioPath).toBe(join(tmp.dir, 'a.wav'));
    const prepared = prepareTrainingExamples(manifest.examples, {
      layout: targetLayout(tokenizer),
      timestampProbability: 0.2,
      conditionOnPrevProbability: 0.2,
    });
    expect(prepared.examples).toHaveLength(3);
  });

  it('keeps timestamps in the label with timestamps', async () => {
    const m = writeManifest('ts.jsonl', [{ id: 'a', audio: 'a.wav', text: 'x' }]);
    const s = await pseudoLabel(options(m, 'ts-out.jsonl', { timestamps: true }));
    const [r] = readRecords(s.out);
    expect(r!.text).toMatch(/^<\|startoftranscript\|><\|en\|><\|transcribe\|><\|\d+\.\d\d\|>/);
    expect(r!.text).not.toContain('<|notimestamps|>');
    expect(r!.text.split(EOT)).toHaveLength(2);
    const manifest = await readTrainingManifest(s.out, { tokenizer });
    expect(manifest.examples[0]!.ids.some((id) => id > tokenizer.special.noTimestamps)).toBe(true);
  });

  it('packs same-speaker neighbours up to maxDuration and stores the previous pack as prompt', async () => {
    const s = await pseudoLabel(options(packed, 'packed-out.jsonl', { concatenateAudio: true }));
    const records = readRecords(s.out);
    expect(records.map((r) => r.members)).toEqual([['p1', 'p2'], ['p3'], ['p4', 'p5'], ['p6']]);
    expect(records.map((r) => r.duration)).toEqual([20, 12, 10, 3]);
    expect(records.map((r) => r.reference)).toEqual(['one two', 'three', 'four five', 'six']);
    expect(records[0]!.id).toBe('p1..p2');
    // Packs of several clips are written beside the output; single clips keep their file.
    expect(records[0]!.audio).toMatch(/^packed-out\.jsonl\.audio\/p1\.\.p2-[0-9a-f]{10}\.wav$/);
    expect(records[1]!.audio).toBe('p3.wav');
    const joined = await loadAudio(join(tmp.dir, records[0]!.audio));
    const p1 = await loadAudio(join(tmp.dir, 'p1.wav'));
    const p2 = await loadAudio(join(tmp.dir, 'p2.wav'));
    expect(joined.length).toBe(p1.length + p2.length);
    expect(joined.subarray(p1.length, p1.length + 100)).toEqual(p2.subarray(0, 100));
    expect(joined.subarray(0, 100)).toEqual(p1.subarray(0, 100));

    // p3 follows a pack of the same speaker; p4+p5 and p6 follow another speaker's pack.
    const prompt = records[1]!.condition_on_prev!;
    expect(prompt[0]).toBe(tokenizer.special.startOfPrev);
    const previousText = records[0]!.text.slice(PREFIX.length, -EOT.length);
    expect(tokenizer.decode(prompt.slice(1))).toBe(previousText);
    expect(records[2]!.condition_on_prev).toBeUndefined();
    expect(records[3]!.condition_on_prev).toBeUndefined();

    const manifest = await readTrainingManifest(s.out, { tokenizer });
    expect(manifest.problems).toEqual([]);
    expect(manifest.examples[1]!.prompt).toEqual(prompt);
    expect(
      prepareTrainingExamples(manifest.examples, {
        layout: targetLayout(tokenizer),
        timestampProbability: 0.2,
        conditionOnPrevProbability: 1,
      }).prompted,
    ).toBe(1);

    // A shorter limit splits p1 and p2.
    const short = await pseudoLabel(
      options(packed, 'packed-short.jsonl', { concatenateAudio: true, maxDuration: 15 }),
    );
    expect(readRecords(short.out).map((r) => r.members.join('+'))).toEqual([
      'p1',
      'p2',
      'p3',
      'p4+p5',
      'p6',
    ]);
  });

  it('resumes: skips done ids, repairs a torn last line, recovers the prompt of a written pack', async () => {
    const full = readRecords(join(tmp.dir, 'packed-out.jsonl'));
    const o = options(packed, 'resume.jsonl', { concatenateAudio: true });
    await pseudoLabel(o);
    // Keep the first record, then a torn half of the second, as a crash mid-append leaves it.
    const lines = readFileSync(o.out, 'utf8').split('\n');
    writeFileSync(o.out, `${lines[0]}\n`);
    appendFileSync(o.out, lines[1]!.slice(0, 25));
    const logs: string[] = [];
    const s = await pseudoLabel({ ...o, log: (m) => logs.push(m) });
    expect(s.repairedBytes).toBe(25);
    expect(s.clipsResumed).toBe(2);
    expect(s.packsWritten).toBe(3);
    expect(s.recordsBefore).toBe(1);
    expect(logs.join('\n')).toMatch(
      /resuming .* 1 records already written; cut off a torn last record \(25 bytes\)/,
    );
    const records = readRecords(o.out);
    expect(records.map((r) => r.id)).toEqual(full.map((r) => r.id));
    expect(records.map((r) => r.text)).toEqual(full.map((r) => r.text));
    // p3's prompt came from the record written by the first run (ids recovered from its text).
    expect(tokenizer.decode(records[1]!.condition_on_prev!)).toBe(
      tokenizer.decode(full[1]!.condition_on_prev!),
    );
    const again = await pseudoLabel(o);
    expect(again.packsWritten).toBe(0);
    expect(again.clipsResumed).toBe(6);
    expect(readRecords(o.out)).toHaveLength(4);
  });

  it('refuses an output of another job unless forced', async () => {
    const o = options(basic, 'basic-out.jsonl');
    const err = await pseudoLabel({ ...o, timestamps: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DistillError);
    expect((err as DistillError).code).toBe('LABELS_MISMATCH');
    expect((err as DistillError).message).toMatch(/timestamps: was false, now true/);

    const foreign = join(tmp.dir, 'foreign.jsonl');
    writeFileSync(foreign, '{"id":"x","text":"y"}\n');
    const err2 = await pseudoLabel({ ...o, out: foreign }).catch((e: unknown) => e);
    expect((err2 as DistillError).code).toBe('LABELS_MISMATCH');
    expect((err2 as DistillError).message).toMatch(/meta\.json is missing/);

    const forced = await pseudoLabel({ ...o, out: foreign, force: true });
    expect(forced.recordsBefore).toBe(0);
    expect(readRecords(foreign).map((r) => r.id)).toEqual(['a', 'b', '8']);
  });

  it('refuses a complete line that is not a record', async () => {
    const o = options(basic, 'corrupt.jsonl');
    await pseudoLabel(o);
    const text = readFileSync(o.out, 'utf8');
    writeFileSync(o.out, `${text}{"broken\n`);
    const err = await pseudoLabel(o).catch((e: unknown) => e);
    expect((err as DistillError).code).toBe('LABELS_CORRUPT');
    expect((err as DistillError).message).toMatch(/line 4/);
  });

  it('shards cover every line exactly once', async () => {
    const lines = Array.from({ length: 7 }, (_, i) => ({
      id: `s${i}`,
      audio: i === 3 ? 'missing.wav' : ['a.wav', 'b.wav', 'c.wav'][i % 3],
      text: `clip ${i}`,
      speaker: i < 4 ? 'x' : 'y',
    }));
    const m = writeManifest('shards.jsonl', [...lines, 'oops']);
    const members: string[] = [];
    const problems: string[] = [];
    for (let index = 0; index < 3; index++) {
      const s = await pseudoLabel(
        options(m, `shard-${index}.jsonl`, { shard: { index, count: 3 }, concatenateAudio: true }),
      );
      expect(s.shard).toMatchObject({ index, count: 3 });
      members.push(...readRecords(s.out).flatMap((r) => r.members));
      problems.push(...s.problems.map((p) => `${p.line}:${p.code}`));
    }
    expect(members.sort()).toEqual(['s0', 's1', 's2', 's4', 's5', 's6']);
    expect(problems.sort()).toEqual(['4:AUDIO_MISSING', '8:INVALID_JSON']);
    const whole = await pseudoLabel(options(m, 'shard-all.jsonl', { concatenateAudio: true }));
    expect(
      readRecords(whole.out)
        .flatMap((r) => r.members)
        .sort(),
    ).toEqual(members);
    // The shard is part of the job's identity.
    const err = await pseudoLabel(
      options(m, 'shard-0.jsonl', { shard: { index: 1, count: 3 }, concatenateAudio: true }),
    ).catch((e: unknown) => e);
    expect((err as DistillError).code).toBe('LABELS_MISMATCH');
  });

  it('has typed options and summary', () => {
    expectTypeOf(pseudoLabel).returns.toEqualTypeOf<Promise<PseudoLabelSummary>>();
    expectTypeOf<PseudoLabelOptions['task']>().toEqualTypeOf<
      'transcribe' | 'translate' | undefined
    >();
    expectTypeOf<PseudoLabelSummary['problems'][number]['code']>().toMatchTypeOf<string>();
  });

  it('validates its options', async () => {
    await expect(pseudoLabel(options(basic, 'x.jsonl', { maxDuration: 31 }))).rejects.toThrow(
      /maxDuration/,
    );
    await expect(pseudoLabel(options(basic, 'x.jsonl', { batchSize: 0 }))).rejects.toThrow(
      /batchSize/,
    );
    await expect(pseudoLabel(options(basic, 'x.jsonl', { maxLabelLength: 4 }))).rejects.toThrow(
      /no room after the 4-token prefix/,
    );
    const causal = join(tmp.dir, 'causal');
    createRandomCheckpoint({ outDir: causal, dims: DIMS, decoderOnly: true });
    await expect(
      pseudoLabel({ ...options(basic, 'x.jsonl'), teacher: causal }),
    ).rejects.toMatchObject({ code: 'TEACHER_UNSUPPORTED' });
    await expect(pseudoLabel({ ...options(basic, 'x.jsonl'), out: basic })).rejects.toThrow(
      /must differ/,
    );
    await expect(
      pseudoLabel({ ...options(basic, 'x.jsonl'), manifest: join(tmp.dir, 'nope.jsonl') }),
    ).rejects.toMatchObject({ code: 'MANIFEST_UNREADABLE' });
  });

  it('stops on its AbortSignal, keeping what was written', async () => {
    const controller = new AbortController();
    const o = options(packed, 'abort.jsonl', {
      batchSize: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.packsWritten === 2) controller.abort();
      },
    });
    await expect(pseudoLabel(o)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(readRecords(o.out).map((r) => r.id)).toEqual(['p1', 'p2']);
    const rest = await pseudoLabel({ ...o, signal: undefined, onProgress: undefined });
    expect(rest.clipsResumed).toBe(2);
    expect(readRecords(o.out).map((r) => r.id)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
  });
});

// The model tier: real Whisper base (tools/real-weights/fetch.sh). Its expected ids are
// transformers' generate() output on the same weights (tools/real-weights/fixtures).
const modelDir = realWeightDirs('pseudo-label real-weights tier', 'base')[0];
describe.skipIf(!modelDir || !referenceDir())('real Whisper base (DW_TEST_MODEL_DIR)', () => {
  it('labels jfk.wav as transformers does, with and without timestamps', async () => {
    const isBase = isWhisperBase(modelDir!);
    const fixture = JSON.parse(
      readFileSync(
        join(__dirname, '../../../tools/real-weights/fixtures/whisper-base.json'),
        'utf8',
      ),
    ) as { cases: Array<{ name: string; sequences: number[] }> };
    const seq = (name: string) => fixture.cases.find((c) => c.name === name)!.sequences;
    const dir = tempDir('pseudo-label-real');
    try {
      writeFileSync(
        join(dir.dir, 'in.jsonl'),
        `${JSON.stringify({ id: 'jfk', audio: referencePath('assets', 'jfk.wav'), text: 'And so my fellow Americans' })}\n`,
      );
      const s = await pseudoLabel({
        teacher: modelDir!,
        manifest: join(dir.dir, 'in.jsonl'),
        out: join(dir.dir, 'out.jsonl'),
        language: 'en',
      });
      const tok = await WhisperTokenizer.fromPretrained(modelDir!);
      const plain = readRecords(s.out)[0]!.text;
      if (isBase) {
        expect(plain).toBe(
          '<|startoftranscript|><|en|><|transcribe|><|notimestamps|> And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.<|endoftext|>',
        );
        expect(tok.encode(plain, { allowedSpecial: 'all' })).toEqual([
          50258,
          50259,
          50359,
          50363,
          ...seq('greedy'),
          50257,
        ]);
      } else expect(plain).toMatch(/^<\|startoftranscript\|>.*ask not.*<\|endoftext\|>$/);
      const t = await pseudoLabel({
        teacher: modelDir!,
        manifest: join(dir.dir, 'in.jsonl'),
        out: join(dir.dir, 'out-ts.jsonl'),
        language: 'en',
        timestamps: true,
      });
      const timed = readRecords(t.out)[0]!.text;
      expect(timed).toMatch(/^<\|startoftranscript\|><\|en\|><\|transcribe\|><\|0\.00\|> And so/);
      expect(timed).toMatch(/country\.<\|\d+\.\d\d\|><\|endoftext\|>$/);
      if (isBase) expect(encodeLabelText(tok, timed)).toEqual([...seq('timestamps'), 50257]);
    } finally {
      dir.cleanup();
    }
  }, 120_000);
});
