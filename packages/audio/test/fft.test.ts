import { describe, expect, it } from 'vitest';
import { ComplexFft, RealPowerSpectrum } from '../src/fft';
import { logMelSpectrogram } from '../src/index';

function naiveDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const outRe = new Float64Array(n);
  const outIm = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * ((j * k) % n)) / n;
      outRe[k]! += re[j]! * Math.cos(a) - im[j]! * Math.sin(a);
      outIm[k]! += re[j]! * Math.sin(a) + im[j]! * Math.cos(a);
    }
  }
  return [outRe, outIm];
}

const rand = (n: number, seed: number): Float64Array => {
  const x = new Float64Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    x[i] = s / 2 ** 30 - 1;
  }
  return x;
};

describe('mixed-radix FFT against a direct DFT', () => {
  // Radix 4, 2, 3, 5 and the generic (prime) butterfly, alone and mixed, batched and not.
  it.each([1, 2, 3, 4, 5, 7, 8, 12, 25, 30, 97, 200, 201, 400, 512])('size %i', (n) => {
    for (const batch of [1, 3]) {
      const fft = new ComplexFft(n, batch);
      const re = rand(n * batch, n);
      const im = rand(n * batch, n + 1);
      const origRe = re.slice();
      const origIm = im.slice();
      fft.transform(re, im);
      for (let b = 0; b < batch; b++) {
        const xr = new Float64Array(n).map((_, j) => origRe[j * batch + b]!);
        const xi = new Float64Array(n).map((_, j) => origIm[j * batch + b]!);
        const [wr, wi] = naiveDft(xr, xi);
        for (let k = 0; k < n; k++) {
          expect(Math.abs(re[k * batch + b]! - wr[k]!)).toBeLessThan(1e-9 * n);
          expect(Math.abs(im[k * batch + b]! - wi[k]!)).toBeLessThan(1e-9 * n);
        }
      }
    }
  });

  it.each([400, 401, 256, 30])('real power spectrum, size %i', (n) => {
    const ps = new RealPowerSpectrum(n, 2);
    const frames = rand(n * 2, 9);
    const out = new Float64Array(ps.bins * 2);
    ps.compute(frames, out);
    for (let b = 0; b < 2; b++) {
      const x = new Float64Array(n).map((_, j) => frames[j * 2 + b]!);
      const [wr, wi] = naiveDft(x, new Float64Array(n));
      for (let k = 0; k < ps.bins; k++) {
        const want = wr[k]! ** 2 + wi[k]! ** 2;
        expect(Math.abs(out[k * 2 + b]! - want)).toBeLessThan(1e-9 * (1 + want));
      }
    }
  });

  it('odd n_fft works end to end (generic path of the log-mel)', () => {
    const x = new Float32Array(rand(4000, 3));
    const mel = logMelSpectrogram(x, { nFft: 401, nMels: 40 });
    expect(mel.nFrames).toBe(25);
    expect(mel.data.every((v) => Number.isFinite(v))).toBe(true);
  });
});
