// In-memory window sources, and the one place that assembles a batch of windows for the encoder.
import { GenerationError } from '../generation/errors';
import type { MelWindowSource } from './types';

/**
 * A {@link MelWindowSource} over a spectrogram held in memory, laid out `[numMelBins, frames]`
 * row-major (as `logMelSpectrogram` of the whole recording returns it).
 *
 * @throws {@link GenerationError} `INVALID_OPTION` when `data` is not `numMelBins · frames` long.
 * @example
 * ```ts
 * const mel = logMelSpectrogram(audio);                   // no padding: the whole recording
 * const [result] = await transcribeLong(model, [melArraySource(mel.data, mel.nMels, mel.nFrames)]);
 * ```
 */
export function melArraySource(
  data: Float32Array,
  numMelBins: number,
  frames: number,
): MelWindowSource {
  if (
    !Number.isInteger(numMelBins) ||
    numMelBins < 1 ||
    !Number.isInteger(frames) ||
    frames < 0 ||
    data.length !== numMelBins * frames
  )
    throw new GenerationError(
      'INVALID_OPTION',
      `mel data must hold numMelBins (${numMelBins}) × frames (${frames}) values, got ${data.length}`,
    );
  return {
    frames,
    read(start, count, into) {
      const width = into.length / numMelBins;
      for (let m = 0; m < numMelBins; m++)
        into.set(data.subarray(m * frames + start, m * frames + start + count), m * width);
    },
  };
}

/** One window to assemble: a source and the frames wanted from it. */
export interface WindowRequest {
  source: MelWindowSource;
  start: number;
  count: number;
}

/**
 * Reads every requested window into one zero-padded `[windows, numMelBins, framesPerWindow]`
 * buffer, the encoder's batch input.
 */
export async function assembleWindows(
  requests: readonly WindowRequest[],
  numMelBins: number,
  framesPerWindow: number,
): Promise<Float32Array> {
  const per = numMelBins * framesPerWindow;
  const features = new Float32Array(requests.length * per);
  for (let i = 0; i < requests.length; i++) {
    const { source, start, count } = requests[i] as WindowRequest;
    await source.read(start, count, features.subarray(i * per, (i + 1) * per));
  }
  return features;
}
