// The first pass over a recording: its length, and (for sequential long-form) the largest mel
// power of its whole spectrogram, which sets the dynamic-range floor of every window.
import { LogMelFrames, type LogMelFramesOptions } from '@distil-whisper/audio';
import { SampleReader } from './sample-reader';
import type { Recording } from './recording';

/** What the first pass learns. */
export interface RecordingStats {
  /** Samples at the model's rate. */
  samples: number;
  /** Largest mel power over the whole recording (null when not measured). */
  maxPower: number | null;
}

/** Frames computed per step of the pass (bounded memory: ~12 s of audio). */
const STEP_FRAMES = 1200;
/** Stands for "length not known yet": large, yet small enough for exact index arithmetic. */
const UNKNOWN_LENGTH = 2 ** 46;

/**
 * Decodes the recording once: counts its samples and, with `mel`, computes every frame of its
 * log-mel spectrogram block by block to find the largest mel power — exactly what the whole
 * spectrogram's floor uses, without holding more than a block.
 */
export async function measureRecording(
  recording: Recording,
  mel: LogMelFramesOptions | null,
  signal?: AbortSignal,
): Promise<RecordingStats> {
  const chunks = recording.open(signal);
  if (mel === null) {
    const samples = await SampleReader.drain(chunks, () => {});
    return { samples, maxPower: null };
  }
  const reader = new SampleReader(chunks);
  try {
    // Frames that never reach the end of the recording do not depend on its length.
    const open = new LogMelFrames(UNKNOWN_LENGTH, mel);
    const scratch = new Float32Array(open.nMels * STEP_FRAMES);
    let maxPower = 0;
    let f = 0;
    for (;;) {
      const { start, end } = open.samplesFor(f, f + STEP_FRAMES);
      const span = await reader.read(start, end);
      if (span.data.length < end - start) break;
      maxPower = Math.max(
        maxPower,
        open.compute(span.data, span.origin, f, f + STEP_FRAMES, scratch, STEP_FRAMES),
      );
      f += STEP_FRAMES;
    }
    const samples = reader.received;
    const half = Math.floor(open.nFft / 2);
    if (samples <= half) return { samples, maxPower: null };
    const closed = new LogMelFrames(samples, mel);
    // The reader still holds everything from frame f's first sample on (see LogMelFrames.samplesFor).
    for (let t = f; t < closed.totalFrames; t += STEP_FRAMES) {
      const t1 = Math.min(closed.totalFrames, t + STEP_FRAMES);
      const { start, end } = closed.samplesFor(t, t1);
      const span = await reader.read(start, end);
      maxPower = Math.max(
        maxPower,
        closed.compute(span.data, span.origin, t, t1, scratch, STEP_FRAMES),
      );
    }
    return { samples, maxPower };
  } finally {
    await reader.close();
  }
}
