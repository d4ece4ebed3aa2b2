// Dynamic time warping of a token × frame cost matrix (openai/whisper timing.dtw_cpu + backtrace,
// transformers' _dynamic_time_warping): the cheapest monotonic path from the first token at the
// first frame to the last token at the last frame.

import { AlignmentError } from './errors';

/** The warping path: `textIndices[k]` is aligned with `timeIndices[k]`; both ascend. */
export interface WarpingPath {
  /** Row (token) index of each path step. */
  textIndices: Int32Array;
  /** Column (frame) index of each path step. */
  timeIndices: Int32Array;
}

/**
 * Dynamic time warping over a row-major `[rows, cols]` cost matrix (lower is better; callers pass
 * the negated attention). Moves are diagonal, down (next token, same frame) or right (next frame,
 * same token). Ties follow the references exactly: diagonal only when strictly cheaper than both,
 * then down when strictly cheaper than both, else right; accumulated costs are stored as float32
 * as the references store them, so equal paths come out on equal inputs.
 *
 * @throws {@link AlignmentError} `INVALID_INPUT` for an empty matrix or a size mismatch
 *
 * @example
 * ```ts
 * const { textIndices, timeIndices } = dynamicTimeWarping(cost, tokens, frames);
 * ```
 */
export function dynamicTimeWarping(
  cost: ArrayLike<number>,
  rows: number,
  cols: number,
): WarpingPath {
  if (!(rows >= 1 && cols >= 1) || cost.length !== rows * cols)
    throw new AlignmentError(
      'INVALID_INPUT',
      `DTW needs a non-empty ${rows} × ${cols} matrix, got ${cost.length} values`,
    );
  const w = cols + 1;
  const acc = new Float32Array((rows + 1) * w).fill(Infinity);
  // 0 = diagonal, 1 = down (token advances), 2 = right (frame advances).
  const trace = new Uint8Array((rows + 1) * w);
  acc[0] = 0;
  for (let j = 1; j <= cols; j++) {
    for (let i = 1; i <= rows; i++) {
      const c0 = acc[(i - 1) * w + j - 1]!;
      const c1 = acc[(i - 1) * w + j]!;
      const c2 = acc[i * w + j - 1]!;
      let c: number;
      let t: number;
      if (c0 < c1 && c0 < c2) {
        c = c0;
        t = 0;
      } else if (c1 < c0 && c1 < c2) {
        c = c1;
        t = 1;
      } else {
        c = c2;
        t = 2;
      }
      acc[i * w + j] = cost[(i - 1) * cols + j - 1]! + c;
      trace[i * w + j] = t;
    }
  }
  // Borders force the path back to the origin: along the first row go left, the first column up.
  for (let j = 0; j <= cols; j++) trace[j] = 2;
  for (let i = 0; i <= rows; i++) trace[i * w] = 1;
  const text: number[] = [];
  const time: number[] = [];
  let i = rows;
  let j = cols;
  while (i > 0 || j > 0) {
    text.push(i - 1);
    time.push(j - 1);
    const t = trace[i * w + j];
    if (t === 0) {
      i--;
      j--;
    } else if (t === 1) i--;
    else j--;
  }
  text.reverse();
  time.reverse();
  return { textIndices: Int32Array.from(text), timeIndices: Int32Array.from(time) };
}
