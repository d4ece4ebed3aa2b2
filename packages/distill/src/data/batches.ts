// Epochs of shuffled training batches with a resumable position. The order of an epoch is a pure
// function of (seed, epoch, number of examples), so a run restarted from a saved {epoch, index}
// sees exactly the batches it would have seen. Audio is decoded when its batch is built; a clip
// that cannot be used is skipped, counted and named, never thrown.
import { AudioError, loadAudio } from '@distil-whisper/audio';

import { DistillError } from '../errors.js';
import { collateLabels, type CollateIds, type CollatedLabels } from './collate.js';
import type { TrainingExample } from './examples.js';
import { randomPermutation, SeededRandom } from './prng.js';

/** Where a run is in its data: batch `index` (0-based) of `epoch` (0-based). JSON-serialisable. */
export interface BatchPosition {
  readonly epoch: number;
  readonly index: number;
}

/**
 * Why an example's audio was skipped:
 * - `MISSING`: the file does not exist.
 * - `UNREADABLE`: it cannot be read or decoded (permissions, unknown format, corrupt data).
 * - `EMPTY`: it decodes to no samples.
 * - `TOO_SHORT`: not longer than `minDurationSeconds`.
 * - `TOO_LONG`: `maxDurationSeconds` (30 s) or longer — the reference keeps `len < 30 s` only.
 * - `SILENT`: every sample is within `silenceThreshold` of zero.
 */
export type AudioProblemCode =
  'MISSING' | 'UNREADABLE' | 'EMPTY' | 'TOO_SHORT' | 'TOO_LONG' | 'SILENT';

/** An example skipped because of its audio. */
export interface AudioProblem {
  readonly id: string;
  /** Manifest line of the example. */
  readonly line: number;
  readonly path: string;
  readonly code: AudioProblemCode;
  readonly reason: string;
}

/** One batch from {@link TrainingBatches.next}. */
export interface TrainingBatch {
  /** Position of this batch. */
  readonly position: BatchPosition;
  /** Position of the batch after it: save this once the batch's step is done, to resume after it. */
  readonly next: BatchPosition;
  /** The usable examples of the batch, in shuffled order (fewer than `batchSize` when some were skipped). */
  readonly examples: readonly TrainingExample[];
  /** Their audio, mono at `sampleRate` (16 kHz), one array per example. */
  readonly audio: readonly Float32Array[];
  /** Their collated labels ({@link collateLabels}). */
  readonly labels: CollatedLabels;
  /** Examples of this batch's slot that were skipped (including ones already known to be bad). */
  readonly skipped: readonly AudioProblem[];
}

/**
 * Loads one file as mono samples at `sampleRate`. May reject early for audio longer than
 * `maxDurationSeconds` (the clip is skipped either way).
 */
export type AudioLoader = (
  path: string,
  options: { readonly sampleRate: number; readonly maxDurationSeconds: number },
) => Promise<Float32Array>;

/** Options of {@link TrainingBatches}. */
export interface TrainingBatchesOptions {
  /** Examples per batch (before skipped ones are removed). */
  readonly batchSize: number;
  /** `sot` and `pad` for collation (a {@link TargetLayout}'s `special` fits). */
  readonly ids: CollateIds;
  /** Seed of the per-epoch shuffles. Default 0. */
  readonly seed?: number;
  /** Shuffle each epoch. Default true; false keeps the input order. */
  readonly shuffle?: boolean;
  /** Drop the last, smaller batch of an epoch. Default false. */
  readonly dropLast?: boolean;
  /** Position to start at (a saved {@link TrainingBatch.next}). Default `{ epoch: 0, index: 0 }`. */
  readonly start?: BatchPosition;
  /** Sample rate of the returned audio. Default 16000. */
  readonly sampleRate?: number;
  /** Clips must be longer than this. Default 0 (the reference's `min_duration_in_seconds`). */
  readonly minDurationSeconds?: number;
  /** Clips must be shorter than this. Default 30 (the reference's `max_duration_in_seconds`). */
  readonly maxDurationSeconds?: number;
  /**
   * Skip clips whose peak absolute sample is at most this. Default 1/32768 (one 16-bit step, i.e.
   * digital silence); `null` keeps silent clips, as the reference does.
   */
  readonly silenceThreshold?: number | null;
  /** Files decoded at once. Default 4. */
  readonly concurrency?: number;
  /** Audio loader. Default: `loadAudio` of @distil-whisper/audio (any format it decodes, resampled). */
  readonly loadAudio?: AudioLoader;
}

