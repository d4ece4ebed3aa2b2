// From cross-attention probabilities of the alignment heads to the token × frame matrix that DTW
// warps (openai/whisper timing.find_alignment; transformers' _extract_token_timestamps).

import { AlignmentError } from './errors';
import { medianFilter } from './median-filter';

/** Cross-attention probabilities of the alignment heads, one decoder pass. */
export interface AlignmentAttention {
  /** Row-major `[heads, rows, frames]`: per head, the attention of every decoder position. */
  data: Float32Array;
  /** Number of heads stacked in `data`. */
  heads: number;
  /** Decoder positions (rows) per head. */
  rows: number;
  /** Encoder positions per row (1500 for a 30 s window). */
  frames: number;
}

/** How the attention becomes the DTW matrix. */
export interface AlignmentMatrixOptions {
  /**
   * Encoder positions that hold audio (mel frames of real audio / 2); later positions are
   * padding and are cropped away.
   */
  audioFrames: number;
  /** Median filter width along the frame axis (odd). Default 7 (both references). */
  medianFilterWidth?: number;
  /**
   * Re-normalise each row over the cropped frames before the z-normalisation: openai/whisper
   * re-applies the softmax to the cropped scores, which is the same thing. transformers crops the
   * probabilities without it. Default false (transformers).
   */
  renormalize?: boolean;
  /** First row kept in the result (the rows before it still count in the z-normalisation). */
  firstRow: number;
  /** Rows kept from `firstRow` on. */
  rowCount: number;
}

/**
 * Builds the alignment matrix: per head, crop to the audio frames (optionally re-normalise each
 * row), z-normalise every frame column over all rows (population standard deviation), median
 * filter along frames; then average the heads and keep rows `[firstRow, firstRow + rowCount)`.
 *
 * @returns row-major `[rowCount, audioFrames]` (higher = the token attends to that frame more)
 * @throws {@link AlignmentError} `INVALID_INPUT` when the sizes do not fit
 */
export function alignmentMatrix(
  attention: AlignmentAttention,
  options: AlignmentMatrixOptions,
): Float32Array {
  const { data, heads, rows, frames } = attention;
  const cols = options.audioFrames;
  const width = options.medianFilterWidth ?? 7;
  const { firstRow, rowCount } = options;
  if (data.length !== heads * rows * frames || heads < 1)
    throw new AlignmentError(
      'INVALID_INPUT',
      `attention holds ${data.length} values, expected ${heads} heads × ${rows} rows × ${frames} frames`,
    );
  if (!Number.isInteger(cols) || cols < 1 || cols > frames)
    throw new AlignmentError(
      'INVALID_INPUT',
      `audioFrames must be an integer in [1, ${frames}], got ${cols}`,
    );
  if (!(firstRow >= 0 && rowCount >= 1 && firstRow + rowCount <= rows))
    throw new AlignmentError(
      'INVALID_INPUT',
      `rows [${firstRow}, ${firstRow + rowCount}) are outside the ${rows} attention rows`,
    );
  const sum = new Float64Array(rowCount * cols);
  const head = new Float32Array(rows * cols);
  for (let h = 0; h < heads; h++) {
    for (let r = 0; r < rows; r++) {
      const src = (h * rows + r) * frames;
      let scale = 1;
      if (options.renormalize) {
        let s = 0;
        for (let c = 0; c < cols; c++) s += data[src + c]!;
        scale = s > 0 ? 1 / s : 1;
      }
      for (let c = 0; c < cols; c++) head[r * cols + c] = data[src + c]! * scale;
    }
    for (let c = 0; c < cols; c++) {
      let mean = 0;
      for (let r = 0; r < rows; r++) mean += head[r * cols + c]!;
      mean /= rows;
      let v = 0;
      for (let r = 0; r < rows; r++) {
        const d = head[r * cols + c]! - mean;
        v += d * d;
      }
      const std = Math.sqrt(v / rows);
      // A constant column (std 0) divides 0 by 0 in the references (NaN); 0 keeps DTW defined.
      for (let r = 0; r < rows; r++)
        head[r * cols + c] = std > 0 ? (head[r * cols + c]! - mean) / std : 0;
    }
    // The filter is per row: only the kept rows need it.
    const kept = head.subarray(firstRow * cols, (firstRow + rowCount) * cols);
    const filtered = medianFilter(kept, rowCount, cols, width);
    for (let i = 0; i < rowCount * cols; i++) sum[i] = sum[i]! + filtered[i]!;
  }
  const out = new Float32Array(rowCount * cols);
  for (let i = 0; i < out.length; i++) out[i] = sum[i]! / heads;
  return out;
}
