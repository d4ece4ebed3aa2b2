// Median filter along the frame axis of an attention matrix (openai/whisper timing.median_filter,
// transformers' _median_filter): reflect padding, odd width, the middle of the sorted window.

import { AlignmentError } from './errors';

/**
 * Applies a median filter of odd `width` to every row of a row-major `[rows, cols]` matrix, with
 * reflect padding at both ends (the edge value is not repeated, as `F.pad(mode='reflect')`).
 * Rows no longer than `width / 2` columns come back unchanged, as in both references (reflect
 * padding needs more columns than the pad).
 *
 * @returns a new `[rows, cols]` matrix
 * @throws {@link AlignmentError} `INVALID_INPUT` for an even or non-positive width or a size mismatch
 *
 * @example
 * ```ts
 * medianFilter(Float32Array.of(1, 9, 2, 8, 3), 1, 5, 3); // [9, 2, 8, 3, 8]
 * ```
 */
export function medianFilter(
  x: Float32Array,
  rows: number,
  cols: number,
  width: number,
): Float32Array {
  if (!Number.isInteger(width) || width < 1 || width % 2 === 0)
    throw new AlignmentError(
      'INVALID_INPUT',
      `median filter width must be odd and >= 1, got ${width}`,
    );
  if (x.length !== rows * cols)
    throw new AlignmentError(
      'INVALID_INPUT',
      `median filter input holds ${x.length} values, expected ${rows} × ${cols}`,
    );
  const pad = (width - 1) / 2;
  const out = new Float32Array(x.length);
  if (cols <= pad || width === 1) {
    out.set(x);
    return out;
  }
  const win = new Float32Array(width);
  // Index of the reflected column (…, 2, 1, | 0, 1, …, c-1, | c-2, c-3, …); valid since pad < cols.
  const reflect = (j: number): number => (j < 0 ? -j : j >= cols ? 2 * (cols - 1) - j : j);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) {
      // Insertion sort: the window is tiny (7), and typed-array sort() costs a call per column.
      for (let k = 0; k < width; k++) {
        const v = x[base + reflect(c - pad + k)]!;
        let m = k;
        while (m > 0 && win[m - 1]! > v) {
          win[m] = win[m - 1]!;
          m--;
        }
        win[m] = v;
      }
      out[base + c] = win[pad]!;
    }
  }
  return out;
}
