// Token start times from the warping path (openai/whisper find_alignment's `jumps`; transformers'
// `jump_times`): a token starts at the first frame where the path reaches its row.

import { dynamicTimeWarping } from './dtw';
import { AlignmentError } from './errors';

/** Encoder positions per second (each covers two 10 ms mel frames). */
export const AUDIO_FRAMES_PER_SECOND = 50;

/**
 * Warps a `[rows, cols]` alignment matrix (higher = more attention) and returns, per row, the
 * time in seconds of the first frame the path assigns to it. Row `k` is the decoder position
 * that predicts token `k`, so the result is each token's start time; the last row (the one that
 * predicts end of text) gives the end of the last token.
 *
 * @throws {@link AlignmentError} `INVALID_INPUT` for an empty or mis-sized matrix
 */
export function tokenStartTimes(matrix: Float32Array, rows: number, cols: number): Float64Array {
  if (matrix.length !== rows * cols)
    throw new AlignmentError(
      'INVALID_INPUT',
      `alignment matrix holds ${matrix.length} values, expected ${rows} × ${cols}`,
    );
  const negated = new Float64Array(matrix.length);
  for (let i = 0; i < matrix.length; i++) negated[i] = -matrix[i]!;
  const { textIndices, timeIndices } = dynamicTimeWarping(negated, rows, cols);
  // Division (not × 0.02) gives the double nearest to the decimal time, e.g. 0.14 for frame 7.
  const times = new Float64Array(rows);
  let previous = -1;
  let next = 0;
  for (let k = 0; k < textIndices.length; k++) {
    // A jump: the path enters a new row (the first step always counts).
    if (k === 0 || textIndices[k] !== previous) {
      if (next < rows) times[next++] = timeIndices[k]! / AUDIO_FRAMES_PER_SECOND;
      previous = textIndices[k]!;
    }
  }
  return times;
}
