// The Whisper decoder at inference (transformers' WhisperDecoder with its EncoderDecoderCache):
// token + position embeddings, pre-LN blocks of cached self-attention, cross-attention onto the
// windows' K/V and feed-forward, final layer_norm, logits through proj_out.
import { add, attention, embedding, linear, scale, tidy, Tensor } from '@distil-whisper/kernels';

import type { DecoderState } from '../decoder-state';
import { ModelError } from '../errors';
import type { DecoderLayerWeights } from '../weights';
import { feedForward, norm, positionRows, toActivation, type GraphContext } from './context';
import {
  crossAttention,
  crossAttentionRuns,
  type CrossAttentionRuns,
  type CrossAttentionWeights,
} from './cross-attention';

/** Options of {@link WhisperModel.decode}. */
export interface DecodeOptions {
  /** Return logits of every new position (`'all'`) or only the last one (`'last'`). Default: `'last'`. */
  logits?: 'last' | 'all';
  /**
   * Also compute cross-attention probabilities `softmax(q·kᵀ/√d)` for the new positions: `true`
   * for every decoder layer, or a list of layer indices (e.g. the layers of `alignment_heads`).
   * Default: false (the fused attention kernel never materialises them).
   */
  outputCrossAttentions?: boolean | readonly number[];
}

/** Result of {@link WhisperModel.decode}. */
export interface DecoderOutput {
  /**
   * Row-major `[batch, positions, vocabSize]` float32 logits, where `positions` is 1 for
   * `logits: 'last'` (the default) or the number of tokens fed for `'all'`.
   */
  logits: Float32Array;
  /** Rows decoded (the state's {@link DecoderState.batch}). */
  batch: number;
  /** Positions whose logits are returned: 1, or the tokens fed for `logits: 'all'`. */
  positions: number;
  /** Logits per position (the config's vocabulary size). */
  vocabSize: number;
  /** Per decoder layer, when requested (`undefined` for layers not requested). */
  crossAttentions?: Array<CrossAttentionWeights | undefined>;
}

/**
 * Feeds the next tokens of every row of `state` and returns logits (arguments and errors as
 * {@link WhisperModel.decode}); advances the state by the number of tokens fed.
 */
