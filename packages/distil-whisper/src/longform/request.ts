// One request's options, checked and resolved once: the decoding options every window gets, the
// long-form algorithm and the chunk plan.
import type { WhisperFeatureExtractor } from '@distil-whisper/audio';
import {
  planChunks,
  type ChunkPlan,
  type LongFormOptions,
  type WhisperModel,
} from '@distil-whisper/model';
import { toLanguageCode, type WhisperTokenizer } from '@distil-whisper/tokenizer';
import { TranscribeError } from '../errors';
import type { LongFormMode, TranscribeOptions } from '../types';

/** What crosses into the engine: plain options (no functions, no signal). */
export type EngineOptions = Omit<TranscribeOptions, 'signal' | 'onProgress' | 'sampleRate'>;

/** A request, resolved. */
export interface ResolvedRequest {
  /** generate() / long-form options shared by every window (no callbacks). */
  decoding: LongFormOptions;
  /** Timestamps for recordings of one window (longer ones always predict them). */
  returnTimestamps: boolean;
  mode: LongFormMode;
  /** Chunk plan (chunked mode). */
  chunks: ChunkPlan;
  batchSize: number;
  /** How damaged audio is treated (the audio package's `lenient` / `strict`). */
  audio: { lenient: boolean; strict: boolean };
}

/**
 * The default chunk length: 25 s for distilled checkpoints (a decoder shallower than the encoder,
 * the Distil-Whisper recipe for distil-large-v3), else the model window (30 s).
 */
export function defaultChunkLength(model: WhisperModel, windowSeconds: number): number {
  const c = model.config;
  return c.decoderLayers < c.encoderLayers ? Math.min(25, windowSeconds) : windowSeconds;
}

function positiveInt(v: number | undefined, name: string, fallback: number): number {
  const n = v ?? fallback;
  if (!Number.isInteger(n) || n < 1)
    throw new TranscribeError('INVALID_INPUT', `${name} must be an integer >= 1, got ${String(v)}`);
  return n;
}

/**
 * Checks and resolves a request's options against the model.
 *
 * @throws {@link TranscribeError} `INVALID_INPUT` for an unknown language, a language or task the
 *   model cannot do, a chunk longer than the model window, bad strides or batch sizes
 */
export function resolveRequest(
  model: WhisperModel,
  tokenizer: WhisperTokenizer,
  features: WhisperFeatureExtractor,
  options: EngineOptions,
): ResolvedRequest {
  const gen = model.generationConfig;
  const multilingual = Object.keys(gen.langToId).length > 0;
  let language: string | null = null;
  if (options.language !== undefined) {
    const code = toLanguageCode(options.language);
    if (code === undefined)
      throw new TranscribeError('INVALID_INPUT', `unknown language '${options.language}'`);
    language = code;
  }
  if (!multilingual) {
    if (language !== null && language !== 'en')
      throw new TranscribeError(
        'INVALID_INPUT',
        `this English-only model cannot transcribe language '${language}'`,
      );
    if (options.task === 'translate')
      throw new TranscribeError('INVALID_INPUT', 'this English-only model cannot translate');
    language = null;
  }
  const mode = options.longForm ?? 'sequential';
  if (mode !== 'sequential' && mode !== 'chunked')
    throw new TranscribeError(
      'INVALID_INPUT',
      `longForm must be 'sequential' or 'chunked', got ${String(mode)}`,
    );
  const window = features.config.chunkLength;
  const chunkLength = options.chunkLength ?? defaultChunkLength(model, window);
  if (!(chunkLength > 0) || chunkLength > window)
    throw new TranscribeError(
      'INVALID_INPUT',
      `chunk length must be in (0, ${window}] s (the model window), got ${chunkLength}`,
    );
  let chunks: ChunkPlan;
  try {
    chunks = planChunks({
      chunkLengthSeconds: chunkLength,
      ...(options.stride !== undefined ? { strideSeconds: options.stride } : {}),
      sampleRate: features.config.samplingRate,
    });
  } catch (e) {
    throw new TranscribeError('INVALID_INPUT', (e as Error).message, { cause: e });
  }
  const decoding: LongFormOptions = {
    language,
    task: multilingual ? (options.task ?? (language !== null ? 'transcribe' : null)) : null,
    ...(options.numBeams !== undefined ? { numBeams: options.numBeams } : {}),
    ...(options.lengthPenalty !== undefined ? { lengthPenalty: options.lengthPenalty } : {}),
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.compressionRatioThreshold !== undefined
      ? { compressionRatioThreshold: options.compressionRatioThreshold }
      : {}),
    ...(options.logprobThreshold !== undefined
      ? { logprobThreshold: options.logprobThreshold }
      : {}),
    ...(options.noSpeechThreshold !== undefined
      ? { noSpeechThreshold: options.noSpeechThreshold }
      : {}),
    ...(options.maxNewTokens !== undefined ? { maxNewTokens: options.maxNewTokens } : {}),
    ...(options.prompt !== undefined ? { promptIds: tokenizer.promptIds(options.prompt) } : {}),
    ...(options.conditionOnPreviousText !== undefined
      ? { conditionOnPrevTokens: options.conditionOnPreviousText }
      : {}),
  };
  if (options.lenient === true && options.strict === true)
    throw new TranscribeError(
      'INVALID_INPUT',
      'lenient and strict contradict each other: lenient keeps what decodes of a damaged file, strict fails a truncated one; pass one',
    );
  return {
    decoding,
    audio: { lenient: options.lenient === true, strict: options.strict === true },
    returnTimestamps: options.returnTimestamps ?? false,
    mode,
    chunks,
    batchSize: positiveInt(options.batchSize, 'batchSize', 1),
  };
}
