// Mutation fuzzing of the checkpoint readers: safetensors headers (bytes, and the header's JSON
// edited structurally), config.json and CTranslate2's model.bin. Every mutated file is accepted
// or refused with CheckpointError / Ct2Error, nothing else (test-support/fuzz.ts). A few hundred
// inputs per reader here; DW_FUZZ_RUNS=N for the long run.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { fuzz, fuzzRuns, fuzzTimeout, mutatedBytes, mutatedJson } from '../../../test-support/fuzz';
import {
  CheckpointError,
  readCheckpointConfigs,
  readSafetensorsHeader,
  whisperConfigToJson,
  parseWhisperConfig,
} from '../src/index';
import { Ct2Error, readCt2ModelBin, writeCt2ModelBin } from '../src/ct2';
import { SMALL_DIMS, tempDir } from './helpers';

const tmp = tempDir('fuzz');
afterAll(() => tmp.cleanup());

const isCheckpointError = (e: unknown): e is CheckpointError => e instanceof CheckpointError;
const isCt2Error = (e: unknown): e is Ct2Error => e instanceof Ct2Error;

/** A safetensors file: 8-byte little-endian header length, the header's JSON, the data. */
function safetensors(header: Uint8Array, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + header.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  out.set(data, 8 + header.length);
  return out;
}

const header = {
  __metadata__: { format: 'pt' },
  'model.encoder.conv1.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
  'model.decoder.embed_tokens.weight': { dtype: 'F16', shape: [4, 2], data_offsets: [24, 40] },
  'proj_out.bias': { dtype: 'BF16', shape: [4], data_offsets: [40, 48] },
  'model.decoder.layers.0.fc1.weight': { dtype: 'I8', shape: [2, 2, 2], data_offsets: [48, 56] },
  scalar: { dtype: 'I32', shape: [], data_offsets: [56, 60] },
};
const data = new Uint8Array(60).map((_, i) => (i * 37) & 0xff);
const seedFile = safetensors(new TextEncoder().encode(JSON.stringify(header)), data);

let counter = 0;
/** Runs `read` on `bytes` written to a fresh file, removed afterwards (long runs write thousands). */
function withTemp<T>(name: string, bytes: Uint8Array, read: (path: string) => T): T {
  const path = join(tmp.dir, `${counter++}-${name}`);
  writeFileSync(path, bytes);
  try {
    return read(path);
  } finally {
    rmSync(path, { force: true });
  }
}

describe('fuzz: checkpoint readers', () => {
  const runs = fuzzRuns(300);

  it(
    'safetensors file bytes',
    async () => {
      await fuzz(
        'safetensors bytes',
        mutatedBytes(seedFile, 8 + seedFile.length - data.length),
        (bytes) => withTemp('model.safetensors', bytes, readSafetensorsHeader),
        isCheckpointError,
        runs,
      );
    },
    fuzzTimeout(300, 5),
  );

  it(
    'safetensors header JSON, edited',
    async () => {
      await fuzz(
        'safetensors header JSON',
        fc.tuple(mutatedJson(header), fc.integer({ min: -2, max: 2 })),
        ([text, lengthSkew]) => {
          const file = safetensors(text, data);
          // Sometimes the length prefix lies by a byte or two as well.
          const view = new DataView(file.buffer);
          view.setBigUint64(0, BigInt(Math.max(0, text.length + lengthSkew)), true);
          return withTemp('model.safetensors', file, readSafetensorsHeader);
        },
        isCheckpointError,
        runs,
      );
    },
    fuzzTimeout(300, 5),
  );

  it(
    'config.json',
    async () => {
      const config = whisperConfigToJson(
        parseWhisperConfig({
          model_type: 'whisper',
          d_model: SMALL_DIMS.dModel,
          encoder_layers: 2,
          decoder_layers: 2,
          encoder_attention_heads: 4,
          decoder_attention_heads: 4,
          encoder_ffn_dim: 128,
          decoder_ffn_dim: 128,
          vocab_size: 600,
          forced_decoder_ids: [
            [1, 50259],
            [2, 50359],
          ],
          suppress_tokens: [1, 2, 7],
          begin_suppress_tokens: [220, 50257],
        }),
      );
      await fuzz(
        'config.json',
        mutatedJson(config),
        (text) => {
          const dir = join(tmp.dir, `config-${counter++}`);
          mkdirSync(dir);
          writeFileSync(join(dir, 'config.json'), text);
          try {
            return readCheckpointConfigs(dir, () => undefined);
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        },
        isCheckpointError,
        runs,
      );
    },
    fuzzTimeout(300, 5),
  );

  it(
    'CTranslate2 model.bin',
    async () => {
      const seedPath = join(tmp.dir, 'seed-model.bin');
      writeCt2ModelBin(seedPath, {
        specName: 'WhisperSpec',
        specRevision: 3,
        variables: [
          { name: 'encoder/num_heads', shape: [], dtype: 'int16', data: Uint8Array.of(4, 0) },
          {
            name: 'encoder/conv1/weight',
            shape: [2, 3],
            dtype: 'float32',
            data: new Uint8Array(24).fill(1),
          },
          {
            name: 'decoder/embeddings/weight',
            shape: [4, 2],
            dtype: 'float16',
            data: new Uint8Array(16).fill(2),
          },
          {
            name: 'decoder/projection/weight',
            shape: [2, 2],
            dtype: 'int8',
            data: Uint8Array.of(1, 2, 3, 4),
          },
        ],
        aliases: new Map([['decoder/alias', 'decoder/embeddings/weight']]),
      });
      const seed = new Uint8Array(readFileSync(seedPath));
      await fuzz(
        'ct2 model.bin',
        mutatedBytes(seed, seed.length),
        (bytes) => withTemp('model.bin', bytes, readCt2ModelBin),
        isCt2Error,
        runs,
      );
    },
    fuzzTimeout(300, 5),
  );
});
