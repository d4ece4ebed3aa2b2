// The one declaration of a Whisper checkpoint's parameters: every tensor transformers'
// WhisperForConditionalGeneration (or WhisperForCausalLM) holds, by its Hugging Face name, with
// its shape and what it is. Checkpoint validation, the graph's weight structure, the CTranslate2
// converter and the training parameter store all read this list, so a parameter is spelled out
// exactly once.
import type { WhisperDims } from './presets';

/** What a parameter is; decides, among other things, whether AdamW decays it. */
export type ParameterRole =
  | 'conv-weight'
  | 'conv-bias'
  | 'positions'
  | 'token-embedding'
  | 'linear-weight'
  | 'linear-bias'
  | 'norm-weight'
  | 'norm-bias';

/** The module a parameter belongs to, in transformers' `WhisperEncoderLayer` / `WhisperDecoderLayer` terms. */
export type ParameterModule =
  | 'conv1'
  | 'conv2'
  | 'embed_positions'
  | 'embed_tokens'
  | 'self_attn.q_proj'
  | 'self_attn.k_proj'
  | 'self_attn.v_proj'
  | 'self_attn.out_proj'
  | 'self_attn_layer_norm'
  | 'encoder_attn.q_proj'
  | 'encoder_attn.k_proj'
  | 'encoder_attn.v_proj'
  | 'encoder_attn.out_proj'
  | 'encoder_attn_layer_norm'
  | 'fc1'
  | 'fc2'
  | 'final_layer_norm'
  | 'layer_norm';

/** One parameter of a Whisper checkpoint. */
export interface ParameterDecl {
  /** Hugging Face tensor name, e.g. `model.decoder.layers.0.self_attn.q_proj.weight`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: ParameterRole;
  /** `'encoder'` or `'decoder'` stack. */
  readonly stack: 'encoder' | 'decoder';
  /** Layer index inside the stack, or `null` for stems, embeddings and the final layer norm. */
  readonly layer: number | null;
  readonly module: ParameterModule;
  /** Number of elements. */
  readonly size: number;
}

/**
 * Which transformers class a checkpoint's state dict belongs to: `'encoder-decoder'`
 * (WhisperForConditionalGeneration) or `'decoder-only'` (WhisperForCausalLM, an assistant model).
 */
export type CheckpointKind = 'encoder-decoder' | 'decoder-only';

/**
 * Name of the optional untied output projection. Not declared: Whisper ties it to
 * `model.decoder.embed_tokens.weight`, and checkpoints hold it only when untied.
 *
 * @internal Exported for @distil-whisper/distill; not part of the public API.
 */
export const PROJ_OUT = 'proj_out.weight';

/**
 * True when torch.optim.AdamW is given weight decay for this parameter in distil-whisper's
 * run_distillation.py: every parameter except biases and LayerNorm parameters.
 */
export function decaysWeight(decl: ParameterDecl): boolean {
  return decl.role !== 'linear-bias' && decl.role !== 'conv-bias' && !decl.role.startsWith('norm');
}

/**
 * Every parameter of a checkpoint of this config, in transformers' state-dict order, by Hugging
 * Face name. `proj_out.weight` is not listed: Whisper ties it to `model.decoder.embed_tokens.weight`.
 *
 * @param config a `WhisperConfig`, or just the dims (a CTranslate2 model's, a preset's)
 * @param kind `'encoder-decoder'` (default) or `'decoder-only'` (WhisperForCausalLM: no encoder)
 * @example
 * ```ts
 * const decls = declareParameters(config);
 * const q = decls.find((p) => p.name === 'model.decoder.layers.0.self_attn.q_proj.weight');
 * ```
 */
