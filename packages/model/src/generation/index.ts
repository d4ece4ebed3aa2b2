/**
 * Whisper generation with transformers' semantics, over any decoder that implements
 * {@link GenerationModel}: every piece, for the package's tests. The package entry point
 * (src/index.ts) chooses which of these are public.
 */
export type { DecoderSession, GenerationModel } from './types';
export { GenerationError, type GenerationErrorCode } from './errors';
export {
  generate,
  detectLanguage,
  resolveMaxLength,
  type GenerateOptions,
  type GenerationResult,
} from './generate';
export {
  planPrefix,
  languageTokenId,
  type PrefixPlan,
  type PrefixRequest,
  type WhisperTaskName,
} from './prefix';
export {
  applyTimestampRules,
  processLogits,
  suppress,
  warpForSampling,
  type ProcessorSettings,
  type TimestampRuleIds,
} from './logits-processors';
export { beamSearch, type BeamSettings } from './beam-search';
export type { SearchOutput, SearchSettings } from './types';
export { tokenSearch } from './token-loop';
export { argmaxChoice, samplingChoice, type TokenChoice, type TokenPick } from './token-choice';
export { greedyDecode, type GreedyDecodeOptions } from './greedy-decode';
export {
  needsFallback,
  tokenCompressionRatio,
  textCompressionRatio,
  type FallbackDecision,
  type FallbackThresholds,
} from './quality';
export {
  splitSegments,
  TIMESTAMP_PRECISION,
  type SegmentSplit,
  type TimedSegment,
} from './segments';
export { SeededRandom } from './rng';
export { whisperGenerationModel } from './whisper-adapter';
export { speculativeSearch, type SpeculativeSearchSettings } from './speculative-search';
export {
  encodeWithAssistant,
  encoderFingerprint,
  sharesEncoder,
  checkAssistantModel,
  type AssistedEncoding,
} from './speculative-encoder';
export {
  isRewindable,
  type AssistantOptions,
  type DraftSchedule,
  type RewindableSession,
  type SpeculativeRound,
} from './speculative-types';
export { DraftLength, DEFAULT_DRAFT_LENGTH } from './speculative-draft-length';
