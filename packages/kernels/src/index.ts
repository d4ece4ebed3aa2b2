/**
 * @distil-whisper/kernels — native tensor kernels (C++ AVX2/FMA on CPU, CUDA where built) for
 * Whisper, behind a small typed tensor API.
 *
 * Ops are synchronous native calls. To keep an application's event loop free, run model code
 * in a `worker_thread` (the addon is context-aware and loads in workers).
 * @packageDocumentation
 */
export { Tensor, setDefaultDevice, getDefaultDevice } from './tensor';
export type { ArrayForDType, TensorData, TensorOptions } from './tensor';
export type { DType, Device } from './native';
export {
  matmul,
  linear,
  add,
  mul,
  scale,
  layerNorm,
  gelu,
  softmax,
  logSoftmax,
  conv1d,
  embedding,
  attention,
  argmax,
  topk,
  concat,
} from './ops';
export type { MatmulOptions, Conv1dOptions, AttentionOptions, AttentionResult } from './ops';
export {
  gemm,
  sumRows,
  embeddingBackward,
  layerNormBackward,
  geluBackward,
  attentionBackward,
  logitsLoss,
  adamwStep,
  sumSquares,
  scaleInPlace,
  addInPlace,
  fillZero,
} from './training';
export type {
  GemmOptions,
  SumRowsOptions,
  LayerNormBackwardOptions,
  AttentionBackwardOptions,
  AttentionGrads,
  LogitsLossOptions,
  LogitsLossResult,
  AdamWOptions,
} from './training';
export { mapTensors, releasePages } from './mapped';
export type {
  MappedTensorSpec,
  MapTensorsOptions,
  MapTensorsResult,
  NonFiniteElement,
} from './mapped';
export { tidy, keep } from './scope';
export type { Disposable } from './scope';
export { backendInfo, requireCuda, setCpuIsa, setNumThreads, getNumThreads } from './backend';
export type { BackendInfo } from './backend';
export type { CpuIsa } from './native';
export { listOps, runOp } from './op-list';
export { QuantizedTensor } from './quantized';
export type { OpInfo } from './op-list';
export { KernelError, DisposedError, CudaUnavailableError, NativeLoadError } from './errors';
export type { KernelErrorCode } from './errors';
