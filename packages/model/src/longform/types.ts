// Public shapes of long-form transcription: where windows of log-mel features come from, what
// the loop returns per source, and the hooks other features (word timestamps, VAD) plug into.
import type { EncoderOutput } from '../encoder-output';
import type { GenerateOptions } from '../generation/generate';
import type { GenerationModel } from '../generation/types';
import type { WindowMeasures } from './window-cut';

/**
 * A source of log-mel frames for one recording (or one chunk of it): the loop asks for the frames
 * of each 30 s window as it reaches them, so a source may compute them on demand (from a stream)
 * instead of holding the whole spectrogram.
 *
 * Windows are requested with non-decreasing `start` for a given source (seeking only moves
 * forward), which lets a streaming source drop what lies behind.
 *
 * @example
 * ```ts
 * // An in-memory spectrogram [80, frames] (e.g. logMelSpectrogram(audio) of the whole recording):
 * const source = melArraySource(mel.data, 80, mel.nFrames);
 * ```
 */
export interface MelWindowSource {
  /** Frames of real audio (transformers' `max_frames`): decoding stops when the seek reaches it. */
  readonly frames: number;
  /**
   * Writes frames `[start, start + count)` into `into`, laid out `[numMelBins, framesPerWindow]`
   * row-major (frame `t` of bin `m` at `m · framesPerWindow + t`, `t < count`). The rest of
   * `into` is already 0 (transformers pads a short last window with 0.0 in feature space).
   */
  read(start: number, count: number, into: Float32Array): void | Promise<void>;
  /**
   * Decode this source with (or without) timestamps whatever the run's `returnTimestamps` says —
   * a batch may mix clips of one window decoded without timestamps and long recordings, which
   * need them. Default: the run's setting.
   */
  readonly returnTimestamps?: boolean;
}

/** A word of a segment, with its timing (filled by word-level alignment, when requested). */
export interface SegmentWord {
  /** The word's text, leading space included as the tokenizer writes it. */
  text: string;
  /** Seconds from the start of the source. */
  start: number;
  end: number;
  /** Mean probability of the word's tokens. */
  probability: number;
}

/** A timed segment of long-form output (transformers' `segments[i]`). */
export interface LongFormSegment {
  /** Seconds from the start of the source. */
  start: number;
  end: number;
  /** The segment's tokens, timestamp tokens included (both timestamps of a closing pair). */
  tokens: number[];
  /** Mel frame where the window that produced it started. */
  seek: number;
  /** Temperature of the decoding attempt kept for that window. */
  temperature: number;
  /** Average log-probability of that window's attempt (end of text included). */
  avgLogprob: number;
  /** Token compression ratio of that window's attempt. */
  compressionRatio: number;
  /** p(no speech) of that window. */
  noSpeechProb: number;
  /** Word timings, when a window hook (word timestamps) fills them. */
  words?: SegmentWord[];
}

/** The transcription of one source. */
export interface LongFormResult {
  /** Index of the source in the order they were given. */
  index: number;
  /**
   * Every segment's tokens concatenated (transformers' `sequences` for long-form, the
   * `first-segment` prompt excluded), timestamp tokens included.
   */
  tokens: number[];
  /** Timed segments in order. Windows skipped as silence contribute none. */
  segments: LongFormSegment[];
  /** Language token of the prefix (given or detected once on the first window), or null. */
  languageTokenId: number | null;
  /** Its code (`'en'`), or null. */
  language: string | null;
  /** Frames of the source. */
  frames: number;
  /** Windows decoded (including skipped ones). */
  windows: number;
}

/** Progress of one source: frames done of its total. */
export interface LongFormProgress {
  /** Index of the source. */
  index: number;
  /** Frames consumed so far (the seek). */
  frames: number;
  /** Frames of the source. */
  totalFrames: number;
}

/** Encoded 30 s windows and the decoder over them; released after each window. */
export interface EncodedWindows {
  /** Sessions over the windows (row `r` cross-attends to window `r`). */
  readonly model: GenerationModel;
  /** The encoder's output when the windows came from a {@link WhisperModel} (for alignment hooks). */
  readonly encoderOutput: EncoderOutput | null;
  /**
   * generate() options bound to these windows, merged into the call that decodes windows `rows`
   * of the batch (e.g. a speculative-decoding `assistant` over the same encoded audio, narrowed
   * with {@link selectWindows}). Default none.
   */
  readonly generateOptions?: (rows: readonly number[]) => Partial<GenerateOptions>;
  /** Frees the encoder output. */
  dispose(): void;
}

