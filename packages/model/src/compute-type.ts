// The element type the weights of the Linear layers are multiplied in: as stored, converted to
// f32 / f16 while loading, or int8 (per-channel weight scales, activations quantised per row on
// the fly). Only the Linear layers change; conv stem, embeddings, norms and biases stay as they are.
import { QuantizedTensor, releasePages, type Device, type Tensor } from '@distil-whisper/kernels';

import { ModelError } from './errors';
import type {
  AttentionWeights,
  DecoderLayerWeights,
  EncoderLayerWeights,
  WhisperWeights,
} from './weights';

/**
 * `'default'`: the checkpoint's stored dtype; `'f32'` / `'f16'`: matrix weights converted while
 * loading; `'int8'`: Linear weights quantised to int8 per output channel at load (CPU only).
 */
export type ComputeType = 'default' | 'f32' | 'f16' | 'int8';

const COMPUTE_TYPES: readonly ComputeType[] = ['default', 'f32', 'f16', 'int8'];

/**
 * Validates a compute type for the device the weights live on.
 *
 * @throws {@link ModelError} `INVALID_ARGUMENT` for an unknown name, `UNSUPPORTED` for `'int8'`
 *   off the CPU
 */
export function checkComputeType(value: unknown, device: Device): ComputeType {
  if (!COMPUTE_TYPES.includes(value as ComputeType))
    throw new ModelError(
      'INVALID_ARGUMENT',
      `computeType must be one of ${COMPUTE_TYPES.map((c) => `'${c}'`).join(', ')}, got ${JSON.stringify(value)}`,
    );
  if (value === 'int8' && device !== 'cpu')
    throw new ModelError(
      'UNSUPPORTED',
      `computeType 'int8' runs on the CPU only (no ${device} int8 kernel yet); load with { device: 'cpu' } or computeType 'f16'`,
    );
  return value as ComputeType;
}

/**
 * A copy of `weights` whose Linear weights (attention q/k/v/out, fc1/fc2 and the output
 * projection) are {@link QuantizedTensor}s. The new tensors are pushed to `owned`; the float
 * originals stay in the checkpoint's map (the token embedding still reads its table in float).
 */
export function quantizeLinearWeights(weights: WhisperWeights, owned: Tensor[]): WhisperWeights {
  const q = (t: Tensor): Tensor => {
    if (t instanceof QuantizedTensor) return t; // stored int8 (a CTranslate2 int8 model)
    const out = QuantizedTensor.quantize(t);
    owned.push(out);
    // Quantising read every page of the float original; a memory-mapped one need not stay
    // resident (it is re-read from the file if the checkpoint is saved or the embedding looks up
    // a row), which keeps an int8 model's RSS near its int8 size.
    releasePages(t);
    return out;
  };
  const attn = (a: AttentionWeights): AttentionWeights => ({
    ...a,
    qWeight: q(a.qWeight),
    kWeight: q(a.kWeight),
    vWeight: q(a.vWeight),
    outWeight: q(a.outWeight),
  });
  const layer = <L extends EncoderLayerWeights>(l: L): L => ({
    ...l,
    selfAttn: attn(l.selfAttn),
    ffn: { ...l.ffn, fc1Weight: q(l.ffn.fc1Weight), fc2Weight: q(l.ffn.fc2Weight) },
  });
  return {
    encoder: weights.encoder && { ...weights.encoder, layers: weights.encoder.layers.map(layer) },
    decoder: {
      ...weights.decoder,
      layers: weights.decoder.layers.map((l): DecoderLayerWeights => ({
        ...layer(l),
        encoderAttn: attn(l.encoderAttn),
      })),
      projOut: q(weights.decoder.projOut),
    },
  };
}

/** True when a checkpoint holds int8 weights (only a `computeType: 'int8'` model can run them). */
export function hasInt8Weights(tensors: ReadonlyMap<string, Tensor>): boolean {
  for (const t of tensors.values()) if (t instanceof QuantizedTensor) return true;
  return false;
}
