// Training targets from pseudo-label ids: the timestamp / prompt draws and the label sequence,
// mirroring distil-whisper's `prepare_train_dataset` (run_distillation.py; WAVE2 A4). The draws are
// an input of `buildLabels`, so a fixture generated from the reference can inject them.
import type { WhisperTokenizer } from '@distil-whisper/tokenizer';

import { DistillError } from '../errors.js';
import { SeededRandom } from './prng.js';

/** Ids target construction and collation need. */
export interface TargetSpecialIds {
  /** `<|startoftranscript|>` (the config's `decoder_start_token_id`). */
  readonly sot: number;
  /**
   * `<|notimestamps|>`. The reference's cut-off (`all_special_ids[-1]`, misleadingly named
   * `timestamp_begin` there): dropping timestamps drops every id ≥ this one.
   */
  readonly noTimestamps: number;
  /** `<|startofprev|>`: precedes the previous-text prompt. */
  readonly startOfPrev: number;
  /** `<|endoftext|>`. */
  readonly eot: number;
  /** `<|0.00|>`, the first timestamp token; ids from here to `timestampBegin + 1500` are timestamps. */
  readonly timestampBegin: number;
  /** Id labels are padded with (the config's `pad_token_id`, `<|endoftext|>` for Whisper). */
  readonly pad: number;
}

/** Where and how long targets are: one per model/tokenizer. */
export interface TargetLayout {
  readonly special: TargetSpecialIds;
  /**
   * Index `<|notimestamps|>` is inserted at when timestamps are dropped: 3 for multilingual models
   * (after SOT, language, task), 1 for English-only ones (after SOT).
   */
  readonly timestampPosition: number;
  /** Longest label sequence kept, prompt included (`max_label_length`, default 448). */
  readonly maxLabelLength: number;
}

/** Options of {@link targetLayout}. */
export interface TargetLayoutOptions {
  /** Default 448 (Whisper's `max_target_positions`, the reference's `max_length`). */
  readonly maxLabelLength?: number;
  /** Pad id; default `<|endoftext|>` (every Whisper config's `pad_token_id`). */
  readonly pad?: number;
}

/**
 * The {@link TargetLayout} of a tokenizer: its special ids, `timestampPosition` 3 for a
 * multilingual vocabulary and 1 for an English-only one, `maxLabelLength` 448.
 *
 * @example
 * ```ts
 * const layout = targetLayout(tokenizer, { pad: model.config.padTokenId ?? undefined });
 * ```
 */
export function targetLayout(
  tokenizer: WhisperTokenizer,
  options: TargetLayoutOptions = {},
): TargetLayout {
  const s = tokenizer.special;
  const maxLabelLength = options.maxLabelLength ?? 448;
  checkInteger(maxLabelLength, 'maxLabelLength', 2);
  const pad = options.pad ?? s.eot;
  checkInteger(pad, 'pad', 0);
  return {
    special: {
      sot: s.sot,
      noTimestamps: s.noTimestamps,
      startOfPrev: s.startOfPrev,
      eot: s.eot,
      timestampBegin: s.timestampBegin,
      pad,
    },
    timestampPosition: tokenizer.isMultilingual ? 3 : 1,
    maxLabelLength,
  };
}

function checkInteger(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min)
    throw new DistillError(
      'INVALID_ARGUMENT',
      `${name} must be an integer ≥ ${min}, got ${String(value)}`,
    );
}

function checkProbability(value: number, name: string): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1))
    throw new DistillError(
      'INVALID_ARGUMENT',
      `${name} must be a probability in [0, 1], got ${String(value)}`,
    );
}

/** The two random choices of one example, drawn once for the whole run. */
export interface TargetDraws {
  /**
   * Keep the timestamp tokens (`true` with probability `timestampProbability`). Only matters when
   * the label has timestamps.
   */
  readonly keepTimestamps: boolean;
  /**
   * Attach the stored previous-text prompt (`true` with probability
   * `conditionOnPrevProbability`). Only matters when the example has one.
   */
  readonly usePrompt: boolean;
}

/** Probabilities of {@link drawTargets}. */
export interface TargetProbabilities {
  /** Probability of training on timestamps. Default 0.2 (run_distillation.py; the Flax script and the paper use 0.5). */
  readonly timestampProbability?: number;
  /** Probability of conditioning on the previous text. Default 0.2. */
  readonly conditionOnPrevProbability?: number;
}

/**
 * The draws of one example: two uniforms from `SeededRandom.fromKey('targets', seed, id)`, the
 * first against `timestampProbability`, the second against `conditionOnPrevProbability`. Both are
 * always drawn, in that order, so neither probability shifts the other draw, and they depend
 * only on (seed, example id): not on the order, the shard or the other examples. The reference
 * draws once in its single `map` pass, so the choices are fixed for the whole run; so are these.
 *
 * @example
 * ```ts
 * drawTargets(0, 'clip-17', { timestampProbability: 0.5 }); // { keepTimestamps: …, usePrompt: … }
 * ```
 */