/** What the loop needs from a model: encode batches of windows. */
export interface WindowEncoder {
  /** Mel bins per frame (80, or 128 for large-v3). */
  readonly numMelBins: number;
  /** Frames per window (`2 · max_source_positions`, 3000 for 30 s). */
  readonly framesPerWindow: number;
  /** Encodes `batch` windows of `[numMelBins, framesPerWindow]` features laid end to end. */
  encode(features: Float32Array, batch: number): EncodedWindows | Promise<EncodedWindows>;
}

/**
 * One decoded window, handed to {@link LongFormOptions.onWindow} before its encoder output is
 * released: the seam for word-level alignment (re-run the decoder over `prefix + tokens` against
 * `encoded` row `row` with cross-attentions) and for anything else per window.
 */
export interface DecodedWindow {
  /** Index of the source. */
  index: number;
  /** First mel frame of the window. */
  seek: number;
  /** Frames of real audio in the window (the rest is 0.0 padding). */
  frames: number;
  /** Seconds at the window start. */
  timeOffset: number;
  /** Decoder input: prompt, then the forced prefix (`<|startoftranscript|>`, language, task). */
  prefix: readonly number[];
  /** Generated tokens, end of text removed (empty when skipped). */
  tokens: readonly number[];
  /** Segments cut from this window (mutable: a hook may add `words`). Empty when skipped. */
  segments: LongFormSegment[];
  /** True when the no-speech rule skipped the window. */
  skipped: boolean;
  /** Quality measures of the attempt the window kept. */
  measures: WindowMeasures;
  /** The encoded batch this window belongs to, and its row in it. */
  encoded: EncodedWindows;
  row: number;
}

/**
 * Options of {@link transcribeLong}: every {@link GenerateOptions} decoding option (passed to
 * `generate()` for each window), plus the long-form ones. Unset values come from the generation
 * config, then transformers' defaults.
 */
export interface LongFormOptions extends Omit<
  GenerateOptions,
  'promptIds' | 'windowFrames' | 'languageTokenIds' | 'returnTimestamps' | 'onStep'
> {
  /**
   * Predict timestamps (transformers forces them for audio over 30 s). Without them every window
   * is one segment and the seek advances by whole windows. Default true.
   */
  returnTimestamps?: boolean;
  /**
   * Condition each window on the text of the previous ones (`<|startofprev|>` + the last 223
   * tokens), except after a window decoded at temperature ≥ 0.5. Default: the config's
   * `condition_on_prev_tokens`, else false (transformers; openai/whisper defaults to true).
   */
  conditionOnPrevTokens?: boolean;
  /** Initial prompt, `<|startofprev|>` first (`tokenizer.promptIds(text)`). Default none. */
  promptIds?: readonly number[];
  /**
   * `'first-segment'` (default): the prompt conditions the first window and then counts as
   * previous text; `'all-segments'`: it precedes the previous text of every window (needs
   * `conditionOnPrevTokens`).
   */
  promptConditionType?: 'first-segment' | 'all-segments';
  /** Windows encoded and decoded together (sources share a batch; finished ones leave it). Default 1. */
  batchSize?: number;
  /** Called after every window of every source. */
  onProgress?: (progress: LongFormProgress) => void;
  /** Called for every decoded window before its encoder output is released (may be async). */
  onWindow?: (window: DecodedWindow) => void | Promise<void>;
  /**
   * Skip, without decoding, a window whose log-mel frames are all equal (digital silence, or
   * audio 80 dB below the recording's peak): the no-speech rule lets Whisper's " you" on silence
   * through (see `isSilentWindow`). Such windows are reported as skipped with p(no speech) 1.
   * Default true; false decodes them as transformers does.
   */
  skipSilentWindows?: boolean;
  /** Progress inside a window: tokens generated so far in the current attempt. */
  onStep?: (generated: number) => void;
}