export function runDecoder(
  ctx: GraphContext,
  state: DecoderState,
  tokenIds: ReadonlyArray<ArrayLike<number>>,
  options: DecodeOptions,
): DecoderOutput {
  const rows = state.batch;
  if (tokenIds.length !== rows)
    throw new ModelError(
      'INVALID_ARGUMENT',
      `decode: got ${tokenIds.length} token rows for a state of ${rows} rows`,
    );
  const n = tokenIds[0]?.length ?? 0;
  if (n === 0)
    throw new ModelError('INVALID_ARGUMENT', 'decode: at least one token per row is needed');
  const ids = new Int32Array(rows * n);
  const vocab = ctx.config.vocabSize;
  for (let r = 0; r < rows; r++) {
    const row = tokenIds[r]!;
    if (row.length !== n)
      throw new ModelError(
        'INVALID_ARGUMENT',
        `decode: every row must feed the same number of tokens (row 0: ${n}, row ${r}: ${row.length})`,
      );
    for (let i = 0; i < n; i++) {
      const t = row[i]!;
      if (!Number.isInteger(t) || t < 0 || t >= vocab)
        throw new ModelError(
          'INVALID_ARGUMENT',
          `decode: token id ${t} (row ${r}) is outside the vocabulary [0, ${vocab})`,
        );
      ids[r * n + i] = t;
    }
  }
  const start = state.length;
  if (start + n > state.maxLength)
    throw new ModelError(
      'SEQUENCE_TOO_LONG',
      `decode: ${start} cached + ${n} new tokens exceed the decoder's ${state.maxLength} positions`,
    );
  const wantAll = options.logits === 'all';
  const oca = options.outputCrossAttentions;
  const layersWanted = new Set<number>(
    oca === true
      ? ctx.weights.decoder.layers.map((_, i) => i)
      : Array.isArray(oca)
        ? (oca as readonly number[])
        : [],
  );
  const crossAttentions: Array<CrossAttentionWeights | undefined> = [];
  const runs = crossAttentionRuns(state);
  const logits = tidy(() => {
    const dec = ctx.weights.decoder;
    const idT = Tensor.from(ids, [rows, n], { dtype: 'i32', device: ctx.device });
    // embedding() always yields f32 (it reads an f16/bf16 table without upcasting the table).
    let h = toActivation(ctx, embedding(idT, dec.embedTokens));
    if (ctx.config.scaleEmbedding) h = scale(h, Math.sqrt(ctx.config.dModel));
    h = add(h, positionRows(ctx, dec.embedPositions, start, n));
    dec.layers.forEach((layer, i) => {
      h = tidy(() => {
        const { out, weights } = decoderLayer(
          ctx,
          h,
          layer,
          state,
          i,
          start,
          runs,
          layersWanted.has(i),
        );
        if (weights) crossAttentions[i] = weights;
        return out;
      });
    });
    h = norm(h, dec.layerNorm);
    if (!wantAll && n > 1) h = h.slice(1, n - 1, n).contiguous();
    // f16 logits are cast to f32 on the device, then downloaded: the step's only host sync
    // besides the token upload.
    return linear(h, dec.projOut).toFloat32();
  });
  state.advance(n);
  const out: DecoderOutput = {
    logits,
    batch: rows,
    positions: wantAll ? n : 1,
    vocabSize: vocab,
  };
  if (layersWanted.size > 0) {
    for (let i = 0; i < ctx.config.decoderLayers; i++)
      if (!(i in crossAttentions)) crossAttentions[i] = undefined;
    out.crossAttentions = crossAttentions;
  }
  return out;
}

/** One pre-LN decoder block over `l` new positions starting at cache position `start`. */
function decoderLayer(
  ctx: GraphContext,
  h: Tensor,
  w: DecoderLayerWeights,
  state: DecoderState,
  layer: number,
  start: number,
  runs: CrossAttentionRuns,
  wantWeights: boolean,
): { out: Tensor; weights: CrossAttentionWeights | undefined } {
  const heads = ctx.config.decoderAttentionHeads;
  const [b, l, d] = h.shape as [number, number, number];
  const hd = d / heads;
  const sc = 1 / Math.sqrt(hd);
  // Self-attention against the preallocated cache (transformers' EncoderDecoderCache).
  let x = norm(h, w.selfAttnLayerNorm);
  const q = linear(x, w.selfAttn.qWeight, w.selfAttn.qBias).reshape([b, l, heads, hd]);
  const cacheK = state.selfK[layer]!;
  const cacheV = state.selfV[layer]!;
  cacheK
    .slice(1, start, start + l)
    .assign(linear(x, w.selfAttn.kWeight).reshape([b, l, heads, hd]));
  cacheV
    .slice(1, start, start + l)
    .assign(linear(x, w.selfAttn.vWeight, w.selfAttn.vBias).reshape([b, l, heads, hd]));
  const a = attention(q, cacheK.slice(1, 0, start + l), cacheV.slice(1, 0, start + l), {
    scale: sc,
    causal: true,
  }).out;
  const h1 = add(h, linear(a.reshape([b, l, d]), w.selfAttn.outWeight, w.selfAttn.outBias));
  // Cross-attention against the K/V computed once per window.
  x = norm(h1, w.encoderAttnLayerNorm);
  const cq = linear(x, w.encoderAttn.qWeight, w.encoderAttn.qBias).reshape([b, l, heads, hd]);
  const { out: ca, weights } = crossAttention(cq, state, layer, runs, sc, wantWeights);
  const h2 = add(h1, linear(ca.reshape([b, l, d]), w.encoderAttn.outWeight, w.encoderAttn.outBias));
  const out = add(h2, feedForward(norm(h2, w.finalLayerNorm), w.ffn));
  return { out, weights };
}
