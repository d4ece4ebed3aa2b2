// Float64 JavaScript forwards and checks for the backward-op tests: each native backward is
// compared with central finite differences of the matching forward below (or, for the fused loss
// and AdamW, with the formulas written out in plain JS).
import { erf } from './reference';

/** Central differences of a scalar function: d f / d x_i for every i (x is restored). */
export function numericGrad(
  f: (x: Float64Array) => number,
  x: Float64Array,
  h = 1e-5,
): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const keep = x[i]!;
    x[i] = keep + h;
    const up = f(x);
    x[i] = keep - h;
    const down = f(x);
    x[i] = keep;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** Σ out·w: the scalar whose gradient with respect to `out` is `w` (the upstream gradient). */
export function dot(out: ArrayLike<number>, w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i]! * w[i]!;
  return s;
}

/** Largest |got − want| relative to the largest |want| (plus 1, so values near 0 compare absolutely). */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let m = 0,
    scale = 1;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  if (got.length !== want.length) return Infinity;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i]! - want[i]!));
  return m / scale;
}

export const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);

/** y [R, O] = x [R, I] · Wᵀ + b, W [O, I]. */
export function linearF64(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  R: number,
  I: number,
  O: number,
): Float64Array {
  const y = new Float64Array(R * O);
  for (let r = 0; r < R; r++)
    for (let o = 0; o < O; o++) {
      let s = b[o]!;
      for (let i = 0; i < I; i++) s += x[r * I + i]! * w[o * I + i]!;
      y[r * O + o] = s;
    }
  return y;
}

/** LayerNorm over the last dim (biased variance), rows × C. */
export function layerNormF64(
  x: Float64Array,
  g: Float64Array,
  b: Float64Array,
  rows: number,
  C: number,
  eps: number,
): Float64Array {
  const y = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let mean = 0,
      v = 0;
    for (let c = 0; c < C; c++) mean += x[r * C + c]!;
    mean /= C;
    for (let c = 0; c < C; c++) v += (x[r * C + c]! - mean) ** 2;
    const rstd = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) y[r * C + c] = (x[r * C + c]! - mean) * rstd * g[c]! + b[c]!;
  }
  return y;
}

export function geluF64(x: Float64Array): Float64Array {
  return x.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
}

/** Per-row distillation objective (WAVE2 A6) in float64. */
export interface LossRef {
  ce: Float64Array;
  kl: Float64Array;
  grad: Float64Array;
  /** Σ_r ceScale·ce_r + klScale·kl_r. */
  total: number;
}

function logSumExp(z: ArrayLike<number>, off: number, V: number, s: number): number {
  let m = -Infinity;
  for (let v = 0; v < V; v++) m = Math.max(m, z[off + v]! * s);
  let t = 0;
  for (let v = 0; v < V; v++) t += Math.exp(z[off + v]! * s - m);
  return m + Math.log(t);
}

export function logitsLossF64(
  zs: ArrayLike<number>,
  zt: ArrayLike<number> | null,
  labels: ArrayLike<number>,
  R: number,
  V: number,
  T: number,
  ceScale: number,
  klScale: number,
): LossRef {
  const ce = new Float64Array(R),
    kl = new Float64Array(R),
    grad = new Float64Array(R * V);
  let total = 0;
  for (let r = 0; r < R; r++) {
    const y = labels[r]!;
    if (y < 0) continue;
    const o = r * V;
    const lse1 = logSumExp(zs, o, V, 1);
    const lseS = logSumExp(zs, o, V, 1 / T);
    const lseT = zt ? logSumExp(zt, o, V, 1 / T) : 0;
    ce[r] = lse1 - zs[o + y]!;
    let k = 0;
    for (let v = 0; v < V; v++) {
      let g = ceScale * (Math.exp(zs[o + v]! - lse1) - (v === y ? 1 : 0));
      if (zt) {
        const logPt = zt[o + v]! / T - lseT,
          logPs = zs[o + v]! / T - lseS;
        const pt = Math.exp(logPt);
        if (pt > 0) k += pt * (logPt - logPs);
        g += klScale * T * (Math.exp(logPs) - pt);
      }
      grad[o + v] = g;
    }
    kl[r] = T * T * k;
    total += ceScale * ce[r]! + klScale * kl[r]!;
  }
  return { ce, kl, grad, total };
}

/** torch.optim.AdamW's single-tensor step, emulated op by op in float32 (Math.fround). */
export function adamwF32(
  p: Float32Array,
  g: Float32Array,
  m: Float32Array,
  v: Float32Array,
  o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number },
): void {
  const f = Math.fround;
  const decay = f(1 - o.lr * o.weightDecay);
  const w = f(1 - o.beta1);
  const b2 = f(o.beta2),
    omb2 = f(1 - o.beta2);
  const bc1 = 1 - o.beta1 ** o.step,
    bc2 = 1 - o.beta2 ** o.step;
  const stepSize = f(-(o.lr / bc1)),
    bc2Sqrt = f(Math.sqrt(bc2)),
    eps = f(o.eps);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]!;
    const pi = f(p[i]! * decay);
    const mi =
      Math.abs(w) < 0.5 ? f(m[i]! + f(w * f(gi - m[i]!))) : f(gi - f(f(gi - m[i]!) * f(1 - w)));
    const vi = f(f(v[i]! * b2) + f(f(omb2 * gi) * gi));
    const denom = f(f(f(Math.sqrt(vi)) / bc2Sqrt) + eps);
    m[i] = mi;
    v[i] = vi;
    p[i] = f(pi + f(stepSize * f(mi / denom)));
  }
}
