// The Whisper encoder-decoder graph over @distil-whisper/kernels. Mirrors transformers'
// modeling_whisper.py (WhisperEncoder / WhisperDecoder, pre-LN blocks, eager attention math);
// the code never branches on the backend: every op runs wherever the weights live.
import {
  add,
  attention,
  concat,
  conv1d,
  embedding,
  gelu,
  getDefaultDevice,
  keep,
  layerNorm,
  linear,
  matmul,
  scale,
  softmax,
  Tensor,
  tidy,
  type Device,
} from '@distil-whisper/kernels';

import {
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointKind,
  type LoadCheckpointOptions,
  type SaveCheckpointOptions,
} from './checkpoint';
import type { WhisperConfig } from './config';
import { ModelError } from './errors';
import type { WhisperGenerationConfig } from './generation-config';
import {
  structureWeights,
  type DecoderLayerWeights,
  type EncoderLayerWeights,
  type FeedForwardWeights,
  type LayerNormWeights,
  type WhisperWeights,
} from './weights';

/**
 * Element type of the activations (hidden states, attention K/V, KV cache) the graph computes
 * in. Layer-norm parameters and biases stay f32 whatever this is; logits are returned as f32.
 */
export type ActivationDtype = 'f32' | 'f16';

/** Graph options of a {@link WhisperModel} (the part of {@link LoadOptions} not about loading). */
export interface ModelOptions {
  /**
   * `'f32'` (default) everywhere; `'f16'` only on `device: 'cuda'`, where f16 activations against
   * f16 weights run as tensor-core GEMMs and f16 flash attention, about 7× faster than f32 for
   * the encoder. The CPU kernels compute in f32, so `'f16'` on the CPU throws
   * {@link ModelError} `UNSUPPORTED`.
   */
  activationDtype?: ActivationDtype;
}

/** Options of {@link WhisperModel.load}: {@link loadCheckpoint}'s plus {@link ModelOptions}. */
export type LoadOptions = LoadCheckpointOptions & ModelOptions;

function checkActivationDtype(dtype: unknown, device: Device): ActivationDtype {
  if (dtype !== 'f32' && dtype !== 'f16')
    throw new ModelError(
      'INVALID_ARGUMENT',
      `activationDtype must be 'f32' or 'f16', got ${JSON.stringify(dtype)}`,
    );
  if (dtype === 'f16' && device !== 'cuda')
    throw new ModelError(
      'UNSUPPORTED',
      `activationDtype 'f16' needs device 'cuda' (the ${device} kernels compute in f32); load with { device: 'cuda' } or activationDtype 'f32'`,
    );
  return dtype;
}

/**
 * Result of {@link WhisperModel.encode}: the encoder's last hidden state (after the final
 * `layer_norm`). Owns native memory: call {@link EncoderOutput.dispose} when no decoder state
 * needs to be created from it any more (decoder states keep their own cross-attention K/V).
 */
export class EncoderOutput {
  /** `[batch, frames / 2, dModel]`, in the encoding model's {@link WhisperModel.activationDtype}. */
  readonly hiddenStates: Tensor;

  /** Wraps an existing `[batch, positions, dModel]` f32 or f16 tensor (ownership moves to this object). */
  constructor(hiddenStates: Tensor) {
    if (hiddenStates.rank !== 3 || (hiddenStates.dtype !== 'f32' && hiddenStates.dtype !== 'f16'))
      throw new ModelError(
        'INVALID_ARGUMENT',
        `encoder output must be an f32 or f16 [batch, positions, d_model] tensor, got ${hiddenStates.toString()}`,
      );
    this.hiddenStates = hiddenStates;
  }
  /** Number of audio windows. */
  get batch(): number {
    return this.hiddenStates.shape[0]!;
  }
  /** Encoder positions per window (1500 for 30 s). */
  get positions(): number {
    return this.hiddenStates.shape[1]!;
  }
  /** Copies the hidden states to JS as `[batch, positions, dModel]` row-major float32 (converted from f16 on the device). */
  toFloat32(): Float32Array {
    return this.hiddenStates.toFloat32();
  }
  /** Releases the native memory. Idempotent. */
  dispose(): void {
    this.hiddenStates.dispose();
  }
  get disposed(): boolean {
    return this.hiddenStates.disposed;
  }
}

