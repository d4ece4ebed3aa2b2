// A recording that can be decoded more than once (long-form reads it twice: once to measure it,
// once to transcribe it), optionally cut down to given speech regions.
import { streamAudio, type AudioSource, type AudioWarning } from '@distil-whisper/audio';

/** What the engine receives: a path, the bytes of a file, or samples. */
export type EngineInput = string | Uint8Array | { samples: Float32Array; sampleRate: number };

/** A span of the original audio, in seconds. */
export interface TimeRegion {
  start: number;
  end: number;
}

/** A re-openable recording at the model's sample rate. */
export interface Recording {
  /** Decodes from the start: mono samples at `sampleRate`, chunk by chunk. */
  open(signal?: AbortSignal): AsyncIterable<Float32Array>;
  /** Maps a time of the (region-cut) transcribed audio back to the original recording. */
  toOriginalTime(seconds: number): number;
}

/**
 * Checks regions (sorted, non-overlapping, non-negative) and rounds them to samples.
 *
 * @throws RangeError for regions out of order, overlapping or empty
 */
export function regionSamples(
  regions: readonly TimeRegion[],
  sampleRate: number,
): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let last = 0;
  for (const r of regions) {
    const a = Math.round(r.start * sampleRate);
    const b = Math.round(r.end * sampleRate);
    if (!(a >= last) || !(b > a))
      throw new RangeError(
        `regions must be sorted, non-overlapping and non-empty: got ${JSON.stringify(r)} after ${last / sampleRate} s`,
      );
    out.push([a, b]);
    last = b;
  }
  return out;
}

/** Keeps only the samples inside `regions` (sample index ranges), concatenated. */
async function* selectRegions(
  chunks: AsyncIterable<Float32Array>,
  regions: ReadonlyArray<readonly [number, number]>,
): AsyncGenerator<Float32Array> {
  let offset = 0;
  let k = 0;
  for await (const c of chunks) {
    const end = offset + c.length;
    while (k < regions.length) {
      const [a, b] = regions[k] as readonly [number, number];
      if (a >= end) break;
      const from = Math.max(a, offset) - offset;
      const to = Math.min(b, end) - offset;
      if (to > from) yield c.slice(from, to);
      if (b > end) break;
      k++;
    }
    offset = end;
    if (k >= regions.length) return;
  }
}

/** How a recording's audio is decoded: the audio package's policy for damaged files. */
export interface AudioPolicy {
  lenient?: boolean;
  strict?: boolean;
  /** Receives what decoded but not as the file promised (once per opening). */
  onWarning?: (warning: AudioWarning) => void;
}

/**
 * A {@link Recording} of an engine input: decoded with the audio package's streaming decoder and
 * resampler each time it is opened; with `regions`, only those spans, joined (the seam a VAD
 * pre-pass uses: transcribe the speech, map the times back).
 *
 * @example
 * ```ts
 * const rec = recordingOf('talk.wav', 16000, [{ start: 3.2, end: 41 }, { start: 50, end: 95.5 }]);
 * rec.toOriginalTime(40); // the first region is 37.8 s long, so 40 s of speech is 52.2 s into the file
 * ```
 */
export function recordingOf(
  input: EngineInput,
  sampleRate: number,
  regions?: readonly TimeRegion[],
  audio: AudioPolicy = {},
): Recording {
  const source: AudioSource = input;
  const cut = regions === undefined ? null : regionSamples(regions, sampleRate);
  return {
    open(signal) {
      const chunks = streamAudio(source, { sampleRate, ...audio, ...(signal ? { signal } : {}) });
      return cut === null ? chunks : selectRegions(chunks, cut);
    },
    toOriginalTime(seconds) {
      if (cut === null) return seconds;
      let joined = 0;
      for (const [a, b] of cut) {
        const len = (b - a) / sampleRate;
        if (seconds <= joined + len) return a / sampleRate + (seconds - joined);
        joined += len;
      }
      const last = cut[cut.length - 1];
      return last === undefined ? seconds : last[1] / sampleRate + (seconds - joined);
    },
  };
}
