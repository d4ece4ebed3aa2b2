// Maps the variables of a CTranslate2 WhisperSpec onto transformers' Whisper state dict. The
// tensors are the parameter declaration's; this file adds only where each lies in CTranslate2.
// CTranslate2 names (pre-norm transformer layers):
//   encoder/conv{1,2}/{weight,bias}, encoder/position_encodings/encodings, encoder/layer_norm/*
//   {encoder,decoder}/layer_i/self_attention/{layer_norm,linear_0 (fused q|k|v),linear_1 (out)}
//   decoder/layer_i/attention/{layer_norm,linear_0 (q),linear_1 (fused k|v),linear_2 (out)}
//   {encoder,decoder}/layer_i/ffn/{layer_norm,linear_0 (fc1),linear_1 (fc2)}
//   decoder/embeddings/weight, decoder/position_encodings/encodings, decoder/layer_norm/*
//   decoder/projection/weight (normally an alias of the embeddings: tied)
// Layer norms store gamma/beta (transformers: weight/bias). Fused projections are split by rows.
// The key bias CTranslate2 stores inside a fused projection is dropped: transformers' k_proj has
// none, and a key bias adds the same q·b term to every score of a query, which softmax cancels.
import {
  declareParameters,
  PROJ_OUT,
  type ParameterDecl,
  type ParameterModule,
  type ParameterRole,
} from '../parameters';
import type { WhisperDims } from '../presets';
import { ct2ItemSize, type Ct2DType, type Ct2ModelBin, type Ct2Variable } from './model-bin';
import { Ct2Error } from './errors';

/** One transformers tensor and where its values lie in the CTranslate2 model. */
export interface Ct2TensorSource {
  /** transformers name, e.g. `model.encoder.layers.0.self_attn.q_proj.weight`. */
  name: string;
  shape: number[];
  /** CTranslate2 variable holding the values (after alias resolution). */
  variable: string;
  /** Rows `[start, end)` of `variable` along its first dimension. */
  rows: [number, number];
  /** Per-row (or single) scale variable when `variable` is quantised (int8 / int16). */
  scale: string | undefined;
}

/** What a CTranslate2 Whisper model.bin holds, mapped onto transformers' names. */
export interface Ct2WhisperPlan {
  dims: WhisperDims;
  /** Every transformers tensor to produce, in transformers' state-dict order (`proj_out` last). */
  tensors: Ct2TensorSource[];
  /** Output projection is the token embedding (no `proj_out.weight`). */
  tied: boolean;
  /** Element types of the mapped weight variables (e.g. `['float16']`, `['int8', 'float32']`). */
  storedDtypes: Ct2DType[];
  /** True when any weight is stored as int8 / int16 with scales. */
  quantized: boolean;
  /** Float dtype of the unquantised variables (the natural output dtype). */
  floatDtype: 'f32' | 'f16' | 'bf16';
  /** Ignored variables (flags that are off, alignment heads), for reporting. */
  ignored: string[];
}

const FLOAT_DTYPES: ReadonlySet<Ct2DType> = new Set(['float32', 'float16', 'bfloat16']);
const QUANTIZED_DTYPES: ReadonlySet<Ct2DType> = new Set(['int8', 'int16']);
/** CTranslate2's `ActivationType` id of the exact (erf) GELU Whisper uses. */
const GELU = 3;

/** Where a declared tensor lives in a CTranslate2 WhisperSpec. */
export interface Ct2Location {
  /** CTranslate2 variable name, e.g. `decoder/layer_0/attention/linear_1/weight`. */
  variable: string;
  /** Block of rows the tensor occupies in a fused variable (0 when not fused). */
  block: number;
  /** Equal blocks the variable is made of (1 when not fused; 3 for q|k|v, 2 for k|v). */
  blocks: number;
}

/**
 * CTranslate2 path of each transformers module, relative to its layer (`encoder/layer_3`) or,
 * for stems, embeddings and the final norm, to its stack (`encoder`), with its block in a fused
 * projection: `[path, block, blocks]`.
 */
