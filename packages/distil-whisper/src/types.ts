// Public option and result types of the pipeline.
import type { SegmentWord } from '@distil-whisper/model';
import type { VadOptions } from './speech-regions';

/**
 * Audio to transcribe: a file path or `file:` URL, the bytes of an audio file, a stream of such
 * bytes (`fs.createReadStream`, `process.stdin`: copied to a temporary file first, since long-form
 * decoding reads the audio twice), or samples.
 */
export type TranscribeInput =
  | string
  | URL
  | Uint8Array
  | ArrayBuffer
  | AsyncIterable<Uint8Array>
  | Float32Array
  | { samples: Float32Array; sampleRate: number };

/** A span of the recording in seconds. */
export interface TimeRegion {
  start: number;
  end: number;
}

/** Long-form algorithms for audio longer than the model window. */
export type LongFormMode = 'sequential' | 'chunked';

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
  /**
   * Fall back to the next temperature when the zlib compression ratio of the window's token ids
   * exceeds this (transformers measures token bytes: 1.35 is the Distil-Whisper recipe;
   * openai/whisper's 2.4 is on text). Default: the checkpoint's `compression_ratio_threshold`,
   * else none.
   */
  compressionRatioThreshold?: number;
  /** Fall back when the average log-probability is below this (usually −1). Default: the checkpoint's, else none. */
  logprobThreshold?: number;
  /**
   * Skip a window as silence when p(no speech) exceeds this and the average log-probability is
   * below `logprobThreshold` (usually 0.6). Default: the checkpoint's, else none.
   */
  noSpeechThreshold?: number;
  /** Text that conditions decoding (`<|startofprev|>` prompt); in long-form, the first window's. */
  prompt?: string;
  /** Most tokens to generate per window. Default: up to the decoder's 448 positions. */
  maxNewTokens?: number;
  /**
   * How audio longer than the model window (30 s) is transcribed: `'sequential'` (default:
   * transformers' `generate()` long-form — 30 s windows moved by the predicted timestamps, with
   * fallback and optional conditioning) or `'chunked'` (transformers' ASR pipeline —
   * overlapping chunks decoded independently, in batches, merged by longest common sequence).
   */
  longForm?: LongFormMode;
  /**
   * Chunked: chunk length in seconds (at most the model window). Default 30, or 25 for
   * distilled checkpoints (a decoder shallower than the encoder), as Distil-Whisper recommends.
   */
  chunkLength?: number;
  /** Chunked: overlap on each side in seconds, or `[left, right]`. Default chunk length / 6. */
  stride?: number | [number, number];
  /**
   * Windows encoded and decoded together: chunks (chunked; of one or many recordings), or
   * recordings (sequential, {@link Pipeline.transcribeMany}). Default 1.
   */
  batchSize?: number;
  /**
   * Sequential: condition each window on the text before it (`<|startofprev|>` + the last 223
   * tokens), except after a window decoded at temperature ≥ 0.5. Default: the checkpoint's
   * `condition_on_prev_tokens`, else false (transformers; openai/whisper defaults to true).
   */
  conditionOnPreviousText?: boolean;
  /**
   * Transcribe only these spans of the recording (sorted, non-overlapping seconds), joined;
   * segment times are mapped back to the recording. The seam for a VAD pre-pass. Default: all.
   */
  regions?: TimeRegion[];
  /**
   * Word-level timestamps: every segment gets `words` (text, start, end, probability) from the
   * cross-attention of the alignment heads, one alignment pass per window (openai/whisper's
   * method; see the model package README for where we follow transformers). With them, segment
   * bounds move to their words' bounds, as in openai/whisper. Default false.
   */
  wordTimestamps?: boolean;
  /**
   * Silero VAD pre-pass: transcribe only the speech it finds (padded, close parts merged), times
   * mapped back to the recording; silence and noise cost no decoding. `true` for the defaults, or
   * {@link VadOptions}. Needs the converted weights (`bash tools/vad/fetch.sh`). Cannot be combined
   * with `regions`. Default false.
   */
  vad?: boolean | VadOptions;
  /**
   * Decode what can be decoded of a damaged file instead of failing: a WAV or FLAC shorter than
   * its header declares, or codec frames that do not decode (skipped). What was kept is named in
   * the result's `warnings`. Default false. Cannot be combined with `strict`.
   */
  lenient?: boolean;
  /**
   * Fail a recording (`AudioError` `TRUNCATED`) whose compressed audio looks cut short — an MP3
   * decoding shorter than its Xing/Info header declares, an Ogg stream without its last page —
   * instead of transcribing the part that decodes with a warning. Default false.
   */
  strict?: boolean;
  /** Sample rate of a bare Float32Array input. Default 16000. */
  sampleRate?: number;
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Progress of the request (audio decoding, seconds transcribed, tokens generated). */
  onProgress?: (progress: TranscribeProgress) => void;
}

