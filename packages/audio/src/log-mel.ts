import { AudioError, checkFinite, describe } from './errors.js';
import { log10Positive } from './fast-log.js';
import { RealPowerSpectrum } from './fft.js';
import {
  melFilterBank,
  sparsifyMelFilters,
  type MelFilterBank,
  type SparseMelRows,
} from './mel-filters.js';
import { LogMelKernel, logMelSimdEnabled } from './wasm/logmel-kernel.js';

/** Options for {@link logMelSpectrogram}. Every default is Whisper's. */
export interface LogMelOptions {
  /** Mel bands: 80 for most checkpoints, 128 for large-v3 / distil-large-v3. Default 80. */
  nMels?: number;
  /** STFT length (a periodic Hann window of this length, no zero padding). Default 400. */
  nFft?: number;
  /** Hop between frames in samples. Default 160. */
  hopLength?: number;
  /** Sample rate the filters are built for, in Hz. Default 16000. */
  sampleRate?: number;
  /**
   * Zero-pad on the right, or truncate, to exactly this many samples before the STFT — Whisper's
   * `pad_or_trim` (480000 for a 30 s model window, 240000 for `chunk_length` 15). Default:
   * no padding or trimming, like `whisper.audio.log_mel_spectrogram(audio)`.
   */
  padOrTrim?: number;
  /** Use these filters instead of computing Slaney filters (e.g. the ones from `mel_filters.npz`). */
  filters?: MelFilterBank;
}

/** A log-mel spectrogram, layout `[nMels, nFrames]` (mel-band major, like Whisper and transformers). */
export interface LogMelSpectrogram {
  /** Values, element [m, t] at `m * nFrames + t`. Range `[max - 2, max]`; digital silence is -1.5. */
  readonly data: Float32Array;
  readonly nMels: number;
  /** `floor(length / hopLength)`, where length is the padded/trimmed length when `padOrTrim` is set. */
  readonly nFrames: number;
}

const MEL_FLOOR = 1e-10;
const DYNAMIC_RANGE = 8;

/** @internal */
export interface Plan {
  readonly nFft: number;
  readonly window: Float64Array;
  readonly spectrum: RealPowerSpectrum;
  readonly mel: SparseMelRows;
  readonly power: Float64Array;
  readonly acc: Float64Array;
  readonly frameIndex: Int32Array;
  /** The WebAssembly kernel for this plan: undefined until first asked for, null where none. */
  kernel?: LogMelKernel | null;
}

/**
 * @internal The plan's WebAssembly SIMD kernel, or null for the JavaScript path (no SIMD, a plan
 * the kernel does not cover, or disabled by the test hook). Both give bit-identical output.
 */
export function kernelOf(plan: Plan): LogMelKernel | null {
  if (!logMelSimdEnabled()) return null;
  if (plan.kernel === undefined)
    plan.kernel = LogMelKernel.create(plan.nFft, plan.window, plan.mel, plan.spectrum);
  return plan.kernel;
}

/**
 * Frames transformed together. Batching turns each FFT butterfly and each filter tap into a short
 * loop over frames; 32 keeps a block's working set (~0.3 MB for n_fft 400) in L2.
 */
export const BLOCK = 32;

const planCache = new Map<string, Plan>();
const filterIds = new WeakMap<MelFilterBank, number>();
let nextFilterId = 0;