/** Options of {@link WhisperModel.createDecoderState}. */
export interface DecoderStateOptions {
  /**
   * Decoder rows per audio window (e.g. `numBeams` or the number of samples): row `r` attends to
   * window `floor(r / repeat)`, like transformers' `repeat_interleave` expansion. Default: 1.
   */
  repeat?: number;
  /**
   * Explicit window index of every decoder row (overrides `repeat`), e.g. `[0, 0, 1]`.
   */
  rows?: readonly number[];
  /** Capacity of the self-attention KV cache in tokens. Default and maximum: `maxTargetPositions`. */
  maxLength?: number;
}

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

/** Cross-attention probabilities of one decoder layer, `[batch, heads, positions, encoderPositions]`. */
export interface CrossAttentionWeights {
  data: Float32Array;
  shape: [batch: number, heads: number, positions: number, encoderPositions: number];
}

/** Result of {@link WhisperModel.decode}. */
export interface DecoderOutput {
  /**
   * Row-major `[batch, positions, vocabSize]` float32 logits, where `positions` is 1 for
   * `logits: 'last'` (the default) or the number of tokens fed for `'all'`.
   */
  logits: Float32Array;
  batch: number;
  positions: number;
  vocabSize: number;
  /** Per decoder layer, when requested (`undefined` for layers not requested). */
  crossAttentions?: Array<CrossAttentionWeights | undefined>;
}

/**
 * Per-sequence decoder state: the preallocated self-attention KV cache (`maxLength` positions,
 * every decoder layer) and the cross-attention K/V of the audio windows, computed once by
 * {@link WhisperModel.createDecoderState}. Rows are the sequences decoded together (batch ×
 * beams). Owns native memory: call {@link DecoderState.dispose}.
 */
export class DecoderState {
  /** @internal self-attention K and V per layer, `[rows, maxLength, heads, headDim]`, activation dtype. */
  selfK: Tensor[];
  /** @internal */
  selfV: Tensor[];
  /** @internal cross-attention K and V per layer, `[windows, encoderPositions, heads, headDim]`, activation dtype. */
  readonly crossK: Tensor[];
  /** @internal */
  readonly crossV: Tensor[];
  /** @internal window of each row. */
  rowWindow: number[];
  #length = 0;
  #disposed = false;
  /** Capacity of the KV cache in tokens. */
  readonly maxLength: number;

  /** @internal Created by {@link WhisperModel.createDecoderState}. */
  constructor(
    selfK: Tensor[],
    selfV: Tensor[],
    crossK: Tensor[],
    crossV: Tensor[],
    rowWindow: number[],
    maxLength: number,
  ) {
    this.selfK = selfK;
    this.selfV = selfV;
    this.crossK = crossK;
    this.crossV = crossV;
    this.rowWindow = rowWindow;
    this.maxLength = maxLength;
  }

  /** Number of decoder rows (sequences). */
  get batch(): number {
    return this.rowWindow.length;
  }
  /** Tokens already in the cache (the position of the next token). */
  get length(): number {
    return this.#length;
  }
  /** Number of audio windows the rows attend to. */
  get windows(): number {
    return this.crossK[0]?.shape[0] ?? 0;
  }
  /** Window index of every row. */
  get rows(): readonly number[] {
    return this.rowWindow;
  }
  get disposed(): boolean {
    return this.#disposed;
  }

  /** @internal */
  advance(n: number): void {
    this.#length += n;
  }

