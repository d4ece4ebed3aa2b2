// Frame ranges of a long signal, computed from partial buffers, equal the whole-signal
// spectrogram exactly (same FFT per frame), once the global floor is applied.
import { describe, expect, it } from 'vitest';
import { dynamicRangeFloor, LogMelFrames, logMelSpectrogram } from '../src/index';

function signal(n: number, seed = 1): Float32Array {
  let s = seed;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    // Speech-like: a few tones with a slow envelope, some noise, and a quiet stretch.
    const env = i > n * 0.4 && i < n * 0.5 ? 0.001 : 0.3 + 0.2 * Math.sin(i / 9000);
    x[i] = env * (Math.sin(i * 0.05) + 0.5 * Math.sin(i * 0.31)) + 0.02 * ((s / 2 ** 32) * 2 - 1);
  }
  return x;
}

describe('LogMelFrames', () => {
  const total = 16000 * 35 + 123; // not a multiple of the hop
  const x = signal(total);
  const whole = logMelSpectrogram(x);
  const lm = new LogMelFrames(total);

  it('has the frame count of the whole spectrogram', () => {
    expect(lm.totalFrames).toBe(whole.nFrames);
  });

  it('ranges computed from the samples they need equal the whole spectrogram after the floor', () => {
    const F = lm.totalFrames;
    const out = new Float32Array(80 * F);
    let maxPower = 0;
    // Uneven ranges, including both ends of the signal, each from a buffer of just what it needs.
    const cuts = [0, 1, 37, 300, 301, 1000, 3000, F - 2, F];
    for (let k = 0; k + 1 < cuts.length; k++) {
      const [f0, f1] = [cuts[k]!, cuts[k + 1]!];
      const { start, end } = lm.samplesFor(f0, f1);
      const got = new Float32Array(80 * (f1 - f0));
      maxPower = Math.max(maxPower, lm.compute(x.slice(start, end), start, f0, f1, got, f1 - f0));
      for (let m = 0; m < 80; m++)
        out.set(got.subarray(m * (f1 - f0), (m + 1) * (f1 - f0)), m * F + f0);
    }
    const floor = dynamicRangeFloor(maxPower);
    for (let i = 0; i < out.length; i++) if (out[i]! < floor) out[i] = floor;
    expect(Buffer.from(out.buffer).equals(Buffer.from(whole.data.buffer))).toBe(true);
  });

  it('writes into a wider row stride (a 3000-frame window) and refuses too little input', () => {
    const into = new Float32Array(80 * 3000);
    const { start, end } = lm.samplesFor(500, 700);
    lm.compute(x.slice(start, end), start, 500, 700, into, 3000);
    expect(into[3000 + 199]).not.toBe(0);
    expect(into[3000 + 200]).toBe(0);
    expect(() => lm.compute(x.slice(start + 1, end), start + 1, 500, 700, into, 3000)).toThrow(
      /need samples/,
    );
    expect(() => new LogMelFrames(100)).toThrow(/reflect/);
  });
});
