// Where a decoded window's segments lie and how far the seek moves (transformers'
// WhisperGenerationMixin._retrieve_segment, which follows openai/whisper's transcribe loop).
import { INPUT_STRIDE, splitSegments, TIMESTAMP_PRECISION } from '../generation/segments';
import type { LongFormSegment } from './types';

/** Seconds at mel frame `seek`, computed as transformers does (`seek · 0.02 / 2`, float64). */
export function seekSeconds(seek: number): number {
  return (seek * TIMESTAMP_PRECISION) / INPUT_STRIDE;
}

/** Frames of the window starting at `seek`: a full window, or what is left of the source. */
export function windowLength(seek: number, totalFrames: number, framesPerWindow: number): number {
  return Math.max(0, Math.min(framesPerWindow, totalFrames - seek));
}

/** The quality measures of the attempt a window kept (copied onto its segments). */
export interface WindowMeasures {
  temperature: number;
  avgLogprob: number;
  compressionRatio: number;
  noSpeechProb: number;
}

/** Segments of one window and the frames the seek advances by. */
export interface WindowCut {
  segments: LongFormSegment[];
  /** Frames consumed: the whole window, or up to the last closed timestamp pair. */
  advance: number;
}

/**
 * Cuts a window's generated tokens (end of text removed) into segments at consecutive timestamp
 * pairs, timed from the window start. A text ending in one timestamp consumes the whole window;
 * otherwise the unfinished tail is dropped and the seek moves to the first timestamp of the last
 * pair (both transformers and openai/whisper seek there). Without any pair the window is one
 * segment.
 *
 * One guard beyond the references: a cut that would not move the seek (a last pair at
 * `<|0.00|>`) consumes the whole window instead, where the references would decode the same window
 * forever.
 */
export function cutWindow(
  tokens: readonly number[],
  timestampBegin: number,
  seek: number,
  frames: number,
  measures: WindowMeasures,
): WindowCut {
  const split = splitSegments(tokens, timestampBegin, frames, seekSeconds(seek));
  const segments = split.segments.map((s) => ({
    start: s.start,
    end: s.end,
    tokens: s.tokens,
    seek,
    ...measures,
  }));
  return { segments, advance: split.consumedFrames > 0 ? split.consumedFrames : frames };
}
