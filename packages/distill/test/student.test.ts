// Student creation (WAVE2 §A1, distil-whisper's create_student_model.py): layer maps, config and
// generation-config rules, side files, byte-for-byte tensor copies, refusals, and (gated) a student
// of real Whisper weights that loads and transcribes.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createRandomCheckpoint,
  generate,
  readSafetensorsHeader,
  WhisperModel,
  whisperGenerationModel,
  writeSafetensors,
  WriteError,
  type SafetensorsDType,
} from '@distil-whisper/model';
import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';

import {
  createStudent,
  DistillError,
  maxSpacedLayerMap,
  resolveLayerMap,
  STUDENT_SIDE_FILES,
  type CreateStudentOptions,
  type CreateStudentResult,
} from '../src/index';
import { hasReference, referencePath } from '../../../test-support/reference';
import { realWeightDirs } from '../../../test-support/real-weights';

const work = mkdtempSync(join(tmpdir(), 'dw-student-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const FIXTURE = resolve(__dirname, '../../../tools/reference/distill/fixtures/student_check.json');

/** Small multilingual-vocabulary dims: 4 encoder and 6 decoder layers, fast to write and run. */
const DIMS = {
  dModel: 64,
  encoderLayers: 4,
  decoderLayers: 6,
  encoderAttentionHeads: 4,
  decoderAttentionHeads: 4,
  encoderFfnDim: 128,
  decoderFfnDim: 128,
  vocabSize: 51865,
  numMelBins: 80,
};

/** Writes a random teacher with every side file, a legacy forced prefix and alignment heads. */
function makeTeacher(dir: string, dtype: 'f32' | 'f16' | 'bf16' = 'f16'): string {
  createRandomCheckpoint({ outDir: dir, dims: DIMS, dtype, seed: 3, tokenizerDir: false });
  for (const f of STUDENT_SIDE_FILES)
    if (!existsSync(join(dir, f))) writeFileSync(join(dir, f), `{"side file": "${f}"}\n`);
  writeFileSync(join(dir, 'README.md'), 'not a checkpoint file\n');
  const gen = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8'));
  gen.forced_decoder_ids = [
    [1, null],
    [2, 50359],
  ];
  gen.alignment_heads = [
    [3, 1],
    [5, 2],
  ];
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify(gen, null, 2));
  return dir;
}

/** The stored bytes of every tensor of a checkpoint directory (single file or shards). */
function storedTensors(
  dir: string,
): Map<string, { dtype: string; shape: number[]; bytes: Buffer }> {
  const files = existsSync(join(dir, 'model.safetensors'))
    ? ['model.safetensors']
    : [
        ...new Set(
          Object.values(
            JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'))
              .weight_map as Record<string, string>,
          ),
        ),
      ];
  const out = new Map<string, { dtype: string; shape: number[]; bytes: Buffer }>();
  for (const f of files) {
    const header = readSafetensorsHeader(join(dir, f));
    const data = readFileSync(join(dir, f));
    for (const e of header.tensors.values())
      out.set(e.name, {
        dtype: e.dtype,
        shape: e.shape,
        bytes: data.subarray(e.offset, e.offset + e.byteLength),
      });
  }
  return out;
}

/** Asserts every student tensor equals its mapped teacher tensor, byte for byte. */
function expectMappedCopy(teacherDir: string, r: CreateStudentResult): void {
  const teacher = storedTensors(teacherDir);
  const student = storedTensors(r.outDir);
  const expectedNames = new Set<string>();
  for (const name of teacher.keys()) {
    const m = /^model\.(encoder|decoder)\.layers\.(\d+)\.(.+)$/.exec(name);
    if (!m) expectedNames.add(name);
    else {
      const map = m[1] === 'encoder' ? r.encoderLayerMap : r.decoderLayerMap;
      map.forEach((t, s) => {
        if (t === Number(m[2])) expectedNames.add(`model.${m[1]}.layers.${s}.${m[3]}`);
      });
    }
  }
  expect([...student.keys()].sort()).toEqual([...expectedNames].sort());
  for (const [name, s] of student) {
    const m = /^model\.(encoder|decoder)\.layers\.(\d+)\.(.+)$/.exec(name);
    const source = m
      ? `model.${m[1]}.layers.${(m[1] === 'encoder' ? r.encoderLayerMap : r.decoderLayerMap)[Number(m[2])]}.${m[3]}`
      : name;
    const t = teacher.get(source)!;
    expect(s.dtype, name).toBe(t.dtype);
    expect(s.shape, name).toEqual(t.shape);
    expect(s.bytes.equals(t.bytes), `${name} ← ${source}`).toBe(true);
  }
  // Tensors sorted by name in the file, as save_pretrained writes them.
  const order = [...readSafetensorsHeader(join(r.outDir, 'model.safetensors')).tensors.keys()];
  expect(order).toEqual([...order].sort());
}

function failure<E extends Error>(f: () => unknown, type: new (...a: never[]) => E): E {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as E;
  }
  throw new Error('expected an error');
}

