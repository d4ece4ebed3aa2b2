// The element type the graph computes activations in, and the options that choose it.
import type { Device } from '@distil-whisper/kernels';

import type { LoadCheckpointOptions } from './checkpoint';
import type { ComputeType } from './compute-type';
import { ModelError } from './errors';

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
  /**
   * What the Linear layers multiply in: `'default'` (the stored dtype), `'f32'` / `'f16'`
   * (matrix weights converted while loading — {@link WhisperModel.load} only), or `'int8'`:
   * Linear weights quantised per output channel at load and activations per row on the fly,
   * exact int32 sums (CPU only; about 2.5× less weight traffic per decoded token than f32). The
   * parity tests run on f32; int8's accuracy is reported in the model README.
   */
  computeType?: ComputeType;
}

/** Options of {@link WhisperModel.load}: {@link loadCheckpoint}'s plus {@link ModelOptions}. */
export type LoadOptions = LoadCheckpointOptions & ModelOptions;

/**
 * Validates an activation dtype for the device the weights live on.
 *
 * @throws {@link ModelError} `INVALID_ARGUMENT` for anything but `'f32'` / `'f16'`,
 *   `UNSUPPORTED` for `'f16'` off CUDA
 */
export function checkActivationDtype(dtype: unknown, device: Device): ActivationDtype {
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