/** @internal The cached FFT / filter plan (shared with log-mel-frames.ts). */
export function getPlan(
  nFft: number,
  nMels: number,
  sampleRate: number,
  filters: MelFilterBank | undefined,
): Plan {
  let filterKey = 'slaney';
  if (filters) {
    let id = filterIds.get(filters);
    if (id === undefined) filterIds.set(filters, (id = nextFilterId++));
    filterKey = `custom${id}`;
  }
  const key = `${nFft}/${nMels}/${sampleRate}/${filterKey}`;
  let plan = planCache.get(key);
  if (plan) return plan;
  const bank = filters ?? melFilterBank({ nMels, nFft, sampleRate });
  const bins = Math.floor(nFft / 2) + 1;
  if (bank.nFreqBins !== bins || bank.weights.length !== bank.nMels * bins) {
    throw new AudioError(
      'INVALID_CONFIG',
      `Mel filters have ${bank.nFreqBins} frequency bins (weights length ${bank.weights.length}) but nFft ${nFft} needs ${bins}`,
    );
  }
  const window = new Float64Array(nFft);
  // Periodic Hann (torch.hann_window(n), np.hanning(n + 1)[:-1]); the symmetric one is measurably wrong.
  for (let n = 0; n < nFft; n++) window[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / nFft);
  plan = {
    nFft,
    window,
    spectrum: new RealPowerSpectrum(nFft, BLOCK),
    mel: sparsifyMelFilters(bank),
    power: new Float64Array(bins * BLOCK),
    acc: new Float64Array(BLOCK),
    frameIndex: new Int32Array(BLOCK),
  };
  if (planCache.size > 16) planCache.clear();
  planCache.set(key, plan);
  return plan;
}

function positiveInt(value: unknown, name: string, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new AudioError(
      'INVALID_ARGUMENT',
      `Expected ${name} to be an integer in 1..${max} but received ${describe(value)}`,
    );
  }
  return value;
}

/**
 * Whisper's log-mel spectrogram: centred, reflect-padded STFT with a periodic Hann window
 * (n_fft 400, hop 160), power spectrum, last frame dropped, Slaney mel filters, `log10(max(mel,
 * 1e-10))`, floor at `max - 8` over the whole result, then `(x + 4) / 4`. Matches
 * `whisper.audio.log_mel_spectrogram` and transformers' `WhisperFeatureExtractor` to ~1e-7.
 *
 * The FFT and all accumulation run in float64; nothing proportional to the input is copied, so
 * hours of audio need only the output (nMels × 4 bytes per 10 ms).
 *
 * @param samples mono audio at `sampleRate` (16 kHz for Whisper), e.g. from {@link loadAudio}.
 * @throws AudioError `EMPTY_AUDIO` for no samples, `NON_FINITE_SAMPLES` for NaN/Infinity,
 *   `TOO_SHORT` when the (padded) input has at most nFft / 2 samples (reflection needs more).
 *
 * @example
 * ```ts
 * const audio = await loadAudio('speech.wav');             // 16 kHz mono Float32Array
 * const mel = logMelSpectrogram(audio, { padOrTrim: 480000 }); // model input: [80, 3000]
 * const v3 = logMelSpectrogram(audio, { nMels: 128, padOrTrim: 480000 });
 * ```
 */
export function logMelSpectrogram(
  samples: Float32Array | Float64Array,
  options: LogMelOptions = {},
): LogMelSpectrogram {
  return logMelInto(samples, options, undefined);
}

/**
 * {@link logMelSpectrogram} writing into `into` (length nMels × nFrames, e.g. a view of a batch
 * buffer) instead of a new array. Internal: the feature extractor fills its batch this way.
 */
