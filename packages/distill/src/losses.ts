// The distillation objective of distil-whisper's run_distillation.py (WAVE2 A6), on logits:
//   CE  = mean over label tokens of −log softmax(z_s)[label]
//   KL  = T² · Σ_label-tokens Σ_v p_t·(log p_t − log p_s) / n,  p_t = softmax(z_t/T), log p_s = log_softmax(z_s/T)
//   loss = ceWeight·CE + klWeight·KL            (defaults 0.8 / 1.0, T = 2: the released models' code)
// The paper prints the weights the other way round (α_KL = 0.8, α_PL = 1.0); both are options.
// One fused native kernel computes every row's CE and KL and the gradient with respect to the
// student's logits in the same pass.
import { logitsLoss, Tensor, tidy } from '@distil-whisper/kernels';

import { DistillError } from './errors.js';

/** Weights and temperature of the objective. */
export interface DistillationLossOptions {
  /** Softmax temperature of the KL term. Default: 2. */
  temperature?: number;
  /** Weight of the pseudo-label cross-entropy. Default: 0.8 (run_distillation.py). */
  ceWeight?: number;
  /** Weight of the T²-scaled KL term. Default: 1.0 (run_distillation.py). */
  klWeight?: number;
  /**
   * Extra factor on the gradient only (not on the reported losses), e.g. `1 / accumulationSteps`
   * as accelerate divides each micro-batch's loss before backward. Default: 1.
   */
  gradientScale?: number;
}

/** Losses of one batch (means over its label tokens). */
export interface DistillationLossValues {
  /** `ceWeight·ce + klWeight·kl`. */
  loss: number;
  /** Mean cross-entropy of the student against the labels. */
  ce: number;
  /** Mean T²-scaled KL(teacher ‖ student); 0 without teacher logits. */
  kl: number;
  /** Number of label tokens (rows whose label is ≥ 0). */
  tokens: number;
}

/** Result of {@link distillationLoss}: the losses and `∂loss/∂z_s`. */
export interface DistillationLossResult extends DistillationLossValues {
  /** `[R, V]` f32 gradient with respect to the student's logits (rows of ignored labels are 0). */
  grad: Tensor;
}

function check(options: DistillationLossOptions): Required<DistillationLossOptions> {
  const o = {
    temperature: options.temperature ?? 2,
    ceWeight: options.ceWeight ?? 0.8,
    klWeight: options.klWeight ?? 1,
    gradientScale: options.gradientScale ?? 1,
  };
  if (!(o.temperature > 0) || !Number.isFinite(o.temperature))
    throw new DistillError('INVALID_ARGUMENT', `temperature must be > 0, got ${o.temperature}`);
  for (const k of ['ceWeight', 'klWeight', 'gradientScale'] as const)
    if (!(o[k] >= 0) || !Number.isFinite(o[k]))
      throw new DistillError('INVALID_ARGUMENT', `${k} must be a finite number ≥ 0, got ${o[k]}`);
  return o;
}

/**
 * The distillation loss of one batch and its gradient with respect to the student's logits.
 * `labels` use −100 (any negative value) for positions that are not scored: padding, prompt
 * tokens and the start-of-transcript target (see the collator).
 *
 * @param studentLogits `[R, V]` f32 (R = batch · positions). With `inPlace` its memory receives the gradient.
 * @param teacherLogits `[R, V]` f32 or `null` for CE only (then `kl` is 0)
 * @param labels `[R]` i32
 * @param options temperature (default 2), ceWeight (0.8), klWeight (1.0), gradientScale (1)
 * @param inPlace write the gradient over `studentLogits` (saves R·V·4 bytes). Default: false.
 * @throws {@link DistillError} `INVALID_ARGUMENT` for bad options or shapes, `NO_LABEL_TOKENS`
 *   when every label is ignored, `NON_FINITE_LOSS` when the loss is NaN or infinite
 * @example
 * ```ts
 * const { loss, ce, kl, grad } = distillationLoss(student, teacher, labels, { temperature: 2 });
 * ```
 */
export function distillationLoss(
  studentLogits: Tensor,
  teacherLogits: Tensor | null,
  labels: Tensor,
  options: DistillationLossOptions = {},
  inPlace = false,
): DistillationLossResult {
  const o = check(options);
  if (labels.dtype !== 'i32' || labels.rank !== 1)
    throw new DistillError(
      'INVALID_ARGUMENT',
      `labels must be an i32 [rows] tensor, got ${labels}`,
    );
  const labelIds = labels.toArray<'i32'>();
  let n = 0;
  for (const y of labelIds) if (y >= 0) n++;
  if (n === 0)
    throw new DistillError(
      'NO_LABEL_TOKENS',
      'every label of the batch is ignored (−100): nothing to train on',
    );
  const { grad, ce, kl } = logitsLoss(studentLogits, teacherLogits, labels, {
    temperature: o.temperature,
    ceScale: (o.ceWeight * o.gradientScale) / n,
    klScale: teacherLogits ? (o.klWeight * o.gradientScale) / n : 0,
    inPlace,
  });
  const sum = (t: Tensor): number => {
    let s = 0;
    for (const x of t.toFloat32()) s += x;
    return s;
  };
  const ceMean = sum(ce) / n;
  const klMean = teacherLogits ? sum(kl) / n : 0;
  ce.dispose();
  kl.dispose();
  const loss = o.ceWeight * ceMean + o.klWeight * klMean;
  if (!Number.isFinite(loss)) {
    if (grad !== studentLogits) grad.dispose();
    throw new DistillError(
      'NON_FINITE_LOSS',
      `the loss is ${loss} (ce ${ceMean}, kl ${klMean}): the logits hold NaN/Inf — lower the learning rate or check the data`,
    );
  }
  return { loss, ce: ceMean, kl: klMean, tokens: n, grad };
}

/**
 * {@link distillationLoss} on plain arrays (row-major `[rows, vocab]`), for use without the
 * rest of the trainer, e.g. on logits from another framework.
 *
 * @example
 * ```ts
 * const r = distillationLossFromArrays(student, teacher, labels, vocab);
 * console.log(r.loss, r.grad.length);
 * ```
 */
export function distillationLossFromArrays(
  studentLogits: Float32Array,
  teacherLogits: Float32Array | null,
  labels: Int32Array | readonly number[],
  vocab: number,
  options: DistillationLossOptions = {},
): DistillationLossValues & { grad: Float32Array } {
  const rows = labels.length;
  if (!Number.isInteger(vocab) || vocab < 1 || studentLogits.length !== rows * vocab)
    throw new DistillError(
      'INVALID_ARGUMENT',
      `student logits hold ${studentLogits.length} values, expected rows (${rows}) × vocab (${vocab})`,
    );
  if (teacherLogits && teacherLogits.length !== studentLogits.length)
    throw new DistillError(
      'INVALID_ARGUMENT',
      `teacher logits hold ${teacherLogits.length} values, expected ${studentLogits.length}`,
    );
  return tidy(() => {
    const s = Tensor.from(studentLogits, [rows, vocab]);
    const t = teacherLogits ? Tensor.from(teacherLogits, [rows, vocab]) : null;
    const y = Tensor.from(Int32Array.from(labels), [rows], { dtype: 'i32' });
    const r = distillationLoss(s, t, y, options, true);
    return { loss: r.loss, ce: r.ce, kl: r.kl, tokens: r.tokens, grad: r.grad.toFloat32() };
  });
}
