import { AudioError, describe } from './errors.js';
import { BLOCK, gatherBlock, getPlan, kernelOf, melBlock, type Plan } from './log-mel.js';
import type { MelFilterBank } from './mel-filters.js';

/** Options of {@link LogMelFrames}: Whisper's defaults (the `LogMelOptions` of `logMelSpectrogram`, without padding). */
export interface LogMelFramesOptions {
  /** Mel bands. Default 80. */
  nMels?: number;
  /** STFT length. Default 400. */
  nFft?: number;
  /** Hop between frames in samples. Default 160. */
  hopLength?: number;
  /** Sample rate the filters are built for, in Hz. Default 16000. */
  sampleRate?: number;
  /** Use these filters instead of Slaney filters. */
  filters?: MelFilterBank;
}

/** A range of samples `[start, end)`. */
export interface SampleRange {
  start: number;
  end: number;
}

function positiveInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new AudioError(
      'INVALID_ARGUMENT',
      `Expected ${name} to be a positive integer but received ${describe(value)}`,
    );
  }
  return value;
}

/**
 * The log-mel spectrogram of a long signal, computed a range of frames at a time from the part of
 * the signal in hand — for recordings too long to hold, whose windows are needed one by one.
 * Frame `t` gets exactly the value {@link logMelSpectrogram} gives it for the whole signal
 * (centred reflect-padded STFT, last frame dropped: `floor(totalSamples / hop)` frames), *before*
 * the dynamic-range floor, which depends on the whole signal: pass every range's returned maximum
 * to {@link dynamicRangeFloor} and clamp with it.
 *
 * @example
 * ```ts
 * const lm = new LogMelFrames(totalSamples);
 * const { start, end } = lm.samplesFor(0, 3000);          // what frames [0, 3000) read
 * const out = new Float32Array(80 * 3000);
 * const maxPower = lm.compute(samples.subarray(start, end), start, 0, 3000, out, 3000);
 * ```
 */
export class LogMelFrames {
  /** Samples of the whole signal. */
  readonly totalSamples: number;
  /** Frames of the whole signal: `floor(totalSamples / hopLength)`. */
  readonly totalFrames: number;
  readonly nMels: number;
  readonly nFft: number;
  readonly hopLength: number;
  readonly #plan: Plan;

  /**
   * @param totalSamples length of the whole signal (known up front: decode it once to count)
   * @throws AudioError `TOO_SHORT` when the signal has at most nFft / 2 samples (reflection needs more)
   */
  constructor(totalSamples: number, options: LogMelFramesOptions = {}) {
    if (!Number.isInteger(totalSamples) || totalSamples < 0)
      throw new AudioError(
        'INVALID_ARGUMENT',
        `Expected totalSamples to be an integer >= 0 but received ${describe(totalSamples)}`,
      );
    this.nFft = positiveInt(options.nFft ?? 400, 'nFft');
    this.hopLength = positiveInt(options.hopLength ?? 160, 'hopLength');
    this.nMels = positiveInt(options.filters?.nMels ?? options.nMels ?? 80, 'nMels');
    const sampleRate = positiveInt(options.sampleRate ?? 16000, 'sampleRate');
    const half = Math.floor(this.nFft / 2);
    if (totalSamples <= half)
      throw new AudioError(
        'TOO_SHORT',
        `Need more than nFft / 2 = ${half} samples for reflect padding but got ${totalSamples}`,
      );
    this.totalSamples = totalSamples;
    this.totalFrames = Math.floor(totalSamples / this.hopLength);
    this.#plan = getPlan(this.nFft, this.nMels, sampleRate, options.filters);
  }

  /** The samples frames `[f0, f1)` read, reflections at the signal's ends included. */
  samplesFor(f0: number, f1: number): SampleRange {
    this.#checkRange(f0, f1);
    if (f1 === f0) return { start: 0, end: 0 };
    const half = Math.floor(this.nFft / 2);
    const total = this.totalSamples;
    const a = f0 * this.hopLength - half;
    const b = (f1 - 1) * this.hopLength - half + this.nFft - 1;
    return {
      start: Math.max(0, Math.min(a, 2 * (total - 1) - b)),
      end: Math.min(total - 1, Math.max(b, -a)) + 1,
    };
  }

  /**
   * Computes frames `[f0, f1)` from `input`, which holds samples `[origin, origin + length)` of
   * the signal (at least {@link samplesFor}`(f0, f1)`), into `out`: band `m` of frame `t` at
   * `m · rowStride + (t − f0)`. Values are scaled log10 mel powers, not yet floored.
   *
   * @returns the largest mel power among the frames (for {@link dynamicRangeFloor})
   */
  compute(
    input: Float32Array,
    origin: number,
    f0: number,
    f1: number,
    out: Float32Array,
    rowStride: number,
  ): number {
    this.#checkRange(f0, f1);
    if (f1 === f0) return 0;
    const need = this.samplesFor(f0, f1);
    if (need.start < origin || need.end > origin + input.length)
      throw new AudioError(
        'INVALID_ARGUMENT',
        `frames [${f0}, ${f1}) need samples [${need.start}, ${need.end}) but input holds [${origin}, ${origin + input.length})`,
      );
    if (rowStride < f1 - f0 || out.length < (this.nMels - 1) * rowStride + (f1 - f0))
      throw new AudioError(
        'INVALID_ARGUMENT',
        `out (${out.length} values, row stride ${rowStride}) cannot hold ${this.nMels} × ${f1 - f0} frames`,
      );
    const plan = this.#plan;
    const kernel = kernelOf(plan);
    let maxPower = 0;
    for (let t = f0; t < f1; t += BLOCK) {
      const count = Math.min(BLOCK, f1 - t);
      for (let b = 0; b < count; b++) plan.frameIndex[b] = t + b;
      gatherBlock(plan, kernel, count, input, this.totalSamples, this.hopLength, origin);
      maxPower = Math.max(maxPower, melBlock(plan, kernel, count, out, rowStride, f0));
    }
    return maxPower;
  }

  #checkRange(f0: number, f1: number): void {
    if (
      !Number.isInteger(f0) ||
      !Number.isInteger(f1) ||
      f0 < 0 ||
      f1 < f0 ||
      f1 > this.totalFrames
    )
      throw new AudioError(
        'INVALID_ARGUMENT',
        `Expected a frame range inside [0, ${this.totalFrames}] but received [${describe(f0)}, ${describe(f1)})`,
      );
  }
}
