// WhisperModel: a loaded Whisper / Distil-Whisper checkpoint and its three inference calls
// (encode, createDecoderState, decode), plus save. The graph itself lives in graph/ (mirroring
// transformers' modeling_whisper.py), the KV cache in decoder-state.ts, the weight structure in
// weights.ts; this file validates arguments, guards disposal and wires those together. The code
// never branches on the backend: every op runs wherever the weights live.
import { getDefaultDevice, type Device, type Tensor } from '@distil-whisper/kernels';

import {
  checkActivationDtype,
  type ActivationDtype,
  type LoadOptions,
  type ModelOptions,
} from './activation-dtype';
import {
  loadCheckpoint,
  saveCheckpoint,
  type CheckpointKind,
  type SaveCheckpointOptions,
} from './checkpoint';
import type { WhisperConfig } from './config';
import { openDecoderState, type DecoderState, type DecoderStateOptions } from './decoder-state';
import { EncoderOutput } from './encoder-output';
import { ModelError } from './errors';
import type { WhisperGenerationConfig } from './generation-config';
import type { GraphContext } from './graph/context';
import { runDecoder, type DecodeOptions, type DecoderOutput } from './graph/decoder';
import { runEncoder } from './graph/encoder';
import { isCt2ModelDir, loadCt2Checkpoint } from './ct2/directory';
import {
  checkComputeType,
  hasInt8Weights,
  quantizeLinearWeights,
  type ComputeType,
} from './compute-type';
import { structureWeights, type WhisperWeights } from './weights';

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
  /** What the Linear layers multiply in (see {@link ModelOptions.computeType}). */
  readonly computeType: ComputeType;
  readonly #weights: WhisperWeights;
  /** What the graph functions read (config, weights, activation dtype, device). */
  readonly #graph: GraphContext;
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
    const device = embed?.device ?? getDefaultDevice();
    this.computeType = checkComputeType(options.computeType ?? 'default', device);
    if (this.computeType !== 'int8' && hasInt8Weights(checkpoint.tensors))
      throw new ModelError(
        'INVALID_ARGUMENT',
        `the checkpoint holds int8 weights (e.g. loadCt2Checkpoint with keepInt8), which only computeType 'int8' runs; pass { computeType: 'int8' } or load them dequantised`,
      );
    const weights = structureWeights(this.config, this.kind, this.tensors, this.#owned);
    this.#weights =
      this.computeType === 'int8' ? quantizeLinearWeights(weights, this.#owned) : weights;
    this.device = this.#weights.decoder.embedTokens.device;
    this.#graph = {
      config: this.config,
      weights: this.#weights,
      activationDtype: this.activationDtype,
      // int8 models are approximate already; f16 cross-attention K/V halve what each token reads.
      crossKvDtype:
        this.computeType === 'int8' && this.device === 'cpu' ? 'f16' : this.activationDtype,
      device: this.device,
    };
  }

  /**
   * Loads a Hugging Face checkpoint directory (see {@link loadCheckpoint} for the validation
   * done and the errors thrown).
   *
   * @param dir directory with config.json, model.safetensors (or a sharded index) and optionally
   *   generation_config.json — or a CTranslate2 (faster-whisper) folder (config.json, model.bin),
   *   whose int8 weights stay int8 under `computeType: 'int8'` and are dequantised otherwise
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
    const { activationDtype, computeType, ...loadOptions } = options;
    const device = options.device ?? getDefaultDevice();
    checkActivationDtype(activationDtype ?? 'f32', device);
    const compute = checkComputeType(computeType ?? 'default', device);
    if (compute === 'f32' || compute === 'f16') {
      if (loadOptions.dtype !== undefined && loadOptions.dtype !== compute)
        throw new ModelError(
          'INVALID_ARGUMENT',
          `computeType '${compute}' and dtype '${loadOptions.dtype}' disagree; give one of them`,
        );
      loadOptions.dtype = compute;
    }
    // A CTranslate2 (faster-whisper) folder loads too; under computeType 'int8' its int8 weights
    // stay int8 (no dequantise-then-requantise round trip).
    const checkpoint = isCt2ModelDir(dir)
      ? loadCt2Checkpoint(dir, { ...loadOptions, keepInt8: compute === 'int8' })
      : loadCheckpoint(dir, loadOptions);
    try {
      return new WhisperModel(checkpoint, { activationDtype, computeType: compute });
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
    return new EncoderOutput(runEncoder(this.#graph, enc, features, batch));
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
    return openDecoderState(this.#graph, encoderOutput, options);
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
    return runDecoder(this.#graph, state, tokenIds, options);
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
  /** True once {@link WhisperModel.dispose} has run. */
  get disposed(): boolean {
    return this.#disposed;
  }
  /** Same as {@link WhisperModel.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}
