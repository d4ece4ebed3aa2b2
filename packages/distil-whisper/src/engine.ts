// The transcription work itself: audio → features → encoder → generation → text. Runs inside the
// model thread (worker.ts), or on the caller's thread with `inline: true`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadAudio, WhisperFeatureExtractor, type AudioSource } from '@distil-whisper/audio';
import { setNumThreads } from '@distil-whisper/kernels';
import { generate, WhisperModel, type GenerateOptions } from '@distil-whisper/model';
import { toLanguageCode, WhisperTokenizer } from '@distil-whisper/tokenizer';
import { encodeRequest, loadAssistant } from './assistant';
import { TranscribeError } from './errors';
import type {
  PipelineOptions,
  Segment,
  TranscribeOptions,
  TranscribeProgress,
  Transcription,
} from './types';

/** What crosses into the engine: decoded-or-not audio plus plain options (no functions, no signal). */
export type EngineInput = string | Uint8Array | { samples: Float32Array; sampleRate: number };
export type EngineOptions = Omit<TranscribeOptions, 'signal' | 'onProgress' | 'sampleRate'>;

export class Engine {
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
    });
    let assistant: WhisperModel | null = null;
    try {
      if (options.assistant) assistant = loadAssistant(model, options.assistant, options);
      const tokenizer = await WhisperTokenizer.fromPretrained(options.tokenizerDir ?? modelDir);
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

  async transcribe(
    input: EngineInput,
    options: EngineOptions,
    progress: (p: TranscribeProgress) => void,
    signal?: AbortSignal,
  ): Promise<Transcription> {
    const fe = this.features.config;
    progress({ stage: 'audio' });
    const source: AudioSource =
      typeof input === 'string' || input instanceof Uint8Array ? input : input;
    const samples = await loadAudio(source, {
      sampleRate: fe.samplingRate,
      ...(signal ? { signal } : {}),
    });
    const durationSeconds = samples.length / fe.samplingRate;
    if (samples.length > fe.nSamples)
      throw new TranscribeError(
        'AUDIO_TOO_LONG',
        `audio is ${durationSeconds.toFixed(2)} s long but the model window is ${fe.chunkLength} s; long-form transcription is not supported yet — split the audio into windows of at most ${fe.chunkLength} s`,
        { durationSeconds },
      );
    progress({ stage: 'features' });
    const feats = this.features.extract(samples);
    progress({ stage: 'encoder' });
    const enc = encodeRequest(this.model, this.assistant, feats.data);
    try {
      const gen = this.model.generationConfig;
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
      const genOptions: GenerateOptions = {
        language,
        task: multilingual ? (options.task ?? (language !== null ? 'transcribe' : null)) : null,
        returnTimestamps: options.returnTimestamps ?? false,
        windowFrames: Math.min(fe.nbMaxFrames, Math.ceil(samples.length / fe.hopLength)),
        onStep: (tokens) => progress({ stage: 'decoder', tokens }),
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
        ...(options.prompt !== undefined
          ? { promptIds: this.tokenizer.promptIds(options.prompt) }
          : {}),
        ...(signal ? { signal } : {}),
      };
      const [result] = await generate(enc.model, gen, {
        ...genOptions,
        ...(enc.assistant ? { assistant: enc.assistant } : {}),
      });
      if (!result) throw new TranscribeError('WORKER_FAILED', 'generation returned no result');
      const eot = this.tokenizer.special.eot;
      const textOf = (ids: readonly number[]): string =>
        this.tokenizer.decode(ids.filter((t) => t < eot));
      const segments: Segment[] = genOptions.returnTimestamps
        ? // A random or confused model may put timestamps past the end of the audio: clamp to it.
          result.segments.map((s) => ({
            start: Math.min(s.start, durationSeconds),
            end: Math.min(Math.max(s.end, s.start), durationSeconds),
            text: textOf(s.tokens),
            tokens: s.tokens,
          }))
        : [{ start: 0, end: durationSeconds, text: textOf(result.tokens), tokens: result.tokens }];
      progress({ stage: 'done' });
      return {
        text: textOf(result.tokens),
        segments,
        tokens: result.tokens,
        language: result.language,
        durationSeconds,
        temperature: result.temperature,
        avgLogprob: result.avgLogprob,
        noSpeechProb: result.noSpeechProb,
      };
    } finally {
      enc.dispose();
    }
  }

  dispose(): void {
    this.assistant?.dispose();
    this.model.dispose();
  }
}
