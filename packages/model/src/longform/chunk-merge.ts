// Merging the chunks of the ASR pipeline back into one transcript (transformers'
// tokenization_whisper._decode_asr): timestamps are offset by each chunk's position, those inside
// the overlaps are resolved by the neighbouring chunk, and the text of each segment is joined
// across chunks by longest common sequence.
import { longestCommonSequence } from './lcs';

/** The generated tokens of one chunk and where it lies. */
export interface ChunkOutput {
  /** Generated tokens (prefix and end of text removed), timestamps included when predicted. */
  tokens: readonly number[];
  /** transformers' stride in seconds: (chunk length, left overlap, right overlap). */
  stride: readonly [length: number, left: number, right: number];
}

/** A merged segment: resolved text tokens and its time span. */
export interface MergedSegment {
  /** Seconds, rounded to 0.01 as transformers rounds (null without timestamps). */
  start: number | null;
  end: number | null;
  /** Text tokens only (no timestamps, no special tokens). */
  tokens: number[];
  /** Language code of the chunk the segment came from, when the tokens named one. */
  language: string | null;
}

/** Token ids and settings of {@link ChunkMerger}. */
export interface ChunkMergeSettings {
  /** `<|0.00|>`: ids from here on are timestamps. */
  timestampBegin: number;
  /** `<|endoftext|>`: ids from here up to `timestampBegin` are special tokens. */
  eot: number;
  /** Language token id → code, for the language of each segment. */
  languages: ReadonlyMap<number, string>;
  /** Whether the chunks were decoded with timestamps. */
  returnTimestamps: boolean;
  /** Seconds per timestamp step: chunk window / encoder positions (30 / 1500 = 0.02). Default 0.02. */
  timePrecision?: number;
  /** `<|startofprev|>` and `<|startoftranscript|>`: a chunk starting with a prompt is cut to its transcript. */
  prevSot?: number | null;
  sot?: number | null;
}

/**
 * Python's `round(x, 2)`: the double's exact decimal value rounded to 2 decimals, ties to even.
 * (`Math.round(x * 100) / 100` differs on exact ties such as 0.125 and on products that round.)
 */
export function pythonRound2(x: number): number {
  if (!Number.isFinite(x)) return x;
  const negative = x < 0;
  const [int, frac = ''] = Math.abs(x).toFixed(60).split('.');
  const kept = `${int}${frac.slice(0, 2)}`;
  const rest = frac.slice(2);
  let digits = BigInt(kept);
  const first = rest.charCodeAt(0) - 48;
  const tail = /[1-9]/.test(rest.slice(1));
  if (first > 5 || (first === 5 && (tail || digits % 2n === 1n))) digits += 1n;
  const value = Number(digits) / 100;
  return negative ? -value : value;
}

interface OpenSegment {
  language: string | null;
  start: number | null;
  end: number | null;
}

/**
 * Joins chunk outputs, fed in order, into segments (transformers' `_decode_asr`), emitting each
 * segment as soon as it closes so that hours of chunks need no more memory than the open segment.
 *
 * With timestamps, a segment closes at an end timestamp; timestamps inside a chunk's left overlap
 * are skipped once text exists, and those in its right overlap are left to the next chunk; the
 * text tokens each chunk contributed to the segment are joined by {@link longestCommonSequence}.
 * Without timestamps all chunks' tokens are joined at the end (or when the language changes).
 *
 * @example
 * ```ts
 * const merger = new ChunkMerger({ timestampBegin: 50364, eot: 50257, languages: new Map(), returnTimestamps: true });
 * for (const chunk of outputs) for (const s of merger.push(chunk)) print(s);
 * for (const s of merger.finish()) print(s);
 * ```
 */
