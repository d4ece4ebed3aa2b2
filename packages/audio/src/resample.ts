import { AudioError, checkSampleRate, describe } from './errors.js';
import { PolyphaseKernel } from './wasm/polyphase-kernel.js';

/**
 * Filter design for {@link Resampler}. The defaults copy ffmpeg's swresample defaults (Kaiser
 * β 9, cutoff 0.97, filter size 32), which is what openai/whisper and transformers' pipelines run
 * when they shell out to ffmpeg, so features of resampled audio stay close to theirs.
 */
export interface ResampleOptions {
  /** Sinc zero crossings on each side of the centre, in units of the lower of the two rates. Default 16. */
  zeroCrossings?: number;
  /** Cut-off as a fraction of the lower Nyquist frequency (−6 dB point). Default 0.97. */
  cutoff?: number;
  /** Kaiser window β: larger gives more stop-band attenuation and a wider transition. Default 9. */
  kaiserBeta?: number;
}

/** Exact polyphase tables are used up to this many phases; beyond it, interpolated phases. */
const MAX_EXACT_PHASES = 1024;
/** Phase resolution of the interpolated table (ffmpeg's default is 1024 too). */
const INTERPOLATED_PHASES = 1024;

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (power series; converges fast for β ≤ 20). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/**
 * Band-limited sample-rate converter (Kaiser-windowed sinc, polyphase) that can be fed in chunks.
 * Output sample n sits at input time n·inRate/outRate (zero phase, no delay): the output of a
 * whole signal is `ceil(length · outRate / inRate)` samples, the same alignment as
 * `scipy.signal.resample_poly` and ffmpeg. Input before the start and after the end is taken as zero.
 *
 * Ratios with a reduced denominator up to 1024 (every common rate: 8k, 11.025k, 22.05k, 44.1k, 48k,
 * 96k → 16k) use exact phase tables; other ratios interpolate linearly between 1024 tabulated
 * phases (error below −100 dB).
 *
 * @example
 * ```ts
 * const rs = new Resampler(44100, 16000);
 * for await (const chunk of pcmChunks) send(rs.process(chunk));
 * send(rs.flush());
 * ```
 */
export class Resampler {
  readonly inputRate: number;
  readonly outputRate: number;
  /** Reduced ratio outputRate / inputRate = up / down. */
  private readonly up: number;
  private readonly down: number;
  private readonly taps: number;
  private readonly halfTaps: number;
  private readonly phases: number;
  private readonly exact: boolean;
  /** Coefficients, row p (phase) at `p * taps`; interpolated tables carry one extra row. */
  private readonly table: Float64Array;
  private readonly identity: boolean;
  /** f32x4 WebAssembly kernel for the exact-phase path; null means the float64 JS loop. */
  private readonly kernel: PolyphaseKernel | null;
  /** Pending input; buf[0] is absolute input index `bufStart`. */
  private buf: Float32Array;
  private bufLen: number;
  private bufStart: number;
  private received = 0;
  /** Next output: index, its input position i0 + phase/up. */
  private produced = 0;
  private i0 = 0;
  private phase = 0;
  private finished = false;

