// The transcription work itself: audio → features → encoder → generation → text, for recordings
// of any length. Runs inside the model thread (worker.ts), or on the caller's thread with
// `inline: true`. The long-form algorithms live in ./longform (the loop itself in
// @distil-whisper/model); this file loads the model and routes requests.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { WhisperFeatureExtractor } from '@distil-whisper/audio';
import { setNumThreads } from '@distil-whisper/kernels';
import {
  selectWindows,
  whisperWindowEncoder,
  WhisperModel,
  type WindowEncoder,
} from '@distil-whisper/model';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';
import { encodeRequest, loadAssistant } from './assistant';
import { SpeechDetector } from './speech-regions';
import { WordAligner } from './word-timestamps';
import { TranscribeError } from './errors';
import { pauseEvery, yieldingWindows } from './yielding';
import type { EngineInput } from './longform/recording';
import { resolveRequest, type EngineOptions } from './longform/request';
import { runChunked, runSequential } from './longform/run';
import type {
  PipelineOptions,
  TranscribeOutcome,
  TranscribeProgress,
  Transcription,
} from './types';

export type { EngineInput } from './longform/recording';
export type { EngineOptions } from './longform/request';

export class Engine {
  /** Longest stretch of decoding between two returns to the event loop. */
  static readonly yieldEveryMs = 20;
  /** The VAD pre-pass (Silero VAD loaded on first use). */
  readonly #speech = new SpeechDetector();
  private constructor(
    readonly model: WhisperModel,
    readonly tokenizer: WhisperTokenizer,
    readonly features: WhisperFeatureExtractor,
    /** Speculative-decoding assistant (`PipelineOptions.assistant`), or null. */
    readonly assistant: WhisperModel | null = null,
  ) {}

  static async load(
    modelDir: string,
    options: Omit<PipelineOptions, 'inline'> = {},
  ): Promise<Engine> {
    if (options.threads !== undefined) setNumThreads(options.threads);
    const model = WhisperModel.load(modelDir, {
      ...(options.device ? { device: options.device } : {}),
      ...(options.activationDtype ? { activationDtype: options.activationDtype } : {}),
      ...(options.computeType ? { computeType: options.computeType } : {}),
    });
    let assistant: WhisperModel | null = null;
    try {
      if (options.assistant) assistant = loadAssistant(model, options.assistant, options);
      const tokenizer = await WhisperTokenizer.fromPretrained(options.tokenizerDir ?? modelDir);
      tokenizer.checkModel({ vocabSize: model.vocabSize, ...model.generationConfig });
      const features = existsSync(join(modelDir, 'preprocessor_config.json'))
        ? await WhisperFeatureExtractor.fromPretrained(modelDir)
        : WhisperFeatureExtractor.fromConfig({ feature_size: model.config.numMelBins });
      return new Engine(model, tokenizer, features, assistant);
    } catch (e) {
      assistant?.dispose();
      model.dispose();
      throw e;
    }
  }

  /**
   * Encodes batches of windows for the main model and, when loaded, the assistant too; reports
   * the encoder stage of each batch.
   */
  #encoder(progress: (p: TranscribeProgress) => void): WindowEncoder {
    const base = this.#windowEncoder();
    // Back to the event loop before each batch and every few milliseconds of decoding, so an
    // abort, a timer or dispose() on this thread lands within one step (see yielding.ts).
    const pause = pauseEvery(Engine.yieldEveryMs);
    return {
      numMelBins: base.numMelBins,
      framesPerWindow: base.framesPerWindow,
      encode: async (features, batch) => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        progress({ stage: 'encoder' });
        return yieldingWindows(await base.encode(features, batch), pause);
      },
    };
  }

  #windowEncoder(): WindowEncoder {
    const { model, assistant } = this;
    if (!assistant) return whisperWindowEncoder(model);
    return {
      numMelBins: model.config.numMelBins,
      framesPerWindow: model.framesPerWindow,
      encode: (features, batch) => {
        const enc = encodeRequest(model, assistant, features, batch);
        const drafts = enc.assistant;
        return {
          model: enc.model,
          encoderOutput: null,
          dispose: () => enc.dispose(),
          ...(drafts
            ? {
                generateOptions: (rows: readonly number[]) => ({
                  assistant: { ...drafts, model: selectWindows(drafts.model, rows) },
                }),
              }
            : {}),
        };
      },
    };
  }

  /**
   * Transcribes several recordings of any length; `report` gets each one's outcome as soon as it
   * is known (a recording that fails is reported and the others go on). Recordings of at most one
   * window are decoded as transformers' short-form `generate()`; longer ones by the request's
   * long-form algorithm.
   */
  async transcribeMany(
    inputs: readonly EngineInput[],
    options: EngineOptions,
    progress: (p: TranscribeProgress) => void,
    report: (file: number, outcome: TranscribeOutcome) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const request = resolveRequest(this.model, this.tokenizer, this.features, options);
    if (options.vad && options.regions)
      throw new TranscribeError('INVALID_INPUT', 'vad and regions cannot be combined');
    const vad = options.vad === true ? {} : options.vad || undefined;
    const ctx = {
      encoder: this.#encoder(progress),
      gen: this.model.generationConfig,
      tokenizer: this.tokenizer,
      features: this.features,
      signal,
      progress,
      report,
      ...(options.wordTimestamps ? { aligner: new WordAligner(this.model, this.tokenizer) } : {}),
      ...(vad ? { speech: (input: EngineInput) => this.#speech.detect(input, vad, signal) } : {}),
    };
    if (request.mode === 'chunked') await runChunked(ctx, inputs, request, options.regions);
    else await runSequential(ctx, inputs, request, options.regions);
  }

  /** One recording: its transcription, or its error thrown. */
  async transcribe(
    input: EngineInput,
    options: EngineOptions,
    progress: (p: TranscribeProgress) => void,
    signal?: AbortSignal,
  ): Promise<Transcription> {
    let outcome: TranscribeOutcome | undefined;
    await this.transcribeMany([input], options, progress, (_, o) => (outcome = o), signal);
    if (!outcome) throw new TranscribeError('WORKER_FAILED', 'transcription returned no result');
    if (!outcome.ok) throw outcome.error;
    return outcome.result;
  }

  dispose(): void {
    this.assistant?.dispose();
    this.model.dispose();
  }
}
