/**
 * @distil-whisper/model — Whisper / Distil-Whisper checkpoints and graph: typed config.json and
 * generation_config.json, a strict safetensors reader/writer, the encoder-decoder with a
 * preallocated KV cache and once-per-window cross-attention K/V, and random-weight checkpoints.
 *
 * Generation with transformers' semantics (forced prefix, logits processors, greedy / beam search /
 * sampling, temperature fallback, timestamps, language detection) runs on top of
 * {@link WhisperModel.decode}: see {@link generate} and {@link whisperGenerationModel}.
 * @packageDocumentation
 */
export { WhisperModel } from './model';
export { EncoderOutput } from './encoder-output';
export { DecoderState } from './decoder-state';
export type { DecoderStateOptions } from './decoder-state';
export type { LoadOptions, ModelOptions, ActivationDtype } from './activation-dtype';
export type { DecodeOptions, DecoderOutput } from './graph/decoder';
export type { CrossAttentionWeights } from './graph/cross-attention';
export { parseWhisperConfig, whisperConfigToJson, headDims } from './config';
export type { WhisperConfig } from './config';
export {
  parseGenerationConfig,
  generationConfigToJson,
  generationConfigFromModelConfig,
} from './generation-config';
export type { WhisperGenerationConfig } from './generation-config';
export {
  loadCheckpoint,
  saveCheckpoint,
  readCheckpointConfigs,
  expectedTensors,
  tensorProblems,
  checkpointKind,
  PROJ_OUT,
  readCheckpointHeaders,
  TOKENIZER_FILES,
} from './checkpoint';
export type {
  CheckpointTensorEntry,
  CheckpointKind,
  TensorSpec,
  LoadCheckpointOptions,
  LoadedCheckpoint,
  SaveCheckpointOptions,
} from './checkpoint';
export {
  readSafetensorsHeader,
  readSafetensorsTensor,
  writeSafetensors,
  safetensorsDType,
  safetensorsDTypeSize,
  MAX_HEADER_BYTES,
} from './safetensors';
export type {
  SafetensorsHeader,
  SafetensorsEntry,
  SafetensorsSource,
  SafetensorsDType,
  ReadTensorOptions,
} from './safetensors';
export { createRandomCheckpoint } from './random';
export type { CreateRandomCheckpointOptions, RandomCheckpoint } from './random';
export {
  PRESETS,
  LANGUAGE_CODES,
  specialTokenLayout,
  vocabularyVariant,
  defaultGenerationConfig,
} from './presets';
export type { PresetName, WhisperDims, VocabularyVariant, SpecialTokenLayout } from './presets';
// Crash-safe file and directory writing: every writer of checkpoints and outputs goes through it.
export { writeFileAtomic, writeDirectoryAtomic, assertOutputOutside } from './io/atomic-write';
export type { AtomicWriteOptions } from './io/atomic-write';
export { WriteError } from './io/write-error';
export type { WriteErrorCode } from './io/write-error';
export { CheckpointError, ModelError } from './errors';
export type { CheckpointErrorCode, ModelErrorCode } from './errors';
export * from './generation';
export * from './ct2';
export { declareParameters, decaysWeight } from './parameters';
export type { ParameterDecl, ParameterRole, ParameterModule } from './parameters';
export { ParameterStore } from './train/parameter-store';
export type { ParameterViews, AdamWStepOptions } from './train/parameter-store';
export {
  TrainableDecoder,
  teacherLogits,
  trainableDecoderParameters,
} from './train/trainable-decoder';
export type { TrainableDecoderOptions } from './train/trainable-decoder';
export { decoderForward, decoderBackward, DecoderActivations } from './train/decoder-graph';
export type { DecoderForwardResult, GradientLookup } from './train/decoder-graph';