const CT2_MODULES: Readonly<Record<ParameterModule, readonly [string, number, number]>> = {
  conv1: ['conv1', 0, 1],
  conv2: ['conv2', 0, 1],
  embed_positions: ['position_encodings', 0, 1],
  embed_tokens: ['embeddings', 0, 1],
  layer_norm: ['layer_norm', 0, 1],
  self_attn_layer_norm: ['self_attention/layer_norm', 0, 1],
  'self_attn.q_proj': ['self_attention/linear_0', 0, 3],
  'self_attn.k_proj': ['self_attention/linear_0', 1, 3],
  'self_attn.v_proj': ['self_attention/linear_0', 2, 3],
  'self_attn.out_proj': ['self_attention/linear_1', 0, 1],
  encoder_attn_layer_norm: ['attention/layer_norm', 0, 1],
  'encoder_attn.q_proj': ['attention/linear_0', 0, 1],
  'encoder_attn.k_proj': ['attention/linear_1', 0, 2],
  'encoder_attn.v_proj': ['attention/linear_1', 1, 2],
  'encoder_attn.out_proj': ['attention/linear_2', 0, 1],
  final_layer_norm: ['ffn/layer_norm', 0, 1],
  fc1: ['ffn/linear_0', 0, 1],
  fc2: ['ffn/linear_1', 0, 1],
};

/** Last component of the CTranslate2 name by role (layer norms store gamma/beta). */
const CT2_LEAF: Readonly<Record<ParameterRole, string>> = {
  'conv-weight': 'weight',
  'conv-bias': 'bias',
  positions: 'encodings',
  'token-embedding': 'weight',
  'linear-weight': 'weight',
  'linear-bias': 'bias',
  'norm-weight': 'gamma',
  'norm-bias': 'beta',
};

/**
 * The CTranslate2 variable (and row block of it) that holds a declared transformers tensor.
 *
 * @example
 * ```ts
 * ct2Location(decl); // model.decoder.layers.0.encoder_attn.v_proj.bias →
 * // { variable: 'decoder/layer_0/attention/linear_1/bias', block: 1, blocks: 2 }
 * ```
 */
export function ct2Location(decl: ParameterDecl): Ct2Location {
  const [path, block, blocks] = CT2_MODULES[decl.module];
  const scope = decl.layer === null ? decl.stack : `${decl.stack}/layer_${decl.layer}`;
  return { variable: `${scope}/${path}/${CT2_LEAF[decl.role]}`, block, blocks };
}

/** Reads the value of a scalar variable. */
export type ScalarReader = (v: Ct2Variable) => number;

/**
 * Builds the mapping of a CTranslate2 Whisper model.bin onto transformers tensor names and
 * infers the dims. Every problem (missing or mis-shaped variable, missing scale, unsupported
 * flag, unknown tensor) is collected before throwing.
 *
 * @throws {@link Ct2Error} `UNSUPPORTED_MODEL` (not a WhisperSpec, or options that change the
 *   graph) or `VARIABLES_MISMATCH`.
 */
