// Typed wrappers over the native training (backward) ops. Training code calls them as explicit
// forward/backward pairs: each backward takes what its forward saw (and, for attention, what it
// returned) and gives the gradients of its inputs. Gradients that accumulate across uses (weights,
// the tied embedding) are added into caller-owned tensors in place.
//
// Every reduction is deterministic: the same bits whatever the number of kernel threads.
import { call } from './errors';
import { native, type NativeTensor } from './native';
import { Tensor } from './tensor';

const wrap = (h: NativeTensor): Tensor => new Tensor(h);

/** Options of {@link gemm}. */
export interface GemmOptions {
  /** When true, `a` is stored `[K, M]` and the product uses its transpose. Default: false (`a` is `[M, K]`). */
  transA?: boolean;
  /** When true, `b` is stored `[N, K]` (a Linear weight) and the product uses its transpose. Default: false (`b` is `[K, N]`). */
  transB?: boolean;
  /**
   * An existing contiguous f32 `[M, N]` tensor that receives the result (and is returned). It
   * must not share memory with `a` or `b`. Default: a new tensor.
   */
  out?: Tensor;
  /** Add the product to `out`'s contents instead of overwriting them (`out` is then required). Default: false. */
  accumulate?: boolean;
}

/**
 * 2-D matrix product `op(a) · op(b)` for backward passes, with either operand transposed and
 * the result optionally added into an existing tensor.
 *
 * - `a` f32 `[M, K]`, or `[K, M]` with `transA`;
 * - `b` f32, f16 or bf16 `[K, N]`, or `[N, K]` with `transB` (converted on the fly, never upcast as a whole);
 * - result f32 `[M, N]`: a new tensor, or `out` (overwritten, or added to with `accumulate: true`).
 *
 * Multi-threaded and deterministic.
 *
 * @example
 * ```ts
 * // Linear y = x·Wᵀ + b, rows [R, in] → [R, out]. Backward given dY [R, out]:
 * const dX = gemm(dY, W);                                         // [R, in]
 * gemm(dY, x, { transA: true, out: dW, accumulate: true });       // dW [out, in] += dYᵀ·x
 * sumRows(dY, { out: db, accumulate: true });                     // db [out] += Σ rows of dY
 * ```
 */
export function gemm(a: Tensor, b: Tensor, options: GemmOptions = {}): Tensor {
  const out = options.out;
  const h = call(() =>
    native().gemm(
      a.handle,
      b.handle,
      options.transA ?? false,
      options.transB ?? false,
      out ? out.handle : null,
      options.accumulate ?? false,
    ),
  );
  return out ?? wrap(h as NativeTensor);
}

/** Options of {@link sumRows}. */
export interface SumRowsOptions {
  /** An existing contiguous f32 `[N]` tensor that receives the sums (and is returned). Default: a new tensor. */
  out?: Tensor;
  /** Add the sums to `out`'s contents (`out` is then required). Default: false. */
  accumulate?: boolean;
}

/**
 * Sum over every leading row: f32 `x` `[..., N]` → f32 `[N]` (a bias gradient). Accumulated in
 * double, deterministic.
 *
 * @example
 * ```ts
 * sumRows(dY, { out: dBias, accumulate: true }); // dBias += Σ_rows dY
 * ```
 */
export function sumRows(x: Tensor, options: SumRowsOptions = {}): Tensor {
  const out = options.out;
  const h = call(() =>
    native().sumRows(x.handle, out ? out.handle : null, options.accumulate ?? false),
  );
  return out ?? wrap(h as NativeTensor);
}

/**
 * Backward of {@link embedding}: scatter-adds `dOut` rows into `dTable`, `dTable[ids[i]] += dOut[i]`,
 * on top of its existing contents (so the tied output projection's gradient can be added before or
 * after). Repeated ids add up, in position order (deterministic).
 *
 * `ids` i32 of any shape, every value in `[0, V)` (else a `KernelError` `INVALID_ARGUMENT` before
 * anything is written); `dOut` f32 `[...ids.shape, C]`; `dTable` f32 `[V, C]`, contiguous.
 *
 * @example
 * ```ts
 * embeddingBackward(tokenIds, dEmbedded, dEmbedTokens); // dEmbedTokens [51865, 512] +=
 * ```
 */
export function embeddingBackward(ids: Tensor, dOut: Tensor, dTable: Tensor): void {
  call(() => native().embeddingBackward(ids.handle, dOut.handle, dTable.handle));
}

/** Options of {@link layerNormBackward}. */
export interface LayerNormBackwardOptions {
  /** The forward's epsilon. Default: 1e-5 (Whisper's). */
  eps?: number;
  /** f32 `[C]`: receives `+= Σ_rows dOut·x̂` when given. Default: not computed. */
  dGamma?: Tensor;
  /** f32 `[C]`: receives `+= Σ_rows dOut` when given. Default: not computed. */
  dBeta?: Tensor;
}

