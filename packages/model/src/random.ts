// Random-weight checkpoints of any dims, written straight to disk in Hugging Face layout. Values
// come from a seeded generator per tensor and are streamed in chunks, so even large-v3 (≈3 GB in
// f16) never sits in memory.
import { copyFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { TOKENIZER_FILES, writeJson } from './checkpoint';
import { parseWhisperConfig, whisperConfigToJson, type WhisperConfig } from './config';
import { whisperConfigJson } from './config-json';
import { CheckpointError } from './errors';
import { generationConfigToJson } from './generation-config';
import { writeDirectoryAtomic } from './io/atomic-write';
import { declareParameters, type ParameterDecl } from './parameters';
import {
  defaultGenerationConfig,
  PRESETS,
  vocabularyVariant,
  type PresetName,
  type WhisperDims,
} from './presets';
import { writeSafetensors, type SafetensorsDType, type SafetensorsSource } from './safetensors';

/** Options of {@link createRandomCheckpoint}. */
export interface CreateRandomCheckpointOptions {
  /**
   * Output directory, written atomically (see `writeDirectoryAtomic`): created when missing; an
   * empty directory is filled; a non-empty one is refused unless `force`.
   */
  outDir: string;
  /** Replace a non-empty `outDir` whole. Default: false (refuse with `WriteError` `OUTPUT_EXISTS`). */
  force?: boolean;
  /** Built-in dims. Default: `'tiny'`. */
  preset?: PresetName;
  /** Dims overriding the preset's (any subset), e.g. `{ dModel: 64, encoderLayers: 2 }`. */
  dims?: Partial<WhisperDims>;
  /** Stored dtype of every tensor. Default: `'f32'`. */
  dtype?: 'f32' | 'f16' | 'bf16';
  /** Seed of the generator: same seed and dims → byte-identical files. Default: 0. */
  seed?: number;
  /**
   * Tokenizer folder to copy (tokenizer.json, vocab.json, merges.txt, ...): a path, `false` for
   * none, or undefined to look for `shared/reference/tokenizers/<en|multilingual-v2|multilingual-v3>`
   * (the variant implied by the vocabulary size) under `DW_REFERENCE_DIR` or a parent directory.
   */
  tokenizerDir?: string | false;
  /** Write a WhisperForCausalLM (decoder-only) checkpoint. Default: false. */
  decoderOnly?: boolean;
}

/** Result of {@link createRandomCheckpoint}. */
export interface RandomCheckpoint {
  dir: string;
  config: WhisperConfig;
  /** Size of model.safetensors in bytes. */
  weightBytes: number;
  /** Tokenizer folder copied, or undefined when none was. */
  tokenizerDir: string | undefined;
}

/** Initial xorshift32 state of one tensor's stream (splitmix-style hash of seed and stream). */
function streamState(seed: number, stream: number): number {
  let h =
    (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 0x632be5ab, 0xc2b2ae35)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h === 0 ? 0x1234567 : h;
}

/** Round-to-nearest-even f32 → f16 bit patterns. */
function toF16(src: Float32Array, dst: Uint16Array): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i]!;
    const sign = (x >>> 16) & 0x8000;
    const e = (x >>> 23) & 0xff;
    let m = x & 0x7fffff;
    if (e === 0xff) {
      dst[i] = sign | 0x7c00 | (m ? 0x200 : 0);
      continue;
    }
    const he = e - 127 + 15;
    if (he >= 31) {
      dst[i] = sign | 0x7c00;
    } else if (he <= 0) {
      if (he < -10) {
        dst[i] = sign;
        continue;
      }
      m |= 0x800000;
      const shift = 14 - he;
      let half = m >>> shift;
      const rem = m & ((1 << shift) - 1);
      const mid = 1 << (shift - 1);
      if (rem > mid || (rem === mid && half & 1)) half++;
      dst[i] = sign | half;
    } else {
      let half = (he << 10) | (m >>> 13);
      const rem = m & 0x1fff;
      if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
      dst[i] = sign | half;
    }
  }
}

