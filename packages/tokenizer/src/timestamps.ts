// Whisper's timestamp tokens: `<|0.00|>` … `<|30.00|>`, one per 0.02 s, consecutive ids from
// timestamp_begin.

/** Seconds between two consecutive timestamp tokens. */
export const TIME_PRECISION = 0.02;

/** Number of timestamp tokens (`<|0.00|>` … `<|30.00|>`). */
export const TIMESTAMP_COUNT = 1501;

/** Token text of the `index`-th timestamp, e.g. 54 → `"<|1.08|>"`. */
export function timestampText(index: number): string {
  return `<|${(index / 50).toFixed(2)}|>`;
}
