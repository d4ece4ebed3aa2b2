// The VAD pre-pass: Silero VAD over the recording (streamed, 32 ms windows), its speech segments,
// close ones merged and padded, as the regions the transcription keeps; times are mapped back to
// the recording by the long-form runner.
import {
  SileroVad,
  speechTimestamps,
  streamAudio,
  VAD_SAMPLE_RATE,
  VAD_WINDOW_SAMPLES,
  VadError,
  type AudioSource,
  type SpeechTimestampOptions,
} from '@distil-whisper/audio';

/**
 * VAD options (`vad: true` takes every default). Detection follows the `silero-vad` package's
 * `get_speech_timestamps` (its defaults, except the padding: speech onsets and offsets are soft,
 * and 30 ms clips words), then close segments are merged.
 */
export interface VadOptions extends SpeechTimestampOptions {
  /** Folder of the converted Silero VAD (config.json + model.safetensors). Default: `$DW_VAD_MODEL_DIR`, else `~/.cache/distil-whisper/vad/silero-vad-6.2.3`. */
  modelDir?: string;
  /** Padding on each side of speech, in ms. Default 200 (the package's default is 30). */
  speechPadMs?: number;
  /** Speech separated by at most this many seconds is transcribed with the pause. Default 1. */
  mergeGapSeconds?: number;
}

/** A span of the recording in seconds. */
export interface SpeechRegion {
  start: number;
  end: number;
}

/** What the pre-pass found. */
export interface SpeechRegions {
  /** Speech to transcribe: ascending, non-overlapping, padded and merged. */
  regions: SpeechRegion[];
  /** Seconds of the recording. */
  durationSeconds: number;
  /** Seconds inside `regions`. */
  speechSeconds: number;
}

/**
 * Loads Silero VAD once, on first use, and finds the speech of recordings.
 *
 * @example
 * ```ts
 * const detector = new SpeechDetector();
 * const { regions } = await detector.detect('meeting.wav');
 * ```
 */
export class SpeechDetector {
  #vad: SileroVad | undefined;
  #dir: string | undefined;

  /** The model, loaded from `modelDir` (or the default places) the first time. */
  model(modelDir?: string): SileroVad {
    if (!this.#vad || this.#dir !== modelDir) {
      this.#vad = SileroVad.load(modelDir !== undefined ? { modelDir } : {});
      this.#dir = modelDir;
    }
    return this.#vad;
  }

  /**
   * Streams the recording at 16 kHz through the VAD and returns its speech regions.
   *
   * @throws `VadError` `MODEL_NOT_FOUND` (how to fetch the weights is in the message),
   *   `INVALID_OPTION`; audio errors as the audio package throws them
   */
  async detect(
    input: AudioSource,
    options: VadOptions = {},
    signal?: AbortSignal,
  ): Promise<SpeechRegions> {
    const { modelDir, mergeGapSeconds, ...detection } = options;
    const gap = mergeGapSeconds ?? 1;
    if (!(gap >= 0))
      throw new VadError('INVALID_OPTION', `mergeGapSeconds must be >= 0, got ${gap}`);
    const stream = this.model(modelDir).createStream();
    const probs: number[] = [];
    const pending = new Float32Array(VAD_WINDOW_SAMPLES);
    let filled = 0;
    let total = 0;
    for await (const chunk of streamAudio(input, {
      sampleRate: VAD_SAMPLE_RATE,
      // The speech search takes whatever decodes; the transcription pass that follows decodes
      // the file again under the request's own lenient / strict policy and reports its warnings.
      lenient: true,
      onWarning: () => {},
      ...(signal ? { signal } : {}),
    })) {
      total += chunk.length;
      let i = 0;
      while (i < chunk.length) {
        const n = Math.min(VAD_WINDOW_SAMPLES - filled, chunk.length - i);
        pending.set(chunk.subarray(i, i + n), filled);
        filled += n;
        i += n;
        if (filled === VAD_WINDOW_SAMPLES) {
          probs.push(stream.push(pending));
          filled = 0;
        }
      }
    }
    if (filled > 0) probs.push(stream.push(pending.subarray(0, filled)));
    const segments = speechTimestamps(probs, total, {
      ...detection,
      speechPadMs: detection.speechPadMs ?? 200,
    });
    const regions: SpeechRegion[] = [];
    for (const s of segments) {
      const start = s.start / VAD_SAMPLE_RATE;
      const end = s.end / VAD_SAMPLE_RATE;
      const last = regions[regions.length - 1];
      if (last && start - last.end <= gap) last.end = end;
      else regions.push({ start, end });
    }
    return {
      regions,
      durationSeconds: total / VAD_SAMPLE_RATE,
      speechSeconds: regions.reduce((a, r) => a + r.end - r.start, 0),
    };
  }
}