  constructor(inputRate: number, outputRate: number, options: ResampleOptions = {}) {
    this.inputRate = checkSampleRate(inputRate, 'input sample rate');
    this.outputRate = checkSampleRate(outputRate, 'output sample rate');
    const zeroCrossings = options.zeroCrossings ?? 16;
    const cutoff = options.cutoff ?? 0.97;
    const beta = options.kaiserBeta ?? 9;
    if (!Number.isInteger(zeroCrossings) || zeroCrossings < 2 || zeroCrossings > 256) {
      throw new AudioError(
        'INVALID_ARGUMENT',
        `Expected zeroCrossings to be an integer in 2..256 but received ${describe(zeroCrossings)}`,
      );
    }
    if (!(cutoff > 0.1 && cutoff <= 1)) {
      throw new AudioError(
        'INVALID_ARGUMENT',
        `Expected cutoff in (0.1, 1] but received ${describe(cutoff)}`,
      );
    }
    if (!(beta >= 0 && beta <= 40)) {
      throw new AudioError(
        'INVALID_ARGUMENT',
        `Expected kaiserBeta in [0, 40] but received ${describe(beta)}`,
      );
    }
    const g = gcd(inputRate, outputRate);
    this.up = outputRate / g;
    this.down = inputRate / g;
    this.identity = this.up === this.down;
    // Sinc bandwidth in cycles per input sample, relative to the input Nyquist; the kernel is
    // s·sinc(s·τ) windowed to |τ| ≤ zeroCrossings / s input samples.
    const s = cutoff * Math.min(1, this.up / this.down);
    const halfWidth = zeroCrossings / s;
    this.halfTaps = Math.ceil(halfWidth);
    this.taps = 2 * this.halfTaps;
    this.exact = this.up <= MAX_EXACT_PHASES;
    this.phases = this.exact ? this.up : INTERPOLATED_PHASES;
    const rows = this.exact ? this.phases : this.phases + 1;
    this.table = new Float64Array(rows * this.taps);
    const i0Beta = besselI0(beta);
    for (let p = 0; p < rows; p++) {
      const frac = p / this.phases;
      let sum = 0;
      for (let k = 0; k < this.taps; k++) {
        // Tap k multiplies input i0 - halfTaps + 1 + k; its distance from the output instant.
        const tau = frac + this.halfTaps - 1 - k;
        const x = tau / halfWidth;
        let c = 0;
        if (Math.abs(x) < 1) {
          const arg = Math.PI * s * tau;
          const sinc = arg === 0 ? 1 : Math.sin(arg) / arg;
          c = s * sinc * (besselI0(beta * Math.sqrt(1 - x * x)) / i0Beta);
        }
        this.table[p * this.taps + k] = c;
        sum += c;
      }
      // Unity gain at DC for every phase, so constant input stays exactly constant.
      for (let k = 0; k < this.taps; k++) this.table[p * this.taps + k]! /= sum;
    }
    this.kernel =
      this.exact && !this.identity
        ? PolyphaseKernel.create(this.table, this.up, this.down, this.taps)
        : null;
    // Start with `taps` zeros standing for the silence before the first sample.
    this.buf = new Float32Array(this.taps + 4096);
    this.bufLen = this.taps;
    this.bufStart = -this.taps;
  }

  /** Number of output samples a whole signal of `inputLength` samples resamples to. */
  outputLength(inputLength: number): number {
    return Math.ceil((inputLength * this.up) / this.down);
  }

  /** Feeds input samples and returns every output sample that no longer depends on future input. */
  process(chunk: Float32Array): Float32Array {
    if (this.finished)
      throw new AudioError(
        'INVALID_ARGUMENT',
        'Resampler.process called after flush(); create a new Resampler',
      );
    this.received += chunk.length;
    if (this.identity) return chunk.slice();
    this.append(chunk);
    return this.run(this.bufStart + this.bufLen - 1, Infinity);
  }

  /** Ends the stream: returns the remaining output, treating input past the end as silence. */
  flush(): Float32Array {
    if (this.finished) return new Float32Array(0);
    this.finished = true;
    if (this.identity) return new Float32Array(0);
    const total = this.outputLength(this.received);
    // Zeros after the last sample: enough for the last output's taps.
    this.append(new Float32Array(this.taps));
    return this.run(this.bufStart + this.bufLen - 1, total);
  }

  private append(chunk: Float32Array): void {
    // Keep only what the next output can still touch, then add the chunk behind it.
    const keepFrom = Math.max(this.bufStart, this.i0 - this.halfTaps + 1);
    const drop = keepFrom - this.bufStart;
    const keep = this.bufLen - drop;
    const need = keep + chunk.length;
    if (need > this.buf.length) {
      const next = new Float32Array(Math.max(need, this.buf.length * 2));
      next.set(this.buf.subarray(drop, this.bufLen));
      this.buf = next;
    } else if (drop > 0) {
      this.buf.copyWithin(0, drop, this.bufLen);
    }
    this.buf.set(chunk, keep);
    this.bufLen = need;
    this.bufStart = keepFrom;
  }