// maxDurationSeconds stops decoding an hour-long file as soon as it is known to be too long.
const defaultLoader: AudioLoader = (path, options) => loadAudio(path, options);

function checkPosition(p: BatchPosition, name: string): BatchPosition {
  if (
    typeof p !== 'object' ||
    p === null ||
    !Number.isSafeInteger(p.epoch) ||
    !Number.isSafeInteger(p.index) ||
    p.epoch < 0 ||
    p.index < 0
  )
    throw new DistillError(
      'INVALID_ARGUMENT',
      `${name} must be { epoch, index } with non-negative integers, got ${JSON.stringify(p)}`,
    );
  return { epoch: p.epoch, index: p.index };
}

function audioProblem(
  example: TrainingExample,
  code: AudioProblemCode,
  reason: string,
): AudioProblem {
  return { id: example.id, line: example.line, path: example.audioPath, code, reason };
}

function classifyError(example: TrainingExample, err: unknown): AudioProblem {
  const message = err instanceof Error ? err.message : String(err);
  // AudioError keeps the file system's error as its cause; a custom loader may throw it directly.
  const codeOf = (e: unknown): unknown =>
    typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  const errno =
    codeOf(err) === 'ENOENT' ? 'ENOENT' : codeOf(err instanceof Error ? err.cause : undefined);
  if (errno === 'ENOENT') return audioProblem(example, 'MISSING', 'the audio file does not exist');
  if (err instanceof AudioError) {
    if (err.code === 'EMPTY_AUDIO') return audioProblem(example, 'EMPTY', message);
    if (err.code === 'TOO_LONG') return audioProblem(example, 'TOO_LONG', message);
  }
  return audioProblem(example, 'UNREADABLE', message);
}

/**
 * Batches of training examples, epoch after epoch, with a seeded shuffle per epoch and a
 * serialisable position.
 *
 * - Order: epoch `e` visits the examples in `randomPermutation(n, SeededRandom.fromKey('shuffle',
 *   seed, e))` order (xoshiro128** + Fisher–Yates); batch `i` is positions `i·batchSize …
 *   (i+1)·batchSize − 1` of it. Same seed and examples → same batches; another seed → another order.
 * - Resuming: construct with `start` = the last finished batch's {@link TrainingBatch.next}.
 * - Audio: decoded when the batch is built. A clip that is missing, unreadable, empty, silent,
 *   or not in `(minDurationSeconds, maxDurationSeconds)` is skipped (the batch is smaller),
 *   counted in {@link TrainingBatches.problemCounts} and named in
 *   {@link TrainingBatches.problems} once; it is not decoded again in later epochs. A batch whose
 *   clips were all skipped is passed over. The reference filters audio length before batching,
 *   so its batches are always full; here batch boundaries stay fixed instead, which is what
 *   keeps positions resumable.
 *
 * `next()` never ends: the caller decides how many steps or epochs to run.
 *
 * @example
 * ```ts
 * const batches = new TrainingBatches(prepared.examples, { batchSize: 16, ids: layout.special, seed: 1 });
 * for (let step = 0; step < 1000; step++) {
 *   const batch = await batches.next();
 *   // … train on batch.audio / batch.labels, then save batch.next with the checkpoint
 * }
 * ```
 */
export class TrainingBatches {
  /** Examples per batch (before skips). */
  readonly batchSize: number;
  /** Batches in every epoch. */
  readonly batchesPerEpoch: number;
  readonly #examples: readonly TrainingExample[];
  readonly #ids: CollateIds;
  readonly #seed: number;
  readonly #shuffle: boolean;
  readonly #sampleRate: number;
  readonly #minSamples: number;
  readonly #maxSamples: number;
  readonly #silence: number | null;
  readonly #concurrency: number;
  readonly #load: AudioLoader;
  readonly #bad = new Map<string, AudioProblem>();
  readonly #counts: Partial<Record<AudioProblemCode, number>> = {};
  #position: BatchPosition;
  #orderEpoch = -1;
  #order: Uint32Array = new Uint32Array(0);

