// Groups a checkpoint's flat tensor map into the per-layer structures the graph uses. Names
// follow transformers' modeling_whisper.py (WhisperEncoderLayer / WhisperDecoderLayer).
import type { Tensor } from '@distil-whisper/kernels';

import type { CheckpointKind } from './checkpoint';
import type { WhisperConfig } from './config';

/** q/k/v/out projections of one attention block (k has no bias in Whisper). */
export interface AttentionWeights {
  qWeight: Tensor;
  qBias: Tensor;
  kWeight: Tensor;
  vWeight: Tensor;
  vBias: Tensor;
  outWeight: Tensor;
  outBias: Tensor;
}

/** gamma / beta of a LayerNorm (always f32 in the graph). */
export interface LayerNormWeights {
  weight: Tensor;
  bias: Tensor;
}

/** fc1 → GELU → fc2. */
export interface FeedForwardWeights {
  fc1Weight: Tensor;
  fc1Bias: Tensor;
  fc2Weight: Tensor;
  fc2Bias: Tensor;
}

export interface EncoderLayerWeights {
  selfAttn: AttentionWeights;
  selfAttnLayerNorm: LayerNormWeights;
  ffn: FeedForwardWeights;
  finalLayerNorm: LayerNormWeights;
}

export interface DecoderLayerWeights extends EncoderLayerWeights {
  encoderAttn: AttentionWeights;
  encoderAttnLayerNorm: LayerNormWeights;
}

export interface EncoderWeights {
  conv1Weight: Tensor;
  conv1Bias: Tensor;
  conv2Weight: Tensor;
  conv2Bias: Tensor;
  embedPositions: Tensor;
  layers: EncoderLayerWeights[];
  layerNorm: LayerNormWeights;
}

export interface DecoderWeights {
  embedTokens: Tensor;
  embedPositions: Tensor;
  layers: DecoderLayerWeights[];
  layerNorm: LayerNormWeights;
  /** `proj_out.weight`, or `embedTokens` when tied. */
  projOut: Tensor;
}

export interface WhisperWeights {
  encoder: EncoderWeights | null;
  decoder: DecoderWeights;
}

/**
 * Builds the structured view. 1-D parameters (biases, norms) are cast to f32 because the kernels
 * take f32 bias/gamma/beta; those casts are tiny and tracked in `owned` for disposal. Matrices keep
 * their dtype.
 */
export function structureWeights(
  config: WhisperConfig,
  kind: CheckpointKind,
  tensors: ReadonlyMap<string, Tensor>,
  owned: Tensor[],
): WhisperWeights {
  const get = (name: string): Tensor => {
    const t = tensors.get(name);
    if (!t) throw new Error(`internal: tensor ${name} missing after validation`);
    return t;
  };
  const vec = (name: string): Tensor => {
    const t = get(name);
    if (t.dtype === 'f32') return t;
    const c = t.cast('f32');
    owned.push(c);
    return c;
  };
  const attn = (p: string): AttentionWeights => ({
    qWeight: get(`${p}.q_proj.weight`),
    qBias: vec(`${p}.q_proj.bias`),
    kWeight: get(`${p}.k_proj.weight`),
    vWeight: get(`${p}.v_proj.weight`),
    vBias: vec(`${p}.v_proj.bias`),
    outWeight: get(`${p}.out_proj.weight`),
    outBias: vec(`${p}.out_proj.bias`),
  });
  const ln = (p: string): LayerNormWeights => ({
    weight: vec(`${p}.weight`),
    bias: vec(`${p}.bias`),
  });
  const ffn = (p: string): FeedForwardWeights => ({
    fc1Weight: get(`${p}.fc1.weight`),
    fc1Bias: vec(`${p}.fc1.bias`),
    fc2Weight: get(`${p}.fc2.weight`),
    fc2Bias: vec(`${p}.fc2.bias`),
  });
  let encoder: EncoderWeights | null = null;
  if (kind === 'encoder-decoder') {
    const layers: EncoderLayerWeights[] = [];
    for (let i = 0; i < config.encoderLayers; i++) {
      const p = `model.encoder.layers.${i}`;
      layers.push({
        selfAttn: attn(`${p}.self_attn`),
        selfAttnLayerNorm: ln(`${p}.self_attn_layer_norm`),
        ffn: ffn(p),
        finalLayerNorm: ln(`${p}.final_layer_norm`),
      });
    }
    encoder = {
      conv1Weight: get('model.encoder.conv1.weight'),
      conv1Bias: vec('model.encoder.conv1.bias'),
      conv2Weight: get('model.encoder.conv2.weight'),
      conv2Bias: vec('model.encoder.conv2.bias'),
      embedPositions: get('model.encoder.embed_positions.weight'),
      layers,
      layerNorm: ln('model.encoder.layer_norm'),
    };
  }
  const layers: DecoderLayerWeights[] = [];
  for (let i = 0; i < config.decoderLayers; i++) {
    const p = `model.decoder.layers.${i}`;
    layers.push({
      selfAttn: attn(`${p}.self_attn`),
      selfAttnLayerNorm: ln(`${p}.self_attn_layer_norm`),
      encoderAttn: attn(`${p}.encoder_attn`),
      encoderAttnLayerNorm: ln(`${p}.encoder_attn_layer_norm`),
      ffn: ffn(p),
      finalLayerNorm: ln(`${p}.final_layer_norm`),
    });
  }
  const embedTokens = get('model.decoder.embed_tokens.weight');
  return {
    encoder,
    decoder: {
      embedTokens,
      embedPositions: get('model.decoder.embed_positions.weight'),
      layers,
      layerNorm: ln('model.decoder.layer_norm'),
      // transformers ties proj_out to embed_tokens whenever tie_word_embeddings is set.
      projOut: config.tieWordEmbeddings
        ? embedTokens
        : (tensors.get('proj_out.weight') ?? embedTokens),
    },
  };
}
