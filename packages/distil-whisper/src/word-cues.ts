// Subtitle cues from word timings: segments split into cues of at most N words (N = 1: one cue
// per word), for srt/vtt output with word timestamps.

/** A subtitle cue. */
export interface Cue {
  /** Seconds. */
  start: number;
  end: number;
  /** Cue text, trimmed. */
  text: string;
}

/** A segment as cues are made from it (the pipeline's `Segment`). */
export interface CueSource {
  start: number;
  end: number;
  text: string;
  words?: ReadonlyArray<{ text: string; start: number; end: number }>;
}

/**
 * One cue per segment, or — with `maxWordsPerCue` and word timings — each segment's words in runs
 * of at most that many, timed from their first word's start to their last word's end. Cues never
 * span two segments. Segments without words keep one cue.
 *
 * @throws RangeError when `maxWordsPerCue` is not a positive integer
 *
 * @example
 * ```ts
 * cues(result.segments, 1); // one cue per word (karaoke-style subtitles)
 * ```
 */
export function cues(segments: readonly CueSource[], maxWordsPerCue?: number): Cue[] {
  if (maxWordsPerCue !== undefined && !(Number.isInteger(maxWordsPerCue) && maxWordsPerCue >= 1))
    throw new RangeError(`maxWordsPerCue must be an integer >= 1, got ${maxWordsPerCue}`);
  const out: Cue[] = [];
  for (const s of segments) {
    const words = s.words ?? [];
    if (maxWordsPerCue === undefined || words.length === 0) {
      out.push({ start: s.start, end: s.end, text: s.text.trim() });
      continue;
    }
    for (let i = 0; i < words.length; i += maxWordsPerCue) {
      const run = words.slice(i, i + maxWordsPerCue);
      out.push({
        start: run[0]!.start,
        end: run[run.length - 1]!.end,
        text: run
          .map((w) => w.text)
          .join('')
          .trim(),
      });
    }
  }
  return out;
}
