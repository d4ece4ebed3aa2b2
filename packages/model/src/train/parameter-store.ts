// The training parameter structure (llm.c's ParameterTensors, grads and AdamW moments): four flat
// f32 buffers — weights, gradients, first and second moments — laid out once from the parameter
// declaration, with a named view of each parameter into every buffer. Flat buffers make the
// global gradient norm, clipping, zeroing and the optimizer step one native call over each
// weight-decay group instead of one per tensor.
import {
  adamwStep,
  fillZero,
  keep,
  scaleInPlace,
  sumSquares,
  Tensor,
  tidy,
  type Device,
} from '@distil-whisper/kernels';

import { ModelError } from '../errors';
import { decaysWeight, type ParameterDecl } from '../parameters';

/** The four views of one trainable parameter. */
export interface ParameterViews {
  readonly decl: ParameterDecl;
  /** f32 master weights. */
  readonly weight: Tensor;
  /** f32 gradient accumulator. */
  readonly grad: Tensor;
  /** AdamW first moment. */
  readonly m: Tensor;
  /** AdamW second moment. */
  readonly v: Tensor;
  /** Offset of the parameter in the flat buffers, in elements. */
  readonly offset: number;
}

/** AdamW hyper-parameters for one step (torch.optim.AdamW semantics). */
export interface AdamWStepOptions {
  /** Learning rate of this step (after the schedule). */
  lr: number;
  /** Default: 0.9. */
  beta1?: number;
  /** Default: 0.999. */
  beta2?: number;
  /** Default: 1e-8. */
  eps?: number;
  /** Decoupled weight decay for parameters that take it (not biases, not LayerNorm). Default: 0. */
  weightDecay?: number;
  /** 1-based optimizer step (bias correction). */
  step: number;
}

/**
 * Weights, gradients and AdamW moments of the trainable parameters of a model, keyed by Hugging
 * Face tensor names. Parameters are laid out with every weight-decayed parameter first, so each
 * decay group is one contiguous range of the flat buffers.
 *
 * @example
 * ```ts
 * const store = ParameterStore.fromTensors(trainable, model.tensors);
 * store.zeroGrad();
 * // ... backward accumulates into store.get(name).grad ...
 * const norm = store.clipGradNorm(1.0);
 * store.adamw({ lr: 1e-4, weightDecay: 0.01, step: 1 });
 * ```
 */
export class ParameterStore {
  /** Trainable parameters in buffer order (decayed group first). */
  readonly decls: readonly ParameterDecl[];
  /** Flat buffers `[size]`. */
  readonly weights: Tensor;
  readonly grads: Tensor;
  readonly m: Tensor;
  readonly v: Tensor;
  /** Elements in the weight-decayed group (the range `[0, decaySize)`). */
  readonly decaySize: number;
  /** Total number of trainable elements. */
  readonly size: number;
  readonly #views = new Map<string, ParameterViews>();
  #disposed = false;

