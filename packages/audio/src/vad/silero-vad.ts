// Silero VAD (the `silero-vad` PyPI package's 16 kHz model) in plain TypeScript: a learned STFT as
// a strided convolution, four convolutions with ReLU, one LSTM cell, a 1×1 convolution and a
// sigmoid — about 0.7 M multiply-adds per 32 ms window, so no native kernels are needed.
// Mirrors the package's TorchScript model and its wrapper: each 512-sample window is prefixed
// with the last 64 samples before it (zeros at the start) and the LSTM state runs across windows.
import { RealPowerSpectrum } from '../fft.js';
import { VadError } from './errors.js';
import { readSileroModel, type SileroWeights } from './model-files.js';

/** Sample rate the model runs at. */
export const VAD_SAMPLE_RATE = 16000;
/** Samples per VAD window (32 ms at 16 kHz): one probability per window. */
export const VAD_WINDOW_SAMPLES = 512;
/** Samples of the previous window fed in front of each window. */
const CONTEXT = 64;
/** Window plus context plus the right reflect padding of the STFT. */
const PADDED = VAD_WINDOW_SAMPLES + CONTEXT + 64;
const N_FFT = 256;
const HOP = 128;
const BINS = N_FFT / 2 + 1; // 129
const FRAMES = (PADDED - N_FFT) / HOP + 1; // 4
const HIDDEN = 128;

/** Options of {@link SileroVad.load}. */
export interface SileroVadLoadOptions {
  /** Folder with the converted config.json + model.safetensors. Default: see {@link sileroModelDirs}. */
  modelDir?: string;
}

/** Options of {@link SileroVad.speechProbabilities}. */
export interface SpeechProbabilityOptions {
  /** Cancels between windows. */
  signal?: AbortSignal;
  /** Called every few hundred windows with the samples done and the total. */
  onProgress?: (doneSamples: number, totalSamples: number) => void;
}

/**
 * True when the 258 × 256 basis is `window · cos` over `−window · sin` of the 256-point DFT (as
 * converted from silero-vad 6.2.3, to float32 precision): the FFT then computes the same STFT.
 */
function isWindowedDft(basis: Float32Array, window: Float64Array): boolean {
  for (let f = 0; f < BINS; f++)
    for (let k = 0; k < N_FFT; k++) {
      const a = (2 * Math.PI * ((f * k) % N_FFT)) / N_FFT;
      const w = window[k]!;
      if (Math.abs(basis[f * N_FFT + k]! - w * Math.cos(a)) > 1e-6) return false;
      if (Math.abs(basis[(f + BINS) * N_FFT + k]! + w * Math.sin(a)) > 1e-6) return false;
    }
  return true;
}

interface Conv {
  w: Float32Array;
  b: Float32Array;
  inC: number;
  outC: number;
  stride: number;
}

/** Windows whose convolutional front end runs together (the LSTM then steps through them). */
const BLOCK = 128;

/**
 * The forward pass over blocks of consecutive windows with a caller-owned LSTM state. Everything
 * before the LSTM depends on one window's samples only, so it runs a block at a time with the
 * activations laid out `[channel][window][frame]`: every weight is loaded once per block and the
 * inner loops run over the windows. Scratch buffers are reused: not re-entrant (each
 * {@link SileroVadStream} and each {@link SileroVad.speechProbabilities} call has its own).
 */
class SileroForward {
  readonly #convs: Conv[];
  readonly #padded = new Float64Array(PADDED);
  /** Activations of a block: STFT magnitude [129][B][4], then [128][B][4], [64][B][2], [64][B][1], [128][B][1]. */
  readonly #acts: Float64Array[];
  /** LSTM input projections plus both biases, `[B][512]`. */
  readonly #pre = new Float64Array(BLOCK * 4 * HIDDEN);
  readonly #x = new Float64Array(HIDDEN);
  readonly #wih: Float32Array;
  readonly #whh: Float32Array;
  readonly #bias = new Float64Array(4 * HIDDEN);
  readonly #wOut: Float32Array;
  readonly #bOut: number;
  readonly #basis: Float32Array;
  /** Set when the STFT basis is a windowed DFT: the FFT gives the same magnitudes far cheaper. */
  readonly #spectrum: RealPowerSpectrum | undefined;
  readonly #window: Float64Array;
  readonly #power = new Float64Array(BINS * FRAMES);
  readonly #mag = new Float64Array(BINS * FRAMES);

