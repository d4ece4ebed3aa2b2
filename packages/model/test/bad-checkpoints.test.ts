// Files that lie must give precise CheckpointErrors, never a crash or a partial model.
import {
  copyFileSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

import { Tensor } from '@distil-whisper/kernels';
import { afterAll, describe, expect, it } from 'vitest';

import {
  CheckpointError,
  generate,
  loadCheckpoint,
  parseGenerationConfig,
  parseWhisperConfig,
  readSafetensorsHeader,
  WhisperModel,
  writeSafetensors,
} from '../src/index';
import { FakeModel, logitsRow } from './generation-fake-model';
import { smallCheckpoint, SMALL_DIMS, tempDir } from './helpers';

const tmp = tempDir('bad');
afterAll(() => tmp.cleanup());

let counter = 0;
/** Writes a safetensors file from a header (object or raw text) and data bytes. */
function raw(header: unknown, data = new Uint8Array(0), lengthOverride?: bigint): string {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = Buffer.from(text);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(h.length));
  const path = join(tmp.dir, `f${counter++}.safetensors`);
  writeFileSync(path, Buffer.concat([len, h, data]));
  return path;
}

function failure(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return e as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

describe('safetensors headers that lie', () => {
  const f32x4 = { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] };
  it('accepts an honest file', () => {
    const h = readSafetensorsHeader(
      raw({ a: f32x4, __metadata__: { format: 'pt' } }, new Uint8Array(16)),
    );
    expect(h.tensors.get('a')?.byteLength).toBe(16);
  });
  const cases: Array<[string, () => string, RegExp]> = [
    [
      'size ≠ shape × dtype',
      () => raw({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, new Uint8Array(16)),
      /needs 16 bytes but data_offsets span 12/,
    ],
    [
      'offsets beyond the file',
      () => raw({ a: f32x4 }, new Uint8Array(8)),
      /past the end of the data area/,
    ],
    [
      'overlapping ranges',
      () =>
        raw(
          {
            a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
            b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
          },
          new Uint8Array(16),
        ),
      /overlap/,
    ],
    [
      'a long range overlapping a later one',
      () =>
        raw(
          {
            a: { dtype: 'U8', shape: [32], data_offsets: [0, 32] },
            b: { dtype: 'U8', shape: [4], data_offsets: [4, 8] },
            c: { dtype: 'U8', shape: [4], data_offsets: [20, 24] },
          },
          new Uint8Array(32),
        ),
      /c: bytes \[20, 24\) overlap a/,
    ],
    [
      'absurd header length',
      () => raw({ a: f32x4 }, new Uint8Array(16), 1n << 60n),
      /exceeds the 100000000-byte limit/,
    ],
    [
      'header length beyond the file',
      () => raw({ a: f32x4 }, new Uint8Array(16), 5000n),
      /runs past the end/,
    ],
    ['tiny header length', () => raw('{}', new Uint8Array(0), 1n), /too small/],
    ['bad JSON', () => raw('{"a": {"dtype": "F32", ', new Uint8Array(16)), /not valid UTF-8 JSON/],
    ['header not an object', () => raw('[1, 2]'), /not a JSON object/],
    [
      'unknown dtype',
      () => raw({ a: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /unknown dtype "F33"/,
    ],
    [
      'negative / fractional shape',
      () => raw({ a: { dtype: 'F32', shape: [-1, 2.5], data_offsets: [0, 4] } }, new Uint8Array(4)),
      /non-negative integers/,
    ],
    [
      'reversed offsets',
      () => raw({ a: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, new Uint8Array(8)),
      /begin <= end/,
    ],
    [
      'overflowing shape',
      () =>
        raw(
          { a: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } },
          new Uint8Array(8),
        ),
      /needs/,
    ],
  ];
  it.each(cases)('%s', (_, make, message) => {
    const e = failure(() => readSafetensorsHeader(make()));
    expect(e.code).toBe('SAFETENSORS_INVALID');
    expect(e.message).toMatch(message);
  });
  it('a file shorter than 8 bytes', () => {
    const path = join(tmp.dir, 'short.safetensors');
    writeFileSync(path, Buffer.from([1, 2, 3]));
    expect(failure(() => readSafetensorsHeader(path)).message).toMatch(
      /shorter than the 8-byte header length/,
    );
  });
  it('lists every problem of a header at once', () => {
    const e = failure(() =>
      readSafetensorsHeader(
        raw(
          {
            a: { dtype: 'X', shape: [1], data_offsets: [0, 4] },
            b: { dtype: 'F32', shape: [3], data_offsets: [0, 4] },
          },
          new Uint8Array(4),
        ),
      ),
    );
    expect(e.problems).toHaveLength(2);
  });
  it('a truncated checkpoint fails to load with the file named', () => {
    const dir = smallCheckpoint(join(tmp.dir, 'trunc'));
    const full = join(dir, 'model.safetensors');
    const bytes = readFileSync(full);
    writeFileSync(full, bytes.subarray(0, bytes.length - 100));
    const e = failure(() => WhisperModel.load(dir));
    expect(e.code).toBe('SAFETENSORS_INVALID');
    expect(e.path).toBe(full);
  });
});

describe('configs with impossible values', () => {
  it('reports every bad dim at once', () => {
    const e = failure(() =>
      parseWhisperConfig({
        model_type: 'whisper',
        d_model: 65,
        encoder_attention_heads: 4,
        decoder_attention_heads: 6,
        decoder_layers: 0,
        vocab_size: -3,
        num_mel_bins: 1.5,
        activation_function: 'relu',
      }),
    );
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.problems.join('\n')).toMatch(/divisible by encoder_attention_heads/);
    expect(e.problems.join('\n')).toMatch(/divisible by decoder_attention_heads/);
    expect(e.problems.join('\n')).toMatch(/decoder_layers must be positive/);
    expect(e.problems.join('\n')).toMatch(/vocab_size must be positive/);
    expect(e.problems.join('\n')).toMatch(/num_mel_bins must be an integer/);
    expect(e.problems.join('\n')).toMatch(/activation_function 'relu'/);
  });
  it('rejects other model types, token ids outside the vocabulary and absurd sizes', () => {
    expect(failure(() => parseWhisperConfig({ model_type: 'bert' })).message).toMatch(/model_type/);
    expect(failure(() => parseWhisperConfig({ eos_token_id: 60000 })).message).toMatch(
      /outside the vocabulary/,
    );
    expect(
      failure(() =>
        parseWhisperConfig({
          d_model: 2 ** 30,
          encoder_attention_heads: 1,
          decoder_attention_heads: 1,
        }),
      ).message,
    ).toMatch(/implausibly large/);
    expect(failure(() => parseWhisperConfig([1])).code).toBe('CONFIG_INVALID');
  });
  it('checks generation_config.json against the model', () => {
    const config = parseWhisperConfig({ ...snake(SMALL_DIMS) });
    const e = failure(() =>
      parseGenerationConfig(
        { alignment_heads: [[0, 9]], suppress_tokens: [1, 9999], forced_decoder_ids: [[1]] },
        config,
      ),
    );
    expect(e.problems).toHaveLength(3);
    // A layer past the decoder is not an error: students keep their teacher's alignment heads.
    expect(parseGenerationConfig({ alignment_heads: [[5, 0]] }, config).alignmentHeads).toEqual([
      [5, 0],
    ]);
  });
  it('a config.json that is not JSON, or missing', () => {
    const dir = join(tmp.dir, 'badjson');
    mkdirSync(dir, { recursive: true });
    expect(failure(() => WhisperModel.load(dir)).code).toBe('FILE_NOT_FOUND');
    writeFileSync(join(dir, 'config.json'), '{ d_model: 3');
    expect(failure(() => WhisperModel.load(dir)).code).toBe('CONFIG_INVALID');
  });
});

function snake(d: typeof SMALL_DIMS): Record<string, number> {
  return {
    d_model: d.dModel,
    encoder_layers: d.encoderLayers,
    decoder_layers: d.decoderLayers,
    encoder_attention_heads: d.encoderAttentionHeads,
    decoder_attention_heads: d.decoderAttentionHeads,
    encoder_ffn_dim: d.encoderFfnDim,
    decoder_ffn_dim: d.decoderFfnDim,
    vocab_size: d.vocabSize,
    num_mel_bins: d.numMelBins,
  };
}

describe('tensors that do not match the config', () => {
  it('reports every missing, unexpected and mis-shaped tensor in one error', () => {
    const src = smallCheckpoint(join(tmp.dir, 'mm-src'));
    const good = loadCheckpoint(src);
    const dir = join(tmp.dir, 'mismatch');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(src, 'config.json'), join(dir, 'config.json'));
    const extra = Tensor.from(new Float32Array(3), [3]);
    const wrong = Tensor.from(new Float32Array(64 * 3), [64, 3]);
    const sources = [...good.tensors]
      .filter(
        ([n]) =>
          n !== 'model.encoder.layers.1.fc1.bias' &&
          n !== 'model.decoder.layer_norm.weight' &&
          n !== 'model.decoder.layers.0.encoder_attn.q_proj.weight',
      )
      .map(([name, tensor]) => ({ name, tensor }));
    sources.push({ name: 'model.decoder.layers.0.encoder_attn.q_proj.weight', tensor: wrong });
    sources.push({ name: 'model.decoder.layers.7.fc1.bias', tensor: extra });
    sources.push({ name: 'model.encoder.layers.0.self_attn.k_proj.bias', tensor: extra });
    writeSafetensors(join(dir, 'model.safetensors'), sources);
    const e = failure(() => WhisperModel.load(dir));
    expect(e.code).toBe('TENSORS_MISMATCH');
    expect([...e.problems].sort()).toEqual(
      [
        'missing tensor model.encoder.layers.1.fc1.bias [128]',
        'missing tensor model.decoder.layer_norm.weight [64]',
        'tensor model.decoder.layers.0.encoder_attn.q_proj.weight has shape [64, 3], expected [64, 64]',
        'unexpected tensor model.decoder.layers.7.fc1.bias',
        'unexpected tensor model.encoder.layers.0.self_attn.k_proj.bias',
      ].sort(),
    );
    for (const t of [...good.tensors.values(), extra, wrong]) t.dispose();
  });
  it('rejects weights of a dtype the graph cannot use', () => {
    const dir = smallCheckpoint(join(tmp.dir, 'i64'));
    const header = {
      'model.decoder.layer_norm.bias': { dtype: 'I64', shape: [64], data_offsets: [0, 512] },
    };
    const path = raw(header, new Uint8Array(512));
    copyFileSync(path, join(dir, 'model.safetensors'));
    const e = failure(() => WhisperModel.load(dir));
    expect(e.code).toBe('TENSORS_MISMATCH');
    expect(e.problems.some((p) => /dtype I64/.test(p))).toBe(true);
  });
  it('sharded index inconsistencies', () => {
    const dir = smallCheckpoint(join(tmp.dir, 'idx'));
    renameSync(join(dir, 'model.safetensors'), join(dir, 'model-00001-of-00001.safetensors'));
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({
        weight_map: { 'model.decoder.layer_norm.bias': 'model-00002-of-00002.safetensors' },
      }),
    );
    expect(failure(() => WhisperModel.load(dir)).code).toBe('FILE_NOT_FOUND');
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { 'no.such.tensor': 'model-00001-of-00001.safetensors' } }),
    );
    const e = failure(() => WhisperModel.load(dir));
    expect(e.code).toBe('INDEX_INVALID');
    expect(e.problems.some((p) => /does not hold it/.test(p))).toBe(true);
    expect(e.problems.some((p) => /which the index does not list/.test(p))).toBe(true);
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { a: '../escape.safetensors' } }),
    );
    expect(failure(() => WhisperModel.load(dir)).code).toBe('INDEX_INVALID');
  });
});

