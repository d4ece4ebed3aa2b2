// transformers' _find_longest_common_sequence (tokenization_whisper.py): joins token lists of
// overlapping chunks at their best-matching overlap.

/**
 * Joins consecutive token lists whose ends overlap in audio. For each pair, every alignment of
 * the left list's tail against the right list's head is scored `matches / overlap + overlap /
 * 10000` (ties go to the shorter overlap, as the scan meets it first); an alignment needs at least
 * two matching tokens. The result keeps the left list up to the middle of the matched overlap and
 * the right list from its middle on; without a match the lists are simply concatenated.
 *
 * `times`, when given (one entry per token), also requires matching tokens to be in time order
 * (left ≤ right) and is cut the same way.
 *
 * @example
 * ```ts
 * longestCommonSequence([[1, 2, 3, 4], [3, 4, 5]]); // [1, 2, 3, 4, 5]
 * ```
 */
export function longestCommonSequence(
  sequences: readonly (readonly number[])[],
  times?: readonly (readonly number[])[],
): { tokens: number[]; times: number[] } {
  let left = [...(sequences[0] ?? [])];
  let leftTimes = times ? [...(times[0] ?? [])] : [];
  const tokens: number[] = [];
  const outTimes: number[] = [];
  for (let s = 1; s < sequences.length; s++) {
    const right = sequences[s] as readonly number[];
    const rightTimes = times ? (times[s] as readonly number[]) : [];
    const L = left.length;
    const R = right.length;
    let best = 0;
    let bounds: [number, number, number, number] = [L, L, 0, 0];
    for (let i = 1; i < L + R; i++) {
      const eps = i / 10000;
      const leftStart = Math.max(0, L - i);
      const leftStop = Math.min(L, L + R - i);
      const rightStart = Math.max(0, i - L);
      const rightStop = Math.min(R, i);
      let matches = 0;
      for (let k = 0; k < leftStop - leftStart; k++) {
        if (left[leftStart + k] !== right[rightStart + k]) continue;
        if (
          times &&
          !((leftTimes[leftStart + k] as number) <= (rightTimes[rightStart + k] as number))
        )
          continue;
        matches++;
      }
      const matching = matches / i + eps;
      if (matches > 1 && matching > best) {
        best = matching;
        bounds = [leftStart, leftStop, rightStart, rightStop];
      }
    }
    const [ls, le, rs, re] = bounds;
    const leftMid = Math.floor((le + ls) / 2);
    const rightMid = Math.floor((re + rs) / 2);
    tokens.push(...left.slice(0, leftMid));
    left = right.slice(rightMid);
    if (times) {
      outTimes.push(...leftTimes.slice(0, leftMid));
      leftTimes = rightTimes.slice(rightMid);
    }
  }
  tokens.push(...left);
  if (times) outTimes.push(...leftTimes);
  return { tokens, times: outTimes };
}
