// Public option and result types of the pipeline.

/** Audio to transcribe: a file path or `file:` URL, the bytes of an audio file, or samples. */
export type TranscribeInput =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | Float32Array
  | { samples: Float32Array; sampleRate: number };

/** Options of {@link Pipeline.transcribe}. */
export interface TranscribeOptions {
  /** Language code or name (`'en'`, `'english'`); default: detected (multilingual models) or English. */
  language?: string;
  /** `'transcribe'` (default) or `'translate'` (to English; multilingual models only). */
  task?: 'transcribe' | 'translate';
  /** Predict timestamps and return timed segments. Default false (one untimed segment). */
  returnTimestamps?: boolean;
  /** Beam count for temperature-0 decoding. Default 1 (greedy). */
  numBeams?: number;
  /** Length penalty of beam search. Default 1. */
  lengthPenalty?: number;
  /** One temperature or the fallback ladder, e.g. `[0, 0.2, 0.4, 0.6, 0.8, 1]`. Default 0. */
  temperature?: number | number[];
  /** Seed of sampling. Default 0. */
  seed?: number;
  /** Fallback thresholds (openai/whisper uses 2.4, −1 and 0.6). Default: none. */
  compressionRatioThreshold?: number;
  logprobThreshold?: number;
  noSpeechThreshold?: number;
  /** Text that conditions decoding (`<|startofprev|>` prompt). */
  prompt?: string;
  /** Most tokens to generate. Default: up to the decoder's 448 positions. */
  maxNewTokens?: number;
  /** Sample rate of a bare Float32Array input. Default 16000. */
  sampleRate?: number;
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Progress of the request (audio decoding, encoding, tokens generated). */
  onProgress?: (progress: TranscribeProgress) => void;
}

/** A progress report. */
export interface TranscribeProgress {
  stage: 'audio' | 'features' | 'encoder' | 'decoder' | 'done';
  /** Tokens generated so far (decoder stage). */
  tokens?: number;
}

/** A span of the transcription. */
export interface Segment {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  text: string;
  tokens: number[];
}

/** Result of {@link Pipeline.transcribe}. */
export interface Transcription {
  /** Full text (special and timestamp tokens removed). */
  text: string;
  /** Timed segments; without timestamps, one segment over the whole audio. */
  segments: Segment[];
  /** Generated token ids (timestamps included, prefix and end of text excluded). */
  tokens: number[];
  /** Language code used or detected (`'en'`), null for English-only models. */
  language: string | null;
  /** Audio duration in seconds. */
  durationSeconds: number;
  /** Temperature of the kept decoding attempt. */
  temperature: number;
  /** Average token log-probability of the kept attempt. */
  avgLogprob: number;
  /** Probability that the window holds no speech. */
  noSpeechProb: number;
}

/** Options of {@link createPipeline}. */
export interface PipelineOptions {
  /** Tokenizer folder. Default: the model directory. */
  tokenizerDir?: string;
  /** Run the model on the calling thread instead of a worker (blocks the event loop). Default false. */
  inline?: boolean;
  /** Threads of the native kernels. Default: the kernels' default (all cores). */
  threads?: number;
  /** Where the model runs. Default: `'cpu'`. `'cuda'` needs the CUDA backend and a GPU. */
  device?: 'cpu' | 'cuda';
  /**
   * Activation dtype. Default: `'f32'` (exact parity). `'f16'` is allowed on `'cuda'` only and is
   * several times faster there (the encoder especially).
   */
  activationDtype?: 'f32' | 'f16';
  /**
   * Checkpoint directory of a speculative-decoding assistant (e.g. a distilled student of the
   * model, or a decoder-only WhisperForCausalLM): it drafts tokens that the model verifies, so
   * greedy output stays the model's own, token for token, and sampling keeps its distribution.
   * It needs the model's tokenizer; when its encoder weights equal the model's (a student made by
   * `create-student`), the encoder runs once. Beam search ignores it. Default: none.
   */
  assistant?: string;
}