export function logMelInto(
  samples: Float32Array | Float64Array,
  options: LogMelOptions,
  into: Float32Array | undefined,
): LogMelSpectrogram {
  if (!(samples instanceof Float32Array || samples instanceof Float64Array)) {
    throw new AudioError(
      'INVALID_ARGUMENT',
      `Expected samples to be a Float32Array or Float64Array but received ${describe(samples)}`,
    );
  }
  const nFft = positiveInt(options.nFft ?? 400, 'nFft', 1 << 16);
  const hop = positiveInt(options.hopLength ?? 160, 'hopLength', 1 << 16);
  const nMels = positiveInt(options.filters?.nMels ?? options.nMels ?? 80, 'nMels', 1024);
  const sampleRate = positiveInt(options.sampleRate ?? 16000, 'sampleRate', 768_000);
  const padOrTrim =
    options.padOrTrim === undefined
      ? undefined
      : positiveInt(options.padOrTrim, 'padOrTrim', 2 ** 32 - 1);
  if (samples.length === 0) {
    throw new AudioError(
      'EMPTY_AUDIO',
      'Cannot compute a spectrogram of zero samples; check that the audio decoded to something',
    );
  }
  const total = padOrTrim ?? samples.length;
  const avail = Math.min(samples.length, total);
  const half = Math.floor(nFft / 2);
  if (total <= half) {
    throw new AudioError(
      'TOO_SHORT',
      `Need more than nFft / 2 = ${half} samples for reflect padding but got ${total}; pass padOrTrim (e.g. 480000) for short clips`,
    );
  }
  const input = avail === samples.length ? samples : samples.subarray(0, avail);
  checkFinite(input, 'Audio');

  const plan = getPlan(nFft, nMels, sampleRate, options.filters);
  const nFrames = Math.floor(total / hop);
  if (into && into.length !== nMels * nFrames)
    throw new RangeError(`output view has ${into.length} elements, need ${nMels * nFrames}`);
  const out = into ?? new Float32Array(nMels * nFrames);
  let lastNonZero = avail - 1;
  while (lastNonZero >= 0 && input[lastNonZero] === 0) lastNonZero--;

  const { frameIndex } = plan;
  const kernel = kernelOf(plan);
  const silentValue = (Math.log10(MEL_FLOOR) + 4) / 4;
  let maxPower = 0;
  let inBlock = 0;

  for (let t = 0; t < nFrames; t++) {
    const first = t * hop - half;
    const last = first + nFft - 1;
    // Smallest sample index this frame reads after reflection; beyond the last non-zero sample
    // the frame is digital silence and needs no FFT (the zero tail of a padded 30 s window).
    const minIndex =
      first <= 0 ? 0 : last >= total ? Math.min(first, 2 * (total - 1) - last) : first;
    if (minIndex > lastNonZero) {
      for (let m = 0; m < nMels; m++) out[m * nFrames + t] = silentValue;
      continue;
    }
    frameIndex[inBlock] = t;
    if (++inBlock === BLOCK) {
      gatherBlock(plan, kernel, BLOCK, input, total, hop);
      maxPower = Math.max(maxPower, melBlock(plan, kernel, BLOCK, out, nFrames));
      inBlock = 0;
    }
  }
  // Stale frames in the unused slots of the last block are transformed but never written out.
  if (inBlock > 0) {
    gatherBlock(plan, kernel, inBlock, input, total, hop);
    maxPower = Math.max(maxPower, melBlock(plan, kernel, inBlock, out, nFrames));
  }
  // The floor is global over this call (all bands, all frames), as in Whisper.
  const floor = dynamicRangeFloor(maxPower);
  for (let i = 0; i < out.length; i++) if (out[i]! < floor) out[i] = floor;
  return { data: out, nMels, nFrames };
}

/**
 * The floor Whisper applies to a whole spectrogram: `max − 8` in log10 units, scaled like the
 * values (`(x + 4) / 4`) and rounded to float32, from the largest mel power of the signal.
 *
 * @example
 * ```ts
 * const floor = dynamicRangeFloor(maxPower); // every value below it becomes it
 * ```
 */
export function dynamicRangeFloor(maxPower: number): number {
  const maxLog = Math.log10(Math.max(maxPower, MEL_FLOOR));
  return Math.fround((maxLog - DYNAMIC_RANGE + 4) / 4);
}

/**
 * Copies the windowed samples of the block's frames into the spectrum's input (interleaved by
 * frame, packed even/odd for the half-size FFT) — the kernel's when `kernel` is given. Interior
 * blocks take the fast path (the kernel's own gather for float32 input, else a loop over frames
 * innermost so every write is sequential); blocks touching either end reflect indices
 * (torch.stft `center=True, pad_mode="reflect"`) and read zeros past the real samples (the right
 * padding of pad_or_trim).
 *
 * `input[0]` is sample `origin` of the signal (a streaming caller holds only part of it; the
 * frames it asks for, and the reflections at the signal's ends, must lie inside `input`).
 * @internal
 */
