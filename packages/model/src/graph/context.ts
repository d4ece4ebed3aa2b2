// What every part of the inference graph reads, and the small blocks they share.
import { gelu, layerNorm, linear, type Device, type Tensor } from '@distil-whisper/kernels';

import type { ActivationDtype } from '../activation-dtype';
import type { WhisperConfig } from '../config';
import type { FeedForwardWeights, LayerNormWeights, WhisperWeights } from '../weights';

/** A loaded model as the graph sees it. */
export interface GraphContext {
  readonly config: WhisperConfig;
  readonly weights: WhisperWeights;
  readonly activationDtype: ActivationDtype;
  readonly device: Device;
  /**
   * Element type of the cross-attention keys/values a decoder state keeps: the activation dtype,
   * or f16 on the CPU for int8 models (half the memory and half the bytes every decoded token
   * reads; the CPU attention converts them a tile at a time). Default: the activation dtype.
   */
  readonly crossKvDtype?: 'f32' | 'f16';
}

/** fc1 → GELU → fc2 (transformers' WhisperEncoderLayer / WhisperDecoderLayer feed-forward). */
export function feedForward(x: Tensor, w: FeedForwardWeights): Tensor {
  return linear(gelu(linear(x, w.fc1Weight, w.fc1Bias)), w.fc2Weight, w.fc2Bias);
}

/** nn.LayerNorm with Whisper's eps. */
export function norm(x: Tensor, w: LayerNormWeights): Tensor {
  return layerNorm(x, w.weight, w.bias, 1e-5);
}

/**
 * `t` in the activation dtype: `t` itself when it already is (always, for f32 models fed f32),
 * else a cast (the caller's tidy scope owns it).
 */
export function toActivation(ctx: GraphContext, t: Tensor): Tensor {
  return t.dtype === ctx.activationDtype ? t : t.cast(ctx.activationDtype);
}

/**
 * Positional embeddings of positions `[start, start + n)` as an activation-dtype `[n, dModel]`
 * tensor: a row slice of the table (a view; a cast only when the table's dtype differs), so
 * no position ids are uploaded or range-checked per call.
 */
export function positionRows(ctx: GraphContext, table: Tensor, start: number, n: number): Tensor {
  return toActivation(ctx, table.slice(0, start, start + n));
}
