// Windows that hold nothing audible. A log-mel window whose real frames are all equal is digital
// silence (or audio more than the 80 dB dynamic range below the recording's loudest frame, which
// the log-mel clamps to the same floor): the encoder sees a constant input, and whatever the
// decoder writes for it is a hallucination (Whisper's classic " you" on silence), which the
// no-speech rule does not always catch (on whisper base: p(no speech) 0.93 but an average
// log-probability of −0.82, above the usual −1 threshold).

/** Largest spread of a window's log-mel values still counted as constant. */
const FLAT = 1e-6;

/**
 * True when frames `[0, frames)` of window `window` in `features` (`[batch, numMelBins,
 * framesPerWindow]` row-major) hold at least two values and all of them are equal, or when the
 * window has no frames. (A single value says nothing about silence.)
 *
 * @example
 * ```ts
 * isSilentWindow(features, 0, 80, 3000, Math.floor(samples.length / 160)); // true for zeros
 * ```
 */
export function isSilentWindow(
  features: Float32Array,
  window: number,
  numMelBins: number,
  framesPerWindow: number,
  frames: number,
): boolean {
  const base = window * numMelBins * framesPerWindow;
  if (frames <= 0) return true;
  if (numMelBins * frames < 2) return false;
  const first = features[base]!;
  for (let m = 0; m < numMelBins; m++) {
    const row = base + m * framesPerWindow;
    for (let t = 0; t < frames; t++) if (Math.abs(features[row + t]! - first) > FLAT) return false;
  }
  return true;
}
