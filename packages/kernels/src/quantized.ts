// int8 weights with per-row (per output channel) scales, for Linear layers: the values live in an
// i8 tensor (this object) and the scales in `scale`. linear() recognises them and runs the native
// linear_i8 op, which quantises the activations per row on the fly and sums in int32.
import { call, KernelError } from './errors';
import { native, type NativeTensor } from './native';
import { untrack } from './scope';
import { Tensor } from './tensor';

/**
 * A Linear weight `[N, K]` stored as int8 with one f32 scale per row: `w[n, k] ≈ values[n, k] ·
 * scale[n]`. Pass it to {@link linear} like any weight. The values are this tensor (dtype `i8`);
 * `dispose()` releases the scales too.
 *
 * @example
 * ```ts
 * const q = QuantizedTensor.quantize(weight); // weight: f32/f16/bf16 [N, K]
 * const y = linear(x, q, bias);                // ≈ linear(x, weight, bias)
 * ```
 */
export class QuantizedTensor extends Tensor {
  /** f32 `[N]`: the scale of each row. */
  readonly scale: Tensor;

  /** @internal Use {@link QuantizedTensor.quantize} or {@link QuantizedTensor.fromInt8}. */
  constructor(values: NativeTensor, scale: NativeTensor) {
    super(values);
    // The scales live and die with this object: a tidy() scope must not release them on its own
    // when it keeps the weight.
    this.scale = new Tensor(scale);
    untrack(this.scale);
  }

  /**
   * Quantises a float matrix `[N, K]` (f32, f16 or bf16, CPU) per row: `scale[n] = max|w[n]| / 127`,
   * values rounded to nearest (ties to even). `weight` is not consumed.
   */
  static quantize(weight: Tensor): QuantizedTensor {
    if (weight.shape.length !== 2)
      throw new KernelError(
        'SHAPE_MISMATCH',
        `QuantizedTensor.quantize: expected a 2-d weight [N, K] but received [${weight.shape.join(', ')}]`,
      );
    const f32 = weight.dtype === 'f32' ? weight : weight.cast('f32');
    try {
      const [values, scale] = call(() => native().runOp('quantize_rows', [f32.handle], {}));
      return new QuantizedTensor(values!, scale!);
    } finally {
      if (f32 !== weight) f32.dispose();
    }
  }

  /**
   * Wraps int8 values `[N, K]` and their f32 row scales `[N]` (e.g. a CTranslate2 int8 weight, whose
   * stored scale is the inverse: pass `1 / ct2Scale`). Neither is consumed: the result holds its
   * own references to the same memory.
   */
  static fromInt8(values: Tensor, scale: Tensor): QuantizedTensor {
    if (values.dtype !== 'i8' || values.shape.length !== 2)
      throw new KernelError(
        'DTYPE_MISMATCH',
        `QuantizedTensor.fromInt8: expected i8 values [N, K] but received ${values.toString()}`,
      );
    if (scale.dtype !== 'f32' || scale.shape.length !== 1 || scale.shape[0] !== values.shape[0])
      throw new KernelError(
        'SHAPE_MISMATCH',
        `QuantizedTensor.fromInt8: expected f32 scales [${values.shape[0]}] but received ${scale.toString()}`,
      );
    return new QuantizedTensor(
      call(() => native().contiguous(values.handle)),
      call(() => native().contiguous(scale.handle)),
    );
  }

  /** The weight as f32 `[N, K]` (`values · scale` per row). */
  dequantize(): Tensor {
    const [n, k] = this.shape as [number, number];
    const values = this.toArray<'i8'>();
    const scale = this.scale.toArray<'f32'>();
    const out = new Float32Array(n * k);
    for (let r = 0; r < n; r++) {
      const s = scale[r]!;
      for (let c = 0; c < k; c++) out[r * k + c] = values[r * k + c]! * s;
    }
    return Tensor.from(out, [n, k], { device: this.device });
  }

  override dispose(): void {
    super.dispose();
    this.scale.dispose();
  }
}