/**
 * Backward of {@link layerNorm} over the last dim: returns dX for `y = (x − μ)·rstd·γ + β`
 * (biased variance, as the forward), recomputing μ and rstd from `x` exactly as the forward does
 * (nothing needs saving). With `x̂ = (x − μ)·rstd` and `ĝ = dOut·γ`:
 * `dX = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))`. `dGamma` / `dBeta`, when given, are accumulated into.
 *
 * `x`, `dOut` f32 `[..., C]` contiguous; `gamma` f32 `[C]`.
 *
 * @example
 * ```ts
 * const dX = layerNormBackward(x, gamma, dY, { dGamma, dBeta }); // dGamma, dBeta +=
 * ```
 */
export function layerNormBackward(
  x: Tensor,
  gamma: Tensor,
  dOut: Tensor,
  options: LayerNormBackwardOptions = {},
): Tensor {
  return wrap(
    call(() =>
      native().layerNormBackward(
        x.handle,
        gamma.handle,
        dOut.handle,
        options.eps ?? 1e-5,
        options.dGamma ? options.dGamma.handle : null,
        options.dBeta ? options.dBeta.handle : null,
      ),
    ),
  );
}

/**
 * Backward of the exact-erf {@link gelu}: `dX = dOut·(Φ(x) + x·φ(x))` with Φ / φ the standard
 * normal CDF / density. `x` (the forward's input) and `dOut`: f32, same shape, contiguous.
 */
export function geluBackward(x: Tensor, dOut: Tensor): Tensor {
  return wrap(call(() => native().geluBackward(x.handle, dOut.handle)));
}

/** Options of {@link attentionBackward}: the same as the forward call's. */
export interface AttentionBackwardOptions {
  /** Score scale. Default: `1/√D`. */
  scale?: number;
  /** Causal mask, aligned bottom-right (query `i` sees keys `j ≤ i + Lk − Lq`). Default: false. */
  causal?: boolean;
}

/** Gradients returned by {@link attentionBackward}: contiguous f32, shaped like q, k and v. */
export interface AttentionGrads {
  /** `[B, Lq, H, D]`. */
  dq: Tensor;
  /** `[B, Lk, H, D]`. */
  dk: Tensor;
  /** `[B, Lk, H, D]`. */
  dv: Tensor;
}

/**
 * Backward of {@link attention} (FlashAttention-2 style: probabilities are recomputed per key
 * tile from `lse`, the score matrix is never materialised). Pass the forward's inputs, its `out`
 * and the `lse` it returned with `returnLse: true`, the gradient of `out`, and the same
 * `scale` / `causal`.
 *
 * `q`, `out`, `dOut` `[B, Lq, H, D]` and `k`, `v` `[B, Lk, H, D]`, f32, may be strided views
 * whose last dim is contiguous (as in the forward); `lse` f32 `[B, H, Lq]` contiguous.
 * Deterministic (the same bits for any thread count).
 *
 * @example
 * ```ts
 * const { out, lse } = attention(q, k, v, { causal: true, returnLse: true });
 * // ... later, given dOut:
 * const { dq, dk, dv } = attentionBackward(q, k, v, out, lse!, dOut, { causal: true });
 * ```
 */
export function attentionBackward(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  lse: Tensor,
  dOut: Tensor,
  options: AttentionBackwardOptions = {},
): AttentionGrads {
  const d = q.shape[q.rank - 1] ?? 1;
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const [dq, dk, dv] = call(() =>
    native().attentionBackward(
      q.handle,
      k.handle,
      v.handle,
      out.handle,
      lse.handle,
      dOut.handle,
      scale,
      options.causal ?? false,
    ),
  );
  return { dq: wrap(dq), dk: wrap(dk), dv: wrap(dv) };
}

/** Options of {@link logitsLoss}. */
export interface LogitsLossOptions {
  /** Distillation temperature T (> 0). Default: 2 (distil-whisper's). */
  temperature?: number;
  /** Weight of the cross-entropy gradient per row, e.g. `0.8 / n` for a mean over `n` scored rows. */
  ceScale: number;
  /** Weight of the KL gradient per row, e.g. `1.0 / n`. Ignored without teacher logits. */
  klScale: number;
  /**
   * Write the gradient over `studentLogits` (which is then returned as `grad`) instead of a new
   * `[R, V]` tensor, saving `R·V·4` bytes. Default: false.
   */
  inPlace?: boolean;
}

/** Result of {@link logitsLoss}: per-row values and the gradient. */
export interface LogitsLossResult {
  /** f32 `[R]`: `logsumexp(z_s) − z_s[y]` per row (0 for ignored rows). */
  ce: Tensor;
  /** f32 `[R]`: `T²·KL(p_t ‖ p_s)` per row (0 for ignored rows and without a teacher). */
  kl: Tensor;
  /** f32 `[R, V]`: d(Σ_r ceScale·ce + klScale·kl)/dz_s (the student tensor itself with `inPlace`). */
  grad: Tensor;
}