  /**
   * @throws {@link DistillError} `INVALID_ARGUMENT` for no examples, a bad batch size, position,
   *   duration or threshold.
   */
  constructor(examples: readonly TrainingExample[], options: TrainingBatchesOptions) {
    const { batchSize } = options;
    if (!Array.isArray(examples) || examples.length === 0)
      throw new DistillError('INVALID_ARGUMENT', 'TrainingBatches needs at least one example');
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new DistillError(
        'INVALID_ARGUMENT',
        `batchSize must be a positive integer, got ${String(batchSize)}`,
      );
    const dropLast = options.dropLast ?? false;
    const perEpoch = dropLast
      ? Math.floor(examples.length / batchSize)
      : Math.ceil(examples.length / batchSize);
    if (perEpoch === 0)
      throw new DistillError(
        'INVALID_ARGUMENT',
        `dropLast with ${examples.length} examples and batchSize ${batchSize} leaves no batch; lower batchSize or keep the last batch`,
      );
    this.batchSize = batchSize;
    this.batchesPerEpoch = perEpoch;
    this.#examples = examples;
    this.#ids = options.ids;
    this.#seed = options.seed ?? 0;
    if (!Number.isSafeInteger(this.#seed))
      throw new DistillError(
        'INVALID_ARGUMENT',
        `seed must be a safe integer, got ${String(this.#seed)}`,
      );
    this.#shuffle = options.shuffle ?? true;
    this.#sampleRate = options.sampleRate ?? 16000;
    if (!Number.isInteger(this.#sampleRate) || this.#sampleRate < 1)
      throw new DistillError(
        'INVALID_ARGUMENT',
        `sampleRate must be a positive integer, got ${String(this.#sampleRate)}`,
      );
    const minSeconds = options.minDurationSeconds ?? 0;
    const maxSeconds = options.maxDurationSeconds ?? 30;
    if (!(minSeconds >= 0) || !(maxSeconds > minSeconds))
      throw new DistillError(
        'INVALID_ARGUMENT',
        `need 0 ≤ minDurationSeconds < maxDurationSeconds, got ${String(minSeconds)} and ${String(maxSeconds)}`,
      );
    // As the reference: int(seconds × rate), kept when min < samples < max.
    this.#minSamples = Math.floor(minSeconds * this.#sampleRate);
    this.#maxSamples = Math.floor(maxSeconds * this.#sampleRate);
    const silence = options.silenceThreshold === undefined ? 1 / 32768 : options.silenceThreshold;
    if (silence !== null && !(silence >= 0))
      throw new DistillError(
        'INVALID_ARGUMENT',
        `silenceThreshold must be a non-negative number or null, got ${String(silence)}`,
      );
    this.#silence = silence;
    this.#concurrency = options.concurrency ?? 4;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1)
      throw new DistillError(
        'INVALID_ARGUMENT',
        `concurrency must be a positive integer, got ${String(this.#concurrency)}`,
      );
    this.#load = options.loadAudio ?? defaultLoader;
    const start = checkPosition(options.start ?? { epoch: 0, index: 0 }, 'start');
    this.#position = this.#normalize(start);
  }

  /** Position of the batch the next {@link TrainingBatches.next} call starts from. */
  get position(): BatchPosition {
    return { ...this.#position };
  }

  /** Every example skipped so far because of its audio, once each, in the order visited. */
  get problems(): readonly AudioProblem[] {
    return [...this.#bad.values()];
  }

  /** Skipped examples per reason (each example counted once). */
  get problemCounts(): Readonly<Partial<Record<AudioProblemCode, number>>> {
    return { ...this.#counts };
  }

  /** Indices into the examples, in the order epoch `epoch` visits them. */
  order(epoch: number): readonly number[] {
    checkPosition({ epoch, index: 0 }, 'epoch');
    return [...this.#orderOf(epoch)];
  }

  /**
   * Builds the next batch (loading its audio) and advances the position. Skips over batches
   * whose every example is unusable.
   *
   * @throws {@link DistillError} `NO_USABLE_EXAMPLES` when every example has turned out unusable.
   */
  async next(): Promise<TrainingBatch> {
    for (;;) {
      if (this.#bad.size === this.#examples.length)
        throw new DistillError(
          'NO_USABLE_EXAMPLES',
          `none of the ${this.#examples.length} examples has usable audio`,
          { problems: this.problems.slice(0, 20).map((p) => `${p.path}: ${p.code}: ${p.reason}`) },
        );
      const position = this.#position;
      const order = this.#orderOf(position.epoch);
      const slot = order.subarray(
        position.index * this.batchSize,
        Math.min(order.length, (position.index + 1) * this.batchSize),
      );
      const members = [...slot].map((i) => this.#examples[i]!);
      const loaded = await this.#loadAll(members);
      const next = this.#normalize({ epoch: position.epoch, index: position.index + 1 });
      this.#position = next;
      const examples: TrainingExample[] = [];
      const audio: Float32Array[] = [];
      const skipped: AudioProblem[] = [];
      loaded.forEach((result, k) => {
        if (result instanceof Float32Array) {
          examples.push(members[k]!);
          audio.push(result);
        } else skipped.push(result);
      });
      if (examples.length === 0) continue;
      const labels = collateLabels(
        examples.map((e) => e.labels),
        this.#ids,
      );
      return { position, next, examples, audio, labels, skipped };
    }
  }

  #normalize(p: BatchPosition): BatchPosition {
    const extra = Math.floor(p.index / this.batchesPerEpoch);
    return { epoch: p.epoch + extra, index: p.index - extra * this.batchesPerEpoch };
  }

  #orderOf(epoch: number): Uint32Array {
    if (epoch !== this.#orderEpoch) {
      const n = this.#examples.length;
      if (this.#shuffle)
        this.#order = randomPermutation(n, SeededRandom.fromKey('shuffle', this.#seed, epoch));
      else {
        this.#order = new Uint32Array(n);
        for (let i = 0; i < n; i++) this.#order[i] = i;
      }
      this.#orderEpoch = epoch;
    }
    return this.#order;
  }

  async #loadAll(members: readonly TrainingExample[]): Promise<(Float32Array | AudioProblem)[]> {
    const results = new Array<Float32Array | AudioProblem>(members.length);
    let nextIndex = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const k = nextIndex++;
        if (k >= members.length) return;
        results[k] = await this.#loadOne(members[k]!);
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.#concurrency, members.length) }, () => worker()),
    );
    // Recorded in slot order, not completion order, so `problems` is the same on every run.
    results.forEach((result, k) => {
      if (result instanceof Float32Array || this.#bad.has(members[k]!.id)) return;
      this.#bad.set(members[k]!.id, result);
      this.#counts[result.code] = (this.#counts[result.code] ?? 0) + 1;
    });
    return results;
  }

  async #loadOne(example: TrainingExample): Promise<Float32Array | AudioProblem> {
    const known = this.#bad.get(example.id);
    if (known !== undefined) return known;
    try {
      const samples = await this.#load(example.audioPath, {
        sampleRate: this.#sampleRate,
        maxDurationSeconds: this.#maxSamples / this.#sampleRate,
      });
      return this.#check(example, samples);
    } catch (err) {
      return classifyError(example, err);
    }
  }

  #check(example: TrainingExample, samples: Float32Array): Float32Array | AudioProblem {
    const n = samples.length;
    const seconds = (n / this.#sampleRate).toFixed(2);
    if (n === 0) return audioProblem(example, 'EMPTY', 'the audio has no samples');
    if (n <= this.#minSamples)
      return audioProblem(
        example,
        'TOO_SHORT',
        `${seconds} s is not longer than the minimum duration`,
      );
    if (n >= this.#maxSamples)
      return audioProblem(
        example,
        'TOO_LONG',
        `${seconds} s is not shorter than the maximum duration ${(this.#maxSamples / this.#sampleRate).toFixed(2)} s`,
      );
    if (this.#silence !== null) {
      let peak = 0;
      for (let i = 0; i < n; i++) {
        const a = Math.abs(samples[i]!);
        if (a > peak) peak = a;
      }
      if (peak <= this.#silence)
        return audioProblem(
          example,
          'SILENT',
          `the audio is silent (peak ${peak.toExponential(2)})`,
        );
    }
    return samples;
  }
}