/** Overwrites element `index` of tensor `name` in `dir`/model.safetensors with raw little-endian bits. */
function poke(dir: string, name: string, index: number, bits: Uint8Array): void {
  const path = join(dir, 'model.safetensors');
  const entry = readSafetensorsHeader(path).tensors.get(name)!;
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bits, 0, bits.length, entry.offset + index * bits.length);
  } finally {
    closeSync(fd);
  }
}

describe('weights that are not finite', () => {
  const nanF32 = new Uint8Array(new Float32Array([NaN]).buffer);
  it('a NaN weight is refused at load with the tensor and element named', () => {
    const dir = smallCheckpoint(join(tmp.dir, 'nan'));
    poke(dir, 'model.decoder.layers.1.fc1.weight', 17, nanF32);
    const e = failure(() => WhisperModel.load(dir));
    expect(e.code).toBe('NON_FINITE_WEIGHTS');
    expect(e.message).toContain('model.decoder.layers.1.fc1.weight holds NaN at element 17');
    expect(e.path).toBe(join(dir, 'model.safetensors'));
    // The check can be turned off (e.g. to inspect the file); the tensor then holds the NaN.
    const loaded = loadCheckpoint(dir, { checkFinite: false });
    try {
      const t = loaded.tensors.get('model.decoder.layers.1.fc1.weight')!;
      expect(Number.isNaN((t.toArray() as Float32Array)[17])).toBe(true);
    } finally {
      for (const t of loaded.tensors.values()) t.dispose();
    }
  });

  it('±Infinity in f16 and bf16 weights, in a large tensor read in chunks, are refused too', () => {
    const f16 = smallCheckpoint(join(tmp.dir, 'inf16'), { dtype: 'f16' });
    poke(f16, 'model.encoder.conv1.bias', 3, new Uint8Array([0x00, 0xfc])); // f16 -Infinity
    expect(failure(() => WhisperModel.load(f16)).message).toContain(
      'model.encoder.conv1.bias holds -Infinity at element 3',
    );
    const bf16 = smallCheckpoint(join(tmp.dir, 'inf-bf16'), { dtype: 'bf16' });
    poke(bf16, 'model.decoder.embed_tokens.weight', 5, new Uint8Array([0x80, 0x7f])); // +Infinity
    expect(failure(() => WhisperModel.load(bf16)).message).toContain(
      'model.decoder.embed_tokens.weight holds Infinity at element 5',
    );
  });
});

