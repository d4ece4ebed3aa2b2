/**
 * Voice activity detection with Silero VAD (the `silero-vad` PyPI package's model, converted by
 * tools/vad/fetch.sh), in plain TypeScript: probabilities, the package's speech segmentation, and
 * planning of transcription windows over the speech.
 */
export { VadError, type VadErrorCode } from './errors.js';
export {
  SILERO_VAD_VERSION,
  SILERO_TENSORS,
  findSileroModel,
  parseSileroSafetensors,
  readSileroModel,
  sileroModelDirs,
  type SileroWeights,
} from './model-files.js';
export {
  SileroVad,
  SileroVadStream,
  VAD_SAMPLE_RATE,
  VAD_WINDOW_SAMPLES,
  type SileroVadLoadOptions,
  type SpeechProbabilityOptions,
} from './silero-vad.js';
export {
  speechTimestamps,
  type SpeechSegment,
  type SpeechTimestampOptions,
} from './speech-timestamps.js';
export {
  planSpeechWindows,
  windowAudio,
  windowToSourceTime,
  type SpeechWindow,
  type SpeechWindowOptions,
  type WindowPiece,
} from './speech-windows.js';