function leftovers(parent: string): string[] {
  return readdirSync(parent).filter((n) => /\.(tmp|old)-\d+-/.test(n));
}

describe('layer maps', () => {
  it('are maximally spaced with the last layer forced (worked values of WAVE2 §A1)', () => {
    expect(maxSpacedLayerMap(32, 2)).toEqual([0, 31]);
    expect(maxSpacedLayerMap(4, 2)).toEqual([0, 3]);
    expect(maxSpacedLayerMap(6, 2)).toEqual([0, 5]);
    expect(maxSpacedLayerMap(12, 4)).toEqual([0, 3, 7, 11]);
    expect(maxSpacedLayerMap(32, 4)).toEqual([0, 10, 20, 31]);
    expect(maxSpacedLayerMap(6, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(maxSpacedLayerMap(6, 1)).toEqual([5]);
    expect(maxSpacedLayerMap(1, 1)).toEqual([0]);
  });

  it("equal numpy's linspace(0, L-1, N, dtype=int) with map[-1] = L-1 for every recorded pair", () => {
    // Recorded with numpy by tools/reference/distill/check_student.py.
    const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
      layer_maps: Array<{ teacher: number; student: number; map: number[] }>;
    };
    expect(fx.layer_maps.length).toBeGreaterThan(100);
    for (const { teacher, student, map } of fx.layer_maps)
      expect(maxSpacedLayerMap(teacher, student), `${teacher}→${student}`).toEqual(map);
  });

  it('explicit ids are validated: one per layer, in range, no repeats', () => {
    const ids = (layerIds: number[], layers?: number): number[] =>
      resolveLayerMap({ stack: 'decoder', teacherLayers: 6, layers, layerIds, defaultLayers: 2 });
    expect(ids([5, 0])).toEqual([5, 0]);
    expect(ids([0, 2, 5], 3)).toEqual([0, 2, 5]);
    for (const [bad, layers, pattern] of [
      [[0, 5], 3, /2 decoder layer ids for 3 decoder layers/],
      [[0, 6], undefined, /decoder layer id 6 is not a teacher layer \(valid: 0 to 5\)/],
      [[-1, 5], undefined, /decoder layer id -1 is not a teacher layer/],
      [[1.5], undefined, /1\.5 is not a teacher layer/],
      [[2, 2], undefined, /id 2 is given twice/],
      [[], undefined, /non-empty list/],
    ] as Array<[number[], number | undefined, RegExp]>) {
      const e = failure(() => ids(bad, layers), DistillError);
      expect(e.code).toBe('LAYERS_INVALID');
      expect(e.message).toMatch(pattern);
    }
    const e = failure(
      () => resolveLayerMap({ stack: 'encoder', teacherLayers: 4, layers: 5, defaultLayers: 4 }),
      DistillError,
    );
    expect(e.code).toBe('LAYERS_INVALID');
    expect(e.message).toMatch(/more encoder layers \(5\) than the teacher \(4\)/);
  });
});

describe('createStudent on a random teacher', () => {
  let teacher: string;
  beforeAll(() => {
    teacher = makeTeacher(join(work, 'teacher'));
  });
  const out = (name: string): string => join(work, 'students', name);

  it('default: 2 decoder layers [0, 5], whole encoder, every tensor a byte-exact copy', () => {
    const r = createStudent({ teacherDir: teacher, outDir: out('default') });
    expect(r.decoderLayerMap).toEqual([0, 5]);
    expect(r.encoderLayerMap).toEqual([0, 1, 2, 3]);
    expect(r.encoderMapped).toBe(false);
    expect(r.config.decoderLayers).toBe(2);
    expect(r.config.encoderLayers).toBe(4);
    expectMappedCopy(teacher, r);
    expect(readSafetensorsHeader(join(r.outDir, 'model.safetensors')).metadata).toEqual({
      format: 'pt',
    });
    expect(r.weightBytes).toBe(statSync(join(r.outDir, 'model.safetensors')).size);
    expect(leftovers(join(work, 'students'))).toEqual([]);
  });

  it('config.json: the teacher’s with the layer counts replaced, every other key and the order kept', () => {
    const r = createStudent({ teacherDir: teacher, outDir: out('config'), encoderLayers: 2 });
    const t = JSON.parse(readFileSync(join(teacher, 'config.json'), 'utf8'));
    const s = JSON.parse(readFileSync(join(r.outDir, 'config.json'), 'utf8'));
    expect(Object.keys(s)).toEqual(Object.keys(t));
    expect(s).toEqual({ ...t, encoder_layers: 2, decoder_layers: 2, num_hidden_layers: 2 });
  });

  it('generation_config.json: the teacher’s without forced_decoder_ids, alignment_heads kept', () => {
    const r = createStudent({ teacherDir: teacher, outDir: out('generation') });
    const t = JSON.parse(readFileSync(join(teacher, 'generation_config.json'), 'utf8'));
    const s = JSON.parse(readFileSync(join(r.outDir, 'generation_config.json'), 'utf8'));
    expect('forced_decoder_ids' in s).toBe(false);
    delete t.forced_decoder_ids;
    expect(s).toEqual(t);
    expect(s.alignment_heads).toEqual([
      [3, 1],
      [5, 2],
    ]);
  });

  it('side files are copied unchanged; other files are not', () => {
    const r = createStudent({ teacherDir: teacher, outDir: out('side') });
    for (const f of STUDENT_SIDE_FILES)
      expect(readFileSync(join(r.outDir, f)).equals(readFileSync(join(teacher, f))), f).toBe(true);
    expect(STUDENT_SIDE_FILES).toEqual(
      expect.arrayContaining([
        'tokenizer.json',
        'vocab.json',
        'merges.txt',
        'added_tokens.json',
        'special_tokens_map.json',
        'tokenizer_config.json',
        'normalizer.json',
        'preprocessor_config.json',
      ]),
    );
    expect(existsSync(join(r.outDir, 'README.md'))).toBe(false);
    expect(readdirSync(r.outDir).sort()).toEqual(r.files);
    expect(r.files).toEqual(
      ['config.json', 'generation_config.json', 'model.safetensors', ...STUDENT_SIDE_FILES].sort(),
    );
  });

  it('explicit decoder ids (any order) and a mapped encoder', () => {
    const r = createStudent({
      teacherDir: teacher,
      outDir: out('explicit'),
      decoderLayerIds: [4, 1, 3],
      encoderLayers: 2,
    });
    expect(r.decoderLayerMap).toEqual([4, 1, 3]);
    expect(r.encoderLayerMap).toEqual([0, 3]);
    expect(r.encoderMapped).toBe(true);
    expect(r.config.decoderLayers).toBe(3);
    expectMappedCopy(teacher, r);
    const ids = createStudent({
      teacherDir: teacher,
      outDir: out('encoder-ids'),
      decoderLayers: 1,
      encoderLayerIds: [2],
    });
    expect(ids.decoderLayerMap).toEqual([5]);
    expect(ids.encoderLayerMap).toEqual([2]);
    expectMappedCopy(teacher, ids);
  });

  it('parameter counts: the encoder and embeddings are kept, four decoder layers dropped', () => {
    const r = createStudent({ teacherDir: teacher, outDir: out('params') });
    const { teacher: t, student: s } = r.parameters;
    const d = DIMS.dModel;
    const perLayer =
      2 * (4 * d * d + 3 * d) + 2 * d * DIMS.decoderFfnDim + DIMS.decoderFfnDim + d + 3 * 2 * d;
    expect(s.encoder).toBe(t.encoder);
    expect(s.decoderEmbeddings).toBe(t.decoderEmbeddings);
    expect(s.decoderEmbeddings).toBe((DIMS.vocabSize + 448) * d);
    expect(t.decoder - s.decoder).toBe(4 * perLayer);
    expect(s.total).toBe(s.encoder + s.decoder + s.projOut);
    expect(s.projOut).toBe(0);
    let stored = 0;
    for (const x of storedTensors(r.outDir).values()) stored += x.shape.reduce((a, b) => a * b, 1);
    expect(s.total).toBe(stored);
  });

  it('the student loads in WhisperModel and decodes', () => {
    const r = createStudent({ teacherDir: teacher, outDir: out('loads') });
    const model = WhisperModel.load(r.outDir);
    try {
      expect(model.config.decoderLayers).toBe(2);
      expect(model.weightDtype).toBe('f16');
      expect(model.generationConfig.alignmentHeads).toEqual([
        [3, 1],
        [5, 2],
      ]);
      const enc = model.encode(new Float32Array(80 * 200).fill(0.1));
      const state = model.createDecoderState(enc);
      const logits = model.decode(state, [[50258, 50259, 50359, 50363]]).logits;
      expect(logits.length).toBe(DIMS.vocabSize);
      expect(logits.every(Number.isFinite)).toBe(true);
      state.dispose();
      enc.dispose();
    } finally {
      model.dispose();
    }
  });

  it('a sharded teacher gives the same student as its single-file form', () => {
    const sharded = join(work, 'teacher-sharded');
    mkdirSync(sharded);
    for (const f of readdirSync(teacher))
      if (f !== 'model.safetensors')
        writeFileSync(join(sharded, f), readFileSync(join(teacher, f)));
    const all = [...storedTensors(teacher)];
    const half = Math.floor(all.length / 2);
    const weightMap: Record<string, string> = {};
    [all.slice(half), all.slice(0, half)].forEach((part, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(
        join(sharded, file),
        part.map(([name, t]) => ({
          name,
          dtype: t.dtype as SafetensorsDType,
          shape: t.shape,
          write: (sink: (b: Uint8Array) => void) => sink(t.bytes),
        })),
      );
      for (const [name] of part) weightMap[name] = file;
    });
    writeFileSync(
      join(sharded, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    const a = createStudent({ teacherDir: teacher, outDir: out('from-single') });
    const b = createStudent({ teacherDir: sharded, outDir: out('from-shards') });
    expect(
      readFileSync(join(a.outDir, 'model.safetensors')).equals(
        readFileSync(join(b.outDir, 'model.safetensors')),
      ),
    ).toBe(true);
  });

  it('keeps bf16 and f32 as stored', () => {
    for (const dtype of ['bf16', 'f32'] as const) {
      const t = makeTeacher(join(work, `teacher-${dtype}`), dtype);
      const r = createStudent({ teacherDir: t, outDir: out(`dtype-${dtype}`) });
      const dtypes = new Set([...storedTensors(r.outDir).values()].map((x) => x.dtype));
      expect(dtypes).toEqual(new Set([dtype.toUpperCase()]));
      expectMappedCopy(t, r);
    }
  });

  describe('refusals, all before anything is written', () => {
    const refused = (options: Partial<CreateStudentOptions>, name: string): Error => {
      const outDir = out(`refused-${name}`);
      let err: Error | undefined;
      try {
        createStudent({ teacherDir: teacher, outDir, ...options });
      } catch (e) {
        err = e as Error;
      }
      expect(err, name).toBeDefined();
      expect(existsSync(outDir), name).toBe(false);
      return err!;
    };

    it('bad layer counts and ids', () => {
      const cases: Array<[Partial<CreateStudentOptions>, RegExp]> = [
        [{ decoderLayers: 7 }, /more decoder layers \(7\) than the teacher \(6\)/],
        [{ decoderLayers: 0 }, /positive integer/],
        [{ encoderLayers: 5 }, /more encoder layers \(5\) than the teacher \(4\)/],
        [{ decoderLayers: 3, decoderLayerIds: [0, 5] }, /2 decoder layer ids for 3/],
        [{ decoderLayerIds: [0, 6] }, /id 6 is not a teacher layer/],
        [{ decoderLayerIds: [1, 1] }, /given twice/],
        [{ encoderLayerIds: [4] }, /encoder layer id 4 is not a teacher layer \(valid: 0 to 3\)/],
      ];
      cases.forEach(([options, pattern], i) => {
        const e = refused(options, `layers-${i}`);
        expect(e).toBeInstanceOf(DistillError);
        expect((e as DistillError).code).toBe('LAYERS_INVALID');
        expect(e.message).toMatch(pattern);
      });
    });

    it('a decoder-only (WhisperForCausalLM) teacher', () => {
      const causal = join(work, 'teacher-causal');
      createRandomCheckpoint({
        outDir: causal,
        dims: DIMS,
        dtype: 'f16',
        decoderOnly: true,
        tokenizerDir: false,
      });
      const e = failure(
        () => createStudent({ teacherDir: causal, outDir: out('from-causal') }),
        DistillError,
      );
      expect(e.code).toBe('TEACHER_UNSUPPORTED');
      expect(e.message).toMatch(/WhisperForConditionalGeneration/);
      expect(existsSync(out('from-causal'))).toBe(false);
    });

    it('an output equal to, inside or containing the teacher', () => {
      for (const outDir of [teacher, join(teacher, 'student'), work]) {
        const e = failure(
          () => createStudent({ teacherDir: teacher, outDir, force: true }),
          WriteError,
        );
        expect(e.code).toBe('OUTPUT_INVALID');
        expect(e.message).toMatch(/teacher directory/);
      }
      expect(existsSync(join(teacher, 'student'))).toBe(false);
    });

    it('an existing non-empty output without force; replaced whole with force', () => {
      const outDir = out('existing');
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, 'mine.txt'), 'keep');
      const e = failure(() => createStudent({ teacherDir: teacher, outDir }), WriteError);
      expect(e.code).toBe('OUTPUT_EXISTS');
      expect(e.message).toContain(outDir);
      expect(e.message).toMatch(/--force/);
      expect(readdirSync(outDir)).toEqual(['mine.txt']);
      const r = createStudent({ teacherDir: teacher, outDir, force: true });
      expect(readdirSync(outDir).sort()).toEqual(r.files);
      expect(leftovers(join(work, 'students'))).toEqual([]);
    });

    it('a teacher that is not a checkpoint', () => {
      const e = failure(
        () => createStudent({ teacherDir: join(work, 'nowhere'), outDir: out('nowhere') }),
        Error,
      );
      expect((e as Error & { code?: string }).code).toBe('FILE_NOT_FOUND');
    });
  });
});

describe.skipIf(!hasReference('student from the reference tiny-random checkpoint'))(
  'createStudent on the reference tiny-random checkpoint (read in place)',
  () => {
    it('1 decoder layer from 2 takes the last; transformers config keys survive', () => {
      const teacher = referencePath('models', 'tiny-random', 'checkpoint');
      const before = readdirSync(teacher).sort();
      const r = createStudent({
        teacherDir: teacher,
        outDir: join(work, 'ref-1'),
        decoderLayers: 1,
      });
      expect(r.decoderLayerMap).toEqual([1]);
      expectMappedCopy(teacher, r);
      const t = JSON.parse(readFileSync(join(teacher, 'config.json'), 'utf8'));
      const s = JSON.parse(readFileSync(join(r.outDir, 'config.json'), 'utf8'));
      expect(s).toEqual({ ...t, decoder_layers: 1 });
      expect(s.transformers_version).toBe(t.transformers_version);
      expect(s.mask_time_prob).toBe(t.mask_time_prob);
      expect(readdirSync(teacher).sort()).toEqual(before);
    });
  },
);

// The `model` tier: real weights, gated like packages/model/test/real-model.test.ts.
const realDirs = realWeightDirs('student from real weights', 'base');
const realRunnable = realDirs.length > 0 && hasReference('student from real weights (jfk.wav)');

describe
  .skipIf(!realRunnable)
  .each(realDirs.length > 0 ? realDirs : ['(DW_TEST_MODEL_DIR not set)'])(
  'a 2-layer student of the real checkpoint %s',
  (teacherDir) => {
    it('maps the first and last decoder layers, loads in WhisperModel and transcribes jfk.wav', async () => {
      const r = createStudent({
        teacherDir,
        outDir: join(work, `real-${realDirs.indexOf(teacherDir)}`),
      });
      const last = r.teacherConfig.decoderLayers - 1;
      expect(r.decoderLayerMap).toEqual([0, last]);
      if (r.teacherConfig.decoderLayers === 6) expect(r.decoderLayerMap).toEqual([0, 5]); // base
      const model = WhisperModel.load(r.outDir);
      try {
        const tokenizer = await WhisperTokenizer.fromPretrained(r.outDir);
        const features = await WhisperFeatureExtractor.fromPretrained(r.outDir);
        const samples = await loadAudio(referencePath('assets', 'jfk.wav'), { sampleRate: 16000 });
        const enc = model.encode(features.extract(samples).data, 1);
        try {
          const multilingual = Object.keys(model.generationConfig.langToId).length > 0;
          const [g] = await generate(whisperGenerationModel(model, enc), model.generationConfig, {
            maxNewTokens: 48,
            ...(multilingual ? { language: 'en', task: 'transcribe' as const } : {}),
          });
          const text = tokenizer.decode(g!.tokens.filter((t) => t < tokenizer.special.eot));
          expect(typeof text).toBe('string');
          console.info(`[student of ${teacherDir}] jfk.wav → ${JSON.stringify(text)}`);
        } finally {
          enc.dispose();
        }
      } finally {
        model.dispose();
      }
    }, 300_000);
  },
);
