// A tour of the tensor API: one Whisper-small encoder block (d_model 768, 12 heads, 1500 frames)
// on random weights, timed. Run: npm run demo
import {
  add,
  attention,
  backendInfo,
  gelu,
  layerNorm,
  linear,
  Tensor,
  tidy,
} from '@distil-whisper/kernels';

const T = 1500,
  C = 768,
  H = 12,
  F = 3072;
let seed = 1;
const rand = (n: number, s = 0.05) =>
  Float32Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return ((seed / 2 ** 32) * 2 - 1) * s;
  });

console.log('backends:', JSON.stringify(backendInfo()));
const w = (rows: number, cols: number) => Tensor.from(rand(rows * cols), [rows, cols]).cast('f16');
const weights = {
  ln1: [Tensor.from(new Float32Array(C).fill(1), [C]), Tensor.zeros([C])] as const,
  q: w(C, C),
  k: w(C, C),
  v: w(C, C),
  o: w(C, C),
  ln2: [Tensor.from(new Float32Array(C).fill(1), [C]), Tensor.zeros([C])] as const,
  fc1: w(F, C),
  fc2: w(C, F),
};
const x = Tensor.from(rand(T * C, 1), [1, T, C]);

function block(h: Tensor): Tensor {
  return tidy(() => {
    const n = layerNorm(h, ...weights.ln1);
    const q = linear(n, weights.q).reshape([1, T, H, C / H]);
    const k = linear(n, weights.k).reshape([1, T, H, C / H]);
    const v = linear(n, weights.v).reshape([1, T, H, C / H]);
    const a = attention(q, k, v).out.reshape([1, T, C]);
    const h2 = add(h, linear(a, weights.o));
    const m = linear(gelu(linear(layerNorm(h2, ...weights.ln2), weights.fc1)), weights.fc2);
    return add(h2, m);
  });
}

block(x).dispose(); // warm-up
const runs = 3;
const t0 = performance.now();
for (let i = 0; i < runs; i++) block(x).dispose();
const ms = (performance.now() - t0) / runs;
const flops = 2 * T * C * (4 * C + 2 * F) + 4 * T * T * C;
console.log(
  `encoder block [${T}×${C}], f16 weights: ${ms.toFixed(1)} ms (${(flops / ms / 1e6).toFixed(1)} GFLOP/s)`,
);
console.log(
  `a 12-layer encoder (whisper-small) would take ≈ ${((12 * ms) / 1000).toFixed(2)} s per 30 s window`,
);
