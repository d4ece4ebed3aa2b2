// The raw addon, typed once. Everything else in the package goes through the wrappers in
// tensor.ts / ops.ts; nothing outside this file touches `NativeAddon` directly.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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

/** Instruction-set levels of the CPU kernels, lowest first. */
export type CpuIsa = 'scalar' | 'avx2' | 'avx512';

/** @internal The functions of dw_native.node (native/binding/addon.cpp). */
export interface NativeAddon {
  NativeTensor: abstract new () => NativeTensor;
  fromBuffer(data: ArrayBufferView | ArrayBuffer, shape: number[], dtype: DType, device: Device): N;
  /** Absent from addons built before memory-mapped loading (native/binding/mapped_file.cpp). */
  mapTensors?(
    fd: number,
    specs: Array<{ offset: number; byteLength: number; shape: number[]; dtype: DType }>,
    device: Device,
    checkFinite: boolean,
  ): {
    tensors: N[];
    copied: number;
    nonFinite: { index: number; element: number; value: 'NaN' | 'Infinity' | '-Infinity' } | null;
  };
  releasePages(t: N): boolean;
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
  cpuInfo(): {
    avx2: boolean;
    fma: boolean;
    f16c: boolean;
    avx512f: boolean;
    avx512bw: boolean;
    avx512vl: boolean;
    avx512vnni: boolean;
    avx512bf16: boolean;
    simd: CpuIsa;
    detected: CpuIsa;
    note: string;
  };
  setIsa(isa: CpuIsa): void;
  listOps(): Array<{ name: string; signature: string; cuda: boolean }>;
  runOp(name: string, inputs: N[], attrs: Record<string, number | boolean>): N[];
  cudaStatus(): { available: boolean; reason: string };
}

const here = dirname(fileURLToPath(import.meta.url));
// src/ and dist/ both sit one level below the package root.
const pkgRoot = resolve(here, '..');

/** `glibc` or `musl` on Linux (prebuilt binaries may be tagged with it), else undefined. */
function libc(): 'glibc' | 'musl' | undefined {
  if (process.platform !== 'linux') return undefined;
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/**
 * Prebuilt binaries for this platform in `dir` (prebuildify's layout:
 * `prebuilds/<platform>-<arch>/*.node`), most specific first: N-API builds before others, and
 * on Linux those tagged with this libc before untagged ones; a binary tagged with the other
 * libc is skipped.
 * @internal
 */
export function prebuildCandidates(dir: string): string[] {
  const folder = join(dir, `${process.platform}-${process.arch}`);
  let names: string[];
  try {
    names = readdirSync(folder).filter((n) => n.endsWith('.node'));
  } catch {
    return [];
  }
  const ours = libc();
  const other = ours === 'glibc' ? 'musl' : ours === 'musl' ? 'glibc' : undefined;
  const tags = (n: string): string[] => n.slice(0, -'.node'.length).split('.');
  const score = (n: string): number =>
    (tags(n).includes('napi') ? 2 : 0) + (ours && tags(n).includes(ours) ? 1 : 0);
  return names
    .filter((n) => !other || !tags(n).includes(other))
    .sort((a, b) => score(b) - score(a) || a.localeCompare(b))
    .map((n) => join(folder, n));
}

/** Places the addon is looked for, most specific first. */
function candidatePaths(): string[] {
  const list: string[] = [];
  if (process.env.DW_NATIVE_PATH) list.push(resolve(process.env.DW_NATIVE_PATH));
  // Built from the sources in the package at install time (scripts/install.cjs).
  list.push(resolve(pkgRoot, 'build', 'Release', 'dw_native.node'));
  // Shipped prebuilt for this platform.
  list.push(...prebuildCandidates(resolve(pkgRoot, 'prebuilds')));
  // The monorepo's own build (npm run build:native).
  list.push(resolve(pkgRoot, '..', '..', 'native', 'build', 'Release', 'dw_native.node'));
  return list;
}

/** What to do about a missing addon, in the words of where this package sits. */
function buildAdvice(): string {
  if (existsSync(resolve(pkgRoot, 'native', 'CMakeLists.txt')))
    return (
      `Build it from the sources shipped in the package: \`npm rebuild @distil-whisper/kernels\` ` +
      `or \`node ${resolve(pkgRoot, 'scripts', 'install.cjs')}\` (needs cmake >= 3.18 and a C++17 ` +
      `compiler; the install step prints what is missing). With npm >= 12, allow the package's ` +
      `install script: \`npm approve-scripts @distil-whisper/kernels\`.`
    );
  return 'Build it with `npm run build:native` at the repository root.';
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
  throw new NativeLoadError(tried, buildAdvice());
}
