import { describe, expect, it } from 'vitest';
import { AudioError, Resampler, resample } from '../src/index';
import { setSimdEnabled } from '../src/wasm/polyphase-kernel';
import { sameSamples } from './helpers';

const TONES = [
  { f: 97.3, a: 0.3, ph: 0.1 },
  { f: 440, a: 0.2, ph: 1.3 },
  { f: 1234.5, a: 0.15, ph: 2.0 },
  { f: 3000, a: 0.1, ph: 0.7 },
  { f: 5111, a: 0.1, ph: 2.9 },
  { f: 6200, a: 0.05, ph: 0.4 },
];

function tones(rate: number, seconds: number, list = TONES, maxFreq = Infinity): Float32Array {
  const n = Math.round(rate * seconds);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const { f, a, ph } of list)
      if (f < maxFreq) v += a * Math.sin(2 * Math.PI * f * (i / rate) + ph);
    x[i] = v;
  }
  return x;
}

/** SNR in dB of `got` against `want`, skipping `edge` samples at both ends. */
function snrDb(got: Float32Array, want: Float32Array, edge: number): number {
  let sig = 0;
  let err = 0;
  for (let i = edge; i < want.length - edge; i++) {
    sig += want[i]! ** 2;
    err += (got[i]! - want[i]!) ** 2;
  }
  return 10 * Math.log10(sig / err);
}

function rms(x: Float32Array, edge: number): number {
  let s = 0;
  for (let i = edge; i < x.length - edge; i++) s += x[i]! ** 2;
  return Math.sqrt(s / (x.length - 2 * edge));
}

describe('resample: sums of sines below the new Nyquist (analytic)', () => {
  // Odd rates exercise the interpolated-phase path (reduced ratio denominators above 1024).
  const cases: Array<[number, number]> = [
    [8000, 16000],
    [11025, 16000],
    [22050, 16000],
    [24000, 16000],
    [32000, 16000],
    [44100, 16000],
    [48000, 16000],
    [96000, 16000],
    [44099, 16000],
    [12345, 16000],
    [16000, 44100],
  ];
  for (const [from, to] of cases) {
    it(`${from} → ${to} Hz: ≥ 60 dB SNR away from the edges`, () => {
      // Tones up to 78 % of the lower Nyquist: the passband of the ffmpeg-like default filter.
      const limit = 0.78 * (Math.min(from, to) / 2);
      const input = tones(from, 1, TONES, limit);
      const got = resample(input, from, to);
      expect(got.length).toBe(Math.ceil((input.length * to) / from));
      const want = tones(to, got.length / to, TONES, limit).subarray(0, got.length);
      const snr = snrDb(got, want, Math.ceil(0.05 * to));
      console.log(`${from} → ${to}: ${snr.toFixed(1)} dB`);
      expect(snr).toBeGreaterThanOrEqual(60);
    });
  }

  it('chunked streaming gives the same samples as one call, for any chunking', () => {
    const input = tones(44100, 0.5);
    const whole = resample(input, 44100, 16000);
    for (const size of [1, 7, 441, 10000]) {
      const rs = new Resampler(44100, 16000);
      const parts: Float32Array[] = [];
      for (let i = 0; i < input.length; i += size)
        parts.push(rs.process(input.subarray(i, i + size)));
      parts.push(rs.flush());
      const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) {
        joined.set(p, o);
        o += p.length;
      }
      expect(sameSamples(joined, whole)).toBe(true);
    }
  });

  it('keeps a constant signal constant (unity DC gain) and has zero delay', () => {
    const dc = new Float32Array(44100).fill(0.25);
    const out = resample(dc, 44100, 16000);
    for (let i = 200; i < out.length - 200; i++)
      expect(Math.abs(out[i]! - 0.25)).toBeLessThan(1e-6);
    // An impulse at input time t lands at output time t (peak at the nearest output sample).
    const imp = new Float32Array(44100);
    imp[22050] = 1;
    const y = resample(imp, 44100, 16000);
    let arg = 0;
    for (let i = 0; i < y.length; i++) if (Math.abs(y[i]!) > Math.abs(y[arg]!)) arg = i;
    expect(arg).toBe(8000);
  });

  it('returns the input unchanged when the rates are equal', () => {
    const x = tones(16000, 0.1);
    expect(resample(x, 16000, 16000)).toBe(x);
  });
});

describe('resample: content above the new Nyquist is attenuated', () => {
  for (const [from, f] of [
    [44100, 10000],
    [44100, 15000],
    [48000, 20000],
    [96000, 30000],
    [22050, 9500],
  ] as Array<[number, number]>) {
    it(`${f} Hz at ${from} Hz → 16 kHz is at least 75 dB down`, () => {
      const input = tones(from, 1, [{ f, a: 0.5, ph: 0.3 }]);
      const out = resample(input, from, 16000);
      const att = 20 * Math.log10(rms(out, 800) / (0.5 / Math.SQRT2));
      console.log(`${f} Hz from ${from}: ${att.toFixed(1)} dB`);
      expect(att).toBeLessThan(-75);
    });
  }
});

describe('resample: bad input', () => {
  it.each([0, -16000, 1.5, Number.NaN, Infinity, 1e12, 999])('rejects sample rate %s', (rate) => {
    expect(() => resample(new Float32Array(10), rate, 16000)).toThrowError(AudioError);
    try {
      new Resampler(16000, rate);
    } catch (e) {
      expect((e as AudioError).code).toBe('INVALID_SAMPLE_RATE');
    }
  });
  it('rejects non-Float32Array input', () => {
    expect(() => resample([1, 2, 3] as unknown as Float32Array, 8000, 16000)).toThrowError(
      /Float32Array/,
    );
  });
});

describe('resample: WebAssembly SIMD kernel vs the float64 JavaScript loop', () => {
  it.each([
    [44100, 16000],
    [48000, 16000],
    [8000, 16000],
    [22050, 16000],
  ])('%i → %i: same output to float32 accumulation accuracy, and both ≥ 60 dB', (from, to) => {
    const input = tones(from, 0.5, TONES, 0.78 * (Math.min(from, to) / 2));
    const simd = resample(input, from, to);
    setSimdEnabled(false);
    let js: Float32Array;
    try {
      js = resample(input, from, to);
    } finally {
      setSimdEnabled(true);
    }
    let max = 0;
    for (let i = 0; i < js.length; i++) max = Math.max(max, Math.abs(js[i]! - simd[i]!));
    expect(max).toBeLessThan(2e-6);
  });
});