  /** @internal */
  assertLive(): void {
    if (this.#disposed) throw new ModelError('DISPOSED', 'this decoder state has been disposed');
  }

  /**
   * Forgets cached tokens beyond `length` (e.g. tokens rejected by speculative decoding); the
   * next {@link WhisperModel.decode} continues at that position.
   */
  rewind(length: number): void {
    this.assertLive();
    if (!Number.isInteger(length) || length < 0 || length > this.#length)
      throw new ModelError(
        'INVALID_ARGUMENT',
        `rewind(${length}): length must be an integer in [0, ${this.#length}]`,
      );
    this.#length = length;
  }

  /**
   * Reorders (and possibly resizes) the rows for beam search: new row `i` continues old row
   * `beamIndices[i]` (its KV cache is copied; its audio window follows it). Indices may repeat
   * or be dropped. Identity orders cost nothing.
   *
   * @example
   * ```ts
   * state.reorder([0, 0, 2, 1]); // rows 0 and 1 now both continue old row 0, ...
   * ```
   */
  reorder(beamIndices: ArrayLike<number>): void {
    this.assertLive();
    const n = beamIndices.length;
    const old = this.batch;
    const idx = Array.from(beamIndices);
    for (const i of idx)
      if (!Number.isInteger(i) || i < 0 || i >= old)
        throw new ModelError('INVALID_ARGUMENT', `reorder: beam index ${i} is outside [0, ${old})`);
    if (n === old && idx.every((v, i) => v === i)) return;
    if (n === 0) throw new ModelError('INVALID_ARGUMENT', 'reorder: at least one row must remain');
    const len = this.#length;
    const gather = (src: Tensor): Tensor => {
      const shape = [n, ...src.shape.slice(1)];
      const dst = Tensor.empty(shape, { dtype: src.dtype, device: src.device });
      if (len > 0)
        tidy(() => {
          for (let i = 0; i < n; i++)
            dst
              .slice(0, i, i + 1)
              .slice(1, 0, len)
              .assign(src.slice(0, idx[i]!, idx[i]! + 1).slice(1, 0, len));
        });
      return dst;
    };
    const swap = (list: Tensor[]): Tensor[] =>
      list.map((t) => {
        const g = gather(t);
        t.dispose();
        return g;
      });
    this.selfK = swap(this.selfK);
    this.selfV = swap(this.selfV);
    this.rowWindow = idx.map((i) => this.rowWindow[i]!);
  }

  /** Releases the KV caches. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of [...this.selfK, ...this.selfV, ...this.crossK, ...this.crossV]) t.dispose();
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}

function feedForward(x: Tensor, w: FeedForwardWeights): Tensor {
  return linear(gelu(linear(x, w.fc1Weight, w.fc1Bias)), w.fc2Weight, w.fc2Bias);
}

function norm(x: Tensor, w: LayerNormWeights): Tensor {
  return layerNorm(x, w.weight, w.bias, 1e-5);
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

/** How the decoder rows map onto the cross-attention windows (computed once per decode call). */
interface CrossAttentionRuns {
  /** Row `i` attends to window `i`: one kernel call over the whole batch. */
  identity: boolean;
  /** `[window, firstRow, rowCount]`, or `[[-1, 0, rows]]` when `identity`. */
  runs: Array<[number, number, number]>;
}

function crossAttentionRuns(state: DecoderState): CrossAttentionRuns {
  const b = state.batch;
  const identity = state.windows === b && state.rowWindow.every((w, i) => w === i);
  return { identity, runs: identity ? [[-1, 0, b]] : windowRuns(state.rowWindow) };
}

/**
 * A Whisper / Distil-Whisper model (transformers' WhisperForConditionalGeneration, or
 * WhisperForCausalLM for decoder-only assistant checkpoints) with weights in native memory.
 *
 * Inference is three calls: {@link WhisperModel.encode} a batch of log-mel windows,
 * {@link WhisperModel.createDecoderState} (cross-attention K/V computed once, KV cache
 * preallocated), then {@link WhisperModel.decode} repeatedly with the new tokens of every row.
 * All calls are synchronous native work: run them in a worker thread to keep an event loop free.
 *
 * @example
 * ```ts
 * const model = WhisperModel.load('checkpoints/distil-small.en');
 * const enc = model.encode(features, 1);                 // features: Float32Array [1, 80, 3000]
 * const state = model.createDecoderState(enc);
 * let out = model.decode(state, [[50257, 50362]]);        // prompt: all rows, same length
 * for (let step = 0; step < 10; step++) {
 *   const next = argmaxRow(out.logits, 0, out.vocabSize); // your processors / sampling here
 *   out = model.decode(state, [[next]]);
 * }
 * state.dispose(); enc.dispose(); model.dispose();
 * ```
 */
export class WhisperModel {
  /** Parsed config.json. */
  readonly config: WhisperConfig;
  /** Parsed generation_config.json (defaults derived from config.json when the file is absent). */
  readonly generationConfig: WhisperGenerationConfig;
  /** `'decoder-only'` for WhisperForCausalLM checkpoints (no encoder: {@link encode} throws). */
  readonly kind: CheckpointKind;
  /** Every checkpoint tensor by its transformers name, as loaded (for saving / distillation). */
  readonly tensors: ReadonlyMap<string, Tensor>;
  /** Device the weights live on. */
  readonly device: Device;
  /** Element type the graph computes activations in (see {@link ModelOptions.activationDtype}). */
  readonly activationDtype: ActivationDtype;
  readonly #weights: WhisperWeights;
  readonly #owned: Tensor[];
  #disposed = false;

  /**
   * Wraps already-loaded tensors (ownership moves to the model). Most callers use
   * {@link WhisperModel.load}.
   *
   * @throws {@link ModelError} `UNSUPPORTED` for `activationDtype: 'f16'` on a CPU checkpoint
   *   (the tensors stay the caller's then).
   */
  constructor(
    checkpoint: {
      config: WhisperConfig;
      generationConfig: WhisperGenerationConfig;
      kind: CheckpointKind;
      tensors: Map<string, Tensor>;
    },
    options: ModelOptions = {},
  ) {
    const embed = checkpoint.tensors.get('model.decoder.embed_tokens.weight');
    this.activationDtype = checkActivationDtype(
      options.activationDtype ?? 'f32',
      embed?.device ?? getDefaultDevice(),
    );
    this.config = checkpoint.config;
    this.generationConfig = checkpoint.generationConfig;
    this.kind = checkpoint.kind;
    this.tensors = checkpoint.tensors;
    this.#owned = [];
    this.#weights = structureWeights(this.config, this.kind, this.tensors, this.#owned);
    this.device = this.#weights.decoder.embedTokens.device;
  }

  /**
   * Loads a Hugging Face checkpoint directory (see {@link loadCheckpoint} for the validation
   * done and the errors thrown).
   *
   * @param dir directory with config.json, model.safetensors (or a sharded index) and optionally generation_config.json
   * @param options `dtype`: convert matrix weights while loading (default: keep stored dtype);
   *   `device`: `'cpu'` or `'cuda'` (default: the kernels' default device);
   *   `activationDtype`: `'f32'` (default) or `'f16'` (CUDA only)
   * @throws {@link ModelError} `UNSUPPORTED` for `activationDtype: 'f16'` on the CPU (before
   *   reading any weight)
   *
   * @example
   * ```ts
   * const model = WhisperModel.load(dir, { device: 'cuda', activationDtype: 'f16' });
   * ```
   */
  static load(dir: string, options: LoadOptions = {}): WhisperModel {
    const { activationDtype, ...loadOptions } = options;
    checkActivationDtype(activationDtype ?? 'f32', options.device ?? getDefaultDevice());
    const checkpoint = loadCheckpoint(dir, loadOptions);
    try {
      return new WhisperModel(checkpoint, { activationDtype });
    } catch (err) {
      for (const t of checkpoint.tensors.values()) t.dispose();
      throw err;
    }
  }

  /** @internal The graph's weight structure (read by the training graph; never mutate). */
  get structuredWeights(): WhisperWeights {
    this.#assertLive();
    return this.#weights;
  }

  /** Hidden size. */
  get dModel(): number {
    return this.config.dModel;
  }
  /** Output vocabulary size. */
  get vocabSize(): number {
    return this.config.vocabSize;
  }
  /** Mel frames the encoder expects per window (`2 · maxSourcePositions`, 3000 for 30 s). */
  get framesPerWindow(): number {
    return 2 * this.config.maxSourcePositions;
  }
  /** Dtype of the decoder's token embedding (the checkpoint's main weight dtype). */
  get weightDtype(): 'f32' | 'f16' | 'bf16' {
    return this.#weights.decoder.embedTokens.dtype as 'f32' | 'f16' | 'bf16';
  }

  #assertLive(): void {
    if (this.#disposed) throw new ModelError('DISPOSED', 'this model has been disposed');
  }

  /**
   * `t` in the activation dtype: `t` itself when it already is (always, for f32 models fed f32),
   * else a cast (the caller's tidy scope owns it).
   */
  #act(t: Tensor): Tensor {
    return t.dtype === this.activationDtype ? t : t.cast(this.activationDtype);
  }

  /**
   * Positional embeddings of positions `[start, start + n)` as an activation-dtype `[n, dModel]`
   * tensor: a row slice of the table (a view; a cast only when the table's dtype differs), so
   * no position ids are uploaded or range-checked per call.
   */
  #positions(table: Tensor, start: number, n: number): Tensor {
    return this.#act(table.slice(0, start, start + n));
  }

  /**
   * Runs the encoder: conv1 + GELU, conv2 (stride 2) + GELU, + embed_positions, pre-LN
   * transformer blocks, final layer_norm.
   *
   * @param features log-mel features `[batch, numMelBins, frames]` (row-major Float32Array or
   *   an f32/f16 Tensor; converted to the activation dtype on entry). `frames` is normally
   *   {@link framesPerWindow} (3000); any even count up to it is accepted.
   * @param batch number of windows in `features` (Float32Array input only). Default: 1.
   */
  encode(features: Float32Array | Tensor, batch = 1): EncoderOutput {
    this.#assertLive();
    const enc = this.#weights.encoder;
    if (!enc)
      throw new ModelError(
        'UNSUPPORTED',
        'this is a decoder-only (WhisperForCausalLM) checkpoint: it has no encoder; pass the encoder output of its main model',
      );
    const mels = this.config.numMelBins;
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
    if (frames < 2 || frames % 2 !== 0 || frames / 2 > this.config.maxSourcePositions)
      throw new ModelError(
        'INVALID_ARGUMENT',
        `features have ${frames} frames; expected an even count ≤ ${this.framesPerWindow} (normally exactly ${this.framesPerWindow})`,
      );
    const positions = frames / 2;
    const hidden = tidy(() => {
      const x = this.#act(
        features instanceof Tensor
          ? features
          : Tensor.from(features, shape, { device: this.device }),
      );
      let h = gelu(conv1d(x, enc.conv1Weight, { bias: enc.conv1Bias, stride: 1, padding: 1 }));
      h = gelu(conv1d(h, enc.conv2Weight, { bias: enc.conv2Bias, stride: 2, padding: 1 }));
      h = h.transpose(1, 2).contiguous();
      h = add(h, this.#positions(enc.embedPositions, 0, positions));
      return keep(h);
    });
    let h = hidden;
    for (const layer of enc.layers) {
      const next = tidy(() => keep(this.#encoderLayer(h, layer)));
      h.dispose();
      h = next;
    }
    const out = tidy(() => keep(norm(h, enc.layerNorm)));
    h.dispose();
    return new EncoderOutput(out);
  }

  #encoderLayer(h: Tensor, w: EncoderLayerWeights): Tensor {
    const heads = this.config.encoderAttentionHeads;
    const [b, l, d] = h.shape as [number, number, number];
    const x = norm(h, w.selfAttnLayerNorm);
    const q = linear(x, w.selfAttn.qWeight, w.selfAttn.qBias).reshape([b, l, heads, d / heads]);
    const k = linear(x, w.selfAttn.kWeight).reshape([b, l, heads, d / heads]);
    const v = linear(x, w.selfAttn.vWeight, w.selfAttn.vBias).reshape([b, l, heads, d / heads]);
    const a = attention(q, k, v, { scale: 1 / Math.sqrt(d / heads) }).out.reshape([b, l, d]);
    const h1 = add(h, linear(a, w.selfAttn.outWeight, w.selfAttn.outBias));
    return add(h1, feedForward(norm(h1, w.finalLayerNorm), w.ffn));
  }

  /**
   * Prepares decoding against encoded windows: computes every decoder layer's cross-attention
   * K/V once and preallocates the self-attention KV cache.
   *
   * @param encoderOutput from {@link encode} (of this model, or of the main model when this is a
   *   decoder-only assistant), or an f32/f16 `[windows, positions, dModel]` tensor (converted to
   *   the activation dtype when it differs). Not consumed.
   * @param options rows per window (`repeat`, for beams) or an explicit `rows` map, and the cache capacity
   */
  createDecoderState(
    encoderOutput: EncoderOutput | Tensor,
    options: DecoderStateOptions = {},
  ): DecoderState {
    this.#assertLive();
    const hidden =
      encoderOutput instanceof EncoderOutput ? encoderOutput.hiddenStates : encoderOutput;
    const [windows, positions, d] = hidden.shape as [number, number, number];
    if (hidden.rank !== 3 || d !== this.config.dModel)
      throw new ModelError(
        'INVALID_ARGUMENT',
        `encoder output must be [windows, positions, ${this.config.dModel}], got [${hidden.shape.join(', ')}]`,
      );
    let rows: number[];
    if (options.rows) {
      rows = [...options.rows];
      if (rows.length === 0 || rows.some((r) => !Number.isInteger(r) || r < 0 || r >= windows))
        throw new ModelError(
          'INVALID_ARGUMENT',
          `rows must be a non-empty list of window indices in [0, ${windows})`,
        );
    } else {
      const repeat = options.repeat ?? 1;
      if (!Number.isInteger(repeat) || repeat < 1)
        throw new ModelError(
          'INVALID_ARGUMENT',
          `repeat must be a positive integer, got ${repeat}`,
        );
      rows = Array.from({ length: windows * repeat }, (_, i) => Math.floor(i / repeat));
    }
    const maxLength = options.maxLength ?? this.config.maxTargetPositions;
    if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > this.config.maxTargetPositions)
      throw new ModelError(
        'INVALID_ARGUMENT',
        `maxLength must be an integer in [1, ${this.config.maxTargetPositions}], got ${maxLength}`,
      );
    const heads = this.config.decoderAttentionHeads;
    const hd = d / heads;
    const crossK: Tensor[] = [];
    const crossV: Tensor[] = [];
    const selfK: Tensor[] = [];
    const selfV: Tensor[] = [];
    const cache = { dtype: this.activationDtype, device: this.device };
    // Another model's encoder output (an assistant's main model) may be in another dtype.
    const x = this.#act(hidden);
    try {
      for (const layer of this.#weights.decoder.layers) {
        const w = layer.encoderAttn;
        crossK.push(
          tidy(() => keep(linear(x, w.kWeight).reshape([windows, positions, heads, hd]))),
        );
        crossV.push(
          tidy(() => keep(linear(x, w.vWeight, w.vBias).reshape([windows, positions, heads, hd]))),
        );
        selfK.push(Tensor.empty([rows.length, maxLength, heads, hd], cache));
        selfV.push(Tensor.empty([rows.length, maxLength, heads, hd], cache));
      }
    } catch (err) {
      for (const t of [...crossK, ...crossV, ...selfK, ...selfV]) t.dispose();
      throw err;
    } finally {
      if (x !== hidden) x.dispose();
    }
    return new DecoderState(selfK, selfV, crossK, crossV, rows, maxLength);
  }

  /**
   * Feeds the next tokens of every row and returns logits. The first call usually feeds the whole
   * prompt (e.g. `<|startoftranscript|><|en|><|transcribe|><|notimestamps|>`); later calls one
   * token per row. Every row must feed the same number of tokens.
   *
   * @param state from {@link createDecoderState}; advanced by the number of tokens fed
   * @param tokenIds one list of ids per row (`Int32Array[]` or `number[][]`)
   * @param options `logits: 'last' | 'all'` (default `'last'`), `outputCrossAttentions`
   * @throws {@link ModelError} `SEQUENCE_TOO_LONG` when the cache would overflow,
   *   `INVALID_ARGUMENT` for ragged rows or ids outside the vocabulary.
   */
  decode(
    state: DecoderState,
    tokenIds: ReadonlyArray<ArrayLike<number>>,
    options: DecodeOptions = {},
  ): DecoderOutput {
    this.#assertLive();
    state.assertLive();
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
    const vocab = this.config.vocabSize;
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
        ? this.#weights.decoder.layers.map((_, i) => i)
        : Array.isArray(oca)
          ? (oca as readonly number[])
          : [],
    );
    const crossAttentions: Array<CrossAttentionWeights | undefined> = [];
    const runs = crossAttentionRuns(state);
    const logits = tidy(() => {
      const dec = this.#weights.decoder;
      const idT = Tensor.from(ids, [rows, n], { dtype: 'i32', device: this.device });
      // embedding() always yields f32 (it reads an f16/bf16 table without upcasting the table).
      let h = this.#act(embedding(idT, dec.embedTokens));
      if (this.config.scaleEmbedding) h = scale(h, Math.sqrt(this.config.dModel));
      h = add(h, this.#positions(dec.embedPositions, start, n));
      dec.layers.forEach((layer, i) => {
        h = tidy(() => {
          const { out, weights } = this.#decoderLayer(
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
      for (let i = 0; i < this.config.decoderLayers; i++)
        if (!(i in crossAttentions)) crossAttentions[i] = undefined;
      out.crossAttentions = crossAttentions;
    }
    return out;
  }

  #decoderLayer(
    h: Tensor,
    w: DecoderLayerWeights,
    state: DecoderState,
    layer: number,
    start: number,
    runs: CrossAttentionRuns,
    wantWeights: boolean,
  ): { out: Tensor; weights: CrossAttentionWeights | undefined } {
    const heads = this.config.decoderAttentionHeads;
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
    const { out: ca, weights } = this.#crossAttention(cq, state, layer, runs, sc, wantWeights);
    const h2 = add(
      h1,
      linear(ca.reshape([b, l, d]), w.encoderAttn.outWeight, w.encoderAttn.outBias),
    );
    const out = add(h2, feedForward(norm(h2, w.finalLayerNorm), w.ffn));
    return { out, weights };
  }

  /**
   * Cross-attention for rows that may share windows (beams). Rows of one window that sit next to
   * each other are stacked along the query axis, so each window is one kernel call whatever the
   * beam count, and the window's K/V are never duplicated.
   */
  #crossAttention(
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

  /**
   * Writes this model as a Hugging Face checkpoint directory (config.json,
   * generation_config.json, model.safetensors) that transformers and {@link WhisperModel.load} read.
   *
   * @param options `dtype`: convert float tensors while writing (default: as loaded)
   */
  save(dir: string, options: SaveCheckpointOptions = {}): void {
    this.#assertLive();
    saveCheckpoint(
      dir,
      {
        config: this.config,
        generationConfig: this.generationConfig,
        tensors: this.tensors,
        kind: this.kind,
      },
      options,
    );
  }

  /** Releases every weight. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of this.#owned) t.dispose();
    for (const t of this.tensors.values()) t.dispose();
  }
  get disposed(): boolean {
    return this.#disposed;
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
}