  private constructor(decls: readonly ParameterDecl[], device: Device) {
    const ordered = [...decls.filter(decaysWeight), ...decls.filter((d) => !decaysWeight(d))];
    this.decls = ordered;
    this.size = ordered.reduce((n, d) => n + d.size, 0);
    this.decaySize = ordered.filter(decaysWeight).reduce((n, d) => n + d.size, 0);
    const opts = { dtype: 'f32' as const, device };
    const buffers: Tensor[] = [];
    try {
      // keep(): the store owns its buffers even when created inside a tidy() scope.
      for (let i = 0; i < 4; i++) buffers.push(keep(Tensor.zeros([this.size], opts)));
    } catch (err) {
      for (const b of buffers) b.dispose();
      throw err;
    }
    [this.weights, this.grads, this.m, this.v] = buffers as [Tensor, Tensor, Tensor, Tensor];
    let offset = 0;
    for (const decl of ordered) {
      const view = (buf: Tensor): Tensor =>
        tidy(() => keep(buf.slice(0, offset, offset + decl.size).reshape(decl.shape)));
      this.#views.set(decl.name, {
        decl,
        weight: view(this.weights),
        grad: view(this.grads),
        m: view(this.m),
        v: view(this.v),
        offset,
      });
      offset += decl.size;
    }
  }

  /**
   * Creates the store and copies each parameter's initial value (any float dtype, converted to
   * f32) from `tensors`. Moments and gradients start at zero.
   *
   * @throws {@link ModelError} `INVALID_ARGUMENT` when a tensor is missing or has another shape
   */
  static fromTensors(
    decls: readonly ParameterDecl[],
    tensors: ReadonlyMap<string, Tensor>,
  ): ParameterStore {
    for (const d of decls) {
      const t = tensors.get(d.name);
      if (!t)
        throw new ModelError('INVALID_ARGUMENT', `parameter ${d.name} is not in the checkpoint`);
      if (t.shape.length !== d.shape.length || t.shape.some((n, i) => n !== d.shape[i]))
        throw new ModelError(
          'INVALID_ARGUMENT',
          `parameter ${d.name} has shape [${t.shape.join(', ')}], expected [${d.shape.join(', ')}]`,
        );
    }
    const first = decls[0] ? tensors.get(decls[0].name) : undefined;
    const store = new ParameterStore(decls, first?.device ?? 'cpu');
    try {
      for (const d of decls) {
        const src = tensors.get(d.name)!;
        tidy(() => {
          store.get(d.name).weight.assign(src.dtype === 'f32' ? src : src.cast('f32'));
        });
      }
    } catch (err) {
      store.dispose();
      throw err;
    }
    return store;
  }

  /** True when `name` is trainable here. */
  has(name: string): boolean {
    return this.#views.has(name);
  }

  /**
   * The views of one parameter.
   *
   * @throws {@link ModelError} `INVALID_ARGUMENT` for a name that is not trainable here
   */
  get(name: string): ParameterViews {
    const v = this.#views.get(name);
    if (!v) throw new ModelError('INVALID_ARGUMENT', `${name} is not a trainable parameter`);
    return v;
  }

  /** Weight views by name (f32), e.g. to save a checkpoint. */
  weightMap(): Map<string, Tensor> {
    return new Map([...this.#views].map(([k, v]) => [k, v.weight]));
  }

  /** Sets every gradient to zero. */
  zeroGrad(): void {
    fillZero(this.grads);
  }

  /** Global L2 norm of all gradients (deterministic, accumulated in double). */
  gradNorm(): number {
    return Math.sqrt(sumSquares(this.grads));
  }

  /**
   * torch.nn.utils.clip_grad_norm_: scales every gradient by `maxNorm / (norm + 1e-6)` when that
   * is below 1. Returns the norm before clipping (what trainers log as `grad_norm`).
   */
  clipGradNorm(maxNorm: number): number {
    const norm = this.gradNorm();
    const coef = maxNorm / (norm + 1e-6);
    if (coef < 1) scaleInPlace(this.grads, coef);
    return norm;
  }

  /** One AdamW step over both decay groups (decay only where {@link decaysWeight} says so). */
  adamw(options: AdamWStepOptions): void {
    const base = {
      lr: options.lr,
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.999,
      eps: options.eps ?? 1e-8,
      step: options.step,
    };
    const groups: Array<[number, number, number]> = [
      [0, this.decaySize, options.weightDecay ?? 0],
      [this.decaySize, this.size, 0],
    ];
    for (const [start, end, weightDecay] of groups) {
      if (end <= start) continue;
      tidy(() => {
        const s = (t: Tensor): Tensor => t.slice(0, start, end);
        adamwStep(s(this.weights), s(this.grads), s(this.m), s(this.v), { ...base, weightDecay });
      });
    }
  }

  /** Releases the four buffers (and every view). Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const v of this.#views.values()) for (const t of [v.weight, v.grad, v.m, v.v]) t.dispose();
    for (const t of [this.weights, this.grads, this.m, this.v]) t.dispose();
  }
  get disposed(): boolean {
    return this.#disposed;
  }
}
