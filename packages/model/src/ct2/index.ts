/**
 * CTranslate2 Whisper model directories (faster-whisper's format): a model.bin reader/writer,
 * the mapping of its variables onto transformers' Whisper tensors (fused projections split,
 * int8 / int16 dequantised), in-memory loading for {@link WhisperModel}, and conversion to a
 * Hugging Face checkpoint directory. Every piece, for the package's tests; the package entry
 * point (src/index.ts) makes only the conversion public.
 */
export { Ct2Error } from './errors';
export type { Ct2ErrorCode } from './errors';
export {
  readCt2ModelBin,
  openCt2ModelBin,
  readCt2VariableBytes,
  writeCt2ModelBin,
  ct2ItemSize,
  CT2_BINARY_VERSIONS,
} from './model-bin';
export type { Ct2DType, Ct2Variable, Ct2ModelBin, Ct2VariableSource } from './model-bin';
export { planCt2Whisper } from './whisper-spec';
export type { Ct2TensorSource, Ct2WhisperPlan, ScalarReader } from './whisper-spec';
export { ct2WhisperConfigs, readCt2WhisperConfigJson } from './whisper-config';
export type { Ct2WhisperConfigJson } from './whisper-config';
export { isCt2ModelDir, inspectCt2ModelDir, loadCt2Checkpoint, convertCt2ToHf } from './directory';
export type { Ct2WhisperModelDir, ConvertCt2Options, Ct2ConversionResult } from './directory';
