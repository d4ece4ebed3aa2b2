/**
 * distil-whisper — transcribe speech with Whisper / Distil-Whisper checkpoints on CPU, from
 * Node, without blocking the event loop: `createPipeline(dir)` then `transcribe(audio)`.
 * @packageDocumentation
 */
export { createPipeline, type Pipeline } from './pipeline';
export type {
  PipelineOptions,
  Segment,
  TranscribeInput,
  TranscribeOptions,
  TranscribeProgress,
  Transcription,
} from './types';
export { TranscribeError, type TranscribeErrorCode } from './errors';
export { formatTranscription, type OutputFormat } from './formats';
