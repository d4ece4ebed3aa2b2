// The WebAssembly SIMD log-mel kernel against the JavaScript path. The kernel runs the same float64
// operations in the same order, so the two must agree bit for bit — on every plan shape the kernel
// covers (radix 2/3/4/5 stages, the twiddle-free last radix-5 stage), at both ends of the signal
// (reflection, zero tail, skipped silent frames, a partial last block), for float64 input (the
// JavaScript gather feeding the kernel) and for powers above the log table's range.
// log-mel.parity.test.ts checks both paths against the reference vectors.
import { afterEach, describe, expect, it } from 'vitest';
import { RealPowerSpectrum } from '../src/fft';
import { LogMelFrames, logMelSpectrogram, melFilterBank, type LogMelOptions } from '../src/index';
import { sparsifyMelFilters } from '../src/mel-filters';
import { LogMelKernel, setLogMelSimdEnabled } from '../src/wasm/logmel-kernel';

function signal(n: number, seed: number, scale = 1): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const env = 0.05 + 0.3 * Math.abs(Math.sin(i / 7000));
    x[i] = scale * (env * Math.sin(i * 0.07) + 0.1 * (s / 2 ** 32 - 0.5));
  }
  return x;
}

function bothPaths<T>(run: () => T): { simd: T; js: T } {
  setLogMelSimdEnabled(true);
  const simd = run();
  setLogMelSimdEnabled(false);
  try {
    return { simd, js: run() };
  } finally {
    setLogMelSimdEnabled(true);
  }
}

/** Count of elements whose bits differ (NaN-safe, -0 ≠ 0). */
function bitDifferences(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) n++;
  return n;
}

afterEach(() => setLogMelSimdEnabled(true));

describe('log-mel WebAssembly SIMD kernel', () => {
  it('is available here (Node 20 has WebAssembly SIMD), so the other tests exercise it', () => {
    const spectrum = new RealPowerSpectrum(400, 32);
    const window = new Float64Array(400).fill(1);
    const mel = sparsifyMelFilters(melFilterBank());
    expect(LogMelKernel.create(400, window, mel, spectrum)).not.toBeNull();
    // Plans it does not cover run in JavaScript: odd n_fft, a prime factor above 5 (402 = 2·3·67).
    expect(LogMelKernel.create(401, window, mel, new RealPowerSpectrum(401, 32))).toBeNull();
    expect(LogMelKernel.create(402, window, mel, new RealPowerSpectrum(402, 32))).toBeNull();
    setLogMelSimdEnabled(false);
    expect(LogMelKernel.create(400, window, mel, spectrum)).toBeNull();
  });

  const cases: Array<[string, Float32Array | Float64Array, LogMelOptions]> = [
    ['30 s, 80 bins', signal(480000, 1), {}],
    ['30 s, 128 bins', signal(480000, 2), { nMels: 128 }],
    ['11 s padded to 30 s (silent tail skipped)', signal(176000, 3), { padOrTrim: 480000 }],
    ['45 s trimmed to 15 s', signal(720000, 4), { padOrTrim: 240000 }],
    ['unpadded, odd length (reflection at both ends, partial last block)', signal(51234, 5), {}],
    [
      'trailing zeros shorter than a frame (frames skipped, then reflected ones)',
      (() => {
        const x = signal(40000, 6);
        x.fill(0, 39700);
        return x;
      })(),
      {},
    ],
    ['float64 input (JavaScript gather into the kernel)', Float64Array.from(signal(64000, 7)), {}],
    ['n_fft 512, hop 128 (radix 4 only)', signal(40000, 8), { nFft: 512, hopLength: 128 }],
    ['n_fft 240 (radix 3)', signal(40000, 9), { nFft: 240, hopLength: 120, nMels: 40 }],
    ['n_fft 500 (250 = 2·5·5·5)', signal(40000, 10), { nFft: 500, hopLength: 250 }],
    [
      'n_fft 150 (75 = 3·5·5; not a multiple of 4: JavaScript gather into the kernel)',
      signal(20000, 11),
      { nFft: 150, hopLength: 75, nMels: 20 },
    ],
    ['n_fft 402 (JavaScript plan on both sides)', signal(20000, 12), { nFft: 402, nMels: 40 }],
    ['256 bins (empty filter rows)', signal(48000, 13), { nMels: 256 }],
    [
      'hop 1000 (gather span larger than the first allocation)',
      signal(200000, 14),
      { hopLength: 1000 },
    ],
    ['powers above 1e37 (Math.log10 instead of the table)', signal(48000, 15, 3e18), {}],
    ['digital silence', new Float32Array(32000), {}],
  ];
  it.each(cases)('%s: bit-identical to the JavaScript path', (_name, x, options) => {
    const { simd, js } = bothPaths(() => logMelSpectrogram(x, options));
    expect([simd.nMels, simd.nFrames]).toEqual([js.nMels, js.nFrames]);
    expect(bitDifferences(simd.data, js.data)).toBe(0);
  });

  it('custom filters (Slaney rows reversed, so spans start anywhere)', () => {
    const bank = melFilterBank({ nMels: 64 });
    const reversed = new Float32Array(bank.weights.length);
    for (let m = 0; m < 64; m++)
      reversed.set(bank.weights.subarray(m * 201, (m + 1) * 201), (63 - m) * 201);
    const filters = { nMels: 64, nFreqBins: 201, weights: reversed };
    const x = signal(80000, 16);
    const { simd, js } = bothPaths(() => logMelSpectrogram(x, { filters }));
    expect(bitDifferences(simd.data, js.data)).toBe(0);
  });

  it('LogMelFrames ranges (partial buffers, uneven blocks) are bit-identical too', () => {
    const total = 16000 * 20 + 77;
    const x = signal(total, 17);
    const compute = (): { out: Float32Array; max: number } => {
      const lm = new LogMelFrames(total);
      const F = lm.totalFrames;
      const out = new Float32Array(80 * F);
      let max = 0;
      const cuts = [0, 5, 40, 333, 1000, F - 1, F];
      for (let k = 0; k + 1 < cuts.length; k++) {
        const [f0, f1] = [cuts[k]!, cuts[k + 1]!];
        const { start, end } = lm.samplesFor(f0, f1);
        max = Math.max(max, lm.compute(x.slice(start, end), start, f0, f1, out.subarray(f0), F));
      }
      return { out, max };
    };
    const { simd, js } = bothPaths(compute);
    expect(simd.max).toBe(js.max);
    expect(bitDifferences(simd.out, js.out)).toBe(0);
  });
});