  constructor(weights: SileroWeights) {
    const shapes: Array<[number, number, number]> = [
      [BINS, 128, 1],
      [128, 64, 2],
      [64, 64, 2],
      [64, 128, 1],
    ];
    this.#convs = shapes.map(([inC, outC, stride], i) => ({
      w: weights.get(`encoder.${i}.reparam_conv.weight`)!,
      b: weights.get(`encoder.${i}.reparam_conv.bias`)!,
      inC,
      outC,
      stride,
    }));
    this.#acts = [BINS * 4, 128 * 4, 64 * 2, 64, 128].map((n) => new Float64Array(n * BLOCK));
    this.#wih = weights.get('decoder.rnn.weight_ih')!;
    this.#whh = weights.get('decoder.rnn.weight_hh')!;
    const bih = weights.get('decoder.rnn.bias_ih')!;
    const bhh = weights.get('decoder.rnn.bias_hh')!;
    for (let r = 0; r < 4 * HIDDEN; r++) this.#bias[r] = bih[r]! + bhh[r]!;
    this.#wOut = weights.get('decoder.decoder.2.weight')!;
    this.#bOut = weights.get('decoder.decoder.2.bias')![0]!;
    this.#basis = weights.get('stft.forward_basis_buffer')!;
    // Row 0 is window·cos(0): the window itself, in the basis' own float32 rounding.
    this.#window = Float64Array.from(this.#basis.subarray(0, N_FFT));
    this.#spectrum = isWindowedDft(this.#basis, this.#window)
      ? new RealPowerSpectrum(N_FFT, FRAMES)
      : undefined;
  }

  /**
   * Speech probabilities of `count` (≤ 128) consecutive windows: `inputs` holds, per window, its
   * 64 context samples then its 512 new ones (576 per window). Updates `h`/`c`; writes `out`.
   */
  runBlock(
    inputs: Float32Array,
    count: number,
    h: Float64Array,
    c: Float64Array,
    out: Float32Array,
    outOffset: number,
  ): void {
    const n = CONTEXT + VAD_WINDOW_SAMPLES;
    const x = this.#padded;
    const mag = this.#mag;
    const a0 = this.#acts[0]!;
    for (let b = 0; b < count; b++) {
      const src = b * n;
      for (let i = 0; i < n; i++) x[i] = inputs[src + i]!;
      // Reflect padding on the right (the edge sample is not repeated).
      for (let k = 0; k < PADDED - n; k++) x[n + k] = inputs[src + n - 2 - k]!;
      if (this.#spectrum) this.#fftMagnitude(x, mag);
      else this.#convMagnitude(x, mag);
      for (let f = 0; f < BINS; f++)
        for (let t = 0; t < FRAMES; t++) a0[(f * count + b) * FRAMES + t] = mag[f * FRAMES + t]!;
    }
    let frames = FRAMES;
    this.#convs.forEach((conv, i) => {
      frames = this.#conv(conv, this.#acts[i]!, count, frames, this.#acts[i + 1]!);
    });

    // LSTM input projections of the whole block: W_ih · x_b + b_ih + b_hh.
    const feats = this.#acts[4]!; // [128][B]
    const xb = this.#x;
    const pre = this.#pre;
    const wih = this.#wih;
    const G = 4 * HIDDEN;
    for (let b = 0; b < count; b++) {
      for (let k = 0; k < HIDDEN; k++) xb[k] = feats[k * count + b]!;
      const bias = this.#bias;
      for (let r = 0; r < G; r += 4) {
        // Four rows at a time share each load of x.
        let s0 = bias[r]!;
        let s1 = bias[r + 1]!;
        let s2 = bias[r + 2]!;
        let s3 = bias[r + 3]!;
        const r0 = r * HIDDEN;
        for (let k = 0; k < HIDDEN; k++) {
          const v = xb[k]!;
          s0 += wih[r0 + k]! * v;
          s1 += wih[r0 + HIDDEN + k]! * v;
          s2 += wih[r0 + 2 * HIDDEN + k]! * v;
          s3 += wih[r0 + 3 * HIDDEN + k]! * v;
        }
        const p = b * G + r;
        pre[p] = s0;
        pre[p + 1] = s1;
        pre[p + 2] = s2;
        pre[p + 3] = s3;
      }
    }

    // The recurrence, window by window (PyTorch gate order i, f, g, o), then ReLU, the 1×1
    // convolution to one channel and the sigmoid.
    const whh = this.#whh;
    const wo = this.#wOut;
    const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
    const g = this.#x; // reused: the gates of one step need 512, computed in four passes of 128
    for (let b = 0; b < count; b++) {
      const base = b * G;
      for (let r = 0; r < G; r += 4) {
        let s0 = pre[base + r]!;
        let s1 = pre[base + r + 1]!;
        let s2 = pre[base + r + 2]!;
        let s3 = pre[base + r + 3]!;
        const r0 = r * HIDDEN;
        for (let k = 0; k < HIDDEN; k++) {
          const v = h[k]!;
          s0 += whh[r0 + k]! * v;
          s1 += whh[r0 + HIDDEN + k]! * v;
          s2 += whh[r0 + 2 * HIDDEN + k]! * v;
          s3 += whh[r0 + 3 * HIDDEN + k]! * v;
        }
        pre[base + r] = s0;
        pre[base + r + 1] = s1;
        pre[base + r + 2] = s2;
        pre[base + r + 3] = s3;
      }
      for (let k = 0; k < HIDDEN; k++) {
        const ig = sigmoid(pre[base + k]!);
        const fg = sigmoid(pre[base + HIDDEN + k]!);
        const gg = Math.tanh(pre[base + 2 * HIDDEN + k]!);
        const og = sigmoid(pre[base + 3 * HIDDEN + k]!);
        c[k] = fg * c[k]! + ig * gg;
        g[k] = og * Math.tanh(c[k]!);
      }
      let s = this.#bOut;
      for (let k = 0; k < HIDDEN; k++) {
        h[k] = g[k]!;
        s += wo[k]! * Math.max(0, h[k]!);
      }
      out[outOffset + b] = sigmoid(s);
    }
  }

  /** |STFT| through a 256-point real FFT of the windowed frames (4 frames, one batch). */
  #fftMagnitude(x: Float64Array, mag: Float64Array): void {
    const sp = this.#spectrum!;
    const re = sp.real;
    const im = sp.imag;
    const w = this.#window;
    // The half-length FFT takes even samples as real parts, odd ones as imaginary parts.
    for (let t = 0; t < FRAMES; t++) {
      const o = t * HOP;
      for (let j = 0; j < N_FFT; j += 2) {
        re[(j >> 1) * FRAMES + t] = w[j]! * x[o + j]!;
        im[(j >> 1) * FRAMES + t] = w[j + 1]! * x[o + j + 1]!;
      }
    }
    const power = this.#power;
    sp.computePacked(power); // power[k * FRAMES + t]
    for (let i = 0; i < BINS * FRAMES; i++) mag[i] = Math.sqrt(power[i]!);
  }

  /** |STFT| as the model defines it: a stride-128 convolution with the 258 basis filters. */
  #convMagnitude(x: Float64Array, mag: Float64Array): void {
    const basis = this.#basis;
    for (let f = 0; f < BINS; f++) {
      const re = f * N_FFT;
      const im = (f + BINS) * N_FFT;
      for (let t = 0; t < FRAMES; t++) {
        const o = t * HOP;
        let a = 0;
        let b = 0;
        for (let k = 0; k < N_FFT; k++) {
          const v = x[o + k]!;
          a += basis[re + k]! * v;
          b += basis[im + k]! * v;
        }
        mag[f * FRAMES + t] = Math.sqrt(a * a + b * b);
      }
    }
  }

  /**
   * Kernel-3 convolution, padding 1, then ReLU, over `[inC][count][frames]`; writes
   * `[outC][count][outFrames]` and returns `outFrames`. The four shapes of the model are unrolled
   * (no bounds tests; each window's outputs accumulate in locals across input channels).
   */
  #conv(conv: Conv, input: Float64Array, count: number, frames: number, out: Float64Array): number {
    const { w, b, inC, outC, stride } = conv;
    const outFrames = Math.floor((frames + 2 - 3) / stride) + 1;
    const inStride = count * frames; // between input channels
    for (let o = 0; o < outC; o++) {
      const bias = b[o]!;
      const wBase = o * inC * 3;
      const yBase = o * count * outFrames;
      for (let k = 0; k < count; k++) {
        let xi = k * frames;
        let wi = wBase;
        if (frames === 4 && stride === 1) {
          let y0 = bias;
          let y1 = bias;
          let y2 = bias;
          let y3 = bias;
          for (let i = 0; i < inC; i++, xi += inStride, wi += 3) {
            const w0 = w[wi]!;
            const w1 = w[wi + 1]!;
            const w2 = w[wi + 2]!;
            const x0 = input[xi]!;
            const x1 = input[xi + 1]!;
            const x2 = input[xi + 2]!;
            const x3 = input[xi + 3]!;
            y0 += w1 * x0 + w2 * x1;
            y1 += w0 * x0 + w1 * x1 + w2 * x2;
            y2 += w0 * x1 + w1 * x2 + w2 * x3;
            y3 += w0 * x2 + w1 * x3;
          }
          const y = yBase + k * 4;
          out[y] = y0 > 0 ? y0 : 0;
          out[y + 1] = y1 > 0 ? y1 : 0;
          out[y + 2] = y2 > 0 ? y2 : 0;
          out[y + 3] = y3 > 0 ? y3 : 0;
        } else if (frames === 4 && stride === 2) {
          let y0 = bias;
          let y1 = bias;
          for (let i = 0; i < inC; i++, xi += inStride, wi += 3) {
            const x1 = input[xi + 1]!;
            y0 += w[wi + 1]! * input[xi]! + w[wi + 2]! * x1;
            y1 += w[wi]! * x1 + w[wi + 1]! * input[xi + 2]! + w[wi + 2]! * input[xi + 3]!;
          }
          const y = yBase + k * 2;
          out[y] = y0 > 0 ? y0 : 0;
          out[y + 1] = y1 > 0 ? y1 : 0;
        } else if (frames === 2 && stride === 2) {
          let y0 = bias;
          for (let i = 0; i < inC; i++, xi += inStride, wi += 3)
            y0 += w[wi + 1]! * input[xi]! + w[wi + 2]! * input[xi + 1]!;
          out[yBase + k] = y0 > 0 ? y0 : 0;
        } else if (frames === 1) {
          let y0 = bias;
          for (let i = 0; i < inC; i++, xi += inStride, wi += 3) y0 += w[wi + 1]! * input[xi]!;
          out[yBase + k] = y0 > 0 ? y0 : 0;
        } else {
          // Any other shape (not used by the converted model): the plain definition.
          for (let t = 0; t < outFrames; t++) {
            let y = bias;
            for (let i = 0; i < inC; i++)
              for (let j = 0; j < 3; j++) {
                const f = t * stride + j - 1;
                if (f >= 0 && f < frames)
                  y += w[wBase + i * 3 + j]! * input[i * inStride + k * frames + f]!;
              }
            out[yBase + k * outFrames + t] = y > 0 ? y : 0;
          }
        }
      }
    }
    return outFrames;
  }
}