export function planCt2Whisper(bin: Ct2ModelBin, scalar: ScalarReader): Ct2WhisperPlan {
  if (bin.specName !== 'WhisperSpec' && bin.specName !== '')
    throw new Ct2Error(
      'UNSUPPORTED_MODEL',
      `model.bin holds a ${bin.specName}, not a WhisperSpec; only Whisper models can be loaded`,
      { path: bin.path },
    );
  const lookup = (name: string): Ct2Variable | undefined => {
    const direct = bin.variables.get(name);
    if (direct) return direct;
    const target = bin.aliases.get(name);
    return target === undefined ? undefined : bin.variables.get(target);
  };
  const embed = lookup('decoder/embeddings/weight');
  const conv1 = lookup('encoder/conv1/weight');
  if (!embed || embed.shape.length !== 2 || !conv1 || conv1.shape.length !== 3)
    throw new Ct2Error(
      'VARIABLES_MISMATCH',
      'model.bin has no decoder/embeddings/weight [vocab, d] or encoder/conv1/weight [d, mels, 3]; not a Whisper model',
      { path: bin.path },
    );
  const [vocabSize, dModel] = embed.shape as [number, number];
  const layerCount = (side: string): number => {
    let n = 0;
    const re = new RegExp(`^${side}/layer_(\\d+)/`);
    for (const name of bin.variables.keys()) {
      const m = re.exec(name);
      if (m) n = Math.max(n, Number(m[1]) + 1);
    }
    return n;
  };
  const problems: string[] = [];
  const unsupported: string[] = [];
  const used = new Set<string>();
  const scalarValue = (name: string): number | undefined => {
    const v = lookup(name);
    if (!v) return undefined;
    used.add(v.name);
    if (v.shape.length !== 0) {
      problems.push(`${name} should be a scalar, has shape [${v.shape.join(', ')}]`);
      return undefined;
    }
    return scalar(v);
  };
  const heads = (side: string): number => {
    const n = scalarValue(`${side}/num_heads`);
    // Files without the variable predate it; every released Whisper uses 64-wide heads.
    return n ?? Math.max(1, Math.round(dModel / 64));
  };
  const ffnDim = (side: string): number =>
    lookup(`${side}/layer_0/ffn/linear_0/weight`)?.shape[0] ?? 4 * dModel;
  const dims: WhisperDims = {
    dModel,
    vocabSize,
    numMelBins: conv1.shape[1]!,
    encoderLayers: layerCount('encoder'),
    decoderLayers: layerCount('decoder'),
    encoderAttentionHeads: heads('encoder'),
    decoderAttentionHeads: heads('decoder'),
    encoderFfnDim: ffnDim('encoder'),
    decoderFfnDim: ffnDim('decoder'),
    maxSourcePositions: lookup('encoder/position_encodings/encodings')?.shape[0] ?? 1500,
    maxTargetPositions: lookup('decoder/position_encodings/encodings')?.shape[0] ?? 448,
  };

  const tensors: Ct2TensorSource[] = [];
  const storedDtypes = new Set<Ct2DType>();
  const floatDtypes = new Set<Ct2DType>();
  /**
   * Checks one CTranslate2 variable (present, shaped as `shape`, a float or a quantised type
   * with its scale) and returns where its values come from, or undefined after recording why not.
   */
  const variable = (
    ct2Name: string,
    shape: readonly number[],
  ): { name: string; scale: string | undefined } | undefined => {
    const v = lookup(ct2Name);
    if (!v) {
      problems.push(`missing variable ${ct2Name} [${shape.join(', ')}]`);
      return undefined;
    }
    if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
      problems.push(
        `variable ${ct2Name} has shape [${v.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
      return undefined;
    }
    used.add(v.name);
    storedDtypes.add(v.dtype);
    let scale: string | undefined;
    if (QUANTIZED_DTYPES.has(v.dtype)) {
      const s = lookup(`${ct2Name}_scale`);
      const rows = shape[0] ?? 1;
      if (!s) {
        problems.push(`quantised ${ct2Name} (${v.dtype}) has no ${ct2Name}_scale`);
        return undefined;
      }
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (!FLOAT_DTYPES.has(s.dtype) || (n !== 1 && n !== rows)) {
        problems.push(
          `scale ${s.name} is [${s.shape.join(', ')}] ${s.dtype}; expected one float or ${rows} (one per row)`,
        );
        return undefined;
      }
      used.add(s.name);
      scale = s.name;
    } else if (!FLOAT_DTYPES.has(v.dtype)) {
      unsupported.push(
        `${ct2Name} is ${v.dtype}; only float32/float16/bfloat16 and int8/int16 with scales are supported`,
      );
      return undefined;
    } else floatDtypes.add(v.dtype);
    return { name: v.name, scale };
  };

  // Every declared tensor, in transformers' state-dict order; each CTranslate2 variable is
  // checked once, however many tensors (fused q|k|v) it feeds.
  const checked = new Map<string, { name: string; scale: string | undefined } | undefined>();
  for (const decl of declareParameters(dims)) {
    const at = ct2Location(decl);
    const rows = decl.shape[0] ?? 1;
    if (!checked.has(at.variable))
      checked.set(at.variable, variable(at.variable, [at.blocks * rows, ...decl.shape.slice(1)]));
    const v = checked.get(at.variable);
    if (v)
      tensors.push({
        name: decl.name,
        shape: [...decl.shape],
        variable: v.name,
        rows: [at.block * rows, (at.block + 1) * rows],
        scale: v.scale,
      });
  }
  const projection = lookup('decoder/projection/weight');
  const tied = !projection || projection.name === embed.name;
  if (!tied) {
    const v = variable('decoder/projection/weight', [vocabSize, dModel]);
    if (v)
      tensors.push({
        name: PROJ_OUT,
        shape: [vocabSize, dModel],
        variable: v.name,
        rows: [0, vocabSize],
        scale: v.scale,
      });
  }

  // Graph options: each must have Whisper's value (or be absent).
  const flag = (name: string, expected: number, meaning: string): void => {
    for (const side of ['encoder', 'decoder']) {
      const value = scalarValue(`${side}/${name}`);
      if (value !== undefined && value !== expected)
        unsupported.push(`${side}/${name} = ${value}: ${meaning}`);
    }
  };
  flag('activation', GELU, 'only the exact GELU (id 3) of Whisper is supported');
  flag('pre_norm', 1, 'Whisper layers are pre-norm');
  flag('alibi', 0, 'ALiBi position biases are not part of Whisper');
  flag('scale_embeddings', 0, 'Whisper does not scale token embeddings');
  flag('start_from_zero_embedding', 0, 'Whisper positions start at embedding 0 as stored');
  const ignored: string[] = [];
  for (const side of ['encoder', 'decoder'])
    for (const name of ['alignment_heads', 'alignment_layer']) {
      const v = lookup(`${side}/${name}`);
      if (v) {
        used.add(v.name);
        ignored.push(v.name);
      }
    }
  for (const v of bin.variables.values()) {
    if (used.has(v.name)) continue;
    // Flags newer converters add are harmless while off; anything else would carry math we drop.
    if (v.shape.length === 0 && scalar(v) === 0) ignored.push(v.name);
    else unsupported.push(`unknown variable ${v.name} [${v.shape.join(', ')}] ${v.dtype}`);
  }
  if (problems.length > 0)
    throw new Ct2Error(
      'VARIABLES_MISMATCH',
      `CTranslate2 Whisper variables do not match the dims they imply (${problems.length} problems): ${problems.join('; ')}`,
      { problems, path: bin.path },
    );
  if (unsupported.length > 0)
    throw new Ct2Error(
      'UNSUPPORTED_MODEL',
      `this CTranslate2 model uses options the Whisper graph does not have: ${unsupported.join('; ')}`,
      { problems: unsupported, path: bin.path },
    );
  const floatDtype = floatDtypes.has('float32')
    ? 'f32'
    : floatDtypes.has('bfloat16')
      ? 'bf16'
      : 'f16';
  return {
    dims,
    tensors,
    tied,
    storedDtypes: [...storedDtypes].sort(),
    quantized: [...storedDtypes].some((t) => QUANTIZED_DTYPES.has(t)),
    floatDtype: floatDtypes.size === 0 ? 'f32' : floatDtype,
    ignored,
  };
}

/** Bytes per row of a variable along its first dimension. */
export function rowBytes(v: Ct2Variable): number {
  const rows = v.shape[0] ?? 1;
  const total = v.shape.reduce((a, b) => a * b, 1) * ct2ItemSize(v.dtype);
  return rows === 0 ? 0 : total / rows;
}
