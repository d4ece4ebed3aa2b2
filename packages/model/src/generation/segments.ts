// Splitting a window's tokens at timestamp tokens (transformers'
// WhisperGenerationMixin._retrieve_segment, for the first window: time offset 0).

/** A span of tokens between timestamps. */
export interface TimedSegment {
  /** Start time in seconds. */
  start: number;
  /** End time in seconds. */
  end: number;
  /** The segment's tokens, timestamp tokens included. */
  tokens: number[];
}

/** Result of {@link splitSegments}. */
export interface SegmentSplit {
  segments: TimedSegment[];
  /**
   * Mel frames consumed: the whole window when the text ended cleanly, otherwise up to the last
   * closed timestamp pair (where sequential long-form decoding would resume).
   */
  consumedFrames: number;
}

/** Seconds per timestamp step. */
export const TIMESTAMP_PRECISION = 0.02;
/** Seconds per mel frame. */
export const FRAME_PRECISION = 0.01;
/** Mel frames per encoder position (the conv stem's stride). */
export const INPUT_STRIDE = 2;

/**
 * Splits generated tokens (eos removed) into timed segments. Consecutive timestamps close a
 * segment; tokens after the last closed pair are dropped unless the text ends with one timestamp
 * (then it runs to the end). Without any closed pair the whole text is one segment ending at its
 * last timestamp, or at the window end (`windowFrames`, in mel frames).
 */
export function splitSegments(
  tokens: readonly number[],
  timestampBegin: number,
  windowFrames: number,
  timeOffset = 0,
): SegmentSplit {
  const isTs = tokens.map((t) => t >= timestampBegin);
  const n = tokens.length;
  const singleTimestampEnding = n >= 2 ? !isTs[n - 2] && isTs[n - 1] === true : false;
  const cuts: number[] = [];
  for (let i = 0; i + 1 < n; i++) if (isTs[i] && isTs[i + 1]) cuts.push(i + 1);
  const time = (id: number): number => timeOffset + (id - timestampBegin) * TIMESTAMP_PRECISION;
  if (cuts.length > 0) {
    if (singleTimestampEnding) cuts.push(n);
    else cuts[cuts.length - 1] = (cuts[cuts.length - 1] as number) + 1;
    const segments: TimedSegment[] = [];
    let last = 0;
    cuts.forEach((cut, i) => {
      const slice = tokens.slice(last, cut);
      const isLast = i === cuts.length - 1;
      const endIdx = !isLast || singleTimestampEnding ? slice.length - 1 : slice.length - 2;
      segments.push({
        start: time(slice[0] as number),
        end: time(slice[endIdx] as number),
        tokens: slice,
      });
      last = cut;
    });
    const consumedFrames = singleTimestampEnding
      ? windowFrames
      : ((tokens[last - 2] as number) - timestampBegin) * INPUT_STRIDE;
    return { segments, consumedFrames };
  }
  let lastPos = Math.trunc((windowFrames * FRAME_PRECISION) / TIMESTAMP_PRECISION);
  let lastTs = -1;
  for (let i = n - 1; i >= 0; i--)
    if (isTs[i]) {
      lastTs = tokens[i] as number;
      break;
    }
  if (lastTs >= 0 && lastTs !== timestampBegin) lastPos = lastTs - timestampBegin;
  return {
    segments: [
      { start: timeOffset, end: timeOffset + lastPos * TIMESTAMP_PRECISION, tokens: [...tokens] },
    ],
    consumedFrames: windowFrames,
  };
}
