// Word-level timestamps in the pipeline: after each decoded window (short-form, a sequential
// long-form window, or a chunk), one alignment pass of the model over the window's text gives
// the words of its segments (@distil-whisper/model alignWindowWords).
import type { EncoderOutput, WhisperModel } from '@distil-whisper/model';
import { alignWindowWords } from '@distil-whisper/model';
import type { WhisperTokenizer } from '@distil-whisper/tokenizer';

/** A timed word of a segment. */
export interface TimedWord {
  /** The word, leading space included as the tokenizer writes it (`" country."`). */
  text: string;
  /** Seconds from the start of the recording. */
  start: number;
  end: number;
  /** Mean probability of the word's tokens. */
  probability: number;
}

/** What the aligner reads from a decoded window (the long-form loop's `DecodedWindow`). */
export interface AlignableWindow {
  /** Index of the recording (or chunk) in the run: the pause rule carries over per index. */
  index: number;
  /** Mel frames of real audio in the window. */
  frames: number;
  /** Seconds at the window start, on the timeline of the segment times. */
  timeOffset: number;
  /** Decoder input: prompt, then `<|startoftranscript|>`, language, task (maybe `<|notimestamps|>`). */
  prefix: readonly number[];
  /** The window's segments; `words` is set on each. */
  segments: Array<{ start: number; end: number; tokens: readonly number[]; words?: TimedWord[] }>;
  /** The encoded batch and the window's row in it. */
  encoded: { encoderOutput: EncoderOutput | null };
  row: number;
}

/** Options of {@link WordAligner}. */
export interface WordAlignerOptions {
  /**
   * Move each segment's start and end to its words' bounds, as openai/whisper does with word
   * timestamps (unless a word overshoots the segment by more than 0.5 s). Default true.
   */
  adjustSegments?: boolean;
}

/**
 * Adds word timings to the segments of decoded windows of one model. Keeps, per recording, the
 * end of the last speech (openai/whisper's "first word after a pause" rule spans windows).
 *
 * @example
 * ```ts
 * const aligner = new WordAligner(model, tokenizer);
 * await transcribeLong(encoder, gen, sources, { onWindow: (w) => aligner.align(w) });
 * ```
 */
export class WordAligner {
  readonly #model: WhisperModel;
  readonly #tokenizer: WhisperTokenizer;
  readonly #adjust: boolean;
  readonly #lastSpeech = new Map<number, number>();

  constructor(model: WhisperModel, tokenizer: WhisperTokenizer, options: WordAlignerOptions = {}) {
    this.#model = model;
    this.#tokenizer = tokenizer;
    this.#adjust = options.adjustSegments ?? true;
  }

  /** `<|startoftranscript|>` and what follows it in the prefix, without `<|notimestamps|>`. */
  #sotSequence(prefix: readonly number[]): number[] {
    const gen = this.#model.generationConfig;
    const at = gen.decoderStartTokenId === null ? -1 : prefix.indexOf(gen.decoderStartTokenId);
    const seq = at >= 0 ? prefix.slice(at) : [...prefix];
    return seq.filter((t) => t !== gen.noTimestampsTokenId);
  }

  /** Language code of the prefix's language token ('en' when there is none). */
  #language(sot: readonly number[]): string {
    for (const t of sot) {
      const code = this.#tokenizer.tokenToLanguage(t);
      if (code !== undefined) return code;
    }
    return 'en';
  }

  /**
   * Sets `words` on every segment of `window` (an empty list for a segment without text). Does
   * nothing for a window without segments or without its encoder output.
   */
  align(window: AlignableWindow): void {
    const enc = window.encoded.encoderOutput;
    if (window.segments.length === 0 || !enc) return;
    const sot = this.#sotSequence(window.prefix);
    const language = this.#language(sot);
    const result = alignWindowWords(this.#model, enc, {
      sotSequence: sot,
      segments: window.segments,
      numFrames: window.frames,
      window: window.row,
      timeOffset: window.timeOffset,
      lastSpeechTimestamp: this.#lastSpeech.get(window.index) ?? 0,
      splitWords: (tokens) => this.#tokenizer.splitToWordTokens(tokens, language),
    });
    this.#lastSpeech.set(window.index, result.lastSpeechTimestamp);
    result.segments.forEach((s, i) => {
      const seg = window.segments[i]!;
      seg.words = s.words.map((w) => ({
        text: w.word,
        start: w.start,
        end: w.end,
        probability: w.probability,
      }));
      if (this.#adjust && s.words.length > 0) {
        seg.start = s.start;
        seg.end = s.end;
      }
    });
  }

  /** Forgets a recording's pause state (its index will be reused). */
  forget(index: number): void {
    this.#lastSpeech.delete(index);
  }
}

/**
 * Chunked decoding: keeps the words of a chunk that start inside the part of the chunk no other
 * chunk covers better — after its left stride and before its right stride — so every word of the
 * recording comes from exactly one chunk (consecutive chunks' own parts tile the timeline).
 * Times are on the recording's timeline.
 */
export function ownWords(
  words: readonly TimedWord[],
  chunkStart: number,
  chunkEnd: number,
  strideLeft: number,
  strideRight: number,
): TimedWord[] {
  const from = chunkStart + strideLeft;
  const to = chunkEnd - strideRight;
  return words.filter((w) => w.start >= from && (w.start < to || strideRight === 0));
}

/**
 * Hands words (ascending, recording timeline) to segments by time: each word goes to the last
 * segment starting at or before it (the first segment for earlier words). For chunked output,
 * whose merged segments do not carry their own alignment.
 */
export function wordsBySegment<S extends { start: number; words?: TimedWord[] }>(
  segments: S[],
  words: readonly TimedWord[],
): S[] {
  for (const s of segments) s.words = [];
  if (segments.length === 0) return segments;
  let k = 0;
  for (const w of words) {
    while (k + 1 < segments.length && segments[k + 1]!.start <= w.start) k++;
    segments[k]!.words!.push(w);
  }
  return segments;
}