export function declareParameters(
  config: WhisperDims,
  kind: CheckpointKind = 'encoder-decoder',
): ParameterDecl[] {
  const d = config.dModel;
  const out: ParameterDecl[] = [];
  const add = (
    name: string,
    shape: number[],
    role: ParameterRole,
    stack: 'encoder' | 'decoder',
    layer: number | null,
    module: ParameterModule,
  ): void => {
    out.push({ name, shape, role, stack, layer, module, size: shape.reduce((a, b) => a * b, 1) });
  };
  const linear = (
    p: string,
    stack: 'encoder' | 'decoder',
    layer: number,
    module: ParameterModule,
    outDim: number,
    inDim: number,
    bias: boolean,
  ): void => {
    add(`${p}.${module}.weight`, [outDim, inDim], 'linear-weight', stack, layer, module);
    if (bias) add(`${p}.${module}.bias`, [outDim], 'linear-bias', stack, layer, module);
  };
  const norm = (
    p: string,
    stack: 'encoder' | 'decoder',
    layer: number | null,
    module: ParameterModule,
  ): void => {
    add(`${p}.${module}.weight`, [d], 'norm-weight', stack, layer, module);
    add(`${p}.${module}.bias`, [d], 'norm-bias', stack, layer, module);
  };
  // transformers' WhisperAttention creates k_proj with bias=False.
  const attention = (
    p: string,
    stack: 'encoder' | 'decoder',
    layer: number,
    which: 'self_attn' | 'encoder_attn',
  ): void => {
    linear(p, stack, layer, `${which}.k_proj`, d, d, false);
    linear(p, stack, layer, `${which}.v_proj`, d, d, true);
    linear(p, stack, layer, `${which}.q_proj`, d, d, true);
    linear(p, stack, layer, `${which}.out_proj`, d, d, true);
  };
  if (kind === 'encoder-decoder') {
    const e = 'model.encoder';
    add(`${e}.conv1.weight`, [d, config.numMelBins, 3], 'conv-weight', 'encoder', null, 'conv1');
    add(`${e}.conv1.bias`, [d], 'conv-bias', 'encoder', null, 'conv1');
    add(`${e}.conv2.weight`, [d, d, 3], 'conv-weight', 'encoder', null, 'conv2');
    add(`${e}.conv2.bias`, [d], 'conv-bias', 'encoder', null, 'conv2');
    add(
      `${e}.embed_positions.weight`,
      [config.maxSourcePositions, d],
      'positions',
      'encoder',
      null,
      'embed_positions',
    );
    for (let i = 0; i < config.encoderLayers; i++) {
      const p = `${e}.layers.${i}`;
      attention(p, 'encoder', i, 'self_attn');
      norm(p, 'encoder', i, 'self_attn_layer_norm');
      linear(p, 'encoder', i, 'fc1', config.encoderFfnDim, d, true);
      linear(p, 'encoder', i, 'fc2', d, config.encoderFfnDim, true);
      norm(p, 'encoder', i, 'final_layer_norm');
    }
    norm(e, 'encoder', null, 'layer_norm');
  }
  const dec = 'model.decoder';
  add(
    `${dec}.embed_tokens.weight`,
    [config.vocabSize, d],
    'token-embedding',
    'decoder',
    null,
    'embed_tokens',
  );
  add(
    `${dec}.embed_positions.weight`,
    [config.maxTargetPositions, d],
    'positions',
    'decoder',
    null,
    'embed_positions',
  );
  for (let i = 0; i < config.decoderLayers; i++) {
    const p = `${dec}.layers.${i}`;
    attention(p, 'decoder', i, 'self_attn');
    norm(p, 'decoder', i, 'self_attn_layer_norm');
    attention(p, 'decoder', i, 'encoder_attn');
    norm(p, 'decoder', i, 'encoder_attn_layer_norm');
    linear(p, 'decoder', i, 'fc1', config.decoderFfnDim, d, true);
    linear(p, 'decoder', i, 'fc2', d, config.decoderFfnDim, true);
    norm(p, 'decoder', i, 'final_layer_norm');
  }
  norm(dec, 'decoder', null, 'layer_norm');
  return out;
}