export function gatherBlock(
  plan: Plan,
  kernel: LogMelKernel | null,
  count: number,
  input: Float32Array | Float64Array,
  total: number,
  hop: number,
  origin = 0,
): void {
  const { nFft, window, frameIndex, spectrum } = plan;
  const re = kernel ? kernel.real : spectrum.real;
  const im = kernel ? kernel.imag : spectrum.imag;
  const even = nFft % 2 === 0;
  if (!even) im.fill(0);
  const half = Math.floor(nFft / 2);
  const avail = origin + input.length;
  const firstStart = frameIndex[0]! * hop - half;
  const lastEnd = frameIndex[count - 1]! * hop - half + nFft - 1;
  const contiguous = frameIndex[count - 1]! - frameIndex[0]! === count - 1;
  if (even && contiguous && count === BLOCK && firstStart >= origin && lastEnd < avail) {
    if (kernel?.canGather && input instanceof Float32Array) {
      kernel.gather(input, firstStart - origin, hop);
      return;
    }
    // Even samples to the real part, odd to the imaginary part: the packing of the half-size FFT.
    for (let j = 0; j < nFft; j += 2) {
      const w0 = window[j]!;
      const w1 = window[j + 1]!;
      const row = (j >> 1) * BLOCK;
      let src = firstStart - origin + j;
      for (let b = 0; b < BLOCK; b++) {
        re[row + b] = input[src]! * w0;
        im[row + b] = input[src + 1]! * w1;
        src += hop;
      }
    }
    return;
  }
  for (let b = 0; b < count; b++) {
    const first = frameIndex[b]! * hop - half;
    for (let j = 0; j < nFft; j++) {
      let q = first + j;
      if (q < 0) q = -q;
      else if (q >= total) q = 2 * (total - 1) - q;
      const v = (q < avail ? input[q - origin]! : 0) * window[j]!;
      if (!even) re[j * BLOCK + b] = v;
      else if ((j & 1) === 0) re[(j >> 1) * BLOCK + b] = v;
      else im[(j >> 1) * BLOCK + b] = v;
    }
  }
}

/**
 * Power spectrum, mel projection and scaled log10 of the `count` frames gathered by
 * {@link gatherBlock} (in WebAssembly when `kernel` is given);
 * writes them to their columns of `out` (frame `t` to column `t − firstColumnFrame`, rows
 * `nFrames` apart) and returns the largest mel power seen (the log of the maximum is the maximum
 * of the logs, so one log10 serves the dynamic-range floor).
 * @internal
 */
export function melBlock(
  plan: Plan,
  kernel: LogMelKernel | null,
  count: number,
  out: Float32Array,
  nFrames: number,
  firstColumnFrame = 0,
): number {
  const { spectrum, power, acc, frameIndex } = plan;
  if (kernel) {
    const maxPower = kernel.run(count);
    const values = kernel.out;
    const nMels = kernel.nMels;
    const contiguous = frameIndex[count - 1]! - frameIndex[0]! === count - 1;
    for (let m = 0; m < nMels; m++) {
      const outRow = m * nFrames - firstColumnFrame;
      const src = m * BLOCK;
      if (contiguous) {
        const dst = outRow + frameIndex[0]!;
        for (let b = 0; b < count; b++) out[dst + b] = values[src + b]!;
      } else for (let b = 0; b < count; b++) out[outRow + frameIndex[b]!] = values[src + b]!;
    }
    return maxPower;
  }
  const { nMels, start, length, offset, values } = plan.mel;
  spectrum.computePacked(power);
  let maxPower = 0;
  for (let m = 0; m < nMels; m++) {
    const s = start[m]!;
    const len = length[m]!;
    const o = offset[m]!;
    if (len === 0) acc.fill(0);
    else {
      // The first tap initialises the accumulators (no separate clearing pass).
      const w0 = values[o]!;
      const row0 = s * BLOCK;
      for (let b = 0; b < BLOCK; b++) acc[b] = w0 * power[row0 + b]!;
    }
    for (let j = 1; j < len; j++) {
      const w = values[o + j]!;
      const row = (s + j) * BLOCK;
      for (let b = 0; b < BLOCK; b++) acc[b] = acc[b]! + w * power[row + b]!;
    }
    const outRow = m * nFrames - firstColumnFrame;
    for (let b = 0; b < count; b++) {
      const a = acc[b]!;
      if (a > maxPower) maxPower = a;
      out[outRow + frameIndex[b]!] = (log10Positive(a > MEL_FLOOR ? a : MEL_FLOOR) + 4) / 4;
    }
  }
  return maxPower;
}
