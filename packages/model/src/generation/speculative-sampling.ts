// The acceptance rule of speculative sampling (Leviathan et al. 2023, Chen et al. 2023): a token
// drawn from the assistant's distribution q is kept with probability min(1, p/q) under the main
// model's distribution p; a rejected draft is replaced by a draw from the normalised residual
// max(0, p − q). The kept token is then distributed exactly as p, whatever q is.
import { warpForSampling } from './logits-processors';
import { softmax } from './math';
import { sampleIndex, type SeededRandom } from './rng';

/** How both models turn processed logits into a sampling distribution. */
export interface SamplingWarp {
  /** Temperature (> 0). */
  temperature: number;
  /** Top-k filter; 0 keeps every token. */
  topK: number;
}

/**
 * The sampling distribution of one processed logit row: temperature, then top-k, then softmax
 * (the row is warped in place, as the plain sampling choice does it).
 */
export function samplingDistribution(row: Float32Array, warp: SamplingWarp): Float64Array {
  warpForSampling(row, warp.temperature, warp.topK);
  return softmax(row);
}

/**
 * The log-probability transformers records for a sampled token: the warped row multiplied back by
 * the temperature, log-softmaxed (the same score as the plain sampling choice gives).
 *
 * @param warped the row after {@link samplingDistribution}
 */
export function sampledLogprob(warped: Float32Array, token: number, temperature: number): number {
  let m = -Infinity;
  for (let i = 0; i < warped.length; i++) m = Math.max(m, (warped[i] as number) * temperature);
  let sum = 0;
  for (let i = 0; i < warped.length; i++) sum += Math.exp((warped[i] as number) * temperature - m);
  return (warped[token] as number) * temperature - (m + Math.log(sum));
}

/**
 * Keeps draft `token` (drawn from `q`) with probability min(1, p[token] / q[token]).
 *
 * @param u a uniform draw in [0, 1)
 */
export function acceptsDraft(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  token: number,
  u: number,
): boolean {
  const pt = p[token] as number;
  const qt = q[token] as number;
  // u < p/q, written without the division so q = 0 (impossible for a drawn token) cannot divide.
  return u * qt < pt;
}

/**
 * The normalised residual max(0, p − q): the distribution a rejected draft is replaced from.
 * When it has no mass (p ≤ q everywhere, which only rounding allows once a draft was rejected),
 * `p` itself is returned.
 */
export function residualDistribution(p: ArrayLike<number>, q: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p.length);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const d = (p[i] as number) - (q[i] as number);
    if (d > 0) {
      out[i] = d;
      sum += d;
    }
  }
  if (!(sum > 0)) return Float64Array.from(p);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/**
 * One step of speculative sampling for a drafted token: the token kept at this position and
 * whether it is the draft.
 */
export function verifySampledDraft(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  draft: number,
  rng: SeededRandom,
): { token: number; accepted: boolean } {
  if (acceptsDraft(p, q, draft, rng.next())) return { token: draft, accepted: true };
  return { token: sampleIndex(residualDistribution(p, q), rng), accepted: false };
}
