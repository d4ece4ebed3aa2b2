// CTranslate2 Whisper model directories (as used by faster-whisper: model.bin, config.json,
// tokenizer.json and/or vocabulary.{txt,json}, optionally preprocessor_config.json): inspect,
// load into native tensors for WhisperModel, or convert to a Hugging Face checkpoint directory.
import { closeSync, copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

import { QuantizedTensor, Tensor } from '@distil-whisper/kernels';

import {
  TOKENIZER_FILES,
  writeJson,
  type LoadCheckpointOptions,
  type LoadedCheckpoint,
} from '../checkpoint';
import { whisperConfigToJson, type WhisperConfig } from '../config';
import { generationConfigToJson, type WhisperGenerationConfig } from '../generation-config';
import { assertOutputOutside, writeDirectoryAtomic } from '../io/atomic-write';
import { vocabularyVariant } from '../presets';
import { writeSafetensors, type SafetensorsSource } from '../safetensors';
import { Ct2Error } from './errors';
import {
  openCt2ModelBin,
  readCt2ModelBin,
  readCt2VariableBytes,
  type Ct2ModelBin,
  type Ct2Variable,
} from './model-bin';
import { dequantize, floatsFromBytes, floatsToBytes, integersFromBytes } from './values';
import { ct2WhisperConfigs, readCt2WhisperConfigJson } from './whisper-config';
import {
  planCt2Whisper,
  rowBytes,
  type Ct2TensorSource,
  type Ct2WhisperPlan,
} from './whisper-spec';

/** A CTranslate2 Whisper directory, indexed and mapped (no weight read yet). */
export interface Ct2WhisperModelDir {
  dir: string;
  bin: Ct2ModelBin;
  plan: Ct2WhisperPlan;
  /** transformers config the model corresponds to (stored dtype = the model's float dtype). */
  config: WhisperConfig;
  generationConfig: WhisperGenerationConfig;
  /** Hugging Face tokenizer files present in the directory (e.g. `['tokenizer.json']`). */
  tokenizerFiles: string[];
  /** Entries of vocabulary.txt / vocabulary.json, when present. */
  vocabularySize: number | undefined;
}

/**
 * True when `dir` looks like a CTranslate2 model directory: it has a model.bin and no
 * safetensors weights. Cheap (no file is parsed).
 */
export function isCt2ModelDir(dir: string): boolean {
  return (
    existsSync(join(dir, 'model.bin')) &&
    !existsSync(join(dir, 'model.safetensors')) &&
    !existsSync(join(dir, 'model.safetensors.index.json'))
  );
}

function scalarReader(bin: Ct2ModelBin, fd: number): (v: Ct2Variable) => number {
  return (v) => {
    const bytes = readCt2VariableBytes(fd, bin, v);
    const values =
      v.dtype === 'float32' || v.dtype === 'float16' || v.dtype === 'bfloat16'
        ? floatsFromBytes(bytes, v.dtype)
        : integersFromBytes(bytes, v.dtype);
    return values[0] ?? 0;
  };
}

function vocabularySize(dir: string): number | undefined {
  const txt = join(dir, 'vocabulary.txt');
  if (existsSync(txt)) {
    const lines = readFileSync(txt, 'utf8').split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines.length;
  }
  const json = join(dir, 'vocabulary.json');
  if (existsSync(json)) {
    try {
      const v: unknown = JSON.parse(readFileSync(json, 'utf8'));
      return Array.isArray(v) ? v.length : undefined;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Indexes a CTranslate2 Whisper directory: parses model.bin's table, maps every variable onto
 * transformers names, infers dims and builds the configs. Reads only scalars.
 *
 * @throws {@link Ct2Error} `FILE_NOT_FOUND`, `CONFIG_INVALID`, `MODEL_BIN_INVALID`,
 *   `UNSUPPORTED_VERSION`, `UNSUPPORTED_MODEL` or `VARIABLES_MISMATCH`.
 * @example
 * ```ts
 * const m = inspectCt2ModelDir('./faster-whisper-base');
 * console.log(m.plan.dims, m.plan.storedDtypes); // { dModel: 512, ... } ['float16']
 * ```
 */
export function inspectCt2ModelDir(dir: string): Ct2WhisperModelDir {
  const binPath = join(dir, 'model.bin');
  if (!existsSync(binPath))
    throw new Ct2Error(
      'FILE_NOT_FOUND',
      'no model.bin: not a CTranslate2 model directory (split packages must be joined into model.bin first)',
      { path: dir },
    );
  let ct2Json: unknown = {};
  const configPath = join(dir, 'config.json');
  if (existsSync(configPath)) {
    try {
      ct2Json = JSON.parse(readFileSync(configPath, 'utf8'));
    } catch (err) {
      throw new Ct2Error('CONFIG_INVALID', `not valid JSON: ${(err as Error).message}`, {
        path: configPath,
        cause: err,
      });
    }
  }
  const bin = readCt2ModelBin(binPath);
  const fd = openCt2ModelBin(bin);
  let plan: Ct2WhisperPlan;
  try {
    plan = planCt2Whisper(bin, scalarReader(bin, fd));
  } finally {
    closeSync(fd);
  }
  const { config, generationConfig } = ct2WhisperConfigs(
    plan.dims,
    readCt2WhisperConfigJson(ct2Json),
    { tied: plan.tied, dtype: plan.floatDtype, name: basename(resolve(dir)) },
  );
  return {
    dir,
    bin,
    plan,
    config,
    generationConfig,
    tokenizerFiles: TOKENIZER_FILES.filter((f) => existsSync(join(dir, f))),
    vocabularySize: vocabularySize(dir),
  };
}

/**
 * Produces the values of transformers tensors from model.bin, reading each CTranslate2 variable
 * once even when it feeds several tensors (fused q|k|v).
 */
class TensorProducer {
  #cached: { name: string; bytes: Uint8Array } | undefined;
  constructor(
    readonly bin: Ct2ModelBin,
    readonly fd: number,
  ) {}

  #variable(name: string): { v: Ct2Variable; bytes: Uint8Array } {
    const v = this.bin.variables.get(name);
    if (!v) throw new Error(`internal: variable ${name} vanished`);
    if (this.#cached?.name !== name)
      this.#cached = { name, bytes: readCt2VariableBytes(this.fd, this.bin, v) };
    return { v, bytes: this.#cached.bytes };
  }

  /** Natural dtype of a tensor: the stored float dtype, or `floatDtype` when quantised. */
  naturalDtype(src: Ct2TensorSource, floatDtype: 'f32' | 'f16' | 'bf16'): 'f32' | 'f16' | 'bf16' {
    const v = this.bin.variables.get(src.variable)!;
    return v.dtype === 'float32'
      ? 'f32'
      : v.dtype === 'float16'
        ? 'f16'
        : v.dtype === 'bfloat16'
          ? 'bf16'
          : floatDtype;
  }

  /**
   * `src` as a {@link QuantizedTensor} when it is stored as int8 with per-row (or one) scale:
   * CTranslate2 stores `q = round(w · s)`, so the row scale of `w ≈ q · scale` is `1 / s`. Null
   * for anything else.
   */
  int8(src: Ct2TensorSource, device: LoadCheckpointOptions['device']): QuantizedTensor | null {
    if (src.scale === undefined || src.shape.length !== 2) return null;
    const { v, bytes } = this.#variable(src.variable);
    if (v.dtype !== 'int8') return null;
    const sv = this.bin.variables.get(src.scale)!;
    const stored = floatsFromBytes(readCt2VariableBytes(this.fd, this.bin, sv), sv.dtype);
    const rows = src.rows[1] - src.rows[0];
    const scale = new Float32Array(rows);
    for (let r = 0; r < rows; r++)
      scale[r] = 1 / stored[stored.length === 1 ? 0 : src.rows[0] + r]!;
    const rb = rowBytes(v);
    const values = new Int8Array(
      bytes.buffer.slice(bytes.byteOffset + src.rows[0] * rb, bytes.byteOffset + src.rows[1] * rb),
    );
    const opts = device === undefined ? {} : { device };
    const vt = Tensor.from(values, src.shape, { ...opts, dtype: 'i8' });
    const st = Tensor.from(scale, [rows], opts);
    try {
      return QuantizedTensor.fromInt8(vt, st);
    } finally {
      vt.dispose();
      st.dispose();
    }
  }

  /** Little-endian bytes of `src` in `dtype` (raw copy when stored in that dtype). */
  bytes(src: Ct2TensorSource, dtype: 'f32' | 'f16' | 'bf16'): Uint8Array {
    let scale: Float32Array | undefined;
    if (src.scale !== undefined) {
      const sv = this.bin.variables.get(src.scale)!;
      scale = floatsFromBytes(readCt2VariableBytes(this.fd, this.bin, sv), sv.dtype);
    }
    const { v, bytes } = this.#variable(src.variable);
    const rb = rowBytes(v);
    const slice = bytes.subarray(src.rows[0] * rb, src.rows[1] * rb);
    const stored = { float32: 'f32', float16: 'f16', bfloat16: 'bf16' }[v.dtype as string];
    if (stored === dtype) return slice.slice();
    if (scale) {
      const rows = src.rows[1] - src.rows[0];
      const rowScale = scale.length === 1 ? scale : scale.subarray(src.rows[0], src.rows[1]);
      return floatsToBytes(dequantize(integersFromBytes(slice, v.dtype), rowScale, rows), dtype);
    }
    return floatsToBytes(floatsFromBytes(slice, v.dtype), dtype);
  }
}

/** Options of {@link loadCt2Checkpoint}. */
export interface LoadCt2Options extends LoadCheckpointOptions {
  /**
   * Keep int8 Linear weights int8: they load as {@link QuantizedTensor}s (values as stored, row
   * scales `1 / scale`) without being dequantised, for `new WhisperModel(ckpt, { computeType:
   * 'int8' })` — which refuses them under any other compute type. Default: false (dequantised).
   */
  keepInt8?: boolean;
}

/**
 * Loads a CTranslate2 Whisper directory straight into native tensors named as transformers
 * names them, ready for `new WhisperModel(...)`. Fused projections are split, int8 / int16
 * weights are dequantised (`q / scale`, per row) to the model's float dtype unless `keepInt8`,
 * and a tied output projection stays tied.
 *
 * @param options `dtype`: convert float matrix weights (rank ≥ 2) to this dtype (default: stored
 *   float dtype); `device`: where the tensors live; `keepInt8`: int8 weights stay int8
 * @throws {@link Ct2Error} as {@link inspectCt2ModelDir}.
 * @example
 * ```ts
 * const model = new WhisperModel(loadCt2Checkpoint('./faster-whisper-base', { dtype: 'f32' }));
 * const int8 = new WhisperModel(loadCt2Checkpoint('./whisper-base-ct2-int8', { keepInt8: true }), {
 *   computeType: 'int8',
 * });
 * ```
 */
export function loadCt2Checkpoint(dir: string, options: LoadCt2Options = {}): LoadedCheckpoint {
  const m = inspectCt2ModelDir(dir);
  const fd = openCt2ModelBin(m.bin);
  const tensors = new Map<string, Tensor>();
  const producer = new TensorProducer(m.bin, fd);
  try {
    for (const src of m.plan.tensors) {
      // The token embedding is looked up, not multiplied: it stays float (and a tied output
      // projection is quantised from it by the model).
      const kept =
        options.keepInt8 && src.name !== 'model.decoder.embed_tokens.weight'
          ? producer.int8(src, options.device)
          : null;
      if (kept) {
        tensors.set(src.name, kept);
        continue;
      }
      const natural = producer.naturalDtype(src, m.plan.floatDtype);
      const opts =
        options.device === undefined
          ? { dtype: natural }
          : { dtype: natural, device: options.device };
      let t = Tensor.from(producer.bytes(src, natural), src.shape, opts);
      if (options.dtype && t.rank >= 2 && t.dtype !== options.dtype) {
        const cast = t.cast(options.dtype);
        t.dispose();
        t = cast;
      }
      tensors.set(src.name, t);
    }
    const dtype = options.dtype ?? m.plan.floatDtype;
    const torchDtype = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' }[dtype];
    return {
      config: { ...m.config, torchDtype },
      generationConfig: m.generationConfig,
      kind: 'encoder-decoder',
      tensors,
    };
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  } finally {
    closeSync(fd);
  }
}

/** Options of {@link convertCt2ToHf}. */
export interface ConvertCt2Options {
  /** Stored dtype of every tensor. Default: the model's float dtype (f16 for float16 / int8_float16 models). */
  dtype?: 'f32' | 'f16' | 'bf16';
  /**
   * Where tokenizer files come from: a folder, `false` for none, or undefined for the CTranslate2
   * directory's own tokenizer.json (and friends), else the reference tokenizer of the vocabulary
   * under `DW_REFERENCE_DIR/tokenizers/<variant>`.
   */
  tokenizerDir?: string | false;
  /** Replace a non-empty output directory whole. Default: false (refuse with `OUTPUT_EXISTS`). */
  force?: boolean;
}

/** Result of {@link convertCt2ToHf}. */
export interface Ct2ConversionResult {
  outDir: string;
  config: WhisperConfig;
  plan: Ct2WhisperPlan;
  /** Size of the written model.safetensors. */
  weightBytes: number;
  /** Folder the tokenizer files were copied from, or undefined when none was found. */
  tokenizerFrom: string | undefined;
}

function referenceTokenizerDir(vocabSize: number): string | undefined {
  const variant = vocabularyVariant(vocabSize);
  const root = process.env.DW_REFERENCE_DIR;
  if (!variant || !root) return undefined;
  const dir = join(resolve(root), 'tokenizers', variant);
  return existsSync(join(dir, 'tokenizer.json')) ? dir : undefined;
}

/**
 * Converts a CTranslate2 Whisper directory (e.g. a faster-whisper model) into a Hugging Face
 * checkpoint directory that {@link WhisperModel.load}, the `distil-whisper` pipeline and
 * transformers read: config.json, generation_config.json, preprocessor_config.json,
 * model.safetensors (streamed one tensor at a time) and the tokenizer files.
 *
 * The output is written atomically (a temporary sibling renamed into place when complete); a
 * non-empty `outDir` is refused unless `options.force`, and an `outDir` equal to, inside or
 * containing `dir` is always refused.
 *
 * @throws {@link Ct2Error} as {@link inspectCt2ModelDir}, `FILE_NOT_FOUND` for a `tokenizerDir`
 *   without tokenizer files; {@link CheckpointError} `WRITE_FAILED`; {@link WriteError}
 *   `OUTPUT_EXISTS` (non-empty `outDir` without `force`), `OUTPUT_INVALID` (`outDir` overlaps `dir`).
 * @example
 * ```ts
 * convertCt2ToHf('./faster-whisper-base', './whisper-base-hf');
 * const model = WhisperModel.load('./whisper-base-hf');
 * ```
 */
export function convertCt2ToHf(
  dir: string,
  outDir: string,
  options: ConvertCt2Options = {},
): Ct2ConversionResult {
  assertOutputOutside(dir, outDir, 'the source directory');
  const m = inspectCt2ModelDir(dir);
  const dtype = options.dtype ?? m.plan.floatDtype;
  let tokenizerFrom: string | undefined;
  if (typeof options.tokenizerDir === 'string') {
    tokenizerFrom = resolve(options.tokenizerDir);
    if (!TOKENIZER_FILES.slice(0, 2).some((f) => existsSync(join(tokenizerFrom!, f))))
      throw new Ct2Error(
        'FILE_NOT_FOUND',
        'tokenizer folder has neither tokenizer.json nor vocab.json',
        {
          path: tokenizerFrom,
        },
      );
  } else if (options.tokenizerDir === undefined) {
    tokenizerFrom = m.tokenizerFiles.some((f) => f === 'tokenizer.json' || f === 'vocab.json')
      ? resolve(dir)
      : referenceTokenizerDir(m.config.vocabSize);
  }
  const config: WhisperConfig = {
    ...m.config,
    torchDtype: { f32: 'float32', f16: 'float16', bf16: 'bfloat16' }[dtype],
  };
  writeDirectoryAtomic(outDir, (tmp) => writeConverted(m, dir, tmp, config, dtype, tokenizerFrom), {
    force: options.force ?? false,
  });
  return {
    outDir,
    config,
    plan: m.plan,
    weightBytes: statSync(join(outDir, 'model.safetensors')).size,
    tokenizerFrom,
  };
}

/** Writes every file of the converted checkpoint into `outDir` (the atomic writer's temporary). */
function writeConverted(
  m: Ct2WhisperModelDir,
  dir: string,
  outDir: string,
  config: WhisperConfig,
  dtype: 'f32' | 'f16' | 'bf16',
  tokenizerFrom: string | undefined,
): void {
  writeJson(join(outDir, 'config.json'), whisperConfigToJson(config));
  writeJson(join(outDir, 'generation_config.json'), generationConfigToJson(m.generationConfig));
  if (existsSync(join(dir, 'preprocessor_config.json')))
    copyFileSync(join(dir, 'preprocessor_config.json'), join(outDir, 'preprocessor_config.json'));
  else
    writeJson(join(outDir, 'preprocessor_config.json'), {
      chunk_length: 30,
      feature_extractor_type: 'WhisperFeatureExtractor',
      feature_size: config.numMelBins,
      hop_length: 160,
      n_fft: 400,
      n_samples: 480000,
      nb_max_frames: 3000,
      padding_side: 'right',
      padding_value: 0,
      processor_class: 'WhisperProcessor',
      return_attention_mask: false,
      sampling_rate: 16000,
    });
  if (tokenizerFrom)
    for (const f of TOKENIZER_FILES)
      if (existsSync(join(tokenizerFrom, f))) copyFileSync(join(tokenizerFrom, f), join(outDir, f));

  const fd = openCt2ModelBin(m.bin);
  const producer = new TensorProducer(m.bin, fd);
  try {
    // transformers' save_pretrained orders tensors by name; so does this file.
    const ordered = [...m.plan.tensors].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    const sources: SafetensorsSource[] = ordered.map((src) => ({
      name: src.name,
      dtype: ({ f32: 'F32', f16: 'F16', bf16: 'BF16' } as const)[dtype],
      shape: src.shape,
      write: (sink) => {
        const natural = producer.naturalDtype(src, m.plan.floatDtype);
        if (natural === dtype) return sink(producer.bytes(src, dtype));
        // Native cast: the same rounding as loading with { dtype } and much faster than JS.
        const t = Tensor.from(producer.bytes(src, natural), src.shape, {
          dtype: natural,
          device: 'cpu',
        });
        try {
          const c = t.cast(dtype);
          try {
            const a = c.toArray();
            sink(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
          } finally {
            c.dispose();
          }
        } finally {
          t.dispose();
        }
      },
    }));
    writeSafetensors(join(outDir, 'model.safetensors'), sources, { format: 'pt' });
  } finally {
    closeSync(fd);
  }
}
