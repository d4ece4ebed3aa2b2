import { describe, expectTypeOf, it } from 'vitest';

import type {
  AttentionGrads,
  AttentionResult,
  BackendInfo,
  DType,
  Device,
  GemmOptions,
  KernelErrorCode,
  LogitsLossOptions,
  LogitsLossResult,
} from '@distil-whisper/kernels';
import {
  adamwStep,
  attention,
  attentionBackward,
  embeddingBackward,
  gemm,
  KernelError,
  logitsLoss,
  sumSquares,
  Tensor,
  tidy,
  topk,
} from '@distil-whisper/kernels';

// The public surface, checked at the type level: no `any` leaks and the documented shapes hold.
describe('public types', () => {
  it('tensors, dtypes and devices', () => {
    expectTypeOf<DType>().toEqualTypeOf<'f32' | 'f16' | 'bf16' | 'i32' | 'i8'>();
    expectTypeOf<Device>().toEqualTypeOf<'cpu' | 'cuda'>();
    expectTypeOf<Tensor['shape']>().toEqualTypeOf<readonly number[]>();
    expectTypeOf<ReturnType<Tensor['toArray']>>().not.toBeAny();
    expectTypeOf<ReturnType<Tensor['toFloat32']>>().toEqualTypeOf<Float32Array>();
  });

  it('ops and helpers', () => {
    expectTypeOf(attention).returns.toEqualTypeOf<AttentionResult>();
    expectTypeOf(topk).returns.toEqualTypeOf<{ values: Tensor; indices: Tensor }>();
    expectTypeOf(tidy<number>).returns.toEqualTypeOf<number>();
    expectTypeOf<BackendInfo['cpu']['simd']>().toEqualTypeOf<'scalar' | 'avx2' | 'avx512'>();
    expectTypeOf<KernelError['code']>().toEqualTypeOf<KernelErrorCode>();
  });

  it('training ops', () => {
    expectTypeOf(gemm).returns.toEqualTypeOf<Tensor>();
    expectTypeOf<GemmOptions['out']>().toEqualTypeOf<Tensor | undefined>();
    expectTypeOf(attentionBackward).returns.toEqualTypeOf<AttentionGrads>();
    expectTypeOf<AttentionGrads>().toEqualTypeOf<{ dq: Tensor; dk: Tensor; dv: Tensor }>();
    expectTypeOf(logitsLoss).returns.toEqualTypeOf<LogitsLossResult>();
    expectTypeOf(logitsLoss).parameter(1).toEqualTypeOf<Tensor | null>();
    expectTypeOf<LogitsLossOptions['ceScale']>().toEqualTypeOf<number>();
    expectTypeOf(embeddingBackward).returns.toBeVoid();
    expectTypeOf(adamwStep).returns.toBeVoid();
    expectTypeOf(sumSquares).returns.toEqualTypeOf<number>();
  });
});
