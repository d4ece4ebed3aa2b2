// The Whisper decoder as explicit forward/backward pairs for training (llm.c's shape): the
// forward keeps exactly the activations its backward reads, and every backward accumulates into
// the gradient views of the parameter store, keyed by Hugging Face names. Mirrors transformers'
// WhisperDecoder (pre-LN blocks: self-attention, cross-attention on the encoder states, GELU
// feed-forward; final layer_norm; logits through the token embedding, tied as proj_out).
//
// Shapes: B sequences of N tokens, R = B·N rows, d = d_model, H heads of D = d/H, S encoder
// positions (1500 for 30 s), V vocabulary entries. All activations are f32 (the CPU kernels'
// dtype); weights may be f16/bf16 where only read (a frozen teacher).
import {
  add,
  attention,
  attentionBackward,
  embedding,
  embeddingBackward,
  gelu,
  geluBackward,
  gemm,
  keep,
  layerNorm,
  layerNormBackward,
  linear,
  scale,
  sumRows,
  Tensor,
  tidy,
} from '@distil-whisper/kernels';

import type { WhisperConfig } from '../config';
import { ModelError } from '../errors';
import type { DecoderLayerWeights, DecoderWeights } from '../weights';

const LN_EPS = 1e-5;

/** Gradient view of a parameter by Hugging Face name, or `null` when it is frozen. */
export type GradientLookup = (name: string) => Tensor | null;

/** What the backward of one decoder layer reads. */
interface LayerActivations {
  /** Block input `[B, N, d]` (self-attention LayerNorm input). */
  h: Tensor;
  ln1: Tensor;
  q: Tensor;
  k: Tensor;
  v: Tensor;
  att: Tensor;
  lse: Tensor;
  /** After self-attention's residual. */
  h1: Tensor;
  ln2: Tensor;
  cq: Tensor;
  ck: Tensor;
  cv: Tensor;
  catt: Tensor;
  clse: Tensor;
  /** After cross-attention's residual. */
  h2: Tensor;
  ln3: Tensor;
  /** fc1 output before GELU. */
  f1: Tensor;
  /** GELU output. */
  g: Tensor;
}

/**
 * Activations kept by {@link decoderForward} for {@link decoderBackward}. Owns native memory:
 * {@link DecoderActivations.dispose} after the backward (or when no backward follows).
 */
export class DecoderActivations {
  /** @internal */
  readonly layers: LayerActivations[] = [];
  /** @internal input of the final layer_norm `[B, N, d]`. */
  hL: Tensor | undefined;
  /** @internal output of the final layer_norm, `[R, d]` (the logits GEMM's input). */
  hf: Tensor | undefined;
  readonly #owned: Tensor[] = [];
  constructor(
    /** Token ids `[B, N]` i32. */
    readonly ids: Tensor,
    /** Encoder states `[B, S, d]` f32 (not owned). */
    readonly encoder: Tensor,
  ) {}

  /** @internal Takes ownership of a tensor created in a tidy() scope. */
  own<T extends Tensor>(t: T): T {
    this.#owned.push(keep(t));
    return t;
  }

