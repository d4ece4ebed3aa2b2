// Plain-JS references for the op tests (float64 accumulation).
export function rand(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** C[M,N] = A[M,K]·B[N,K]ᵀ + bias */
export function linearRef(
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | null,
  M: number,
  N: number,
  K: number,
): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = bias ? bias[j]! : 0;
      for (let k = 0; k < K; k++) s += a[i * K + k]! * b[j * K + k]!;
      c[i * N + j] = s;
    }
  return c;
}

export function erf(x: number): number {
  // Series / continued fraction accurate to ~1e-15 for the test's range.
  const t = Math.abs(x);
  if (t < 3) {
    let sum = t,
      term = t;
    for (let n = 1; n < 200; n++) {
      term *= (-t * t) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction for large |x|
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (t + f);
  const erfc = Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f);
  return Math.sign(x) * (1 - erfc);
}

/** Naive attention on [B, L, H, D] layouts, causal bottom-right aligned. */
export function attentionRef(
  q: ArrayLike<number>,
  k: ArrayLike<number>,
  v: ArrayLike<number>,
  B: number,
  Lq: number,
  Lk: number,
  H: number,
  D: number,
  scale: number,
  causal: boolean,
): Float64Array {
  const out = new Float64Array(B * Lq * H * D);
  for (let b = 0; b < B; b++)
    for (let h = 0; h < H; h++)
      for (let i = 0; i < Lq; i++) {
        const limit = causal ? i + Lk - Lq : Lk - 1;
        const scores: number[] = [];
        for (let j = 0; j <= limit; j++) {
          let s = 0;
          for (let d = 0; d < D; d++)
            s += q[((b * Lq + i) * H + h) * D + d]! * k[((b * Lk + j) * H + h) * D + d]!;
          scores.push(s * scale);
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((x, y) => x + y, 0);
        for (let d = 0; d < D; d++) {
          let acc = 0;
          for (let j = 0; j <= limit; j++) acc += e[j]! * v[((b * Lk + j) * H + h) * D + d]!;
          out[((b * Lq + i) * H + h) * D + d] = acc / z;
        }
      }
  return out;
}
