/**
 * Word-level timestamps from cross-attention (openai/whisper whisper/timing.py; transformers'
 * `_extract_token_timestamps` and `_collate_word_timestamps`): every piece, for the package's
 * tests. The package entry point (src/index.ts) chooses which are public.
 */
export { AlignmentError, type AlignmentErrorCode } from './errors';
export { medianFilter } from './median-filter';
export { dynamicTimeWarping, type WarpingPath } from './dtw';
export {
  alignmentMatrix,
  type AlignmentAttention,
  type AlignmentMatrixOptions,
} from './alignment-matrix';
export { tokenStartTimes, AUDIO_FRAMES_PER_SECOND } from './token-times';
export { timeWords, type WordTiming, type WordTokens } from './words';
export { mergePunctuations, PREPEND_PUNCTUATIONS, APPEND_PUNCTUATIONS } from './punctuation';
export {
  assignWordsToSegments,
  type AssignWordsOptions,
  type AssignedWords,
  type SegmentSpan,
  type SegmentWithWords,
} from './segment-words';
export { resolveAlignmentHeads, type ResolvedAlignmentHeads } from './alignment-heads';
export {
  runAlignmentPass,
  type AlignmentPassInput,
  type AlignmentPassOutput,
} from './alignment-pass';
export {
  alignWords,
  alignWindowWords,
  type AlignWordsInput,
  type AlignWindowOptions,
  type WindowWords,
} from './align-words';
