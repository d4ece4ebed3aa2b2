// Windows of a long recording's log-mel spectrogram, computed as the long-form loop reaches them
// from a second decoding pass: transformers' whole-recording features, in bounded memory.
import { dynamicRangeFloor, LogMelFrames, type LogMelFramesOptions } from '@distil-whisper/audio';
import type { MelWindowSource } from '@distil-whisper/model';
import { SampleReader } from './sample-reader';
import type { Recording } from './recording';
import type { RecordingStats } from './measure';

/**
 * A {@link MelWindowSource} over a recording too long to hold: each window's frames are computed
 * from the samples it needs (read forward from a fresh decode) and floored with the whole
 * recording's dynamic range, so they equal `logMelSpectrogram(all samples)` sliced — what
 * transformers' feature extractor gives `generate()` for long-form input.
 */
export class StreamingMelSource implements MelWindowSource {
  readonly frames: number;
  /** Long-form decoding always predicts timestamps (transformers refuses it without them). */
  readonly returnTimestamps = true;
  readonly #mel: LogMelFrames;
  readonly #floor: number;
  readonly #recording: Recording;
  readonly #signal: AbortSignal | undefined;
  #reader: SampleReader | null = null;

  constructor(
    recording: Recording,
    stats: RecordingStats & { maxPower: number },
    mel: LogMelFramesOptions,
    signal?: AbortSignal,
  ) {
    this.#mel = new LogMelFrames(stats.samples, mel);
    this.frames = this.#mel.totalFrames;
    this.#floor = dynamicRangeFloor(stats.maxPower);
    this.#recording = recording;
    this.#signal = signal;
  }

  async read(start: number, count: number, into: Float32Array): Promise<void> {
    this.#reader ??= new SampleReader(this.#recording.open(this.#signal));
    const { start: s0, end: s1 } = this.#mel.samplesFor(start, start + count);
    const span = await this.#reader.read(s0, s1);
    const stride = into.length / this.#mel.nMels;
    this.#mel.compute(span.data, span.origin, start, start + count, into, stride);
    const floor = this.#floor;
    for (let m = 0; m < this.#mel.nMels; m++) {
      const row = m * stride;
      for (let t = row; t < row + count; t++) if ((into[t] as number) < floor) into[t] = floor;
    }
  }

  /** Stops the decode early (after the last window, or on an error). */
  async close(): Promise<void> {
    await this.#reader?.close();
    this.#reader = null;
  }
}