  /** Releases every kept activation. Idempotent. */
  dispose(): void {
    for (const t of this.#owned.splice(0)) t.dispose();
  }
}

/** Result of {@link decoderForward}. */
export interface DecoderForwardResult {
  /** `[R, V]` f32 logits, R = B·N in row-major (sequence-major) order. Caller owns it. */
  logits: Tensor;
  /** Present when the forward was asked to keep activations. */
  activations?: DecoderActivations;
}

function checkInputs(config: WhisperConfig, ids: Tensor, encoder: Tensor): [number, number] {
  if (ids.rank !== 2 || ids.dtype !== 'i32')
    throw new ModelError('INVALID_ARGUMENT', `token ids must be i32 [batch, length], got ${ids}`);
  const [b, n] = ids.shape as [number, number];
  if (n > config.maxTargetPositions)
    throw new ModelError(
      'SEQUENCE_TOO_LONG',
      `${n} decoder positions exceed the model's ${config.maxTargetPositions}`,
    );
  if (encoder.rank !== 3 || encoder.shape[0] !== b || encoder.shape[2] !== config.dModel)
    throw new ModelError(
      'INVALID_ARGUMENT',
      `encoder states must be [${b}, positions, ${config.dModel}], got ${encoder}`,
    );
  if (encoder.dtype !== 'f32')
    throw new ModelError('INVALID_ARGUMENT', `encoder states must be f32, got ${encoder.dtype}`);
  return [b, n];
}

const f32 = (t: Tensor): Tensor => (t.dtype === 'f32' ? t : t.cast('f32'));

/**
 * Decoder forward over whole sequences (teacher forcing): token + position embeddings, the
 * layers, the final layer norm, and logits for every position. With `keep: true` the
 * activations the backward needs are returned too.
 *
 * @param ids `[B, N]` i32 decoder input ids (the collated `decoder_input_ids`)
 * @param encoder `[B, S, d]` f32 encoder states (shared by teacher and student: the encoder is frozen)
 */
export function decoderForward(
  config: WhisperConfig,
  w: DecoderWeights,
  ids: Tensor,
  encoder: Tensor,
  options: { keep?: boolean } = {},
): DecoderForwardResult {
  const [b, n] = checkInputs(config, ids, encoder);
  const d = config.dModel;
  const acts = options.keep ? new DecoderActivations(ids, encoder) : undefined;
  try {
    const logits = tidy(() => {
      let h = embedding(ids, w.embedTokens);
      if (config.scaleEmbedding) h = scale(h, Math.sqrt(d));
      h = add(h, f32(w.embedPositions.slice(0, 0, n)));
      for (const layer of w.layers) {
        const input = h;
        // Without a backward to feed, each layer's intermediates are freed as soon as it ends.
        h = tidy(() => keep(layerForward(config, layer, input, encoder, acts)));
        if (!acts) input.dispose();
      }
      const hf = layerNorm(h, w.layerNorm.weight, w.layerNorm.bias, LN_EPS).reshape([b * n, d]);
      if (acts) {
        acts.hL = acts.own(h);
        acts.hf = acts.own(hf);
      } else h.dispose();
      return linear(hf, w.projOut);
    });
    return acts ? { logits, activations: acts } : { logits };
  } catch (err) {
    acts?.dispose();
    throw err;
  }
}

function layerForward(
  config: WhisperConfig,
  w: DecoderLayerWeights,
  h: Tensor,
  encoder: Tensor,
  acts: DecoderActivations | undefined,
): Tensor {
  const [b, n, d] = h.shape as [number, number, number];
  const s = encoder.shape[1]!;
  const heads = config.decoderAttentionHeads;
  const hd = d / heads;
  const sc = 1 / Math.sqrt(hd);
  const split = (t: Tensor, len: number): Tensor => t.reshape([b, len, heads, hd]);
  const merge = (t: Tensor): Tensor => t.reshape([b, n, d]);
  const norm = (x: Tensor, p: { weight: Tensor; bias: Tensor }): Tensor =>
    layerNorm(x, p.weight, p.bias, LN_EPS);
  // Self-attention, causal over the N positions.
  const ln1 = norm(h, w.selfAttnLayerNorm);
  const q = split(linear(ln1, w.selfAttn.qWeight, w.selfAttn.qBias), n);
  const k = split(linear(ln1, w.selfAttn.kWeight), n);
  const v = split(linear(ln1, w.selfAttn.vWeight, w.selfAttn.vBias), n);
  const sa = attention(q, k, v, { scale: sc, causal: true, returnLse: !!acts });
  const h1 = add(h, linear(merge(sa.out), w.selfAttn.outWeight, w.selfAttn.outBias));
  // Cross-attention on the constant encoder states (no mask).
  const ln2 = norm(h1, w.encoderAttnLayerNorm);
  const cq = split(linear(ln2, w.encoderAttn.qWeight, w.encoderAttn.qBias), n);
  const ck = split(linear(encoder, w.encoderAttn.kWeight), s);
  const cv = split(linear(encoder, w.encoderAttn.vWeight, w.encoderAttn.vBias), s);
  const ca = attention(cq, ck, cv, { scale: sc, returnLse: !!acts });
  const h2 = add(h1, linear(merge(ca.out), w.encoderAttn.outWeight, w.encoderAttn.outBias));
  // Feed-forward.
  const ln3 = norm(h2, w.finalLayerNorm);
  const f1 = linear(ln3, w.ffn.fc1Weight, w.ffn.fc1Bias);
  const g = gelu(f1);
  const out = add(h2, linear(g, w.ffn.fc2Weight, w.ffn.fc2Bias));
  if (acts) {
    const o = <T extends Tensor>(t: T): T => acts.own(t);
    acts.layers.push({
      h: o(h),
      ln1: o(ln1),
      q: o(q),
      k: o(k),
      v: o(v),
      att: o(sa.out),
      lse: o(sa.lse!),
      h1: o(h1),
      ln2: o(ln2),
      cq: o(cq),
      ck: o(ck),
      cv: o(cv),
      catt: o(ca.out),
      clse: o(ca.lse!),
      h2: o(h2),
      ln3: o(ln3),
      f1: o(f1),
      g: o(g),
    });
  }
  return out;
}

// ---- backward ------------------------------------------------------------------------------

/** `[..., C]` → `[rows, C]` view of a contiguous tensor. */
function rows2d(t: Tensor): Tensor {
  const c = t.shape[t.rank - 1]!;
  return t.reshape([t.size / c, c]);
}

/**
 * Backward of `y = x·Wᵀ + b`: `dW += dyᵀ·x`, `db += Σ_rows dy` (each when its gradient view is
 * not null, i.e. the parameter trains) and returns `dx = dy·W` when asked.
 */
function linearBackward(
  dy: Tensor,
  x: Tensor,
  weight: Tensor,
  dWeight: Tensor | null,
  dBias: Tensor | null,
  wantDx: boolean,
): Tensor | null {
  const dy2 = rows2d(dy);
  if (dWeight) gemm(dy2, rows2d(x), { transA: true, out: dWeight, accumulate: true });
  if (dBias) sumRows(dy2, { out: dBias, accumulate: true });
  if (!wantDx) return null;
  const dx = gemm(dy2, weight);
  return dx.reshape([...x.shape.slice(0, -1), weight.shape[1]!]);
}

/** Backward of LayerNorm; accumulates dγ/dβ into their views when they train. */
function layerNormBack(
  x: Tensor,
  gamma: Tensor,
  dy: Tensor,
  grads: GradientLookup,
  prefix: string,
): Tensor {
  const dGamma = grads(`${prefix}.weight`);
  const dBeta = grads(`${prefix}.bias`);
  return layerNormBackward(x, gamma, dy, {
    eps: LN_EPS,
    ...(dGamma ? { dGamma } : {}),
    ...(dBeta ? { dBeta } : {}),
  });
}

function projGrads(grads: GradientLookup, prefix: string): { w: Tensor | null; b: Tensor | null } {
  return { w: grads(`${prefix}.weight`), b: grads(`${prefix}.bias`) };
}

/**
 * Backward through the decoder: from `dLogits` (`[R, V]`, the loss gradient) to every trainable
 * parameter's gradient view (accumulated, so call the store's `zeroGrad()` once per optimizer
 * step). Frozen parameters (`grads(name) === null`) get none; the encoder states are constants.
 */
export function decoderBackward(
  config: WhisperConfig,
  w: DecoderWeights,
  acts: DecoderActivations,
  dLogits: Tensor,
  grads: GradientLookup,
): void {
  if (!acts.hL || !acts.hf)
    throw new ModelError('INVALID_ARGUMENT', 'decoderBackward needs a forward run with keep: true');
  if (!config.tieWordEmbeddings)
    throw new ModelError(
      'UNSUPPORTED',
      'training needs proj_out tied to embed_tokens (tie_word_embeddings), as every Whisper checkpoint has',
    );
  const [b, n] = acts.ids.shape as [number, number];
  const d = config.dModel;
  const embedName = 'model.decoder.embed_tokens.weight';
  const dEmbed = grads(embedName);
  tidy(() => {
    // Tied output projection: logits = hf·Eᵀ.
    const dhf = linearBackward(dLogits, acts.hf!, w.projOut, dEmbed, null, true)!;
    let dh = layerNormBack(
      acts.hL!,
      w.layerNorm.weight,
      dhf.reshape([b, n, d]),
      grads,
      'model.decoder.layer_norm',
    );
    for (let i = w.layers.length - 1; i >= 0; i--) {
      const upstream = dh;
      dh = tidy(() =>
        keep(
          layerBackward(config, w.layers[i]!, acts.layers[i]!, acts.encoder, upstream, grads, i),
        ),
      );
    }
    // Embeddings: x0 = E[ids]·(√d if scaled) + P[0:N].
    const posGrad = grads('model.decoder.embed_positions.weight');
    if (posGrad)
      sumRows(dh.reshape([b, n * d]), {
        out: posGrad.slice(0, 0, n).reshape([n * d]),
        accumulate: true,
      });
    if (dEmbed)
      embeddingBackward(acts.ids, config.scaleEmbedding ? scale(dh, Math.sqrt(d)) : dh, dEmbed);
  });
}

function attentionGrads(
  grads: GradientLookup,
  p: string,
): Record<'q' | 'k' | 'v' | 'o', { w: Tensor | null; b: Tensor | null }> {
  return {
    q: projGrads(grads, `${p}.q_proj`),
    k: { w: grads(`${p}.k_proj.weight`), b: null },
    v: projGrads(grads, `${p}.v_proj`),
    o: projGrads(grads, `${p}.out_proj`),
  };
}

function layerBackward(
  config: WhisperConfig,
  w: DecoderLayerWeights,
  a: LayerActivations,
  encoder: Tensor,
  dh3: Tensor,
  grads: GradientLookup,
  index: number,
): Tensor {
  const p = `model.decoder.layers.${index}`;
  const [b, n, d] = dh3.shape as [number, number, number];
  const hd = d / config.decoderAttentionHeads;
  const sc = 1 / Math.sqrt(hd);
  const merge = (t: Tensor): Tensor => t.reshape([b, n, d]);
  // Feed-forward: out = h2 + fc2(gelu(fc1(ln3))).
  const fc1 = projGrads(grads, `${p}.fc1`);
  const fc2 = projGrads(grads, `${p}.fc2`);
  const dg = linearBackward(dh3, a.g, w.ffn.fc2Weight, fc2.w, fc2.b, true)!;
  const df1 = geluBackward(a.f1, dg);
  const dln3 = linearBackward(df1, a.ln3, w.ffn.fc1Weight, fc1.w, fc1.b, true)!;
  const dh2 = add(
    dh3,
    layerNormBack(a.h2, w.finalLayerNorm.weight, dln3, grads, `${p}.final_layer_norm`),
  );
  // Cross-attention: h2 = h1 + out_proj(attn(q(ln2), k(enc), v(enc))).
  const cg = attentionGrads(grads, `${p}.encoder_attn`);
  const dcatt = linearBackward(dh2, merge(a.catt), w.encoderAttn.outWeight, cg.o.w, cg.o.b, true)!;
  const cb = attentionBackward(a.cq, a.ck, a.cv, a.catt, a.clse, dcatt.reshape(a.catt.shape), {
    scale: sc,
  });
  const dln2 = linearBackward(merge(cb.dq), a.ln2, w.encoderAttn.qWeight, cg.q.w, cg.q.b, true)!;
  // K/V come from the constant encoder states: weight gradients only.
  const mergeEnc = (t: Tensor): Tensor => t.reshape(encoder.shape);
  linearBackward(mergeEnc(cb.dk), encoder, w.encoderAttn.kWeight, cg.k.w, null, false);
  linearBackward(mergeEnc(cb.dv), encoder, w.encoderAttn.vWeight, cg.v.w, cg.v.b, false);
  const dh1 = add(
    dh2,
    layerNormBack(a.h1, w.encoderAttnLayerNorm.weight, dln2, grads, `${p}.encoder_attn_layer_norm`),
  );
  // Self-attention: h1 = h + out_proj(causal attn(q(ln1), k(ln1), v(ln1))).
  const sg = attentionGrads(grads, `${p}.self_attn`);
  const datt = linearBackward(dh1, merge(a.att), w.selfAttn.outWeight, sg.o.w, sg.o.b, true)!;
  const sb = attentionBackward(a.q, a.k, a.v, a.att, a.lse, datt.reshape(a.att.shape), {
    scale: sc,
    causal: true,
  });
  const dq = linearBackward(merge(sb.dq), a.ln1, w.selfAttn.qWeight, sg.q.w, sg.q.b, true)!;
  const dk = linearBackward(merge(sb.dk), a.ln1, w.selfAttn.kWeight, sg.k.w, null, true)!;
  const dv = linearBackward(merge(sb.dv), a.ln1, w.selfAttn.vWeight, sg.v.w, sg.v.b, true)!;
  const dln1 = add(add(dq, dk), dv);
  return add(
    dh1,
    layerNormBack(a.h, w.selfAttnLayerNorm.weight, dln1, grads, `${p}.self_attn_layer_norm`),
  );
}
