// Finding and reading the converted Silero VAD files (written by tools/vad/convert.py from the
// `silero-vad` PyPI package; third-party weights, never shipped in this repository).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { VadError } from './errors.js';

/** The package version tools/vad/fetch.sh converts; the default folder is named after it. */
export const SILERO_VAD_VERSION = '6.2.3';

/** Tensors of the 16 kHz Silero VAD model, by the package's TorchScript names, with their shapes. */
export const SILERO_TENSORS: Readonly<Record<string, readonly number[]>> = {
  'stft.forward_basis_buffer': [258, 1, 256],
  'encoder.0.reparam_conv.weight': [128, 129, 3],
  'encoder.0.reparam_conv.bias': [128],
  'encoder.1.reparam_conv.weight': [64, 128, 3],
  'encoder.1.reparam_conv.bias': [64],
  'encoder.2.reparam_conv.weight': [64, 64, 3],
  'encoder.2.reparam_conv.bias': [64],
  'encoder.3.reparam_conv.weight': [128, 64, 3],
  'encoder.3.reparam_conv.bias': [128],
  'decoder.rnn.weight_ih': [512, 128],
  'decoder.rnn.weight_hh': [512, 128],
  'decoder.rnn.bias_ih': [512],
  'decoder.rnn.bias_hh': [512],
  'decoder.decoder.2.weight': [1, 128, 1],
  'decoder.decoder.2.bias': [1],
};

/** The model's weights, float32, by tensor name (see {@link SILERO_TENSORS}). */
export type SileroWeights = ReadonlyMap<string, Float32Array>;

/**
 * Folders searched for the converted model, in order: `modelDir` when given (only it), else
 * `$DW_VAD_MODEL_DIR`, else `~/.cache/distil-whisper/vad/silero-vad-<version>` (where
 * tools/vad/fetch.sh writes).
 */
export function sileroModelDirs(modelDir?: string): string[] {
  if (modelDir !== undefined) return [resolve(modelDir)];
  const dirs: string[] = [];
  const env = process.env.DW_VAD_MODEL_DIR;
  if (env) dirs.push(resolve(env));
  const cache = process.env.DW_VAD_CACHE ?? join(homedir(), '.cache', 'distil-whisper', 'vad');
  dirs.push(join(cache, `silero-vad-${SILERO_VAD_VERSION}`));
  return dirs;
}

/** Where the model was found, or undefined (no error): for callers that skip VAD tests visibly. */
export function findSileroModel(modelDir?: string): string | undefined {
  return sileroModelDirs(modelDir).find(
    (d) => existsSync(join(d, 'model.safetensors')) && existsSync(join(d, 'config.json')),
  );
}

function invalid(path: string, what: string): VadError {
  return new VadError(
    'MODEL_INVALID',
    `${path}: ${what}; re-create it with \`bash tools/vad/fetch.sh\``,
  );
}

/**
 * Parses model.safetensors bytes into float32 tensors, checking every name and shape against
 * {@link SILERO_TENSORS}.
 *
 * @throws {@link VadError} `MODEL_INVALID` naming the first problem
 */
export function parseSileroSafetensors(
  bytes: Uint8Array,
  path = 'model.safetensors',
): SileroWeights {
  if (bytes.length < 8) throw invalid(path, 'file too short for a safetensors header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length)
    throw invalid(path, 'header length beyond the end of the file');
  let header: Record<string, { dtype?: string; shape?: number[]; data_offsets?: [number, number] }>;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)),
    ) as typeof header;
  } catch (cause) {
    throw new VadError('MODEL_INVALID', `${path}: the header is not JSON`, { cause });
  }
  const base = 8 + headerLength;
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of Object.entries(SILERO_TENSORS)) {
    const entry = header[name];
    if (!entry) throw invalid(path, `tensor ${name} is missing`);
    if (entry.dtype !== 'F32')
      throw invalid(path, `tensor ${name} is ${entry.dtype}, expected F32`);
    if (JSON.stringify(entry.shape) !== JSON.stringify(shape))
      throw invalid(
        path,
        `tensor ${name} has shape [${entry.shape?.join(', ')}], expected [${shape.join(', ')}]`,
      );
    const [a, b] = entry.data_offsets ?? [0, -1];
    const count = shape.reduce((x, y) => x * y, 1);
    if (b - a !== count * 4 || base + b > bytes.length)
      throw invalid(path, `tensor ${name} has bad offsets`);
    // Copy: the file's offsets need not be 4-byte aligned.
    const data = new Float32Array(count);
    new Uint8Array(data.buffer).set(bytes.subarray(base + a, base + b));
    out.set(name, data);
  }
  return out;
}

/**
 * Reads the converted model from the first folder of {@link sileroModelDirs} that has it.
 *
 * @throws {@link VadError} `MODEL_NOT_FOUND` listing the folders tried and how to create the files;
 *   `MODEL_INVALID` for malformed files
 */
export function readSileroModel(modelDir?: string): { dir: string; weights: SileroWeights } {
  const dirs = sileroModelDirs(modelDir);
  const dir = findSileroModel(modelDir);
  if (!dir)
    throw new VadError(
      'MODEL_NOT_FOUND',
      `Silero VAD weights not found (looked in ${dirs.join(', ')}). They are third-party data (silero-vad ${SILERO_VAD_VERSION}, MIT, from PyPI) and are not shipped: run \`bash tools/vad/fetch.sh\` from the distil-whisper repository (needs python3 and pip) and set DW_VAD_MODEL_DIR to the folder it prints, or pass its path as the VAD model folder.`,
    );
  const configPath = join(dir, 'config.json');
  let config: { model?: string; format?: number; sampling_rate?: number };
  try {
    config = JSON.parse(readFileSync(configPath, 'utf8')) as typeof config;
  } catch (cause) {
    throw new VadError('MODEL_INVALID', `${configPath} is not JSON`, { cause });
  }
  if (config.model !== 'silero-vad' || config.format !== 1 || config.sampling_rate !== 16000)
    throw invalid(configPath, 'not a format-1 16 kHz silero-vad config');
  const path = join(dir, 'model.safetensors');
  return { dir, weights: parseSileroSafetensors(readFileSync(path), path) };
}