function toBF16(src: Float32Array, dst: Uint16Array): void {
  const u = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i]!;
    dst[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
}

/** How the values of a tensor are drawn. */
type Init =
  | { kind: 'uniform'; center: number; halfWidth: number }
  | { kind: 'sinusoids'; length: number; channels: number };

/** How a parameter is initialised, decided by its role. */
function initFor(decl: ParameterDecl): Init {
  // Whisper's encoder positions are fixed sinusoids (openai/whisper); the decoder's are learned.
  if (decl.role === 'positions' && decl.stack === 'encoder')
    return { kind: 'sinusoids', length: decl.shape[0]!, channels: decl.shape[1]! };
  // LayerNorm gains around 1; everything else uniform with std 0.02 (transformers' init_std).
  if (decl.role === 'norm-weight') return { kind: 'uniform', center: 1, halfWidth: 0.1 };
  return { kind: 'uniform', center: 0, halfWidth: 0.02 * Math.sqrt(3) };
}

/** Whisper's sinusoidal position table (openai/whisper `sinusoids`), row `r` of `channels`. */
function sinusoidRow(r: number, channels: number, out: Float32Array, at: number): void {
  const half = channels / 2;
  const inc = Math.log(10000) / (half - 1);
  for (let i = 0; i < half; i++) {
    const t = r * Math.exp(-inc * i);
    out[at + i] = Math.sin(t);
    out[at + half + i] = Math.cos(t);
  }
}

const CHUNK = 1 << 20;

function randomSource(
  decl: ParameterDecl,
  dtype: SafetensorsDType,
  seed: number,
  stream: number,
): SafetensorsSource {
  const init = initFor(decl);
  const { name, shape, size: total } = decl;
  return {
    name,
    dtype,
    shape,
    write: (sink) => {
      let state = streamState(seed, stream);
      const rowLen = shape[shape.length - 1] ?? 1;
      const chunk = Math.max(rowLen, Math.floor(CHUNK / rowLen) * rowLen);
      const f32 = new Float32Array(Math.min(chunk, total));
      const half = dtype === 'F32' ? undefined : new Uint16Array(f32.length);
      for (let done = 0; done < total; done += chunk) {
        const n = Math.min(chunk, total - done);
        const view = f32.subarray(0, n);
        if (init.kind === 'sinusoids') {
          for (let i = 0; i < n; i += init.channels)
            sinusoidRow((done + i) / init.channels, init.channels, view, i);
        } else {
          // xorshift32 inlined: the generator is the hot loop when writing GB-sized checkpoints.
          const scaleBits = (2 * init.halfWidth) / 4294967296;
          const low = init.center - init.halfWidth;
          let x = state;
          for (let i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            view[i] = low + (x >>> 0) * scaleBits;
          }
          state = x;
        }
        if (!half) sink(new Uint8Array(view.buffer, 0, n * 4));
        else {
          const h = half.subarray(0, n);
          if (dtype === 'F16') toF16(view, h);
          else toBF16(view, h);
          sink(new Uint8Array(h.buffer, 0, n * 2));
        }
      }
    },
  };
}

