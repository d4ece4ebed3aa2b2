// Timed words of one decoded window, handed out to its segments, with openai/whisper's duration
// heuristics (whisper/timing.py add_word_timestamps). transformers has no such heuristics: it
// returns the DTW times as they are, so these are openai/whisper's rules, taken deliberately —
// without them a word after a pause (or a sentence end before one) swallows the silence.

import { APPEND_PUNCTUATIONS, mergePunctuations, PREPEND_PUNCTUATIONS } from './punctuation';
import type { WordTiming } from './words';

/** A decoded segment of the window, times in seconds on the output timeline. */
export interface SegmentSpan {
  /** Segment start (seconds). */
  start: number;
  /** Segment end (seconds). */
  end: number;
  /** The segment's tokens; those `>= eot` (timestamps, specials) are not text and are ignored. */
  tokens: readonly number[];
}

/** A segment with its words; `start`/`end` may have moved to the words' bounds. */
export interface SegmentWithWords {
  /** Start in seconds (the first word's start, unless the segment's own start was more plausible). */
  start: number;
  /** End in seconds (the last word's end, unless the segment's own end was more plausible). */
  end: number;
  /** The segment's words, times on the output timeline rounded to 0.01 s. */
  words: WordTiming[];
}

/** Options of {@link assignWordsToSegments}. */
export interface AssignWordsOptions {
  /** End-of-text id: tokens below it are text. */
  eot: number;
  /** Seconds added to the window-relative word times (the window's start). Default 0. */
  timeOffset?: number;
  /**
   * End of the last speech before this window (seconds), for the "first word after a pause"
   * rule; the previous window's returned value. Default 0.
   */
  lastSpeechTimestamp?: number;
  /** Punctuation that joins the following word. Default {@link PREPEND_PUNCTUATIONS}. */
  prependPunctuations?: string;
  /** Punctuation that joins the previous word. Default {@link APPEND_PUNCTUATIONS}. */
  appendPunctuations?: string;
}

/** Result of {@link assignWordsToSegments}. */
export interface AssignedWords {
  /** One entry per input segment, in order. */
  segments: SegmentWithWords[];
  /** End of the last segment with words (pass it to the next window). */
  lastSpeechTimestamp: number;
}

const SENTENCE_END_MARKS = '.。!！?？';

// openai/whisper rounds word times with round(x, 2); ties at exactly half a centisecond are rare
// enough (word times are multiples of 0.02 s) that rounding half up is used here.
function roundTime(x: number): number {
  return Math.round(x * 100) / 100;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Hands the window's aligned words (from {@link timeWords}, window-relative, in token order over
 * the concatenated text tokens of `segments`) out to the segments, after openai/whisper's rules:
 *
 * 1. median word duration (non-zero durations, capped at 0.7 s) and max = 2 × median;
 * 2. a word longer than max is cut to max when it is a sentence end mark (end moves) or follows
 *    one (start moves);
 * 3. punctuation merged into neighbours ({@link mergePunctuations});
 * 4. per segment: the first word after a pause longer than 4 × median is cut to max (and the
 *    second word with it when that is long too); the segment's own start (end) is kept when the
 *    first (last) word overshoots it by more than 0.5 s, else the segment takes the word bounds.
 *
 * The input words are not modified.
 *
 * @example
 * ```ts
 * const { segments, lastSpeechTimestamp } = assignWordsToSegments(words, window.segments, { eot: 50257 });
 * ```
 */
export function assignWordsToSegments(
  alignment: readonly WordTiming[],
  segments: readonly SegmentSpan[],
  options: AssignWordsOptions,
): AssignedWords {
  const timeOffset = options.timeOffset ?? 0;
  let lastSpeech = options.lastSpeechTimestamp ?? 0;
  const words = alignment.map((w) => ({ ...w, tokens: [...w.tokens] }));
  const durations = words.map((w) => w.end - w.start).filter((d) => d !== 0);
  const medianDuration = Math.min(0.7, durations.length > 0 ? median(durations) : 0);
  const maxDuration = medianDuration * 2;

  if (durations.length > 0)
    for (let i = 1; i < words.length; i++) {
      const w = words[i]!;
      if (w.end - w.start > maxDuration) {
        // Substring tests, as Python's `in` (an emptied word counts as a mark).
        if (SENTENCE_END_MARKS.includes(w.word)) w.end = w.start + maxDuration;
        else if (SENTENCE_END_MARKS.includes(words[i - 1]!.word)) w.start = w.end - maxDuration;
      }
    }

  const merged = mergePunctuations(
    words,
    options.prependPunctuations ?? PREPEND_PUNCTUATIONS,
    options.appendPunctuations ?? APPEND_PUNCTUATIONS,
  );

  const out: SegmentWithWords[] = [];
  let next = 0;
  for (const segment of segments) {
    const textCount = segment.tokens.filter((t) => t < options.eot).length;
    const segWords: WordTiming[] = [];
    let saved = 0;
    while (next < merged.length && saved < textCount) {
      const w = merged[next]!;
      segWords.push({
        ...w,
        start: roundTime(timeOffset + w.start),
        end: roundTime(timeOffset + w.end),
      });
      saved += w.tokens.length;
      next++;
    }
    let { start, end } = segment;
    if (segWords.length > 0) {
      const first = segWords[0]!;
      const second = segWords[1];
      const last = segWords[segWords.length - 1]!;
      // The first word after a pause, or it and the next, stretched over the pause: cut back.
      if (
        first.end - lastSpeech > medianDuration * 4 &&
        (first.end - first.start > maxDuration ||
          (second !== undefined && second.end - first.start > maxDuration * 2))
      ) {
        if (second !== undefined && second.end - second.start > maxDuration) {
          const boundary = Math.max(second.end / 2, second.end - maxDuration);
          first.end = second.start = boundary;
        }
        first.start = Math.max(0, first.end - maxDuration);
      }
      if (start < first.end && start - 0.5 > first.start)
        first.start = Math.max(0, Math.min(first.end - medianDuration, start));
      else start = first.start;
      if (end > last.start && end + 0.5 < last.end)
        last.end = Math.max(last.start + medianDuration, end);
      else end = last.end;
      lastSpeech = end;
    }
    out.push({ start, end, words: segWords });
  }
  return { segments: out, lastSpeechTimestamp: lastSpeech };
}
