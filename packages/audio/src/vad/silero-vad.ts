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

/**
 * One window's forward pass with a caller-owned LSTM state. Scratch buffers are reused: a stream
 * is not re-entrant (each {@link SileroVadStream} has its own).
 */
class SileroForward {
  readonly #w: SileroWeights;
  readonly #convs: Conv[];
  readonly #padded = new Float64Array(PADDED);
  readonly #acts: Float64Array[];
  readonly #gates = new Float64Array(4 * HIDDEN);
  /** Set when the STFT basis is a windowed DFT: the FFT gives the same magnitudes far cheaper. */
  readonly #spectrum: RealPowerSpectrum | undefined;
  readonly #window: Float64Array;
  readonly #power = new Float64Array(BINS * FRAMES);
  readonly #acc = new Float64Array(FRAMES);

  constructor(weights: SileroWeights) {
    this.#w = weights;
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
    // Activations: STFT magnitude [129, 4], then [128, 4], [64, 2], [64, 1], [128, 1].
    this.#acts = [BINS * 4, 128 * 4, 64 * 2, 64, 128].map((n) => new Float64Array(n));
    const basis = weights.get('stft.forward_basis_buffer')!;
    // Row 0 is window·cos(0): the window itself, in the basis' own float32 rounding.
    this.#window = Float64Array.from(basis.subarray(0, N_FFT));
    this.#spectrum = isWindowedDft(basis, this.#window)
      ? new RealPowerSpectrum(N_FFT, FRAMES)
      : undefined;
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
    const basis = this.#w.get('stft.forward_basis_buffer')!;
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
   * Speech probability of `input` (64 context samples then 512 new ones); updates `h`/`c`.
   */
  run(input: Float32Array, h: Float64Array, c: Float64Array): number {
    const x = this.#padded;
    for (let i = 0; i < CONTEXT + VAD_WINDOW_SAMPLES; i++) x[i] = input[i]!;
    // Reflect padding on the right (the edge sample is not repeated).
    const n = CONTEXT + VAD_WINDOW_SAMPLES;
    for (let k = 0; k < PADDED - n; k++) x[n + k] = input[n - 2 - k]!;

    // STFT as a convolution with 258 filters (129 real, 129 imaginary), then the magnitude.
    const mag = this.#acts[0]!;
    if (this.#spectrum) this.#fftMagnitude(x, mag);
    else this.#convMagnitude(x, mag);

    let input2 = mag;
    let frames = FRAMES;
    this.#convs.forEach((conv, i) => {
      const out = this.#acts[i + 1]!;
      frames = this.#conv(conv, input2, frames, out);
      input2 = out;
    });

    // LSTM cell (PyTorch gate order i, f, g, o) on the 128 features.
    const wih = this.#w.get('decoder.rnn.weight_ih')!;
    const whh = this.#w.get('decoder.rnn.weight_hh')!;
    const bih = this.#w.get('decoder.rnn.bias_ih')!;
    const bhh = this.#w.get('decoder.rnn.bias_hh')!;
    const g = this.#gates;
    for (let r = 0; r < 4 * HIDDEN; r++) {
      let s = bih[r]! + bhh[r]!;
      const row = r * HIDDEN;
      for (let k = 0; k < HIDDEN; k++) s += wih[row + k]! * input2[k]! + whh[row + k]! * h[k]!;
      g[r] = s;
    }
    const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
    for (let k = 0; k < HIDDEN; k++) {
      const ig = sigmoid(g[k]!);
      const fg = sigmoid(g[HIDDEN + k]!);
      const gg = Math.tanh(g[2 * HIDDEN + k]!);
      const og = sigmoid(g[3 * HIDDEN + k]!);
      c[k] = fg * c[k]! + ig * gg;
      h[k] = og * Math.tanh(c[k]!);
    }

    // ReLU, 1×1 convolution to one channel, sigmoid (the mean over one frame is the value).
    const wo = this.#w.get('decoder.decoder.2.weight')!;
    let s = this.#w.get('decoder.decoder.2.bias')![0]!;
    for (let k = 0; k < HIDDEN; k++) s += wo[k]! * Math.max(0, h[k]!);
    return sigmoid(s);
  }

  /** Kernel-3 convolution, padding 1, then ReLU; returns the output frame count. */
  #conv(conv: Conv, input: Float64Array, frames: number, out: Float64Array): number {
    const { w, b, inC, outC, stride } = conv;
    const outFrames = Math.floor((frames + 2 - 3) / stride) + 1;
    const acc = this.#acc;
    for (let o = 0; o < outC; o++) {
      for (let t = 0; t < outFrames; t++) acc[t] = b[o]!;
      let wo = o * inC * 3;
      for (let i = 0; i < inC; i++, wo += 3) {
        const w0 = w[wo]!;
        const w1 = w[wo + 1]!;
        const w2 = w[wo + 2]!;
        const xi = i * frames;
        for (let t = 0; t < outFrames; t++) {
          // Input frames t·stride − 1 … t·stride + 1; the zero padding is skipped.
          const c = t * stride;
          let s = w1 * input[xi + c]!;
          if (c > 0) s += w0 * input[xi + c - 1]!;
          if (c + 1 < frames) s += w2 * input[xi + c + 1]!;
          acc[t] = acc[t]! + s;
        }
      }
      for (let t = 0; t < outFrames; t++) out[o * outFrames + t] = Math.max(0, acc[t]!);
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
    const p = this.#forward.run(x, this.#h, this.#c);
    // The next window's context: the last 64 samples of this one (padding included).
    x.copyWithin(0, VAD_WINDOW_SAMPLES, VAD_WINDOW_SAMPLES + CONTEXT);
    return p;
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
    const stream = this.createStream();
    const n = Math.ceil(samples.length / VAD_WINDOW_SAMPLES);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      if (i % 256 === 0) {
        if (options.signal?.aborted)
          throw new VadError('ABORTED', 'voice activity detection was aborted', {
            cause: options.signal.reason,
          });
        options.onProgress?.(i * VAD_WINDOW_SAMPLES, samples.length);
      }
      const w = samples.subarray(i * VAD_WINDOW_SAMPLES, (i + 1) * VAD_WINDOW_SAMPLES);
      for (let k = 0; k < w.length; k++)
        if (!Number.isFinite(w[k]!))
          throw new VadError(
            'INVALID_INPUT',
            `sample ${i * VAD_WINDOW_SAMPLES + k} is not finite (${w[k]})`,
          );
      out[i] = stream.push(w);
    }
    options.onProgress?.(samples.length, samples.length);
    return out;
  }
}
