// From speech segments to the audio windows a 30 s speech recogniser transcribes: close segments
// merge (their short pause kept), segments are packed into windows of at most 30 s (the silence
// between them cut out), and times inside a window map back to the original timeline.
import { VadError } from './errors.js';

/** A run of original samples placed in a window. */
export interface WindowPiece {
  /** First original sample. */
  start: number;
  /** Sample after the last one. */
  end: number;
  /** Where the piece begins inside the window (samples). */
  offset: number;
}

/** One window to transcribe: pieces of the original audio, concatenated. */
export interface SpeechWindow {
  /** The pieces in order; `offset`s are consecutive. */
  pieces: WindowPiece[];
  /** Samples in the window (sum of the pieces' lengths). */
  length: number;
}

/** Options of {@link planSpeechWindows}. */
export interface SpeechWindowOptions {
  /** Longest window in seconds (the recogniser's window). Default 30. */
  maxWindowSeconds?: number;
  /** Segments separated by at most this many seconds become one piece, pause included. Default 1. */
  mergeGapSeconds?: number;
  /** Sample rate of the segment positions. Default 16000. */
  sampleRate?: number;
}

/**
 * Plans transcription windows over speech segments (sample positions, ascending, as
 * {@link speechTimestamps} returns them): segments closer than `mergeGapSeconds` join into one
 * piece while it fits a window; a piece longer than a window is cut into window-sized parts;
 * pieces are then packed in order into windows of at most `maxWindowSeconds`.
 *
 * @throws {@link VadError} `INVALID_OPTION` for a non-positive window or negative gap,
 *   `INVALID_INPUT` for unordered or negative segments
 *
 * @example
 * ```ts
 * const windows = planSpeechWindows(speechTimestamps(probs, samples.length));
 * const audio = windowAudio(samples, windows[0]!);
 * ```
 */
export function planSpeechWindows(
  segments: ReadonlyArray<{ start: number; end: number }>,
  options: SpeechWindowOptions = {},
): SpeechWindow[] {
  const sr = options.sampleRate ?? 16000;
  const maxSeconds = options.maxWindowSeconds ?? 30;
  const gapSeconds = options.mergeGapSeconds ?? 1;
  if (!(maxSeconds > 0) || !(gapSeconds >= 0) || !(sr > 0))
    throw new VadError(
      'INVALID_OPTION',
      `maxWindowSeconds must be > 0 and mergeGapSeconds >= 0 (got ${maxSeconds}, ${gapSeconds})`,
    );
  const max = Math.floor(maxSeconds * sr);
  const gap = gapSeconds * sr;
  let last = 0;
  for (const s of segments) {
    if (!(s.start >= last && s.end >= s.start))
      throw new VadError('INVALID_INPUT', 'speech segments must be ascending and non-overlapping');
    last = s.end;
  }
  // 1. Merge close segments while the merged run fits a window.
  const runs: Array<[number, number]> = [];
  for (const s of segments) {
    if (s.end === s.start) continue;
    const prev = runs[runs.length - 1];
    if (prev && s.start - prev[1] <= gap && s.end - prev[0] <= max) prev[1] = s.end;
    else runs.push([s.start, s.end]);
  }
  // 2. Cut runs longer than a window (the VAD's maxSpeechDurationS normally prevents this).
  const parts: Array<[number, number]> = [];
  for (const [a, b] of runs) for (let x = a; x < b; x += max) parts.push([x, Math.min(b, x + max)]);
  // 3. Pack parts into windows in order.
  const windows: SpeechWindow[] = [];
  let cur: SpeechWindow | undefined;
  for (const [a, b] of parts) {
    if (!cur || cur.length + (b - a) > max) {
      cur = { pieces: [], length: 0 };
      windows.push(cur);
    }
    cur.pieces.push({ start: a, end: b, offset: cur.length });
    cur.length += b - a;
  }
  return windows;
}

/** The window's audio: its pieces of `samples`, concatenated. */
export function windowAudio(samples: Float32Array, window: SpeechWindow): Float32Array {
  const out = new Float32Array(window.length);
  for (const p of window.pieces) out.set(samples.subarray(p.start, p.end), p.offset);
  return out;
}

/**
 * Maps a time inside a window (seconds from its start) to the original timeline (seconds). A time
 * on the joint of two pieces belongs to the next piece for a start (`edge: 'start'`) and to the
 * previous one for an end (`'end'`), so a word never spans the cut-out silence. Times past the
 * window's end stay in its last piece.
 *
 * @example
 * ```ts
 * const t = windowToSourceTime(windows[1]!, segment.start, 'start');
 * ```
 */
export function windowToSourceTime(
  window: SpeechWindow,
  seconds: number,
  edge: 'start' | 'end',
  sampleRate = 16000,
): number {
  const pos = seconds * sampleRate;
  const pieces = window.pieces;
  let piece = pieces[pieces.length - 1];
  for (const p of pieces) {
    const end = p.offset + (p.end - p.start);
    if (edge === 'start' ? pos < end : pos <= end) {
      piece = p;
      break;
    }
  }
  if (!piece) return seconds;
  const within = Math.min(Math.max(pos - piece.offset, 0), piece.end - piece.start);
  return (piece.start + within) / sampleRate;
}
