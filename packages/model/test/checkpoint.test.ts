// Loading, saving, sharding, decoder-only checkpoints and random checkpoints of every preset.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { Tensor } from '@distil-whisper/kernels';
import { afterAll, describe, expect, it } from 'vitest';

import {
  createRandomCheckpoint,
  expectedTensors,
  loadCheckpoint,
  PRESETS,
  readSafetensorsHeader,
  WhisperModel,
  writeSafetensors,
  type PresetName,
} from '../src/index';
import { LANGUAGE_CODES, specialTokenLayout } from '../src/presets';
import { hasReference, referencePath } from '../../../test-support/reference';
import { features, maxAbsDiff, smallCheckpoint, tempDir } from './helpers';

const tmp = tempDir('ckpt');
afterAll(() => tmp.cleanup());

function sameTensors(a: ReadonlyMap<string, Tensor>, b: ReadonlyMap<string, Tensor>): void {
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [name, t] of a) {
    const u = b.get(name)!;
    expect(u.dtype, name).toBe(t.dtype);
    expect([...u.shape], name).toEqual([...t.shape]);
    expect(Buffer.from(u.toArray().buffer).equals(Buffer.from(t.toArray().buffer)), name).toBe(
      true,
    );
  }
}

describe('save / load round trip', () => {
  it('a loaded model saves to a directory that loads back bit-identical', () => {
    const src = smallCheckpoint(join(tmp.dir, 'rt-src'), { dtype: 'f16' });
    const a = WhisperModel.load(src);
    const out = join(tmp.dir, 'rt-out');
    a.save(out);
    const b = WhisperModel.load(out);
    try {
      expect(b.config).toEqual(a.config);
      expect(b.generationConfig).toEqual(a.generationConfig);
      sameTensors(a.tensors, b.tensors);
      expect(readSafetensorsHeader(join(out, 'model.safetensors')).metadata).toEqual({
        format: 'pt',
      });
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('saving with a dtype converts every tensor and records torch_dtype', () => {
    const src = smallCheckpoint(join(tmp.dir, 'cv-src'));
    const a = WhisperModel.load(src);
    const out = join(tmp.dir, 'cv-out');
    a.save(out, { dtype: 'bf16' });
    a.dispose();
    const header = readSafetensorsHeader(join(out, 'model.safetensors'));
    expect(new Set([...header.tensors.values()].map((t) => t.dtype))).toEqual(new Set(['BF16']));
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
    const b = WhisperModel.load(out, { dtype: 'f32' });
    expect(b.weightDtype).toBe('f32');
    b.dispose();
  });

  it.skipIf(!hasReference('tiny-random round trip'))(
    'the reference checkpoint round-trips (config keys kept)',
    () => {
      const a = WhisperModel.load(referencePath('models', 'tiny-random', 'checkpoint'));
      const out = join(tmp.dir, 'ref-rt');
      a.save(out);
      const orig = JSON.parse(
        readFileSync(referencePath('models', 'tiny-random', 'checkpoint', 'config.json'), 'utf8'),
      );
      const saved = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
      expect(saved).toEqual(orig);
      const origGen = JSON.parse(
        readFileSync(
          referencePath('models', 'tiny-random', 'checkpoint', 'generation_config.json'),
          'utf8',
        ),
      );
      expect(JSON.parse(readFileSync(join(out, 'generation_config.json'), 'utf8'))).toEqual(
        origGen,
      );
      const b = WhisperModel.load(out);
      sameTensors(a.tensors, b.tensors);
      a.dispose();
      b.dispose();
    },
  );
});

describe('sharded and decoder-only checkpoints', () => {
  it('loads model.safetensors.index.json shards', () => {
    const src = smallCheckpoint(join(tmp.dir, 'shard-src'));
    const whole = loadCheckpoint(src);
    const dir = join(tmp.dir, 'sharded');
    const names = [...whole.tensors.keys()].sort();
    const half = Math.floor(names.length / 2);
    const parts = [names.slice(0, half), names.slice(half)];
    const weightMap: Record<string, string> = {};
    smallCheckpoint(dir); // configs
    parts.forEach((p, i) => {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      writeSafetensors(
        join(dir, file),
        p.map((name) => ({ name, tensor: whole.tensors.get(name)! })),
      );
      for (const n of p) weightMap[n] = file;
    });
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
    );
    // a single model.safetensors takes precedence over an index, as in transformers
    rmSync(join(dir, 'model.safetensors'));
    const sharded = loadCheckpoint(dir);
    sameTensors(whole.tensors, sharded.tensors);
    for (const t of [...whole.tensors.values(), ...sharded.tensors.values()]) t.dispose();
  });

  it('loads a WhisperForCausalLM assistant that decodes against the main model’s encoder output', () => {
    const main = WhisperModel.load(smallCheckpoint(join(tmp.dir, 'main')));
    const assistantDir = smallCheckpoint(join(tmp.dir, 'assistant'), {
      decoderOnly: true,
      dims: { ...main.config, decoderLayers: 1 } as never,
    });
    const header = readSafetensorsHeader(join(assistantDir, 'model.safetensors'));
    expect([...header.tensors.keys()].every((n) => n.startsWith('model.decoder.'))).toBe(true);
    const assistant = WhisperModel.load(assistantDir);
    try {
      expect(assistant.kind).toBe('decoder-only');
      expect(() => assistant.encode(features(1, 80, 200))).toThrow(/decoder-only/);
      const enc = main.encode(features(1, 80, 200));
      const s = assistant.createDecoderState(enc);
      const out = assistant.decode(s, [[1, 2]]);
      expect(out.logits.length).toBe(600);
      expect(Number.isFinite(out.logits[0])).toBe(true);
      s.dispose();
      enc.dispose();
    } finally {
      main.dispose();
      assistant.dispose();
    }
  });
});

describe('random checkpoints', () => {
  it('presets carry the real dims', () => {
    expect(PRESETS['small.en']).toMatchObject({
      dModel: 768,
      encoderLayers: 12,
      decoderLayers: 12,
      encoderAttentionHeads: 12,
      encoderFfnDim: 3072,
      vocabSize: 51864,
      numMelBins: 80,
    });
    expect(PRESETS['distil-small.en']).toMatchObject({
      dModel: 768,
      encoderLayers: 12,
      decoderLayers: 2,
      vocabSize: 51864,
    });
    expect(PRESETS['large-v3']).toMatchObject({
      dModel: 1280,
      encoderLayers: 32,
      decoderLayers: 32,
      encoderAttentionHeads: 20,
      encoderFfnDim: 5120,
      vocabSize: 51866,
      numMelBins: 128,
    });
    expect(PRESETS['distil-large-v3']).toMatchObject({
      dModel: 1280,
      encoderLayers: 32,
      decoderLayers: 2,
      vocabSize: 51866,
      numMelBins: 128,
    });
    expect(PRESETS.tiny).toMatchObject({
      dModel: 384,
      encoderLayers: 4,
      decoderLayers: 4,
      encoderAttentionHeads: 6,
      encoderFfnDim: 1536,
      vocabSize: 51865,
    });
  });

  it('the same seed gives byte-identical weights, another seed different ones', () => {
    const a = createRandomCheckpoint({
      outDir: join(tmp.dir, 'seed-a'),
      dims: {
        dModel: 32,
        encoderLayers: 1,
        decoderLayers: 1,
        encoderAttentionHeads: 2,
        decoderAttentionHeads: 2,
        encoderFfnDim: 64,
        decoderFfnDim: 64,
        vocabSize: 100,
      },
      seed: 3,
      tokenizerDir: false,
    });
    const b = createRandomCheckpoint({
      outDir: join(tmp.dir, 'seed-b'),
      dims: a.config,
      seed: 3,
      tokenizerDir: false,
    });
    const c = createRandomCheckpoint({
      outDir: join(tmp.dir, 'seed-c'),
      dims: a.config,
      seed: 4,
      tokenizerDir: false,
    });
    const read = (d: string): Buffer => readFileSync(join(d, 'model.safetensors'));
    expect(read(a.dir).equals(read(b.dir))).toBe(true);
    expect(read(a.dir).equals(read(c.dir))).toBe(false);
  });

  it.skipIf(!hasReference('random checkpoint tokenizer and special tokens'))(
    'special tokens and tokenizer files match the reference vocabularies',
    () => {
      for (const variant of ['en', 'multilingual-v2', 'multilingual-v3'] as const) {
        const ref = JSON.parse(
          readFileSync(referencePath('tokenizers', variant, 'whisper_special_tokens.json'), 'utf8'),
        );
        const s = specialTokenLayout(variant);
        expect({
          eot: s.eot,
          sot: s.sot,
          translate: s.translate,
          transcribe: s.transcribe,
          sotLm: s.sotLm,
          sotPrev: s.sotPrev,
          noSpeech: s.noSpeech,
          noTimestamps: s.noTimestamps,
          timestampBegin: s.timestampBegin,
        }).toEqual({
          eot: ref.eot,
          sot: ref.sot,
          translate: ref.translate,
          transcribe: ref.transcribe,
          sotLm: ref.sot_lm,
          sotPrev: ref.sot_prev,
          noSpeech: ref.no_speech,
          noTimestamps: ref.no_timestamps,
          timestampBegin: ref.timestamp_begin,
        });
        expect(s.langToId).toEqual(ref.lang_to_id);
      }
      expect(LANGUAGE_CODES.length).toBe(100);
      // the multilingual generation config equals the reference checkpoint's (a transformers file)
      const ref = JSON.parse(
        readFileSync(
          referencePath('models', 'tiny-random', 'checkpoint', 'generation_config.json'),
          'utf8',
        ),
      );
      const r = createRandomCheckpoint({
        outDir: join(tmp.dir, 'gen-v2'),
        dims: {
          dModel: 32,
          encoderLayers: 1,
          decoderLayers: 2,
          encoderAttentionHeads: 4,
          decoderAttentionHeads: 4,
          encoderFfnDim: 32,
          decoderFfnDim: 32,
        },
        seed: 1,
      });
      const gen = JSON.parse(readFileSync(join(r.dir, 'generation_config.json'), 'utf8'));
      for (const key of [
        'suppress_tokens',
        'begin_suppress_tokens',
        'lang_to_id',
        'task_to_id',
        'forced_decoder_ids',
        'no_timestamps_token_id',
        'prev_sot_token_id',
        'decoder_start_token_id',
        'eos_token_id',
        'is_multilingual',
        'max_initial_timestamp_index',
        'alignment_heads',
      ])
        expect(gen[key], key).toEqual(ref[key]);
      expect(existsSync(join(r.dir, 'tokenizer.json'))).toBe(true);
      expect(existsSync(join(r.dir, 'vocab.json'))).toBe(true);
    },
  );

  // Presets with their real widths, vocabulary and mel bins, but one layer per stack so the test
  // stays fast. The large-v3 widths take ~30 s each on this machine: DW_TEST_ALL_PRESETS=1 adds them.
  const presets: PresetName[] = process.env.DW_TEST_ALL_PRESETS
    ? (Object.keys(PRESETS) as PresetName[])
    : ['tiny', 'distil-small.en'];
  it.each(presets)('preset %s (f16, 1+1 layers) writes, loads, runs and round-trips', (preset) => {
    const dir = join(tmp.dir, `preset-${preset}`);
    const r = createRandomCheckpoint({
      outDir: dir,
      preset,
      dtype: 'f16',
      seed: 2,
      dims: { encoderLayers: 1, decoderLayers: 1 },
    });
    const p = PRESETS[preset];
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      d_model: p.dModel,
      num_mel_bins: p.numMelBins,
      vocab_size: p.vocabSize,
      encoder_attention_heads: p.encoderAttentionHeads,
      decoder_ffn_dim: p.decoderFfnDim,
      torch_dtype: 'float16',
    });
    let bytes = 0;
    for (const shape of expectedTensors(r.config).values())
      bytes += shape.reduce((a, b) => a * b, 2);
    expect(r.weightBytes).toBeGreaterThan(bytes);
    const model = WhisperModel.load(dir);
    try {
      expect(model.weightDtype).toBe('f16');
      const enc = model.encode(features(1, p.numMelBins, 100));
      const s = model.createDecoderState(enc);
      const g = model.generationConfig;
      const out = model.decode(s, [[g.decoderStartTokenId!, g.noTimestampsTokenId!]]);
      expect(out.logits.length).toBe(p.vocabSize);
      expect(out.logits.every(Number.isFinite)).toBe(true);
      s.dispose();
      enc.dispose();
      const back = join(tmp.dir, `preset-${preset}-saved`);
      model.save(back);
      expect(
        readFileSync(join(back, 'model.safetensors')).equals(
          readFileSync(join(dir, 'model.safetensors')),
        ),
      ).toBe(true);
    } finally {
      model.dispose();
    }
  });
});

describe('full tiny preset', () => {
  it('writes, loads and encodes a 30 s window', () => {
    const dir = join(tmp.dir, 'tiny-full');
    createRandomCheckpoint({
      outDir: dir,
      preset: 'tiny',
      dtype: 'f16',
      seed: 5,
      tokenizerDir: false,
    });
    const model = WhisperModel.load(dir);
    try {
      const enc = model.encode(features(1, 80, 3000));
      expect([...enc.hiddenStates.shape]).toEqual([1, 1500, 384]);
      const s = model.createDecoderState(enc, { repeat: 2 });
      const out = model.decode(s, [
        [50258, 50259, 50359, 50363],
        [50258, 50259, 50359, 50363],
      ]);
      expect(maxAbsDiff(out.logits.subarray(0, 51865), out.logits.subarray(51865))).toBe(0);
      s.dispose();
      enc.dispose();
    } finally {
      model.dispose();
    }
  });
});
