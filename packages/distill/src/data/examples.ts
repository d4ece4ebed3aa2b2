// Manifest examples → training examples: the per-example draws, the label sequence and the
// label-length filter of the reference (run_distillation.py `is_labels_in_length_range`).
import { DistillError } from '../errors.js';
import type { ManifestExample } from './manifest.js';
import {
  buildLabels,
  type BuildLabelsOptions,
  drawTargets,
  type TargetDraws,
  type TargetLayout,
  type TargetProbabilities,
} from './targets.js';

/** One example ready for batching: where its audio is and its full label sequence. */
export interface TrainingExample {
  readonly id: string;
  /** Manifest line number (for messages). */
  readonly line: number;
  /** Absolute path of the audio file. */
  readonly audioPath: string;
  readonly speaker: string | undefined;
  /**
   * `labels_full`: `[<|startofprev|>, …prompt]` when prompted, then `<|startoftranscript|>` …
   * `<|endoftext|>`. {@link collateLabels} shifts it into decoder inputs and targets.
   */
  readonly labels: readonly number[];
  /** The example's draws (fixed for the run). */
  readonly draws: TargetDraws;
  /** Whether a prompt was attached (a stored prompt exists and `draws.usePrompt`). */
  readonly prompted: boolean;
  /** Whether the labels still hold timestamp tokens. */
  readonly timestamps: boolean;
}

/**
 * Why an example was dropped by the label filter (`0 < len(labels) ≤ maxLabelLength`):
 * `EMPTY_LABELS` or `LABELS_TOO_LONG`.
 */
export type DroppedExampleCode = 'EMPTY_LABELS' | 'LABELS_TOO_LONG';

/** An example the label filter dropped. */
export interface DroppedExample {
  readonly id: string;
  readonly line: number;
  readonly code: DroppedExampleCode;
  readonly reason: string;
}

/** Options of {@link prepareTrainingExamples}. */
export interface PrepareExamplesOptions extends TargetProbabilities, BuildLabelsOptions {
  /** Special ids, timestamp position and maximum label length (see {@link targetLayout}). */
  readonly layout: TargetLayout;
  /** Seed of the per-example draws. Default 0. */
  readonly seed?: number;
  /**
   * Replaces {@link drawTargets} (tests, or reproducing another implementation's choices).
   * Default: `drawTargets(seed, example.id, probabilities)`.
   */
  readonly draw?: (example: ManifestExample) => TargetDraws;
}

/** Result of {@link prepareTrainingExamples}. */
export interface PreparedExamples {
  /** Kept examples, in input order. */
  readonly examples: readonly TrainingExample[];
  /** Examples the label-length filter dropped, in input order. */
  readonly dropped: readonly DroppedExample[];
  /** Dropped examples per reason. */
  readonly droppedCounts: Readonly<Partial<Record<DroppedExampleCode, number>>>;
  /** Kept examples with a prompt attached. */
  readonly prompted: number;
  /** Kept examples whose labels keep timestamps. */
  readonly withTimestamps: number;
}

/**
 * Builds every example's label sequence ({@link buildLabels} with {@link drawTargets}) and applies
 * the reference's label filter `0 < len(labels) ≤ maxLabelLength`. The audio-length filter
 * (`0 < samples < 30 s`) needs the decoded audio and runs when batches are loaded
 * ({@link TrainingBatches}).
 *
 * @throws {@link DistillError} `NO_USABLE_EXAMPLES` when every example is dropped,
 *   `INVALID_ARGUMENT` for a probability outside [0, 1].
 *
 * @example
 * ```ts
 * const layout = targetLayout(tokenizer);
 * const prepared = prepareTrainingExamples(manifest.examples, { layout, seed: 42 });
 * console.log(prepared.examples.length, prepared.droppedCounts);
 * ```
 */
export function prepareTrainingExamples(
  examples: readonly ManifestExample[],
  options: PrepareExamplesOptions,
): PreparedExamples {
  const { layout } = options;
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed))
    throw new DistillError('INVALID_ARGUMENT', `seed must be a safe integer, got ${String(seed)}`);
  const probabilities: TargetProbabilities = {
    timestampProbability: options.timestampProbability,
    conditionOnPrevProbability: options.conditionOnPrevProbability,
  };
  // Validates the probabilities once, even for an empty input.
  drawTargets(seed, '', probabilities);
  const draw = options.draw ?? ((e: ManifestExample) => drawTargets(seed, e.id, probabilities));
  const { timestampBegin } = layout.special;

  const kept: TrainingExample[] = [];
  const dropped: DroppedExample[] = [];
  const droppedCounts: Partial<Record<DroppedExampleCode, number>> = {};
  let prompted = 0;
  let withTimestamps = 0;
  for (const e of examples) {
    const draws = draw(e);
    const labels = buildLabels(e.ids, e.prompt, draws, layout, options);
    let code: DroppedExampleCode | undefined;
    if (labels.length === 0) code = 'EMPTY_LABELS';
    else if (labels.length > layout.maxLabelLength) code = 'LABELS_TOO_LONG';
    if (code !== undefined) {
      droppedCounts[code] = (droppedCounts[code] ?? 0) + 1;
      dropped.push({
        id: e.id,
        line: e.line,
        code,
        reason:
          code === 'EMPTY_LABELS'
            ? 'the label is empty'
            : `the label has ${labels.length} tokens, over maxLabelLength ${layout.maxLabelLength}`,
      });
      continue;
    }
    const isPrompted = e.prompt !== null && draws.usePrompt;
    const timestamps = labels.some((id) => id >= timestampBegin && id <= timestampBegin + 1500);
    if (isPrompted) prompted++;
    if (timestamps) withTimestamps++;
    kept.push({
      id: e.id,
      line: e.line,
      audioPath: e.audioPath,
      speaker: e.speaker,
      labels,
      draws,
      prompted: isPrompted,
      timestamps,
    });
  }
  if (kept.length === 0 && examples.length > 0)
    throw new DistillError(
      'NO_USABLE_EXAMPLES',
      `all ${examples.length} examples were dropped by the label filter (0 < length ≤ ${layout.maxLabelLength})`,
      { problems: dropped.slice(0, 20).map((d) => `id ${d.id} (line ${d.line}): ${d.reason}`) },
    );
  return { examples: kept, dropped, droppedCounts, prompted, withTimestamps };
}
