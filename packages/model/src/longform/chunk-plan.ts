// Where the chunks of transformers' ASR pipeline fall (AutomaticSpeechRecognitionPipeline
// .preprocess and chunk_iter): fixed-length windows overlapping by a stride on each side.
import { GenerationError } from '../generation/errors';

/** Python's `round()`: to the nearest integer, ties to even (transformers rounds with it). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Chunk length and strides in samples. */
export interface ChunkPlan {
  /** Samples per chunk. */
  chunkSamples: number;
  /** Overlap with the previous chunk. */
  strideLeft: number;
  /** Overlap with the next chunk. */
  strideRight: number;
  /** Samples between chunk starts: `chunk − left − right`. */
  step: number;
}

/** Options of {@link planChunks}. */
export interface ChunkPlanOptions {
  /** Chunk length in seconds (transformers' `chunk_length_s`). */
  chunkLengthSeconds: number;
  /**
   * Overlap on each side in seconds, or `[left, right]` (transformers' `stride_length_s`).
   * Default: chunk length / 6 on each side.
   */
  strideSeconds?: number | readonly [number, number];
  /** Samples per second. Default 16000. */
  sampleRate?: number;
}

/**
 * Sizes the chunks as transformers' pipeline does: lengths rounded to samples with Python's
 * rounding; the stride defaults to a sixth of the chunk on each side.
 *
 * @throws {@link GenerationError} `INVALID_OPTION` when the chunk is not positive or shorter than
 *   both strides together.
 * @example
 * ```ts
 * planChunks({ chunkLengthSeconds: 30 });  // { chunkSamples: 480000, strideLeft: 80000, strideRight: 80000, step: 320000 }
 * ```
 */
export function planChunks(o: ChunkPlanOptions): ChunkPlan {
  const rate = o.sampleRate ?? 16000;
  const chunk = o.chunkLengthSeconds;
  if (!(chunk > 0) || !Number.isFinite(chunk))
    throw new GenerationError('INVALID_OPTION', `chunk length must be > 0 s, got ${chunk}`);
  const stride = o.strideSeconds ?? chunk / 6;
  const [left, right] = typeof stride === 'number' ? [stride, stride] : stride;
  if (!(left >= 0) || !(right >= 0))
    throw new GenerationError('INVALID_OPTION', `stride must be >= 0 s, got ${String(stride)}`);
  const chunkSamples = roundHalfEven(chunk * rate);
  const strideLeft = roundHalfEven(left * rate);
  const strideRight = roundHalfEven(right * rate);
  if (chunkSamples < strideLeft + strideRight)
    throw new GenerationError(
      'INVALID_OPTION',
      `chunk length (${chunk} s) must be at least the two strides together (${left} + ${right} s)`,
    );
  const step = chunkSamples - strideLeft - strideRight;
  if (step < 1)
    throw new GenerationError(
      'INVALID_OPTION',
      `chunk length (${chunk} s) must exceed the two strides together (${left} + ${right} s)`,
    );
  return { chunkSamples, strideLeft, strideRight, step };
}

/** One chunk of a recording. */
export interface ChunkSpan {
  /** First sample. */
  start: number;
  /** One past the last sample (at most the recording's length). */
  end: number;
  /** transformers' `stride`: (samples in the chunk, left overlap, right overlap). */
  stride: readonly [length: number, left: number, right: number];
  /** True for the chunk that reaches the end. */
  isLast: boolean;
}

/**
 * The chunks of a recording of `totalSamples` samples (transformers' `chunk_iter`): chunk `k`
 * covers `[k·step, k·step + chunk)`; the first has no left overlap and the last no right one; a
 * chunk no longer than its left overlap is not emitted.
 *
 * @example
 * ```ts
 * [...chunkSpans(planChunks({ chunkLengthSeconds: 30 }), 16000 * 70)].map((c) => c.start); // [0, 320000, 640000]
 * ```
 */
export function* chunkSpans(plan: ChunkPlan, totalSamples: number): Generator<ChunkSpan> {
  for (let start = 0; start < totalSamples; start += plan.step) {
    const end = start + plan.chunkSamples;
    const isLast = end >= totalSamples;
    const left = start === 0 ? 0 : plan.strideLeft;
    const length = Math.min(end, totalSamples) - start;
    if (length > left)
      yield {
        start,
        end: start + length,
        stride: [length, left, isLast ? 0 : plan.strideRight],
        isLast,
      };
    if (isLast) break;
  }
}