function findReferenceTokenizer(variant: string): string | undefined {
  const candidates: string[] = [];
  if (process.env.DW_REFERENCE_DIR)
    candidates.push(join(resolve(process.env.DW_REFERENCE_DIR), 'tokenizers', variant));
  const starts = [process.cwd(), dirname(fileURLToPath(import.meta.url))];
  for (const start of starts) {
    let dir = resolve(start);
    for (;;) {
      candidates.push(join(dir, 'shared', 'reference', 'tokenizers', variant));
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return candidates.find((c) => existsSync(join(c, 'tokenizer.json')));
}

/**
 * Writes a random-weight Whisper checkpoint directory in Hugging Face layout: config.json with
 * the preset's real dims (or custom ones), generation_config.json with the vocabulary's real
 * special tokens and suppress lists, preprocessor_config.json, model.safetensors (streamed;
 * deterministic for a seed), and a copy of the matching tokenizer files.
 *
 * The directory is written atomically: a crash never leaves a half-written checkpoint, and a
 * non-empty `outDir` is refused unless `force`.
 *
 * @throws {@link CheckpointError} `CONFIG_INVALID` for impossible dims, `FILE_NOT_FOUND` for a
 *   missing `tokenizerDir`, `WRITE_FAILED` when a file cannot be written; {@link WriteError}
 *   `OUTPUT_EXISTS` for a non-empty `outDir` without `force`.
 * @example
 * ```ts
 * await createRandomCheckpoint({ preset: 'distil-small.en', dtype: 'f16', seed: 1, outDir: '/tmp/ds' });
 * const model = WhisperModel.load('/tmp/ds');
 * ```
 */
export function createRandomCheckpoint(options: CreateRandomCheckpointOptions): RandomCheckpoint {
  const preset = options.preset ?? 'tiny';
  const presetDims = PRESETS[preset];
  if (!presetDims)
    throw new CheckpointError(
      'CONFIG_INVALID',
      `unknown preset '${String(preset)}' (known: ${Object.keys(PRESETS).join(', ')})`,
    );
  const dims: WhisperDims = { ...presetDims, ...options.dims };
  const dtype = options.dtype ?? 'f32';
  const seed = options.seed ?? 0;
  const variant = vocabularyVariant(dims.vocabSize);
  const json = whisperConfigJson(dims, {
    name: `random-${preset}`,
    dtype,
    decoderOnly: options.decoderOnly ?? false,
  });

  const config = parseWhisperConfig(json);
  const outDir = resolve(options.outDir);
  let tokenizerDir: string | undefined;
  if (options.tokenizerDir !== false) {
    if (typeof options.tokenizerDir === 'string') {
      tokenizerDir = resolve(options.tokenizerDir);
      if (
        !existsSync(join(tokenizerDir, 'tokenizer.json')) &&
        !existsSync(join(tokenizerDir, 'vocab.json'))
      )
        throw new CheckpointError(
          'FILE_NOT_FOUND',
          'tokenizer directory has neither tokenizer.json nor vocab.json',
          { path: tokenizerDir },
        );
    } else if (variant) tokenizerDir = findReferenceTokenizer(variant);
  }
  const st: SafetensorsDType = dtype === 'f32' ? 'F32' : dtype === 'f16' ? 'F16' : 'BF16';
  // Sorted as save_pretrained writes them; a tensor's stream is its index in that order.
  const decls = declareParameters(
    config,
    options.decoderOnly ? 'decoder-only' : 'encoder-decoder',
  ).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const sources = decls.map((decl, i) => randomSource(decl, st, seed, i + 1));
  writeDirectoryAtomic(
    outDir,
    (tmp) => writeCheckpointFiles(tmp, config, dims.numMelBins, sources, tokenizerDir),
    { force: options.force ?? false },
  );
  const weights = join(outDir, 'model.safetensors');
  return { dir: outDir, config, weightBytes: statSync(weights).size, tokenizerDir };
}

function writeCheckpointFiles(
  outDir: string,
  config: WhisperConfig,
  numMelBins: number,
  sources: SafetensorsSource[],
  tokenizerDir: string | undefined,
): void {
  writeJson(join(outDir, 'config.json'), whisperConfigToJson(config));
  writeJson(
    join(outDir, 'generation_config.json'),
    generationConfigToJson(defaultGenerationConfig(config)),
  );
  writeJson(join(outDir, 'preprocessor_config.json'), {
    chunk_length: 30,
    feature_extractor_type: 'WhisperFeatureExtractor',
    feature_size: numMelBins,
    hop_length: 160,
    n_fft: 400,
    n_samples: 480000,
    nb_max_frames: 3000,
    padding_side: 'right',
    padding_value: 0.0,
    processor_class: 'WhisperProcessor',
    return_attention_mask: false,
    sampling_rate: 16000,
  });
  writeSafetensors(join(outDir, 'model.safetensors'), sources, { format: 'pt' });
  if (tokenizerDir)
    for (const f of TOKENIZER_FILES) {
      const src = join(tokenizerDir, f);
      if (existsSync(src)) copyFileSync(src, join(outDir, f));
    }
}