/**
 * A running VAD over consecutive 512-sample windows (e.g. live audio): keeps the LSTM state and
 * the 64-sample context between calls.
 *
 * @example
 * ```ts
 * const stream = vad.createStream();
 * for (const window of windowsOf512) if (stream.push(window) >= 0.5) console.log('speech');
 * ```
 */
export class SileroVadStream {
  readonly #forward: SileroForward;
  readonly #input = new Float32Array(CONTEXT + VAD_WINDOW_SAMPLES);
  readonly #h = new Float64Array(HIDDEN);
  readonly #c = new Float64Array(HIDDEN);
  readonly #out = new Float32Array(1);

  /** @internal Created by {@link SileroVad.createStream}. */
  constructor(weights: SileroWeights) {
    this.#forward = new SileroForward(weights);
  }

  /**
   * Speech probability of the next window: up to 512 samples at 16 kHz (a shorter last window is
   * zero-padded, as `get_speech_timestamps` does).
   *
   * @throws {@link VadError} `INVALID_INPUT` for more than 512 samples
   */
  push(window: Float32Array): number {
    if (window.length > VAD_WINDOW_SAMPLES)
      throw new VadError(
        'INVALID_INPUT',
        `a VAD window holds at most ${VAD_WINDOW_SAMPLES} samples, got ${window.length}`,
      );
    const x = this.#input;
    x.set(window, CONTEXT);
    x.fill(0, CONTEXT + window.length);
    this.#forward.runBlock(x, 1, this.#h, this.#c, this.#out, 0);
    // The next window's context: the last 64 samples of this one (padding included).
    x.copyWithin(0, VAD_WINDOW_SAMPLES, VAD_WINDOW_SAMPLES + CONTEXT);
    return this.#out[0]!;
  }

