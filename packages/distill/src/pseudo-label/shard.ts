// Splitting one pseudo-labelling job over several independent processes. A shard is a contiguous
// range of manifest lines, not every N-th pack: packing and the previous-pack prompt
// (`condition_on_prev`) link neighbouring lines, so interleaved shards would cut every link,
// while contiguous ranges cut at most N − 1 of them — the reference itself cuts one at every
// preprocessing batch. A shard also needs only its own lines' audio to form its packs.
import { DistillError } from '../errors.js';

/** One shard of a job: `index` is 0-based, `0 ≤ index < count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/**
 * Parses `I/N` (0-based `I`, `0 ≤ I < N`), as `--shard` takes it.
 *
 * @throws {@link DistillError} `INVALID_ARGUMENT` naming the accepted form; a 1-based index
 *   (`N/N`) gets a hint to pass `I − 1`.
 * @example
 * ```ts
 * parseShard('2/8'); // { index: 2, count: 8 }
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m)
    throw new DistillError(
      'INVALID_ARGUMENT',
      `--shard must be I/N with 0-based I (e.g. 0/4 … 3/4), got ${JSON.stringify(text)}`,
    );
  return checkShard({ index: Number(m[1]), count: Number(m[2]) });
}

/**
 * Validates a shard.
 *
 * @throws {@link DistillError} `INVALID_ARGUMENT` for a count below 1 or an index outside `[0, count)`.
 */
export function checkShard(shard: Shard): Shard {
  const { index, count } = shard;
  if (!Number.isSafeInteger(count) || count < 1)
    throw new DistillError(
      'INVALID_ARGUMENT',
      `the shard count must be an integer >= 1, got ${String(count)}`,
    );
  if (!Number.isSafeInteger(index) || index < 0 || index >= count)
    throw new DistillError(
      'INVALID_ARGUMENT',
      `the shard index is 0-based and must lie in 0..${count - 1}, got ${String(index)}` +
        (index === count
          ? ` (for a 1-based job index k, pass ${count - 1}/${count} as k−1/N)`
          : ''),
    );
  return { index, count };
}

/**
 * The manifest lines of a shard: `[start, end)` as 0-based line indexes, `start =
 * ⌊index·lines/count⌋`. The ranges of shards 0…N−1 partition `[0, lines)`, so the shards'
 * outputs together cover every line exactly once.
 *
 * @example
 * ```ts
 * shardLineRange({ index: 1, count: 3 }, 10); // { start: 3, end: 6 }
 * ```
 */
export function shardLineRange(shard: Shard, lines: number): { start: number; end: number } {
  const at = (i: number): number => Math.floor((i * lines) / shard.count);
  return { start: at(shard.index), end: at(shard.index + 1) };
}
