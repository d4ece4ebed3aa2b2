// Cross-attention of decoder rows onto the K/V of the audio windows they belong to, for any
// row → window map (a batch of windows, beams sharing a window, or both).
import { attention, concat, matmul, scale, softmax, type Tensor } from '@distil-whisper/kernels';

import type { DecoderState } from '../decoder-state';

/** Cross-attention probabilities of one decoder layer, `[batch, heads, positions, encoderPositions]`. */
export interface CrossAttentionWeights {
  /** Row-major probabilities. */
  data: Float32Array;
  /** `[batch, heads, positions, encoderPositions]`. */
  shape: [batch: number, heads: number, positions: number, encoderPositions: number];
}

/** How the decoder rows map onto the cross-attention windows (computed once per decode call). */
export interface CrossAttentionRuns {
  /** Row `i` attends to window `i`: one kernel call over the whole batch. */
  identity: boolean;
  /** `[window, firstRow, rowCount]`, or `[[-1, 0, rows]]` when `identity`. */
  runs: Array<[number, number, number]>;
}

/** Runs of consecutive rows that attend to the same window: `[window, firstRow, rowCount]`. */
function windowRuns(rows: readonly number[]): Array<[number, number, number]> {
  const runs: Array<[number, number, number]> = [];
  for (let r = 0; r < rows.length; r++) {
    const w = rows[r]!;
    const last = runs[runs.length - 1];
    if (last && last[0] === w) last[2]++;
    else runs.push([w, r, 1]);
  }
  return runs;
}

/** The runs of a state's current row map. */
export function crossAttentionRuns(state: DecoderState): CrossAttentionRuns {
  const b = state.batch;
  const identity = state.windows === b && state.rowWindow.every((w, i) => w === i);
  return { identity, runs: identity ? [[-1, 0, b]] : windowRuns(state.rowWindow) };
}

/**
 * Cross-attention for rows that may share windows (beams). Rows of one window that sit next to
 * each other are stacked along the query axis, so each window is one kernel call whatever the
 * beam count, and the window's K/V are never duplicated.
 *
 * @param q `[rows, positions, heads, headDim]` queries
 * @param wantWeights also return softmax(q·kᵀ·scale), as transformers' eager attention does
 */
export function crossAttention(
  q: Tensor,
  state: DecoderState,
  layer: number,
  { identity, runs }: CrossAttentionRuns,
  sc: number,
  wantWeights: boolean,
): { out: Tensor; weights: CrossAttentionWeights | undefined } {
  const [b, l, heads, hd] = q.shape as [number, number, number, number];
  const k = state.crossK[layer]!;
  const v = state.crossV[layer]!;
  const s = k.shape[1]!;
  const outs: Tensor[] = [];
  const probs: Tensor[] = [];
  for (const [win, r0, count] of runs) {
    const qr = identity ? q : q.slice(0, r0, r0 + count).reshape([1, count * l, heads, hd]);
    const kr = identity ? k : k.slice(0, win, win + 1);
    const vr = identity ? v : v.slice(0, win, win + 1);
    outs.push(attention(qr, kr, vr, { scale: sc }).out.reshape([count, l, heads, hd]));
    if (wantWeights) {
      // Explicit softmax(q·kᵀ·scale), as transformers' eager attention returns it.
      const qh = qr.transpose(1, 2).contiguous(); // [bq, H, count·l, D]
      const kh = kr.transpose(1, 2).contiguous(); // [bq, H, S, D]
      const p = softmax(scale(matmul(qh, kh, { transB: true }), sc)); // [bq, H, count·l, S]
      probs.push(identity ? p : p.reshape([heads, count, l, s]).transpose(0, 1).contiguous());
    }
  }
  const out = outs.length === 1 ? outs[0]! : concat(outs, 0);
  let weights: CrossAttentionWeights | undefined;
  if (wantWeights) {
    const all = probs.length === 1 ? probs[0]! : concat(probs, 0);
    weights = { data: all.toFloat32(), shape: [b, heads, l, s] };
  }
  return { out, weights };
}
