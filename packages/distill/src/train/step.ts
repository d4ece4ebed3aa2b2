// One optimizer step of distillation (WAVE2 A6–A8), free of files and data loading so tests and
// benchmarks drive it directly: for each micro-batch, the frozen teacher's logits and the
// student's forward on the same decoder inputs and encoder states, the fused CE + KL loss and its
// gradient, the student's backward; then global-norm clipping and AdamW.
import { Tensor, tidy } from '@distil-whisper/kernels';
import { teacherLogits, type TrainableDecoder, type WhisperModel } from '@distil-whisper/model';

import { DistillError } from '../errors.js';
import { distillationLoss, type DistillationLossOptions } from '../losses.js';

/** One collated micro-batch. */
export interface MicroBatch {
  /** `[B, N]` decoder input ids (row-major). */
  decoderInputIds: Int32Array;
  /** `[B, N]` targets, −100 where not scored. */
  labels: Int32Array;
  batchSize: number;
  length: number;
  /** `[B, S, d]` f32 encoder states (not consumed). */
  encoderStates: Tensor;
}

/** Hyper-parameters of one step. */
export interface StepOptions extends Omit<DistillationLossOptions, 'gradientScale'> {
  /** Learning rate of this step (after the schedule). */
  learningRate: number;
  /** 1-based optimizer step (AdamW bias correction). */
  step: number;
  /** Global gradient-norm clip. Default 1.0; `0` or `Infinity` disables clipping. */
  maxGradNorm?: number;
  /** Decoupled weight decay (not for biases and LayerNorm). Default 0. */
  weightDecay?: number;
  /** AdamW betas and epsilon. Defaults 0.9, 0.999, 1e-8. */
  beta1?: number;
  beta2?: number;
  eps?: number;
}

/** What a step measured (losses before the update). */
export interface StepResult {
  /** Mean over micro-batches of `ceWeight·ce + klWeight·kl`. */
  loss: number;
  /** Mean over micro-batches of the cross-entropy. */
  ce: number;
  /** Mean over micro-batches of the T²-scaled KL. */
  kl: number;
  /** Global gradient L2 norm before clipping. */
  gradNorm: number;
  /** Label tokens scored. */
  tokens: number;
  /** Wall time of the step in seconds. */
  seconds: number;
}

/**
 * Forward + loss + backward of one micro-batch, accumulating into the student's gradients with
 * `gradientScale` (accelerate divides each micro-batch's loss by the accumulation steps). The
 * teacher sees the student's decoder inputs (distil-whisper's Flax trainer, WAVE2 A7).
 */
export function accumulateMicroBatch(
  teacher: WhisperModel | null,
  student: TrainableDecoder,
  batch: MicroBatch,
  loss: DistillationLossOptions,
): { loss: number; ce: number; kl: number; tokens: number } {
  return tidy(() => {
    const { batchSize: b, length: n } = batch;
    const ids = Tensor.from(batch.decoderInputIds, [b, n], { dtype: 'i32' });
    const labels = Tensor.from(batch.labels, [b * n], { dtype: 'i32' });
    const teacherZ = teacher ? teacherLogits(teacher, ids, batch.encoderStates) : null;
    const { logits, activations } = student.forward(ids, batch.encoderStates);
    try {
      // The gradient overwrites the student's logits: one [R, V] buffer fewer.
      const r = distillationLoss(logits, teacherZ, labels, loss, true);
      teacherZ?.dispose();
      student.backward(activations!, r.grad);
      return { loss: r.loss, ce: r.ce, kl: r.kl, tokens: r.tokens };
    } finally {
      activations!.dispose();
    }
  });
}

/**
 * A full optimizer step over `microBatches` (gradient accumulation = their number): zero the
 * gradients, accumulate every micro-batch, clip the global norm, AdamW.
 *
 * @throws {@link DistillError} `NON_FINITE_LOSS` (before any update) when a loss or the gradient
 *   norm is not finite
 */
export function trainingStep(
  teacher: WhisperModel | null,
  student: TrainableDecoder,
  microBatches: readonly MicroBatch[],
  options: StepOptions,
): StepResult {
  if (microBatches.length === 0)
    throw new DistillError('INVALID_ARGUMENT', 'a training step needs at least one micro-batch');
  const started = performance.now();
  const store = student.store;
  store.zeroGrad();
  const accum = microBatches.length;
  const lossOptions: DistillationLossOptions = {
    ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
    ...(options.ceWeight !== undefined ? { ceWeight: options.ceWeight } : {}),
    ...(options.klWeight !== undefined ? { klWeight: options.klWeight } : {}),
    gradientScale: 1 / accum,
  };
  let loss = 0;
  let ce = 0;
  let kl = 0;
  let tokens = 0;
  for (const mb of microBatches) {
    const r = accumulateMicroBatch(teacher, student, mb, lossOptions);
    loss += r.loss / accum;
    ce += r.ce / accum;
    kl += r.kl / accum;
    tokens += r.tokens;
  }
  const maxNorm = options.maxGradNorm ?? 1;
  const gradNorm =
    maxNorm > 0 && Number.isFinite(maxNorm) ? store.clipGradNorm(maxNorm) : store.gradNorm();
  if (!Number.isFinite(gradNorm))
    throw new DistillError(
      'NON_FINITE_LOSS',
      `the gradient norm is ${gradNorm} at step ${options.step}: no update was applied — lower the learning rate or check the data`,
    );
  store.adamw({
    lr: options.learningRate,
    beta1: options.beta1 ?? 0.9,
    beta2: options.beta2 ?? 0.999,
    eps: options.eps ?? 1e-8,
    weightDecay: options.weightDecay ?? 0,
    step: options.step,
  });
  return { loss, ce, kl, gradNorm, tokens, seconds: (performance.now() - started) / 1000 };
}