export function drawTargets(
  seed: number,
  exampleId: string,
  probabilities: TargetProbabilities = {},
): TargetDraws {
  const pTimestamps = probabilities.timestampProbability ?? 0.2;
  const pPrompt = probabilities.conditionOnPrevProbability ?? 0.2;
  checkProbability(pTimestamps, 'timestampProbability');
  checkProbability(pPrompt, 'conditionOnPrevProbability');
  const rng = SeededRandom.fromKey('targets', seed, exampleId);
  const u1 = rng.nextFloat();
  const u2 = rng.nextFloat();
  return { keepTimestamps: u1 < pTimestamps, usePrompt: u2 < pPrompt };
}

/** Options of {@link buildLabels}. */
export interface BuildLabelsOptions {
  /**
   * Keep a stored prompt's leading `<|startofprev|>` and prepend another, as the reference does.
   * Default false: one `<|startofprev|>` (see {@link buildLabels}).
   */
  readonly keepStoredStartOfPrev?: boolean;
}

/** Python's `list[start:]` for a possibly negative start. */
function pySliceFrom<T>(xs: readonly T[], start: number): T[] {
  return xs.slice(start < 0 ? Math.max(0, xs.length + start) : Math.min(start, xs.length));
}

/**
 * The label sequence (`labels_full`, before the shift) of one example, exactly as the reference's
 * `prepare_train_dataset` builds it:
 *
 * 1. `ids` holds timestamp tokens and `draws.keepTimestamps` is false: every id ≥
 *    `<|notimestamps|>` is dropped and `<|notimestamps|>` inserted at `timestampPosition`.
 * 2. `prompt` is given and `draws.usePrompt` is true: timestamps are dropped from the prompt too
 *    when step 1 dropped them; a prompt longer than `maxLabelLength / 2` (224) keeps its last
 *    `maxLabelLength / 2 − 1` (223) ids; when `len(prompt) + len(ids) + 1 > maxLabelLength` the
 *    prompt is cut with the reference's `prompt[len(ids) − maxLabelLength + 1:]` (Python slice
 *    semantics: for `len(ids) < 447` this keeps the last `447 − len(ids)` ids; for longer `ids`
 *    the result stays too long and the length filter drops the example, as in the reference);
 *    then `[<|startofprev|>] + prompt + ids`.
 *
 * Deviation (documented, WAVE2 A4 quirk): a stored prompt already starts with `<|startofprev|>`
 * (run_pseudo_labelling.py stores `[<|startofprev|>] + ids`); the reference prepends a second
 * one, this function does not — the stored leading `<|startofprev|>` is removed before step 2,
 * which gives the reference's sequence with the doubled token collapsed (when the cut-offs of
 * step 2 remove the stored token, both agree exactly). `options.keepStoredStartOfPrev: true`
 * reproduces the reference (used by the parity test).
 *
 * Length filtering is not done here; see {@link prepareTrainingExamples}.
 *
 * @param ids the tokenised label (`<|startoftranscript|>` … `<|endoftext|>`)
 * @param prompt the stored previous-pack ids, or null for none
 * @param options `keepStoredStartOfPrev` (default false): see the deviation above
 *
 * @example
 * ```ts
 * const full = buildLabels(ids, prompt, drawTargets(seed, id), layout);
 * ```
 */
export function buildLabels(
  ids: readonly number[],
  prompt: readonly number[] | null,
  draws: TargetDraws,
  layout: TargetLayout,
  options: BuildLabelsOptions = {},
): number[] {
  const { special, timestampPosition, maxLabelLength } = layout;
  let labels = [...ids];
  const hasTimestamps = labels.some(
    (id) => id >= special.timestampBegin && id <= special.timestampBegin + 1500,
  );
  const dropTimestamps = hasTimestamps && !draws.keepTimestamps;
  if (dropTimestamps) {
    labels = labels.filter((id) => id < special.noTimestamps);
    // Python's list.insert clamps an index past the end to an append.
    labels.splice(Math.min(timestampPosition, labels.length), 0, special.noTimestamps);
  }
  if (prompt === null || !draws.usePrompt) return labels;

  let prev =
    prompt[0] === special.startOfPrev && !options.keepStoredStartOfPrev
      ? prompt.slice(1)
      : [...prompt];
  if (dropTimestamps) prev = prev.filter((id) => id < special.noTimestamps);
  const cutoff = Math.floor(maxLabelLength / 2);
  if (prev.length > cutoff) prev = pySliceFrom(prev, -cutoff + 1);
  if (prev.length + labels.length + 1 > maxLabelLength)
    prev = pySliceFrom(prev, labels.length - maxLabelLength + 1);
  return [special.startOfPrev, ...prev, ...labels];
}