  /** Forgets the state and the context (a new recording). */
  reset(): void {
    this.#input.fill(0);
    this.#h.fill(0);
    this.#c.fill(0);
  }
}

/**
 * The Silero VAD model (16 kHz). Load the converted weights with {@link SileroVad.load}.
 *
 * @example
 * ```ts
 * const vad = SileroVad.load();                       // ~/.cache/distil-whisper/vad/silero-vad-6.2.3
 * const probs = vad.speechProbabilities(samples16k);  // one per 512 samples
 * const speech = speechTimestamps(probs, samples16k.length);
 * ```
 */
export class SileroVad {
  readonly #weights: SileroWeights;
  /** Folder the weights were read from (undefined for {@link SileroVad.fromWeights}). */
  readonly modelDir: string | undefined;

  private constructor(weights: SileroWeights, modelDir: string | undefined) {
    this.#weights = weights;
    this.modelDir = modelDir;
  }

  /**
   * Reads the converted model (see {@link readSileroModel} for where it looks).
   *
   * @throws {@link VadError} `MODEL_NOT_FOUND` (with the command that creates the files) or `MODEL_INVALID`
   */
  static load(options: SileroVadLoadOptions = {}): SileroVad {
    const { dir, weights } = readSileroModel(options.modelDir);
    return new SileroVad(weights, dir);
  }

