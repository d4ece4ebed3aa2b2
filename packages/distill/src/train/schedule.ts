// Learning-rate schedules with transformers' semantics (get_constant_schedule_with_warmup,
// get_linear_schedule_with_warmup): a multiplier λ(s) of the peak rate where s counts the
// scheduler steps already taken, so optimizer step k (1-based) uses peak · λ(k − 1). With
// warmup, the first update therefore uses a learning rate of 0, exactly as run_distillation.py
// trains.
import { DistillError } from '../errors.js';

/** `'constant'`: warmup then flat; `'linear'`: warmup then linear decay to 0 at `maxSteps`. */
export type LrSchedulerKind = 'constant' | 'linear';

/** Shape of a schedule. */
export interface LrSchedule {
  kind: LrSchedulerKind;
  /** Peak learning rate. */
  peak: number;
  /** Linear warmup length in optimizer steps (0: none). */
  warmupSteps: number;
  /** Total optimizer steps (the linear decay reaches 0 there). */
  maxSteps: number;
}

/**
 * Learning rate used by optimizer step `step` (1-based).
 *
 * @example
 * ```ts
 * learningRateAt({ kind: 'linear', peak: 3e-4, warmupSteps: 2, maxSteps: 10 }, 1); // 0
 * learningRateAt({ kind: 'linear', peak: 3e-4, warmupSteps: 2, maxSteps: 10 }, 3); // 3e-4
 * ```
 */
export function learningRateAt(schedule: LrSchedule, step: number): number {
  const { kind, peak, warmupSteps, maxSteps } = schedule;
  if (!Number.isInteger(step) || step < 1)
    throw new DistillError('INVALID_ARGUMENT', `step must be an integer ≥ 1, got ${step}`);
  const s = step - 1;
  if (s < warmupSteps) return (peak * s) / Math.max(1, warmupSteps);
  if (kind === 'constant') return peak;
  return peak * Math.max(0, (maxSteps - s) / Math.max(1, maxSteps - warmupSteps));
}
