// The encoder's result as an owned handle: what decoder states are created from.
import type { Tensor } from '@distil-whisper/kernels';

import { ModelError } from './errors';

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
  /** True once {@link EncoderOutput.dispose} has run. */
  get disposed(): boolean {
    return this.hiddenStates.disposed;
  }
}
