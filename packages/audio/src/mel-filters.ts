import { AudioError } from './errors.js';

/**
 * A mel filter bank, dense layout `[nMels, nFreqBins]` (row-major, as `mel_filters.npz` and
 * openai/whisper store it), with nFreqBins = nFft / 2 + 1.
 */
export interface MelFilterBank {
  readonly nMels: number;
  readonly nFreqBins: number;
  /** Weights, element [m, k] at `m * nFreqBins + k`. */
  readonly weights: Float32Array;
}

/** Options for {@link melFilterBank}; defaults are Whisper's. */
export interface MelFilterBankOptions {
  /** Number of mel bands. Default 80 (128 for large-v3 checkpoints). */
  nMels?: number;
  /** FFT length. Default 400. */
  nFft?: number;
  /** Sample rate in Hz. Default 16000. */
  sampleRate?: number;
  /** Lowest filter edge in Hz. Default 0. */
  fMin?: number;
  /** Highest filter edge in Hz. Default sampleRate / 2. */
  fMax?: number;
}

// Slaney's auditory-toolbox mel scale (librosa's default, `htk=False`): linear below 1 kHz,
// logarithmic above.
const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOG_STEP = Math.log(6.4) / 27;

/** Hertz to mel on the Slaney scale. */
export function hzToMel(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOG_STEP : hz / F_SP;
}

/** Mel to hertz on the Slaney scale. */
export function melToHz(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOG_STEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

/**
 * Slaney-style triangular mel filters with Slaney area normalisation (`2 / (f[m+2] - f[m])`), as
 * `librosa.filters.mel(sr, n_fft, n_mels)` and Hugging Face `mel_filter_bank(norm="slaney",
 * mel_scale="slaney")` build them; computed in float64 and rounded to float32 like Whisper's
 * `mel_filters.npz` (they agree with it to about 2e-9).
 *
 * @example
 * ```ts
 * const bank = melFilterBank({ nMels: 128 }); // large-v3 front end
 * bank.weights.length === 128 * 201;
 * ```
 */
export function melFilterBank(options: MelFilterBankOptions = {}): MelFilterBank {
  const nMels = options.nMels ?? 80;
  const nFft = options.nFft ?? 400;
  const sampleRate = options.sampleRate ?? 16000;
  const fMin = options.fMin ?? 0;
  const fMax = options.fMax ?? sampleRate / 2;
  if (!Number.isInteger(nMels) || nMels < 1 || nMels > 1024) {
    throw new AudioError(
      'INVALID_CONFIG',
      `Expected nMels to be an integer in 1..1024 but received ${nMels}`,
    );
  }
  if (!Number.isInteger(nFft) || nFft < 2 || nFft > 1 << 20) {
    throw new AudioError(
      'INVALID_CONFIG',
      `Expected nFft to be an integer in 2..${1 << 20} but received ${nFft}`,
    );
  }
  if (!(fMin >= 0 && fMax > fMin && fMax <= sampleRate / 2)) {
    throw new AudioError(
      'INVALID_CONFIG',
      `Expected 0 <= fMin < fMax <= sampleRate / 2 but received fMin ${fMin}, fMax ${fMax}, sampleRate ${sampleRate}`,
    );
  }
  const nFreqBins = Math.floor(nFft / 2) + 1;
  const melMin = hzToMel(fMin);
  const melMax = hzToMel(fMax);
  const edges = new Float64Array(nMels + 2);
  for (let i = 0; i < nMels + 2; i++)
    edges[i] = melToHz(melMin + ((melMax - melMin) * i) / (nMels + 1));
  const weights = new Float32Array(nMels * nFreqBins);
  // FFT bin frequencies as Hugging Face computes them: linspace(0, sr // 2, nFreqBins).
  const nyquist = Math.floor(sampleRate / 2);
  for (let m = 0; m < nMels; m++) {
    const lo = edges[m]!;
    const centre = edges[m + 1]!;
    const hi = edges[m + 2]!;
    const norm = 2 / (hi - lo);
    for (let k = 0; k < nFreqBins; k++) {
      const f = nFreqBins === 1 ? 0 : (nyquist * k) / (nFreqBins - 1);
      const down = (f - lo) / (centre - lo);
      const up = (hi - f) / (hi - centre);
      const w = Math.max(0, Math.min(down, up));
      weights[m * nFreqBins + k] = w * norm;
    }
  }
  return { nMels, nFreqBins, weights };
}

/** Sparse rows of a filter bank: the contiguous non-zero span of each mel band, in float64. */
export interface SparseMelRows {
  readonly nMels: number;
  readonly start: Int32Array;
  readonly length: Int32Array;
  /** Offset of each row's weights in `values`. */
  readonly offset: Int32Array;
  readonly values: Float64Array;
}

/**
 * Keeps only each band's non-zero span. Triangular filters touch a handful of bins each, so the
 * projection costs about 2·nFreqBins multiply-adds per frame instead of nMels·nFreqBins.
 */
export function sparsifyMelFilters(bank: MelFilterBank): SparseMelRows {
  const { nMels, nFreqBins, weights } = bank;
  const start = new Int32Array(nMels);
  const length = new Int32Array(nMels);
  const offset = new Int32Array(nMels);
  const values: number[] = [];
  for (let m = 0; m < nMels; m++) {
    let first = -1;
    let last = -1;
    for (let k = 0; k < nFreqBins; k++) {
      if (weights[m * nFreqBins + k] !== 0) {
        if (first < 0) first = k;
        last = k;
      }
    }
    offset[m] = values.length;
    if (first < 0) continue;
    start[m] = first;
    length[m] = last - first + 1;
    for (let k = first; k <= last; k++) values.push(weights[m * nFreqBins + k]!);
  }
  return { nMels, start, length, offset, values: Float64Array.from(values) };
}
