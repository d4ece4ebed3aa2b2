// Typed wrappers over the validated native ops. Shapes follow Hugging Face transformers
// conventions (weights [out, in], activations [..., features]).
import { call } from './errors';
import { native, type NativeTensor } from './native';
import { QuantizedTensor } from './quantized';
import { Tensor } from './tensor';

const wrap = (h: NativeTensor): Tensor => new Tensor(h);
const opt = (t: Tensor | null | undefined): NativeTensor | null => (t ? t.handle : null);

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Added to every output row: f32 `[N]`. Default: none. */
  bias?: Tensor | null;
  /** When true, `b` is `[N, K]` (a Linear weight) and the product is a·bᵀ; else `b` is `[K, N]`. Default: false. */
  transB?: boolean;
}

/**
 * Matrix product `a · op(b) (+ bias)` over the last two dims of `a` (`[..., M, K]`). `b` is 2-D
 * (shared by every batch) or has `a`'s batch dims. `a` is f32; `b` may be f32, f16 or bf16 and is
 * converted on the fly (a model's weights are never upcast as a whole).
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  return wrap(
    call(() => native().matmul(a.handle, b.handle, opt(options.bias), options.transB ?? false)),
  );
}

/**
 * A Linear layer: `x · weightᵀ + bias`, with `weight` `[out, in]` as stored in checkpoints. A
 * {@link QuantizedTensor} weight runs the int8 kernel: `x`'s rows are quantised to int8 on the
 * fly (per row), products summed exactly in int32 and scaled back (CPU only).
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  if (weight instanceof QuantizedTensor) {
    const inputs = [x.handle, weight.handle, weight.scale.handle];
    if (bias) inputs.push(bias.handle);
    return wrap(call(() => native().runOp('linear_i8', inputs, {}))[0]!);
  }
  return wrap(call(() => native().matmul(x.handle, weight.handle, opt(bias), true)));
}

/** Elementwise `a + b`; `b`'s shape must equal a trailing part of `a`'s (e.g. a bias or a residual). */
export function add(a: Tensor, b: Tensor): Tensor {
  return wrap(call(() => native().add(a.handle, b.handle)));
}

/** Elementwise `a · b` with the same broadcasting as {@link add}. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return wrap(call(() => native().mul(a.handle, b.handle)));
}

/** `a · s` for a scalar `s`. */
export function scale(a: Tensor, s: number): Tensor {
  return wrap(call(() => native().scale(a.handle, s)));
}

/** Layer normalisation over the last dim with f32 `gamma`/`beta` of that size. Default eps: 1e-5 (Whisper's). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  return wrap(call(() => native().layerNorm(x.handle, gamma.handle, beta.handle, eps)));
}

/** GELU with the exact erf formulation (`0.5·x·(1 + erf(x/√2))`), as Whisper uses. */
export function gelu(x: Tensor): Tensor {
  return wrap(call(() => native().gelu(x.handle)));
}

/** Softmax over the last dim (max-subtracted, stable). */
export function softmax(x: Tensor): Tensor {
  return wrap(call(() => native().softmax(x.handle)));
}

/** Log-softmax over the last dim. */
export function logSoftmax(x: Tensor): Tensor {
  return wrap(call(() => native().logSoftmax(x.handle)));
}

/** Options of {@link conv1d}. */
export interface Conv1dOptions {
  /** f32 `[Cout]`. Default: none. */
  bias?: Tensor | null;
  /** Default: 1. */
  stride?: number;
  /** Zero padding on both sides. Default: 1 (Whisper's stem). */
  padding?: number;
}

/** 1-D convolution: `x` `[B, Cin, L]`, `w` `[Cout, Cin, K]` → `[B, Cout, (L + 2p − K) / stride + 1]`. */
export function conv1d(x: Tensor, w: Tensor, options: Conv1dOptions = {}): Tensor {
  return wrap(
    call(() =>
      native().conv1d(
        x.handle,
        w.handle,
        opt(options.bias),
        options.stride ?? 1,
        options.padding ?? 1,
      ),
    ),
  );
}

/** Row gather: `ids` (i32, any shape) into `table` `[V, C]` → f32 `[...ids.shape, C]`. Ids are range-checked. */
export function embedding(ids: Tensor, table: Tensor): Tensor {
  return wrap(call(() => native().embedding(ids.handle, table.handle)));
}

/** Options of {@link attention}. */
export interface AttentionOptions {
  /** Score scale. Default: `1/√D`. */
  scale?: number;
  /**
   * Causal mask, aligned bottom-right: query `i` of `Lq` sees keys `j ≤ i + Lk − Lq`, which is
   * what decoding against a KV cache needs. Default: false.
   */
  causal?: boolean;
  /** Also return the log-sum-exp of the scaled scores `[B, H, Lq]` (for a backward pass). Default: false. */
  returnLse?: boolean;
}

/** Result of {@link attention}. */
export interface AttentionResult {
  /** `[B, Lq, H, D]`. */
  out: Tensor;
  /** `[B, H, Lq]` when `returnLse` was set. */
  lse?: Tensor;
}

/**
 * Fused multi-head scaled-dot-product attention (tiled, online softmax; the score matrix is never
 * materialised). `q` `[B, Lq, H, D]`, `k`/`v` `[B, Lk, H, D]`: reshape a `[B, L, H·D]` projection
 * to 4-D for free. `k`/`v` may be strided views, e.g. the filled part of a preallocated KV cache.
 */
export function attention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): AttentionResult {
  const d = q.shape[q.rank - 1] ?? 1;
  const s = options.scale ?? 1 / Math.sqrt(d);
  const [out, lse] = call(() =>
    native().attention(
      q.handle,
      k.handle,
      v.handle,
      s,
      options.causal ?? false,
      options.returnLse ?? false,
    ),
  );
  return lse ? { out: wrap(out), lse: wrap(lse) } : { out: wrap(out) };
}

/** Index of the largest element over the last dim (ties: lowest index) as i32. */
export function argmax(x: Tensor): Tensor {
  return wrap(call(() => native().argmax(x.handle)));
}

/** The `k` largest elements over the last dim, sorted descending (ties: lower index first). */
export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  const [values, indices] = call(() => native().topk(x.handle, k));
  return { values: wrap(values), indices: wrap(indices) };
}

/** Joins tensors along `dim`; all other dims must match. */
export function concat(inputs: readonly Tensor[], dim: number): Tensor {
  return wrap(
    call(() =>
      native().concat(
        inputs.map((t) => t.handle),
        dim,
      ),
    ),
  );
}
