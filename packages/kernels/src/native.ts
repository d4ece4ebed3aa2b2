// The raw addon, typed once. Everything else in the package goes through the wrappers in
// tensor.ts / ops.ts; nothing outside this file touches `NativeAddon` directly.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { NativeLoadError } from './errors';

/** Element types of native tensors. */
export type DType = 'f32' | 'f16' | 'bf16' | 'i32' | 'i8';
/** Devices a tensor can live on. */
export type Device = 'cpu' | 'cuda';

/** @internal The native tensor handle class exposed by the addon. */
export interface NativeTensor {
  readonly shape: number[];
  readonly strides: number[];
  readonly dtype: DType;
  readonly device: Device;
  readonly disposed: boolean;
  readonly contiguous: boolean;
  readonly byteLength: number;
  dispose(): void;
}

type N = NativeTensor;

/** @internal The functions of dw_native.node (native/binding/addon.cpp). */
export interface NativeAddon {
  NativeTensor: abstract new () => NativeTensor;
  fromBuffer(data: ArrayBufferView | ArrayBuffer, shape: number[], dtype: DType, device: Device): N;
  empty(shape: number[], dtype: DType, device: Device): N;
  zeros(shape: number[], dtype: DType, device: Device): N;
  toBuffer(t: N): ArrayBuffer;
  reshape(t: N, shape: number[]): N;
  slice(t: N, dim: number, start: number, end: number): N;
  transpose(t: N, dim0: number, dim1: number): N;
  contiguous(t: N): N;
  copyInto(dst: N, src: N): void;
  cast(t: N, dtype: DType): N;
  to(t: N, device: Device): N;
  matmul(a: N, b: N, bias: N | null, transB: boolean): N;
  add(a: N, b: N): N;
  mul(a: N, b: N): N;
  scale(a: N, s: number): N;
  layerNorm(x: N, gamma: N, beta: N, eps: number): N;
  gelu(x: N): N;
  softmax(x: N): N;
  logSoftmax(x: N): N;
  conv1d(x: N, w: N, bias: N | null, stride: number, padding: number): N;
  embedding(ids: N, table: N): N;
  attention(q: N, k: N, v: N, scale: number, causal: boolean, wantLse: boolean): [N, N | null];
  argmax(x: N): N;
  topk(x: N, k: number): [N, N];
  concat(inputs: N[], dim: number): N;
  // Training ops: tensors written in place are the caller's own; results that land in them come
  // back as null.
  gemm(a: N, b: N, transA: boolean, transB: boolean, out: N | null, accumulate: boolean): N | null;
  sumRows(x: N, out: N | null, accumulate: boolean): N | null;
  embeddingBackward(ids: N, dOut: N, dTable: N): void;
  layerNormBackward(x: N, gamma: N, dOut: N, eps: number, dGamma: N | null, dBeta: N | null): N;
  geluBackward(x: N, dOut: N): N;
  attentionBackward(
    q: N,
    k: N,
    v: N,
    out: N,
    lse: N,
    dOut: N,
    scale: number,
    causal: boolean,
  ): [N, N, N];
  logitsLoss(
    student: N,
    teacher: N | null,
    labels: N,
    temperature: number,
    ceScale: number,
    klScale: number,
    inPlace: boolean,
  ): [N, N, N | null];
  adamwStep(
    param: N,
    grad: N,
    m: N,
    v: N,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    step: number,
  ): void;
  sumSquares(x: N): number;
  scaleInPlace(x: N, s: number): void;
  addInPlace(dst: N, src: N, alpha: number): void;
  fillZero(x: N): void;
  setNumThreads(n: number): void;
  numThreads(): number;
  cpuInfo(): { avx2: boolean; fma: boolean; f16c: boolean; simd: 'avx2' | 'scalar' };
  cudaStatus(): { available: boolean; reason: string };
}

const here = dirname(fileURLToPath(import.meta.url));

/** Places the addon is looked for, most specific first. */
function candidatePaths(): string[] {
  const list: string[] = [];
  if (process.env.DW_NATIVE_PATH) list.push(resolve(process.env.DW_NATIVE_PATH));
  // src/ and dist/ both sit one level below the package root.
  const pkgRoot = resolve(here, '..');
  list.push(resolve(pkgRoot, 'build', 'Release', 'dw_native.node'));
  list.push(resolve(pkgRoot, '..', '..', 'native', 'build', 'Release', 'dw_native.node'));
  return list;
}

let cached: NativeAddon | undefined;

/**
 * Loads the native addon (once). Throws {@link NativeLoadError} listing every place tried and
 * why each failed.
 * @internal
 */
export function native(): NativeAddon {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const tried: string[] = [];
  for (const path of candidatePaths()) {
    if (!existsSync(path)) {
      tried.push(`${path} (not found)`);
      continue;
    }
    try {
      cached = require(path) as NativeAddon;
      return cached;
    } catch (err) {
      tried.push(`${path} (${(err as Error).message.split('\n')[0]})`);
    }
  }
  throw new NativeLoadError(tried);
}