/**
 * The fused distillation objective per row (distil-whisper's run_distillation.py: cross-entropy
 * on the pseudo-labels plus temperature-scaled KL to the teacher), with its gradient.
 *
 * For student logits `z_s` and teacher logits `z_t` (f32 `[R, V]`) and `labels` (i32 `[R]`;
 * negative values, e.g. −100, mark ignored rows; a label ≥ V is a `KernelError`
 * `INVALID_ARGUMENT` raised before any work), with `p_t = softmax(z_t/T)` and
 * `log p_s = log_softmax(z_s/T)`:
 *
 * - `ce[r] = logsumexp(z_s) − z_s[y]`
 * - `kl[r] = T²·Σ_v p_t·(log p_t − log p_s)` (terms with `p_t = 0` contribute 0)
 * - `grad[r] = ceScale·(softmax(z_s) − onehot(y)) + klScale·T·(softmax(z_s/T) − p_t)`
 *
 * Ignored rows get `ce = kl = 0` and a zero gradient row. Without teacher logits (`null`) there
 * is no KL term and `kl = 0`. Row sums are accumulated in double; threads take whole rows.
 * The mean loss over the `n` scored rows is `Σ(0.8·ce + kl) / n`, whose gradient is this `grad`
 * with `ceScale = 0.8 / n`, `klScale = 1 / n`.
 *
 * @example
 * ```ts
 * const n = countScored(labels); // rows with label >= 0
 * const { ce, kl, grad } = logitsLoss(studentLogits, teacherLogits, labels, {
 *   temperature: 2, ceScale: 0.8 / n, klScale: 1 / n, inPlace: true,
 * });
 * ```
 */
export function logitsLoss(
  studentLogits: Tensor,
  teacherLogits: Tensor | null,
  labels: Tensor,
  options: LogitsLossOptions,
): LogitsLossResult {
  const inPlace = options.inPlace ?? false;
  const [ce, kl, grad] = call(() =>
    native().logitsLoss(
      studentLogits.handle,
      teacherLogits ? teacherLogits.handle : null,
      labels.handle,
      options.temperature ?? 2,
      options.ceScale,
      options.klScale,
      inPlace,
    ),
  );
  return { ce: wrap(ce), kl: wrap(kl), grad: grad ? wrap(grad) : studentLogits };
}

/** Hyper-parameters of one {@link adamwStep}, as torch.optim.AdamW names them. */
export interface AdamWOptions {
  /** Learning rate (≥ 0) for this step (apply the schedule before calling). */
  lr: number;
  /** First-moment decay, in [0, 1). Default: 0.9. */
  beta1?: number;
  /** Second-moment decay, in [0, 1). Default: 0.999. */
  beta2?: number;
  /** Added to the denominator. Default: 1e-8. */
  eps?: number;
  /** Decoupled weight decay (≥ 0): `param *= 1 − lr·weightDecay` first. 0 for biases and LayerNorm. */
  weightDecay: number;
  /** The 1-based step number, for the bias corrections. */
  step: number;
}

/**
 * One torch.optim.AdamW step on `param` in place, in the order of torch's single-tensor
 * implementation (all f32, same shape, contiguous, no two sharing memory):
 *
 * ```text
 * param *= 1 − lr·wd
 * m     += (g − m)·(1 − β1)          (torch's lerp)
 * v      = v·β2 + (1 − β2)·g·g
 * denom  = sqrt(v) / sqrt(1 − β2^step) + eps
 * param −= lr / (1 − β1^step) · m / denom
 * ```
 *
 * `m` and `v` start as zeros. Invalid hyper-parameters are a `KernelError` `INVALID_ARGUMENT`.
 *
 * @example
 * ```ts
 * adamwStep(weight, dWeight, m, v, { lr: 1e-4, weightDecay: 0, step });
 * ```
 */
export function adamwStep(
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  options: AdamWOptions,
): void {
  call(() =>
    native().adamwStep(
      param.handle,
      grad.handle,
      m.handle,
      v.handle,
      options.lr,
      options.beta1 ?? 0.9,
      options.beta2 ?? 0.999,
      options.eps ?? 1e-8,
      options.weightDecay,
      options.step,
    ),
  );
}

/**
 * `Σ x²` over an f32 contiguous tensor, accumulated in double (deterministic): the pieces of a
 * global gradient norm.
 *
 * @example
 * ```ts
 * const norm = Math.sqrt(grads.reduce((s, g) => s + sumSquares(g), 0));
 * if (norm > 1) for (const g of grads) scaleInPlace(g, 1 / norm);
 * ```
 */
export function sumSquares(x: Tensor): number {
  return call(() => native().sumSquares(x.handle));
}

/** `x *= s` in place (f32, contiguous; `s` finite), e.g. gradient clipping. */
export function scaleInPlace(x: Tensor, s: number): void {
  call(() => native().scaleInPlace(x.handle, s));
}

/**
 * `dst += alpha·src` in place (f32, same shape, contiguous; `src` may be `dst` itself but may not
 * partly overlap it). Default `alpha`: 1.
 */
export function addInPlace(dst: Tensor, src: Tensor, alpha = 1): void {
  call(() => native().addInPlace(dst.handle, src.handle, alpha));
}

/** Sets every element of a contiguous tensor (any dtype) to zero, e.g. gradients before a step. */
export function fillZero(x: Tensor): void {
  call(() => native().fillZero(x.handle));
}
