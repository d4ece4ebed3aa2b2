/**
 * @distil-whisper/model — Whisper / Distil-Whisper checkpoints and graph: typed config.json and
 * generation_config.json, Hugging Face checkpoint loading and saving, the encoder-decoder with a
 * preallocated KV cache and once-per-window cross-attention K/V, generation with transformers'
 * semantics, the decoder's training shape, CTranslate2 conversion and random-weight checkpoints.
 *
 * Generation (forced prefix, logits processors, greedy / beam search / sampling, temperature
 * fallback, timestamps, language detection) runs on top of {@link WhisperModel.decode}: see
 * {@link generate} and {@link whisperGenerationModel}.
 * @packageDocumentation
 */

// The model: three inference calls and what they take and return.
export { WhisperModel } from './model';
export { EncoderOutput } from './encoder-output';
export { DecoderState } from './decoder-state';
export type { DecoderStateOptions } from './decoder-state';
export type { LoadOptions, ModelOptions, ActivationDtype } from './activation-dtype';
export type { ComputeType } from './compute-type';
export type { DecodeOptions, DecoderOutput } from './graph/decoder';
export type { CrossAttentionWeights } from './graph/cross-attention';

// Hugging Face checkpoint directories.
export {
  loadCheckpoint,
  saveCheckpoint,
  readCheckpointConfigs,
  readCheckpointHeaders,
  TOKENIZER_FILES,
} from './checkpoint';
export type {
  CheckpointKind,
  CheckpointTensorEntry,
  LoadCheckpointOptions,
  LoadedCheckpoint,
  SaveCheckpointOptions,
} from './checkpoint';

// config.json and generation_config.json.
export { parseWhisperConfig, whisperConfigToJson } from './config';
export type { WhisperConfig } from './config';
export {
  parseGenerationConfig,
  generationConfigToJson,
  generationConfigFromModelConfig,
} from './generation-config';
export type { WhisperGenerationConfig } from './generation-config';

// Generation with transformers' semantics.
export { generate, detectLanguage } from './generation/generate';
export type { GenerateOptions, GenerationResult } from './generation/generate';
export type { WhisperTaskName } from './generation/prefix';
export type { TimedSegment } from './generation/segments';
export type { DecoderSession, GenerationModel } from './generation/types';
export { whisperGenerationModel } from './generation/whisper-adapter';
export { greedyDecode } from './generation/greedy-decode';
export type { GreedyDecodeOptions } from './generation/greedy-decode';
// Speculative decoding: generate(model, gen, { assistant }) with an assistant bound to the same windows.
export {
  checkAssistantModel,
  encodeWithAssistant,
  sharesEncoder,
} from './generation/speculative-encoder';
export type { AssistedEncoding } from './generation/speculative-encoder';
export type {
  AssistantOptions,
  DraftSchedule,
  RewindableSession,
  SpeculativeRound,
} from './generation/speculative-types';

// Word-level timestamps from cross-attention, one decoded window at a time.
export {
  alignWindowWords,
  alignWords,
  runAlignmentPass,
  assignWordsToSegments,
  resolveAlignmentHeads,
  AlignmentError,
} from './alignment';
export type {
  AlignWindowOptions,
  WindowWords,
  AlignWordsInput,
  AlignmentPassInput,
  AlignmentPassOutput,
  AlignmentAttention,
  AssignWordsOptions,
  AssignedWords,
  SegmentSpan,
  SegmentWithWords,
  WordTiming,
  WordTokens,
  ResolvedAlignmentHeads,
  AlignmentErrorCode,
} from './alignment';

// Long-form transcription: sequential (generate() over > 3000 frames) and chunked (the ASR pipeline).
export {
  transcribeLong,
  transcribeLongStream,
  selectWindows,
  whisperWindowEncoder,
  melArraySource,
  planChunks,
  chunkSpans,
  ChunkMerger,
  longestCommonSequence,
} from './longform';
export type {
  ChunkMergeSettings,
  ChunkOutput,
  ChunkPlan,
  ChunkPlanOptions,
  ChunkSpan,
  DecodedWindow,
  EncodedWindows,
  LongFormOptions,
  LongFormProgress,
  LongFormResult,
  LongFormSegment,
  MelWindowSource,
  MergedSegment,
  SegmentWord,
  WindowEncoder,
  WindowMeasures,
} from './longform';

// Random-weight checkpoints of real dims.
export { createRandomCheckpoint } from './random';
export type { CreateRandomCheckpointOptions, RandomCheckpoint } from './random';
export { PRESETS } from './presets';
export type { PresetName, WhisperDims } from './presets';

// CTranslate2 (faster-whisper) directories → Hugging Face checkpoints.
export { convertCt2ToHf } from './ct2/directory';
export type { ConvertCt2Options, Ct2ConversionResult } from './ct2/directory';

// Crash-safe file and directory writing: every writer of checkpoints and outputs goes through it.
export { writeFileAtomic, writeDirectoryAtomic, assertOutputOutside } from './io/atomic-write';
export type { AtomicWriteOptions } from './io/atomic-write';

// Errors, each with a stable `code`.
export { CheckpointError, ModelError } from './errors';
export type { CheckpointErrorCode, ModelErrorCode } from './errors';
export { WriteError } from './io/write-error';
export type { WriteErrorCode } from './io/write-error';
export { GenerationError } from './generation/errors';
export type { GenerationErrorCode } from './generation/errors';
export { Ct2Error } from './ct2/errors';
export type { Ct2ErrorCode } from './ct2/errors';

// Training: the one parameter declaration, the flat parameter store, the trainable decoder.
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
export { DecoderActivations } from './train/decoder-graph';
export type { DecoderForwardResult } from './train/decoder-graph';

// @internal: for @distil-whisper/distill (student creation, training checkpoints); not part of
// the public API, may change without notice.
export { expectedTensors, tensorProblems, checkpointKind, PROJ_OUT } from './checkpoint';
export { readSafetensorsHeader, readSafetensorsTensor, writeSafetensors } from './safetensors';
export type { SafetensorsDType, SafetensorsSource } from './safetensors';
