// Groups a checkpoint's flat tensor map into the per-layer structures the graph uses, by walking
// the parameter declaration. Field names follow transformers' modeling_whisper.py
// (WhisperEncoderLayer / WhisperDecoderLayer).
import type { Tensor } from '@distil-whisper/kernels';

import type { WhisperConfig } from './config';
import {
  declareParameters,
  PROJ_OUT,
  type CheckpointKind,
  type ParameterDecl,
  type ParameterModule,
} from './parameters';

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

/** The tensors of one module (a projection, a norm, a conv), by their last name component. */
type ModuleTensors = { weight?: Tensor; bias?: Tensor };

/** Modules of one layer (or of a stack's stems and final norm) by {@link ParameterModule}. */
type Modules = Map<ParameterModule, ModuleTensors>;

/** Whether the graph's kernels read this parameter as an f32 bias / gamma / beta vector. */
function isF32Vector(decl: ParameterDecl): boolean {
  return (
    decl.role === 'linear-bias' ||
    decl.role === 'conv-bias' ||
    decl.role === 'norm-weight' ||
    decl.role === 'norm-bias'
  );
}

/**
 * Builds the structured view by walking the parameter declaration ({@link declareParameters}):
 * each declared tensor is filed under its stack, layer and module, then the per-layer structures
 * read those modules. 1-D parameters (biases, norms) are cast to f32 because the kernels take
 * f32 bias/gamma/beta; those casts are tiny and tracked in `owned` for disposal. Matrices keep
 * their dtype.
 */
export function structureWeights(
  config: WhisperConfig,
  kind: CheckpointKind,
  tensors: ReadonlyMap<string, Tensor>,
  owned: Tensor[],
): WhisperWeights {
  const stacks = {
    encoder: { top: new Map() as Modules, layers: [] as Modules[] },
    decoder: { top: new Map() as Modules, layers: [] as Modules[] },
  };
  for (const decl of declareParameters(config, kind)) {
    let t = tensors.get(decl.name);
    if (!t) throw new Error(`internal: tensor ${decl.name} missing after validation`);
    if (isF32Vector(decl) && t.dtype !== 'f32') {
      t = t.cast('f32');
      owned.push(t);
    }
    const stack = stacks[decl.stack];
    let modules = stack.top;
    if (decl.layer !== null) modules = stack.layers[decl.layer] ??= new Map();
    const entry = modules.get(decl.module) ?? {};
    entry[decl.role.endsWith('bias') ? 'bias' : 'weight'] = t;
    modules.set(decl.module, entry);
  }
  const take = (modules: Modules, module: ParameterModule, part: 'weight' | 'bias'): Tensor => {
    const t = modules.get(module)?.[part];
    if (!t) throw new Error(`internal: ${module}.${part} is not declared`);
    return t;
  };
  const attn = (m: Modules, which: 'self_attn' | 'encoder_attn'): AttentionWeights => ({
    qWeight: take(m, `${which}.q_proj`, 'weight'),
    qBias: take(m, `${which}.q_proj`, 'bias'),
    kWeight: take(m, `${which}.k_proj`, 'weight'),
    vWeight: take(m, `${which}.v_proj`, 'weight'),
    vBias: take(m, `${which}.v_proj`, 'bias'),
    outWeight: take(m, `${which}.out_proj`, 'weight'),
    outBias: take(m, `${which}.out_proj`, 'bias'),
  });
  const ln = (m: Modules, module: ParameterModule): LayerNormWeights => ({
    weight: take(m, module, 'weight'),
    bias: take(m, module, 'bias'),
  });
  const ffn = (m: Modules): FeedForwardWeights => ({
    fc1Weight: take(m, 'fc1', 'weight'),
    fc1Bias: take(m, 'fc1', 'bias'),
    fc2Weight: take(m, 'fc2', 'weight'),
    fc2Bias: take(m, 'fc2', 'bias'),
  });
  const encoderLayer = (m: Modules): EncoderLayerWeights => ({
    selfAttn: attn(m, 'self_attn'),
    selfAttnLayerNorm: ln(m, 'self_attn_layer_norm'),
    ffn: ffn(m),
    finalLayerNorm: ln(m, 'final_layer_norm'),
  });
  let encoder: EncoderWeights | null = null;
  if (kind === 'encoder-decoder') {
    const top = stacks.encoder.top;
    encoder = {
      conv1Weight: take(top, 'conv1', 'weight'),
      conv1Bias: take(top, 'conv1', 'bias'),
      conv2Weight: take(top, 'conv2', 'weight'),
      conv2Bias: take(top, 'conv2', 'bias'),
      embedPositions: take(top, 'embed_positions', 'weight'),
      layers: stacks.encoder.layers.map(encoderLayer),
      layerNorm: ln(top, 'layer_norm'),
    };
  }
  const top = stacks.decoder.top;
  const embedTokens = take(top, 'embed_tokens', 'weight');
  return {
    encoder,
    decoder: {
      embedTokens,
      embedPositions: take(top, 'embed_positions', 'weight'),
      layers: stacks.decoder.layers.map((m) => ({
        ...encoderLayer(m),
        encoderAttn: attn(m, 'encoder_attn'),
        encoderAttnLayerNorm: ln(m, 'encoder_attn_layer_norm'),
      })),
      layerNorm: ln(top, 'layer_norm'),
      // transformers ties proj_out to embed_tokens whenever tie_word_embeddings is set.
      projOut: config.tieWordEmbeddings ? embedTokens : (tensors.get(PROJ_OUT) ?? embedTokens),
    },
  };
}
