/**
 * distil-whisper — transcribe speech with Whisper / Distil-Whisper checkpoints on CPU, from
 * Node, without blocking the event loop: `createPipeline(dir)` then `transcribe(audio)`.
 * @packageDocumentation
 */
export { createPipeline, type Pipeline } from './pipeline';
export type {
  LongFormMode,
  PipelineOptions,
  Segment,
  TimeRegion,
  TranscribeInput,
  TranscribeManyOptions,
  TranscribeOptions,
  TranscribeOutcome,
  TranscribeProgress,
  Transcription,
} from './types';
export { TranscribeError, type TranscribeErrorCode } from './errors';
export { formatTranscription, type FormatOptions, type OutputFormat } from './formats';
export { cues, type Cue, type CueSource } from './word-cues';
export {
  WordAligner,
  type AlignableWindow,
  type TimedWord,
  type WordAlignerOptions,
} from './word-timestamps';
export {
  SpeechDetector,
  type SpeechRegion,
  type SpeechRegions,
  type VadOptions,
} from './speech-regions';