/** A progress report. */
export interface TranscribeProgress {
  /**
   * `'audio'`: measuring a recording (first decoding pass); `'decoder'`: transcribing (`seconds`
   * of `totalSeconds` done, or `tokens` of the current window); `'done'`: a recording finished.
   */
  stage: 'audio' | 'features' | 'encoder' | 'decoder' | 'done';
  /** Index of the recording in the request ({@link Pipeline.transcribeMany}); 0 otherwise. */
  file?: number;
  /** Tokens generated so far in the current window. */
  tokens?: number;
  /** Seconds of the recording transcribed so far. */
  seconds?: number;
  /** Seconds in the recording (known after the first pass). */
  totalSeconds?: number;
}

/** A span of the transcription. */
export interface Segment {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  text: string;
  tokens: number[];
  /** Word timings, when word-level timestamps were requested. */
  words?: SegmentWord[];
  /** Quality measures of the window the segment came from (sequential long-form). */
  temperature?: number;
  avgLogprob?: number;
  compressionRatio?: number;
  noSpeechProb?: number;
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
  /** Temperature of the kept decoding attempt (the highest over windows in long-form). */
  temperature: number;
  /** Average token log-probability of the kept attempt (the mean over windows in long-form). */
  avgLogprob: number;
  /** Probability that the window holds no speech (the first window's in long-form). */
  noSpeechProb: number;
  /** The long-form algorithm used, or null for audio of one window. */
  longForm: LongFormMode | null;
  /** Windows decoded (chunks, for chunked long-form). */
  windows: number;
  /**
   * What decoded but not as the file promised, e.g. `"MP3 stream looks truncated: its Xing/Info
   * header declares 11.00 s but only 5.44 s decode; ..."`: the text covers only what decoded.
   * Absent when there is nothing to say.
   */
  warnings?: string[];
}

/** One recording's outcome in {@link Pipeline.transcribeMany}: its result, or why it failed. */
export type TranscribeOutcome = { ok: true; result: Transcription } | { ok: false; error: Error };

/** Options of {@link Pipeline.transcribeMany}: those of every recording, and a per-recording callback. */
export interface TranscribeManyOptions extends TranscribeOptions {
  /** Called as each recording finishes or fails (in completion order), with its input index. */
  onResult?: (index: number, outcome: TranscribeOutcome) => void;
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
   * What the Linear layers multiply in. Default: `'default'` (the checkpoint's stored dtype).
   * `'f32'` / `'f16'` convert the weights while loading; `'int8'` quantises them per output channel
   * (CPU only): less memory traffic per decoded token, outputs close to but not equal to f32's.
   */
  computeType?: 'default' | 'f32' | 'f16' | 'int8';
  /**
   * Checkpoint directory of a speculative-decoding assistant (e.g. a distilled student of the
   * model, or a decoder-only WhisperForCausalLM): it drafts tokens that the model verifies, so
   * greedy output stays the model's own, token for token, and sampling keeps its distribution.
   * It needs the model's tokenizer; when its encoder weights equal the model's (a student made by
   * `create-student`), the encoder runs once. Beam search ignores it. Default: none.
   */
  assistant?: string;
}
