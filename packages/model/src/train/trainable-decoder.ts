// A student decoder prepared for training: f32 master copies of its trainable parameters in a
// ParameterStore, the weight structure the graph reads (trainable parameters as store views,
// frozen ones as loaded), and forward/backward over it.
import type { Tensor } from '@distil-whisper/kernels';

import type { WhisperModel } from '../model';
import { declareParameters, type ParameterDecl } from '../parameters';
import { structureWeights, type DecoderWeights } from '../weights';
import {
  decoderBackward,
  decoderForward,
  type DecoderActivations,
  type DecoderForwardResult,
} from './decoder-graph';
import { ParameterStore } from './parameter-store';

/** Which decoder parameters stay frozen besides the encoder (always frozen). */
export interface TrainableDecoderOptions {
  /** Freeze `model.decoder.embed_positions.weight` (distil-whisper's `--freeze_embed_positions`). Default: false. */
  freezeEmbedPositions?: boolean;
  /** Freeze `model.decoder.embed_tokens.weight` (tied to proj_out). Default: false. */
  freezeEmbedTokens?: boolean;
}

/** The decoder parameters that train under `options` (the encoder never does). */
export function trainableDecoderParameters(
  model: WhisperModel,
  options: TrainableDecoderOptions = {},
): ParameterDecl[] {
  return declareParameters(model.config, model.kind).filter(
    (p) =>
      p.stack === 'decoder' &&
      !(p.role === 'positions' && options.freezeEmbedPositions) &&
      !(p.role === 'token-embedding' && options.freezeEmbedTokens),
  );
}

/**
 * The trainable side of a student. The model keeps owning its loaded tensors (the frozen
 * encoder and any frozen decoder parameter); the trainer owns this object's store.
 *
 * @example
 * ```ts
 * const student = new TrainableDecoder(WhisperModel.load(dir), { freezeEmbedPositions: true });
 * const { logits, activations } = student.forward(ids, encoderStates);
 * // ... loss gradient dLogits ...
 * student.backward(activations!, dLogits);
 * ```
 */
export class TrainableDecoder {
  readonly model: WhisperModel;
  readonly store: ParameterStore;
  /** Graph weights: store views for trainable parameters, the model's tensors for frozen ones. */
  readonly weights: DecoderWeights;
  readonly #owned: Tensor[] = [];

  constructor(model: WhisperModel, options: TrainableDecoderOptions = {}) {
    this.model = model;
    const decls = trainableDecoderParameters(model, options);
    this.store = ParameterStore.fromTensors(decls, model.tensors);
    try {
      const merged = new Map(model.tensors);
      for (const [name, view] of this.store.weightMap()) merged.set(name, view);
      this.weights = structureWeights(model.config, 'decoder-only', merged, this.#owned).decoder;
    } catch (err) {
      this.dispose();
      throw err;
    }
  }

  /** Forward with activations kept for {@link TrainableDecoder.backward}. */
  forward(ids: Tensor, encoderStates: Tensor): DecoderForwardResult {
    return decoderForward(this.model.config, this.weights, ids, encoderStates, { keep: true });
  }

  /** Logits only (evaluation; nothing kept). */
  logits(ids: Tensor, encoderStates: Tensor): Tensor {
    return decoderForward(this.model.config, this.weights, ids, encoderStates).logits;
  }

  /** Accumulates every trainable parameter's gradient from the loss gradient `dLogits` `[R, V]`. */
  backward(activations: DecoderActivations, dLogits: Tensor): void {
    decoderBackward(this.model.config, this.weights, activations, dLogits, (name) =>
      this.store.has(name) ? this.store.get(name).grad : null,
    );
  }

  /**
   * Every tensor of the student as it stands now, by Hugging Face name: the trained f32 weights
   * and, for the rest, the loaded tensors (for saving a checkpoint).
   */
  currentTensors(): Map<string, Tensor> {
    const merged = new Map(this.model.tensors);
    for (const [name, view] of this.store.weightMap()) merged.set(name, view);
    return merged;
  }

  /** Releases the store (the model stays the caller's). Idempotent. */
  dispose(): void {
    for (const t of this.#owned.splice(0)) t.dispose();
    this.store.dispose();
  }
}

/** Logits of a frozen (teacher) model's decoder for whole sequences; nothing kept. */
export function teacherLogits(model: WhisperModel, ids: Tensor, encoderStates: Tensor): Tensor {
  return decoderForward(model.config, model.structuredWeights.decoder, ids, encoderStates).logits;
}
