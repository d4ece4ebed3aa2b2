// The options of pseudoLabel(), checked once before any file or model is opened.
import { DistillError } from '../errors.js';
import { checkShard, type Shard } from './shard.js';
import type { PseudoLabelProgress } from './summary.js';

/** Options of {@link pseudoLabel}. */
export interface PseudoLabelOptions {
  /** Teacher checkpoint directory (Hugging Face layout, with its tokenizer). */
  readonly teacher: string;
  /** Input manifest: JSONL with `audio` (relative to the manifest), optional `text`, `speaker`, `id`. */
  readonly manifest: string;
  /** Output manifest (JSONL, training-manifest format); appended to on reruns of the same job. */
  readonly out: string;
  /**
   * Language of multilingual teachers (code or name). Default: detected per window, as the
   * reference does without `--language`. Ignored by English-only teachers.
   */
  readonly language?: string | null;
  /** `'transcribe'` (default) or `'translate'`; multilingual teachers only. */
  readonly task?: 'transcribe' | 'translate';
  /** Predict timestamps and store them as `<|t.tt|>` in the label. Default false. */
  readonly timestamps?: boolean;
  /**
   * Pack consecutive clips of one speaker into windows of at most `maxDuration` seconds and store
   * `condition_on_prev`. Default false (one clip, one record, no prompts).
   */
  readonly concatenateAudio?: boolean;
  /** Longest pack in seconds, at most the model window (30 s). Default 30. */
  readonly maxDuration?: number;
  /** Windows per encoder call and batched greedy search. Default 8. */
  readonly batchSize?: number;
  /**
   * Longest label in tokens, forced prefix included (the reference's generation `max_length`).
   * Default 256.
   */
  readonly maxLabelLength?: number;
  /** Process only this shard of the manifest's lines (see {@link parseShard}). Default: all. */
  readonly shard?: Shard;
  /** Kernel threads of the teacher. Default: the kernels' default. */
  readonly threads?: number;
  /** Where the teacher runs. Default: the kernels' default device. */
  readonly device?: 'cpu' | 'cuda';
  /** Activation dtype (`'f16'` on CUDA only). Default `'f32'`. */
  readonly activationDtype?: 'f32' | 'f16';
  /**
   * Start over when `out` exists but was written by another job (teacher, manifest, shard or an
   * option differs) or has no sidecar: the file is emptied and the packed audio removed. Default
   * false: refuse.
   */
  readonly force?: boolean;
  /** Stops after the batch in flight; what was written stays and a rerun continues. */
  readonly signal?: AbortSignal;
  /** Called after every batch and once at the start. */
  readonly onProgress?: (progress: PseudoLabelProgress) => void;
  /** One-line messages (resumption, repairs, warnings). */
  readonly log?: (message: string) => void;
}

/** {@link PseudoLabelOptions} checked, with defaults filled in. */
export interface ResolvedLabelOptions {
  language: string | null;
  task: 'transcribe' | 'translate';
  timestamps: boolean;
  concatenate: boolean;
  maxDuration: number;
  batchSize: number;
  maxLabelLength: number;
  shard: Shard | null;
}

/** An `INVALID_ARGUMENT` error. */
export function invalid(message: string): DistillError {
  return new DistillError('INVALID_ARGUMENT', message);
}

/**
 * Checks the options that need no file or model and fills in the defaults.
 *
 * @throws {@link DistillError} `INVALID_ARGUMENT` naming the option and the accepted values.
 */
export function resolveLabelOptions(o: PseudoLabelOptions): ResolvedLabelOptions {
  for (const key of ['teacher', 'manifest', 'out'] as const)
    if (typeof o[key] !== 'string' || o[key].length === 0)
      throw invalid(`pseudoLabel needs options.${key} (a path)`);
  const positiveInt = (v: number | undefined, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    if (!Number.isSafeInteger(v) || v < 1)
      throw invalid(`${name} must be an integer >= 1, got ${String(v)}`);
    return v;
  };
  const maxDuration = o.maxDuration ?? 30;
  if (!(maxDuration > 0 && maxDuration <= 30))
    throw invalid(
      `maxDuration must be in (0, 30] seconds (one model window), got ${String(maxDuration)}`,
    );
  const task = o.task ?? 'transcribe';
  if (task !== 'transcribe' && task !== 'translate')
    throw invalid(`task must be 'transcribe' or 'translate', got ${JSON.stringify(task)}`);
  const maxLabelLength = positiveInt(o.maxLabelLength, 'maxLabelLength', 256);
  if (maxLabelLength > 448)
    throw invalid(
      `maxLabelLength must be at most 448 (the decoder's positions), got ${maxLabelLength}`,
    );
  return {
    language: o.language ?? null,
    task,
    timestamps: o.timestamps ?? false,
    concatenate: o.concatenateAudio ?? false,
    maxDuration,
    batchSize: positiveInt(o.batchSize, 'batchSize', 8),
    maxLabelLength,
    shard: o.shard === undefined ? null : checkShard(o.shard),
  };
}