  /** A model over already-parsed weights (e.g. {@link parseSileroSafetensors} of bytes you hold). */
  static fromWeights(weights: SileroWeights): SileroVad {
    return new SileroVad(weights, undefined);
  }

  /** A fresh running state over this model's weights. */
  createStream(): SileroVadStream {
    return new SileroVadStream(this.#weights);
  }

  /**
   * Speech probability of every 512-sample window of a 16 kHz clip, from a fresh state (the last
   * window zero-padded): exactly the probabilities `get_speech_timestamps` thresholds.
   *
   * @throws {@link VadError} `INVALID_INPUT` for a non-Float32Array or non-finite samples,
   *   `ABORTED` when `signal` fires
   */
  speechProbabilities(samples: Float32Array, options: SpeechProbabilityOptions = {}): Float32Array {
    if (!(samples instanceof Float32Array))
      throw new VadError('INVALID_INPUT', 'samples must be a Float32Array of 16 kHz mono audio');
    const forward = new SileroForward(this.#weights);
    const h = new Float64Array(HIDDEN);
    const c = new Float64Array(HIDDEN);
    const n = Math.ceil(samples.length / VAD_WINDOW_SAMPLES);
    const out = new Float32Array(n);
    const per = CONTEXT + VAD_WINDOW_SAMPLES;
    const inputs = new Float32Array(BLOCK * per);
    for (let first = 0; first < n; first += BLOCK) {
      if (options.signal?.aborted)
        throw new VadError('ABORTED', 'voice activity detection was aborted', {
          cause: options.signal.reason,
        });
      options.onProgress?.(first * VAD_WINDOW_SAMPLES, samples.length);
      const count = Math.min(BLOCK, n - first);
      inputs.fill(0);
      for (let b = 0; b < count; b++) {
        // Window i is the 64 samples before it (zeros before the start), then its 512 (the last
        // one zero-padded): what the package's wrapper feeds, its context being the previous input's tail.
        const start = (first + b) * VAD_WINDOW_SAMPLES;
        const from = Math.max(0, start - CONTEXT);
        const to = Math.min(samples.length, start + VAD_WINDOW_SAMPLES);
        for (let k = from; k < to; k++)
          if (!Number.isFinite(samples[k]!))
            throw new VadError('INVALID_INPUT', `sample ${k} is not finite (${samples[k]})`);
        inputs.set(samples.subarray(from, to), b * per + (from - (start - CONTEXT)));
      }
      forward.runBlock(inputs, count, h, c, out, first);
    }
    options.onProgress?.(samples.length, samples.length);
    return out;
  }
}
