// Maps the variables of a CTranslate2 WhisperSpec onto transformers' Whisper state dict.
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
  /** Every transformers tensor to produce, in a stable order. */
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
  /** Maps rows of a CTranslate2 variable of shape `shape` onto a transformers tensor. */
  const take = (
    ct2Name: string,
    shape: readonly number[],
    parts: Array<{ name: string; rows: [number, number] } | null>,
  ): void => {
    const v = lookup(ct2Name);
    if (!v) {
      problems.push(`missing variable ${ct2Name} [${shape.join(', ')}]`);
      return;
    }
    if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
      problems.push(
        `variable ${ct2Name} has shape [${v.shape.join(', ')}], expected [${shape.join(', ')}]`,
      );
      return;
    }
    used.add(v.name);
    storedDtypes.add(v.dtype);
    let scale: string | undefined;
    if (QUANTIZED_DTYPES.has(v.dtype)) {
      const s = lookup(`${ct2Name}_scale`);
      const rows = shape[0] ?? 1;
      if (!s) {
        problems.push(`quantised ${ct2Name} (${v.dtype}) has no ${ct2Name}_scale`);
        return;
      }
      const n = s.shape.reduce((a, b) => a * b, 1);
      if (!FLOAT_DTYPES.has(s.dtype) || (n !== 1 && n !== rows)) {
        problems.push(
          `scale ${s.name} is [${s.shape.join(', ')}] ${s.dtype}; expected one float or ${rows} (one per row)`,
        );
        return;
      }
      used.add(s.name);
      scale = s.name;
    } else if (!FLOAT_DTYPES.has(v.dtype)) {
      unsupported.push(
        `${ct2Name} is ${v.dtype}; only float32/float16/bfloat16 and int8/int16 with scales are supported`,
      );
      return;
    } else floatDtypes.add(v.dtype);
    for (const part of parts) {
      if (!part) continue;
      const rowCount = part.rows[1] - part.rows[0];
      tensors.push({
        name: part.name,
        shape: [rowCount, ...shape.slice(1)],
        variable: v.name,
        rows: part.rows,
        scale,
      });
    }
  };
  const whole = (ct2Name: string, name: string, shape: readonly number[]): void =>
    take(ct2Name, shape, [{ name, rows: [0, shape[0] ?? 1] }]);
  const d = dModel;
  const layerNorm = (ct2: string, hf: string): void => {
    whole(`${ct2}/gamma`, `${hf}.weight`, [d]);
    whole(`${ct2}/beta`, `${hf}.bias`, [d]);
  };
  const linear = (ct2: string, hf: string, out: number, inp: number): void => {
    whole(`${ct2}/weight`, `${hf}.weight`, [out, inp]);
    whole(`${ct2}/bias`, `${hf}.bias`, [out]);
  };
  const selfAttention = (ct2: string, hf: string): void => {
    take(
      `${ct2}/linear_0/weight`,
      [3 * d, d],
      [
        { name: `${hf}.q_proj.weight`, rows: [0, d] },
        { name: `${hf}.k_proj.weight`, rows: [d, 2 * d] },
        { name: `${hf}.v_proj.weight`, rows: [2 * d, 3 * d] },
      ],
    );
    take(
      `${ct2}/linear_0/bias`,
      [3 * d],
      [
        { name: `${hf}.q_proj.bias`, rows: [0, d] },
        null,
        { name: `${hf}.v_proj.bias`, rows: [2 * d, 3 * d] },
      ],
    );
    linear(`${ct2}/linear_1`, `${hf}.out_proj`, d, d);
  };
  const crossAttention = (ct2: string, hf: string): void => {
    linear(`${ct2}/linear_0`, `${hf}.q_proj`, d, d);
    take(
      `${ct2}/linear_1/weight`,
      [2 * d, d],
      [
        { name: `${hf}.k_proj.weight`, rows: [0, d] },
        { name: `${hf}.v_proj.weight`, rows: [d, 2 * d] },
      ],
    );
    take(`${ct2}/linear_1/bias`, [2 * d], [null, { name: `${hf}.v_proj.bias`, rows: [d, 2 * d] }]);
    linear(`${ct2}/linear_2`, `${hf}.out_proj`, d, d);
  };
  const ffn = (ct2: string, hf: string, dim: number): void => {
    layerNorm(`${ct2}/layer_norm`, `${hf}.final_layer_norm`);
    linear(`${ct2}/linear_0`, `${hf}.fc1`, dim, d);
    linear(`${ct2}/linear_1`, `${hf}.fc2`, d, dim);
  };

  whole('encoder/conv1/weight', 'model.encoder.conv1.weight', [d, dims.numMelBins, 3]);
  whole('encoder/conv1/bias', 'model.encoder.conv1.bias', [d]);
  whole('encoder/conv2/weight', 'model.encoder.conv2.weight', [d, d, 3]);
  whole('encoder/conv2/bias', 'model.encoder.conv2.bias', [d]);
  whole('encoder/position_encodings/encodings', 'model.encoder.embed_positions.weight', [
    dims.maxSourcePositions,
    d,
  ]);
  for (let i = 0; i < dims.encoderLayers; i++) {
    const ct2 = `encoder/layer_${i}`;
    const hf = `model.encoder.layers.${i}`;
    layerNorm(`${ct2}/self_attention/layer_norm`, `${hf}.self_attn_layer_norm`);
    selfAttention(`${ct2}/self_attention`, `${hf}.self_attn`);
    ffn(`${ct2}/ffn`, hf, dims.encoderFfnDim);
  }
  layerNorm('encoder/layer_norm', 'model.encoder.layer_norm');
  whole('decoder/embeddings/weight', 'model.decoder.embed_tokens.weight', [vocabSize, d]);
  whole('decoder/position_encodings/encodings', 'model.decoder.embed_positions.weight', [
    dims.maxTargetPositions,
    d,
  ]);
  for (let i = 0; i < dims.decoderLayers; i++) {
    const ct2 = `decoder/layer_${i}`;
    const hf = `model.decoder.layers.${i}`;
    layerNorm(`${ct2}/self_attention/layer_norm`, `${hf}.self_attn_layer_norm`);
    selfAttention(`${ct2}/self_attention`, `${hf}.self_attn`);
    layerNorm(`${ct2}/attention/layer_norm`, `${hf}.encoder_attn_layer_norm`);
    crossAttention(`${ct2}/attention`, `${hf}.encoder_attn`);
    ffn(`${ct2}/ffn`, hf, dims.decoderFfnDim);
  }
  layerNorm('decoder/layer_norm', 'model.decoder.layer_norm');
  const projection = lookup('decoder/projection/weight');
  const tied = !projection || projection.name === embed.name;
  if (!tied) whole('decoder/projection/weight', 'proj_out.weight', [vocabSize, d]);

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
