// The Whisper encoder (transformers' WhisperEncoder): conv stem, pre-LN blocks, final layer_norm.
import { add, attention, conv1d, gelu, keep, linear, tidy, Tensor } from '@distil-whisper/kernels';

import { ModelError } from '../errors';
import type { EncoderLayerWeights, EncoderWeights } from '../weights';
import { norm, positionRows, toActivation, type GraphContext } from './context';

/** The `[batch, numMelBins, frames]` shape of valid features (arguments as {@link WhisperModel.encode}). */
function featuresShape(
  ctx: GraphContext,
  features: Float32Array | Tensor,
  batch: number,
): number[] {
  const mels = ctx.config.numMelBins;
  let shape: number[];
  if (features instanceof Tensor) {
    shape = [...features.shape];
    if (features.rank !== 3 || shape[1] !== mels)
      throw new ModelError(
        'INVALID_ARGUMENT',
        `features must be [batch, ${mels}, frames], got [${shape.join(', ')}]`,
      );
  } else {
    if (!Number.isInteger(batch) || batch < 1)
      throw new ModelError('INVALID_ARGUMENT', `batch must be a positive integer, got ${batch}`);
    const frames = features.length / (batch * mels);
    if (!Number.isInteger(frames))
      throw new ModelError(
        'INVALID_ARGUMENT',
        `features hold ${features.length} values, not a multiple of batch (${batch}) × num_mel_bins (${mels})`,
      );
    shape = [batch, mels, frames];
  }
  const frames = shape[2]!;
  const perWindow = 2 * ctx.config.maxSourcePositions;
  if (frames < 2 || frames % 2 !== 0 || frames > perWindow)
    throw new ModelError(
      'INVALID_ARGUMENT',
      `features have ${frames} frames; expected an even count ≤ ${perWindow} (normally exactly ${perWindow})`,
    );
  return shape;
}

/**
 * Runs the encoder over `[batch, numMelBins, frames]` features (validated here): conv1 +
 * GELU, conv2 (stride 2) + GELU, + embed_positions, the blocks, the final layer_norm. Each block
 * runs in its own tidy scope so only one block's intermediates are alive at a time.
 *
 * @returns `[batch, frames / 2, dModel]` in the activation dtype, owned by the caller
 */
export function runEncoder(
  ctx: GraphContext,
  enc: EncoderWeights,
  features: Float32Array | Tensor,
  batch: number,
): Tensor {
  const shape = featuresShape(ctx, features, batch);
  const positions = shape[2]! / 2;
  const hidden = tidy(() => {
    const x = toActivation(
      ctx,
      features instanceof Tensor ? features : Tensor.from(features, shape, { device: ctx.device }),
    );
    let h = gelu(conv1d(x, enc.conv1Weight, { bias: enc.conv1Bias, stride: 1, padding: 1 }));
    h = gelu(conv1d(h, enc.conv2Weight, { bias: enc.conv2Bias, stride: 2, padding: 1 }));
    h = h.transpose(1, 2).contiguous();
    h = add(h, positionRows(ctx, enc.embedPositions, 0, positions));
    return keep(h);
  });
  let h = hidden;
  for (const layer of enc.layers) {
    const next = tidy(() => keep(encoderLayer(ctx, h, layer)));
    h.dispose();
    h = next;
  }
  const out = tidy(() => keep(norm(h, enc.layerNorm)));
  h.dispose();
  return out;
}

/**
 * One pre-LN block: self-attention (no mask) and feed-forward, each with its residual.
 *
 * Each intermediate is disposed as soon as its last reader has run instead of when the caller's
 * tidy scope closes: at 1500 positions every activation of a block alive at once is the
 * encoder's peak memory (≈ 55 MB for base: ten [1500, 512] and two [1500, 2048] f32 tensors);
 * released eagerly, at most the input, the residual and the two feed-forward activations are
 * (≈ 30 MB). A reshape is a view sharing its source's memory, so the source handle is released
 * right after the view is made and the view frees the memory when it goes.
 */
function encoderLayer(ctx: GraphContext, h: Tensor, w: EncoderLayerWeights): Tensor {
  const heads = ctx.config.encoderAttentionHeads;
  const [b, l, d] = h.shape as [number, number, number];
  const reshaped = (t: Tensor, shape: number[]): Tensor => {
    const view = t.reshape(shape);
    t.dispose();
    return view;
  };
  const split = [b, l, heads, d / heads];
  const x = norm(h, w.selfAttnLayerNorm);
  const q = reshaped(linear(x, w.selfAttn.qWeight, w.selfAttn.qBias), split);
  const k = reshaped(linear(x, w.selfAttn.kWeight), split);
  const v = reshaped(linear(x, w.selfAttn.vWeight, w.selfAttn.vBias), split);
  x.dispose();
  const a = reshaped(attention(q, k, v, { scale: 1 / Math.sqrt(d / heads) }).out, [b, l, d]);
  q.dispose();
  k.dispose();
  v.dispose();
  const o = linear(a, w.selfAttn.outWeight, w.selfAttn.outBias);
  a.dispose();
  const h1 = add(h, o);
  o.dispose();
  const y = norm(h1, w.finalLayerNorm);
  const f1 = linear(y, w.ffn.fc1Weight, w.ffn.fc1Bias);
  y.dispose();
  const g = gelu(f1);
  f1.dispose();
  const f2 = linear(g, w.ffn.fc2Weight, w.ffn.fc2Bias);
  g.dispose();
  const out = add(h1, f2);
  h1.dispose();
  f2.dispose();
  return out;
}
