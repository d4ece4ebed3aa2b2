/**
 * @packageDocumentation
 * Decode audio (WAV, FLAC, MP3, Ogg Vorbis, Ogg Opus), resample it to 16 kHz with a band-limited
 * filter and compute Whisper's log-mel input features, matching openai/whisper and transformers.
 * Pure TypeScript + WebAssembly: works without the native addon.
 */
export {
  AudioError,
  MAX_SAMPLE_RATE,
  MIN_SAMPLE_RATE,
  type AudioErrorCode,
  type AudioWarning,
} from './errors.js';
export {
  dynamicRangeFloor,
  logMelSpectrogram,
  type LogMelOptions,
  type LogMelSpectrogram,
} from './log-mel.js';
export { LogMelFrames, type LogMelFramesOptions, type SampleRange } from './log-mel-frames.js';
export {
  hzToMel,
  melFilterBank,
  melToHz,
  type MelFilterBank,
  type MelFilterBankOptions,
} from './mel-filters.js';
export { Resampler, resample, type ResampleOptions } from './resample.js';
export type { AudioFormat } from './detect.js';
export {
  loadAudio,
  streamAudio,
  type AudioInfo,
  type AudioSource,
  type LoadAudioOptions,
  type RawAudio,
} from './load-audio.js';
export {
  WhisperFeatureExtractor,
  type WhisperFeatureExtractorConfig,
  type WhisperFeatures,
  type WhisperPreprocessorConfigJson,
} from './feature-extractor.js';
export {
  findSileroModel,
  parseSileroSafetensors,
  planSpeechWindows,
  readSileroModel,
  SILERO_TENSORS,
  SILERO_VAD_VERSION,
  sileroModelDirs,
  SileroVad,
  SileroVadStream,
  speechTimestamps,
  VAD_SAMPLE_RATE,
  VAD_WINDOW_SAMPLES,
  VadError,
  windowAudio,
  windowToSourceTime,
  type SileroVadLoadOptions,
  type SileroWeights,
  type SpeechProbabilityOptions,
  type SpeechSegment,
  type SpeechTimestampOptions,
  type SpeechWindow,
  type SpeechWindowOptions,
  type VadErrorCode,
  type WindowPiece,
} from './vad/index.js';