describe('a checkpoint without generation_config.json', () => {
  it('warns and generates up to max_length 448, not the model-agnostic 20 tokens', async () => {
    const dir = smallCheckpoint(join(tmp.dir, 'nogen'));
    rmSync(join(dir, 'generation_config.json'));
    // Token ids as a Hugging Face Whisper config.json carries them.
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        ...JSON.parse(readFileSync(configPath, 'utf8')),
        eos_token_id: 599,
        decoder_start_token_id: 598,
      }),
    );
    const warnings: string[] = [];
    const model = WhisperModel.load(dir, { onWarning: (m) => warnings.push(m) });
    try {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/no generation_config\.json: generating with max_length 448/);
      expect(model.generationConfig.maxLength).toBe(448);
      // A decoder that never ends: the length limit alone stops it.
      const gen = model.generationConfig;
      const vocab = model.vocabSize;
      const never = new FakeModel(vocab, 1, () => logitsRow(vocab, { 5: 10 }), 448);
      const [r] = await generate(never, gen);
      expect(r!.tokens.length).toBeGreaterThan(400);
    } finally {
      model.dispose();
    }
  });

  it("takes config.json's max_length when it has one", () => {
    const dir = smallCheckpoint(join(tmp.dir, 'nogen-maxlen'));
    rmSync(join(dir, 'generation_config.json'));
    const configPath = join(dir, 'config.json');
    writeFileSync(
      configPath,
      JSON.stringify({ ...JSON.parse(readFileSync(configPath, 'utf8')), max_length: 200 }),
    );
    const loaded = loadCheckpoint(dir, { onWarning: () => {} });
    for (const t of loaded.tensors.values()) t.dispose();
    expect(loaded.generationConfig.maxLength).toBe(200);
  });
});