  /** Produces outputs whose last tap is at or before absolute input index `lastInput`, up to `limit` in total. */
  private run(lastInput: number, limit: number): Float32Array {
    const { up, down, halfTaps, taps, table, buf, bufStart } = this;
    // Largest n with floor(n·down/up) + halfTaps <= lastInput.
    const maxI0 = lastInput - halfTaps;
    let end = maxI0 < 0 ? 0 : Math.ceil(((maxI0 + 1) * up) / down);
    if (end > limit) end = limit;
    const count = Math.max(0, end - this.produced);
    const out = new Float32Array(count);
    const stepInt = Math.floor(down / up);
    const stepFrac = down % up;
    let i0 = this.i0;
    let phase = this.phase;
    if (this.kernel && count > 0) {
      const pos = i0 - halfTaps + 1 - bufStart;
      const simdOut = this.kernel.run(
        buf.subarray(0, this.bufLen),
        count,
        pos,
        phase,
        stepInt,
        stepFrac,
        this.produced,
      );
      // Advance the position by count steps of down/up exactly, as the kernel did.
      const frac = phase + count * stepFrac;
      this.i0 = i0 + count * stepInt + Math.floor(frac / up);
      this.phase = frac % up;
      this.produced += count;
      return simdOut;
    }
    if (this.exact) {
      for (let n = 0; n < count; n++) {
        const base = i0 - halfTaps + 1 - bufStart;
        const row = phase * taps;
        let acc0 = 0;
        let acc1 = 0;
        let k = 0;
        for (; k + 1 < taps; k += 2) {
          acc0 += table[row + k]! * buf[base + k]!;
          acc1 += table[row + k + 1]! * buf[base + k + 1]!;
        }
        if (k < taps) acc0 += table[row + k]! * buf[base + k]!;
        out[n] = acc0 + acc1;
        i0 += stepInt;
        phase += stepFrac;
        if (phase >= up) {
          phase -= up;
          i0++;
        }
      }
    } else {
      const scale = this.phases / up;
      for (let n = 0; n < count; n++) {
        const base = i0 - halfTaps + 1 - bufStart;
        const pos = phase * scale;
        const p = Math.floor(pos);
        const frac = pos - p;
        const rowA = p * taps;
        const rowB = rowA + taps;
        let accA = 0;
        let accB = 0;
        for (let k = 0; k < taps; k++) {
          const x = buf[base + k]!;
          accA += table[rowA + k]! * x;
          accB += table[rowB + k]! * x;
        }
        out[n] = accA + frac * (accB - accA);
        i0 += stepInt;
        phase += stepFrac;
        if (phase >= up) {
          phase -= up;
          i0++;
        }
      }
    }
    this.i0 = i0;
    this.phase = phase;
    this.produced += count;
    return out;
  }
}

/**
 * Resamples a whole mono signal with {@link Resampler}; returns the input unchanged (same array)
 * when the rates are equal.
 *
 * @example
 * ```ts
 * const at16k = resample(samples44k, 44100, 16000); // length ceil(n · 16000 / 44100)
 * ```
 */
export function resample(
  samples: Float32Array,
  fromRate: number,
  toRate: number,
  options: ResampleOptions = {},
): Float32Array {
  if (!(samples instanceof Float32Array)) {
    throw new AudioError(
      'INVALID_ARGUMENT',
      `Expected samples to be a Float32Array but received ${describe(samples)}`,
    );
  }
  checkSampleRate(fromRate, 'source sample rate');
  checkSampleRate(toRate, 'target sample rate');
  if (fromRate === toRate) return samples;
  const rs = new Resampler(fromRate, toRate, options);
  const out = new Float32Array(rs.outputLength(samples.length));
  const head = rs.process(samples);
  out.set(head);
  out.set(rs.flush(), head.length);
  return out;
}
