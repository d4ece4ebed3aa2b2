/**
 * Long-form transcription over any {@link WindowEncoder}: the sequential loop (transformers'
 * `generate()` on more than 3000 frames), window sources, segment cutting and prompts, and the
 * chunked algorithm's pieces (transformers' ASR pipeline). The package entry (src/index.ts) picks
 * what is public.
 */
export { transcribeLong, transcribeLongStream, selectWindows } from './loop';
export { melArraySource, assembleWindows, type WindowRequest } from './window-source';
export { whisperWindowEncoder } from './window-encoder';
export {
  cutWindow,
  seekSeconds,
  windowLength,
  type WindowCut,
  type WindowMeasures,
} from './window-cut';
export { initialHistory, windowPrompt, type PromptSettings } from './conditioning';
export type {
  DecodedWindow,
  EncodedWindows,
  LongFormOptions,
  LongFormProgress,
  LongFormResult,
  LongFormSegment,
  MelWindowSource,
  SegmentWord,
  WindowEncoder,
} from './types';
export {
  planChunks,
  chunkSpans,
  roundHalfEven,
  type ChunkPlan,
  type ChunkPlanOptions,
  type ChunkSpan,
} from './chunk-plan';
export {
  ChunkMerger,
  pythonRound2,
  type ChunkMergeSettings,
  type ChunkOutput,
  type MergedSegment,
} from './chunk-merge';
export { longestCommonSequence } from './lcs';
