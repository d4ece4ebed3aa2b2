import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AudioError, checkSampleRate, describe } from './errors.js';
import { logMelInto } from './log-mel.js';

/**
 * `preprocessor_config.json` of a Hugging Face Whisper checkpoint, as written by transformers
 * (snake_case keys). Every key is optional here; missing ones take Whisper's defaults.
 */
export interface WhisperPreprocessorConfigJson {
  feature_extractor_type?: string;
  feature_size?: number;
  sampling_rate?: number;
  hop_length?: number;
  chunk_length?: number;
  n_fft?: number;
  n_samples?: number;
  nb_max_frames?: number;
  padding_value?: number;
  padding_side?: string;
  return_attention_mask?: boolean;
  dither?: number;
  processor_class?: string;
  [key: string]: unknown;
}

/** Resolved extractor settings (camelCase; derived values filled in). */
export interface WhisperFeatureExtractorConfig {
  /** Mel bands (`feature_size`): 80, or 128 for large-v3. */
  readonly featureSize: number;
  readonly samplingRate: number;
  readonly hopLength: number;
  /** Model window in seconds (`chunk_length`): 30, or e.g. 15 for a shortened encoder. */
  readonly chunkLength: number;
  readonly nFft: number;
  /** `chunkLength × samplingRate`: every input is padded or truncated to this many samples. */
  readonly nSamples: number;
  /** `nSamples / hopLength`: frames per example (3000 for 30 s). */
  readonly nbMaxFrames: number;
  readonly paddingValue: number;
}

/** Features for a batch, laid out `[batchSize, nMels, nFrames]` like transformers' `input_features`. */
export interface WhisperFeatures {
  readonly data: Float32Array;
  readonly shape: readonly [batchSize: number, nMels: number, nFrames: number];
  /**
   * 1 for frames that hold real audio, 0 for padding, `[batchSize, nFrames]` (transformers'
   * `attention_mask` sampled every `hopLength` samples).
   */
  readonly attentionMask: Uint8Array;
}

function intField(
  cfg: WhisperPreprocessorConfigJson,
  key: keyof WhisperPreprocessorConfigJson,
  fallback: number,
  max: number,
): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) {
    throw new AudioError(
      'INVALID_CONFIG',
      `preprocessor config: expected ${String(key)} to be an integer in 1..${max} but found ${describe(v)}`,
    );
  }
  return v;
}

/**
 * Whisper's feature extractor (transformers' `WhisperFeatureExtractor`): pads or truncates each
 * clip to the checkpoint's window, then computes the log-mel spectrogram. Output equals the
 * Python and transformers.js extractors to ~1e-7.
 *
 * @example
 * ```ts
 * const fe = await WhisperFeatureExtractor.fromPretrained('./distil-large-v3');
 * const audio = await loadAudio('speech.mp3', { sampleRate: fe.config.samplingRate });
 * const { data, shape } = fe.extract(audio);      // shape [1, 128, 3000]
 * const batch = fe.extract([clipA, clipB]);       // shape [2, 128, 3000]
 * ```
 */
export class WhisperFeatureExtractor {
  readonly config: WhisperFeatureExtractorConfig;

  private constructor(config: WhisperFeatureExtractorConfig) {
    this.config = config;
  }