export class ChunkMerger {
  readonly #s: Required<Omit<ChunkMergeSettings, 'prevSot' | 'sot'>> & {
    prevSot: number | null;
    sot: number | null;
  };
  #lastLanguage: string | null = null;
  #segment: OpenSegment;
  #timeOffset = 0;
  #previous: number[][] = [];
  #skip = false;

  constructor(settings: ChunkMergeSettings) {
    this.#s = {
      timePrecision: 0.02,
      prevSot: null,
      sot: null,
      ...settings,
    };
    this.#segment = this.#newSegment();
  }

  #newSegment(): OpenSegment {
    return { language: this.#lastLanguage, start: null, end: null };
  }

  #close(out: MergedSegment[]): void {
    out.push({ ...this.#segment, tokens: longestCommonSequence(this.#previous).tokens });
    this.#previous = [];
    this.#segment = this.#newSegment();
  }

  /** Feeds the next chunk; returns the segments it closed. */
  push(chunk: ChunkOutput): MergedSegment[] {
    const s = this.#s;
    const out: MergedSegment[] = [];
    let tokens = [...chunk.tokens];
    if (s.prevSot !== null && tokens[0] === s.prevSot) {
      const at = s.sot === null ? -1 : tokens.indexOf(s.sot);
      tokens = at < 0 ? [] : tokens.slice(at);
    }
    const begin = s.timestampBegin;
    const tp = s.timePrecision;
    let lastTimestamp: number | null = null;
    let firstTimestamp = begin;
    // A chunk's output may itself be several windows (transformers decodes a chunk with the
    // long-form loop when timestamps are on): timestamps restart after each window.
    let curMax = 0;
    let prevSegmentsLength = 0;
    let penultimate = 0;
    const [chunkLength, strideLeft, strideRight] = chunk.stride;
    this.#timeOffset -= strideLeft;
    const rightStrideStart = chunkLength - strideRight;
    if (strideLeft) firstTimestamp = strideLeft / tp + begin;
    if (strideRight)
      for (let i = tokens.length - 1; i >= 0; i--) {
        const t = tokens[i] as number;
        if (t < begin) continue;
        // Several timestamps may lie in the right overlap, but the last one is always skipped.
        if (lastTimestamp !== null && (t - begin) * tp < rightStrideStart) break;
        lastTimestamp = t;
      }
    let current: number[] = [];
    tokens.forEach((token, i) => {
      if (token >= s.eot && token < begin) {
        const language = s.languages.get(token);
        if (language === undefined) return;
        if (this.#lastLanguage && language !== this.#lastLanguage && !s.returnTimestamps) {
          this.#previous.push(current);
          current = [];
          this.#close(out);
        }
        this.#segment.language = language;
        this.#lastLanguage = language;
      } else if (token >= begin) {
        const timestamp = (token - begin) * tp;
        if (timestamp < curMax) {
          const lastWasSingleEnding =
            i >= 2 && !((tokens[i - 1] as number) >= begin && (tokens[i - 2] as number) >= begin);
          if (lastWasSingleEnding) prevSegmentsLength += tp * 1500;
          else {
            curMax = penultimate;
            prevSegmentsLength += penultimate;
          }
        }
        penultimate = curMax;
        curMax = timestamp;
        const time = pythonRound2((token - begin) * tp + this.#timeOffset + prevSegmentsLength);
        if (lastTimestamp !== null && token >= lastTimestamp) {
          // In the right overlap: the next chunk closes this segment. Timestamps come in pairs,
          // so the one after is skipped too.
          this.#skip = true;
        } else if (this.#skip || (this.#previous.length > 0 && token < firstTimestamp)) {
          this.#skip = false;
        } else if (this.#segment.start === null) {
          this.#segment.start = time;
        } else if (time !== this.#segment.start) {
          // An end timestamp equal to the start is the model repeating a start: not an end.
          this.#segment.end = time;
          this.#previous.push(current);
          current = [];
          this.#close(out);
        }
      } else current.push(token);
    });
    this.#timeOffset += chunkLength - strideRight;
    if (current.length > 0) this.#previous.push(current);
    else if (!this.#previous.some((p) => p.length > 0)) {
      this.#segment = this.#newSegment();
      this.#previous = [];
    }
    return out;
  }

  /** Ends the stream: the open segment, if any text is pending (its end stays null). */
  finish(): MergedSegment[] {
    const out: MergedSegment[] = [];
    if (this.#previous.length > 0) this.#close(out);
    return out;
  }
}
