// Speech segments from per-window speech probabilities: the segmentation of the `silero-vad`
// package's get_speech_timestamps (utils_vad.get_speech_timestamps_from_probs), rule for rule,
// so that equal probabilities give equal segments.
import { VadError } from './errors.js';
import { VAD_SAMPLE_RATE, VAD_WINDOW_SAMPLES } from './silero-vad.js';

/** A speech segment in samples at 16 kHz: `[start, end)`. */
export interface SpeechSegment {
  /** First sample of speech (padding included). */
  start: number;
  /** Sample after the last one of speech (padding included). */
  end: number;
}

/** Options of {@link speechTimestamps}; defaults are the package's. */
export interface SpeechTimestampOptions {
  /** A window is speech at probability >= this. Default 0.5. */
  threshold?: number;
  /** Inside speech, a window is silence below this. Default max(threshold − 0.15, 0.01). */
  negThreshold?: number;
  /** Segments of at most this length are dropped. Default 250 ms. */
  minSpeechDurationMs?: number;
  /** Longest segment; longer speech is cut at its longest silence (or hard). Default Infinity. */
  maxSpeechDurationS?: number;
  /** Silence that must pass before a segment ends. Default 100 ms. */
  minSilenceDurationMs?: number;
  /** Padding added on each side (halved between close segments). Default 30 ms. */
  speechPadMs?: number;
  /** Shortest silence that is a candidate cut for `maxSpeechDurationS`. Default 98 ms. */
  minSilenceAtMaxSpeechMs?: number;
  /** Cut an over-long segment at its longest silence (true) or its last one (false). Default true. */
  useMaxPossibleSilenceAtMaxSpeech?: boolean;
}

function check(name: string, v: number, lo: number, hi = Infinity): number {
  if (!(v >= lo && v <= hi))
    throw new VadError('INVALID_OPTION', `${name} must be in [${lo}, ${hi}], got ${v}`);
  return v;
}

/**
 * Turns speech probabilities (one per 512-sample window, from
 * {@link SileroVad.speechProbabilities}) into speech segments of a clip of `audioLengthSamples`
 * samples, with the `silero-vad` package's rules: hysteresis between `threshold` and
 * `negThreshold`, a minimum silence before a segment closes, a minimum speech length, optional
 * cutting of over-long segments at silences, then padding (adjacent segments split the silence
 * between them when it is shorter than twice the padding).
 *
 * @returns segments in samples, ascending, non-overlapping
 * @throws {@link VadError} `INVALID_OPTION` for out-of-range options
 *
 * @example
 * ```ts
 * const segments = speechTimestamps(vad.speechProbabilities(samples), samples.length);
 * // [{ start: 5152, end: 36320 }, ...]  (samples at 16 kHz)
 * ```
 */
export function speechTimestamps(
  probabilities: ArrayLike<number>,
  audioLengthSamples: number,
  options: SpeechTimestampOptions = {},
): SpeechSegment[] {
  const sr = VAD_SAMPLE_RATE;
  const win = VAD_WINDOW_SAMPLES;
  const threshold = check('threshold', options.threshold ?? 0.5, 0, 1);
  const negThreshold = check(
    'negThreshold',
    options.negThreshold ?? Math.max(threshold - 0.15, 0.01),
    0,
    1,
  );
  const minSpeech =
    (sr * check('minSpeechDurationMs', options.minSpeechDurationMs ?? 250, 0)) / 1000;
  const pad = (sr * check('speechPadMs', options.speechPadMs ?? 30, 0)) / 1000;
  const maxSpeech =
    sr * check('maxSpeechDurationS', options.maxSpeechDurationS ?? Infinity, 0) - win - 2 * pad;
  const minSilence =
    (sr * check('minSilenceDurationMs', options.minSilenceDurationMs ?? 100, 0)) / 1000;
  const minSilenceAtMax =
    (sr * check('minSilenceAtMaxSpeechMs', options.minSilenceAtMaxSpeechMs ?? 98, 0)) / 1000;
  const useLongestSilence = options.useMaxPossibleSilenceAtMaxSpeech ?? true;
  check('audioLengthSamples', audioLengthSamples, 0);

  const speeches: SpeechSegment[] = [];
  // The segment being built: `start` set once speech begins (the reference's dict).
  let current: { start?: number; end?: number } = {};
  let triggered = false;
  // 0 means "unset" for these three, as in the reference (no real position is 0 when they are set).
  let tempEnd = 0;
  let prevEnd = 0;
  let nextStart = 0;
  let possibleEnds: Array<[end: number, silence: number]> = [];
  const close = (end: number): void => {
    speeches.push({ start: current.start!, end });
    current = {};
  };

  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    const cur = win * i;

    if (p >= threshold && tempEnd !== 0) {
      const silence = cur - tempEnd;
      if (silence > minSilenceAtMax) possibleEnds.push([tempEnd, silence]);
      tempEnd = 0;
      if (nextStart < prevEnd) nextStart = cur;
    }

    if (p >= threshold && !triggered) {
      triggered = true;
      current.start = cur;
      continue;
    }

    if (triggered && cur - current.start! > maxSpeech) {
      if (useLongestSilence && possibleEnds.length > 0) {
        // The longest candidate silence (the first of equals).
        let best = possibleEnds[0]!;
        for (const e of possibleEnds) if (e[1] > best[1]) best = e;
        prevEnd = best[0];
        close(prevEnd);
        nextStart = prevEnd + best[1];
        if (nextStart < prevEnd + cur) current.start = nextStart;
        else triggered = false;
        prevEnd = nextStart = tempEnd = 0;
        possibleEnds = [];
      } else if (prevEnd !== 0) {
        close(prevEnd);
        if (nextStart < prevEnd) triggered = false;
        else current.start = nextStart;
        prevEnd = nextStart = tempEnd = 0;
        possibleEnds = [];
      } else {
        close(cur);
        prevEnd = nextStart = tempEnd = 0;
        triggered = false;
        possibleEnds = [];
        continue;
      }
    }

    if (p < negThreshold && triggered) {
      if (tempEnd === 0) tempEnd = cur;
      const silenceNow = cur - tempEnd;
      if (!useLongestSilence && silenceNow > minSilenceAtMax) prevEnd = tempEnd;
      if (silenceNow < minSilence) continue;
      if (tempEnd - current.start! > minSpeech) close(tempEnd);
      else current = {};
      prevEnd = nextStart = tempEnd = 0;
      triggered = false;
      possibleEnds = [];
    }
  }

  if (current.start !== undefined && audioLengthSamples - current.start > minSpeech)
    close(audioLengthSamples);

  // Padding; between close segments the silence is shared (floor division, as the reference).
  speeches.forEach((s, i) => {
    if (i === 0) s.start = Math.trunc(Math.max(0, s.start - pad));
    const next = speeches[i + 1];
    if (next) {
      const silence = next.start - s.end;
      if (silence < 2 * pad) {
        s.end += Math.floor(silence / 2);
        next.start = Math.trunc(Math.max(0, next.start - Math.floor(silence / 2)));
      } else {
        s.end = Math.trunc(Math.min(audioLengthSamples, s.end + pad));
        next.start = Math.trunc(Math.max(0, next.start - pad));
      }
    } else s.end = Math.trunc(Math.min(audioLengthSamples, s.end + pad));
  });
  return speeches;
}