  /**
   * Builds an extractor from a `preprocessor_config.json` object. Keys follow transformers
   * (`feature_size`, `chunk_length`, ...); `n_samples` and `nb_max_frames` are derived from
   * `chunk_length` as the Python class does.
   *
   * @throws AudioError `INVALID_CONFIG` for a non-Whisper extractor type, non-integer or
   *   out-of-range sizes, or `dither` other than 0 (random dithering is not reproduced).
   */
  static fromConfig(json: WhisperPreprocessorConfigJson = {}): WhisperFeatureExtractor {
    if (typeof json !== 'object' || json === null) {
      throw new AudioError(
        'INVALID_CONFIG',
        `Expected a preprocessor config object but received ${describe(json)}`,
      );
    }
    const type = json.feature_extractor_type;
    if (type !== undefined && type !== 'WhisperFeatureExtractor') {
      throw new AudioError(
        'INVALID_CONFIG',
        `preprocessor config is for ${String(type)}, not WhisperFeatureExtractor`,
      );
    }
    const featureSize = intField(json, 'feature_size', 80, 1024);
    const samplingRate = checkSampleRate(
      json.sampling_rate ?? 16000,
      'preprocessor config sampling_rate',
    );
    const hopLength = intField(json, 'hop_length', 160, 1 << 16);
    const chunkLength = intField(json, 'chunk_length', 30, 24 * 3600);
    const nFft = intField(json, 'n_fft', 400, 1 << 16);
    const paddingValue = json.padding_value ?? 0;
    if (typeof paddingValue !== 'number' || !Number.isFinite(paddingValue)) {
      throw new AudioError(
        'INVALID_CONFIG',
        `preprocessor config: padding_value must be a finite number, found ${describe(paddingValue)}`,
      );
    }
    if (json.dither !== undefined && json.dither !== 0) {
      throw new AudioError(
        'INVALID_CONFIG',
        `preprocessor config: dither ${String(json.dither)} is not supported (only 0, the inference setting)`,
      );
    }
    if (json.padding_side !== undefined && json.padding_side !== 'right') {
      throw new AudioError(
        'INVALID_CONFIG',
        `preprocessor config: padding_side "${String(json.padding_side)}" is not supported (only "right")`,
      );
    }
    const nSamples = chunkLength * samplingRate;
    if (nSamples <= nFft / 2)
      throw new AudioError(
        'INVALID_CONFIG',
        `chunk_length ${chunkLength} s is too short for n_fft ${nFft}`,
      );
    const nbMaxFrames = Math.floor(nSamples / hopLength);
    return new WhisperFeatureExtractor({
      featureSize,
      samplingRate,
      hopLength,
      chunkLength,
      nFft,
      nSamples,
      nbMaxFrames,
      paddingValue,
    });
  }

  /**
   * Reads `preprocessor_config.json` from a checkpoint directory.
   *
   * @throws AudioError `IO_ERROR` when the file is missing or unreadable, `INVALID_CONFIG` when
   *   it is not valid JSON or not a Whisper extractor config.
   */
  static async fromPretrained(dir: string): Promise<WhisperFeatureExtractor> {
    const path = join(dir, 'preprocessor_config.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new AudioError('IO_ERROR', `Cannot read ${path}: ${String(err)}`, { cause: err });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new AudioError('INVALID_CONFIG', `${path} is not valid JSON: ${String(err)}`, {
        cause: err,
      });
    }
    return WhisperFeatureExtractor.fromConfig(json as WhisperPreprocessorConfigJson);
  }

  /**
   * Features of one clip or a batch of clips (mono, at `config.samplingRate`). Each clip is padded
   * with `paddingValue` or truncated to `nSamples` first, so every example is `[nMels, nbMaxFrames]`
   * and the dynamic-range floor is per example. Longer audio is truncated, as transformers does:
   * split long recordings into windows first.
   *
   * @throws AudioError `EMPTY_AUDIO` for a clip with no samples or an empty batch,
   *   `NON_FINITE_SAMPLES` for NaN/Infinity, `INVALID_ARGUMENT` for anything but float arrays.
   */
  extract(
    input: Float32Array | Float64Array | ReadonlyArray<Float32Array | Float64Array>,
  ): WhisperFeatures {
    const clips = input instanceof Float32Array || input instanceof Float64Array ? [input] : input;
    if (!Array.isArray(clips)) {
      throw new AudioError(
        'INVALID_ARGUMENT',
        `Expected a Float32Array or an array of them but received ${describe(input)}`,
      );
    }
    if (clips.length === 0)
      throw new AudioError('EMPTY_AUDIO', 'Cannot extract features from an empty batch');
    const { featureSize, nbMaxFrames, nSamples, nFft, hopLength, samplingRate, paddingValue } =
      this.config;
    const per = featureSize * nbMaxFrames;
    const data = new Float32Array(clips.length * per);
    const attentionMask = new Uint8Array(clips.length * nbMaxFrames);
    clips.forEach((clip, b) => {
      let samples = clip;
      if (paddingValue !== 0 && clip.length < nSamples && clip.length > 0) {
        samples = new Float32Array(nSamples).fill(paddingValue);
        samples.set(clip);
      }
      try {
        const view = data.subarray(b * per, (b + 1) * per);
        logMelInto(
          samples,
          { nMels: featureSize, nFft, hopLength, sampleRate: samplingRate, padOrTrim: nSamples },
          view,
        );
      } catch (err) {
        if (err instanceof AudioError && clips.length > 1) {
          throw new AudioError(err.code, `Batch item ${b}: ${err.message}`, { cause: err });
        }
        throw err;
      }
      const real = Math.min(nbMaxFrames, Math.ceil(clip.length / hopLength));
      attentionMask.fill(1, b * nbMaxFrames, b * nbMaxFrames + real);
    });
    return { data, shape: [clips.length, featureSize, nbMaxFrames], attentionMask };
  }
}
