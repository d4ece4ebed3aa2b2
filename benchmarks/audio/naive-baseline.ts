// Straightforward baseline for the benchmark: Whisper log-mel with a direct O(N²) real DFT per
// frame and dense mel filters — the algorithm written the obvious way, in float64.
import { melFilterBank } from '../../packages/audio/src/mel-filters';

export function naiveLogMel(samples: Float32Array, nMels = 80, padTo = 480000): Float32Array {
  const nFft = 400;
  const hop = 160;
  const bins = 201;
  const x = new Float64Array(padTo);
  x.set(samples.subarray(0, Math.min(samples.length, padTo)));
  const padded = new Float64Array(padTo + nFft);
  for (let i = 0; i < padded.length; i++) {
    let q = i - nFft / 2;
    if (q < 0) q = -q;
    else if (q >= padTo) q = 2 * (padTo - 1) - q;
    padded[i] = x[q]!;
  }
  const cos = new Float64Array(bins * nFft);
  const sin = new Float64Array(bins * nFft);
  for (let k = 0; k < bins; k++) {
    for (let n = 0; n < nFft; n++) {
      cos[k * nFft + n] = Math.cos((2 * Math.PI * k * n) / nFft);
      sin[k * nFft + n] = Math.sin((2 * Math.PI * k * n) / nFft);
    }
  }
  const win = new Float64Array(nFft).map((_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / nFft));
  const filters = melFilterBank({ nMels }).weights;
  const frames = padTo / hop;
  const out = new Float32Array(nMels * frames);
  const frame = new Float64Array(nFft);
  const power = new Float64Array(bins);
  let max = -Infinity;
  for (let t = 0; t < frames; t++) {
    for (let n = 0; n < nFft; n++) frame[n] = padded[t * hop + n]! * win[n]!;
    for (let k = 0; k < bins; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < nFft; n++) {
        re += frame[n]! * cos[k * nFft + n]!;
        im -= frame[n]! * sin[k * nFft + n]!;
      }
      power[k] = re * re + im * im;
    }
    for (let m = 0; m < nMels; m++) {
      let acc = 0;
      for (let k = 0; k < bins; k++) acc += filters[m * bins + k]! * power[k]!;
      const v = Math.log10(Math.max(acc, 1e-10));
      if (v > max) max = v;
      out[m * frames + t] = v;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = (Math.max(out[i]!, max - 8) + 4) / 4;
  return out;
}
