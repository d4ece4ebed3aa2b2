/**
 * Numeric helpers over one row of logits. Everything is computed in float64 and written back
 * into Float32Arrays, which keeps `-Infinity` (masked tokens) exact.
 */

/** Index of the largest value; the first one wins ties (torch.argmax does the same on CPU). */
export function argmax(row: ArrayLike<number>, start = 0, end = row.length): number {
  let best = start;
  let bestValue = -Infinity;
  let seen = false;
  for (let i = start; i < end; i++) {
    const v = row[i] as number;
    if (!seen || v > bestValue) {
      best = i;
      bestValue = v;
      seen = true;
    }
  }
  return best;
}

/** Largest value of `row[start:end]` (−∞ for an empty range). */
export function maxOf(row: ArrayLike<number>, start = 0, end = row.length): number {
  let m = -Infinity;
  for (let i = start; i < end; i++) {
    const v = row[i] as number;
    if (v > m) m = v;
  }
  return m;
}

/** log Σ exp(row[start:end]), stable; −∞ when every value is −∞. */
export function logSumExp(row: ArrayLike<number>, start = 0, end = row.length): number {
  const m = maxOf(row, start, end);
  if (m === -Infinity) return -Infinity;
  if (m === Infinity) return Infinity;
  let s = 0;
  for (let i = start; i < end; i++) s += Math.exp((row[i] as number) - m);
  return m + Math.log(s);
}

/** log_softmax of a whole row into a new Float32Array. */
export function logSoftmax(row: ArrayLike<number>): Float32Array {
  const lse = logSumExp(row);
  const out = new Float32Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = (row[i] as number) - lse;
  return out;
}

/** softmax of a whole row into a new Float64Array (probabilities for sampling). */
export function softmax(row: ArrayLike<number>): Float64Array {
  const m = maxOf(row);
  const out = new Float64Array(row.length);
  let s = 0;
  for (let i = 0; i < row.length; i++) {
    const e = Math.exp((row[i] as number) - m);
    out[i] = e;
    s += e;
  }
  for (let i = 0; i < row.length; i++) out[i] = (out[i] as number) / s;
  return out;
}

/**
 * The `k` largest entries of `values`, largest first; ties keep the lower index first
 * (the order torch.topk returns on CPU for distinct values; equal values are rare with real logits).
 */
export function topK(
  values: ArrayLike<number>,
  k: number,
): { indices: number[]; values: number[] } {
  // A small sorted buffer beats sorting 50k+ entries: k is 2·num_beams at most.
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (idx.length === k && !(v > (val[k - 1] as number))) continue;
    let pos = idx.length;
    while (pos > 0 && v > (val[pos - 1] as number)) pos--;
    idx.splice(pos, 0, i);
    val.splice(pos, 0, v);
    if (idx.length > k) {
      idx.pop();
      val.pop();
    }
  }
  return { indices: idx, values: val };
}
