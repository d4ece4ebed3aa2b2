// Label collation: pad, shift, mask — distil-whisper's DataCollatorSpeechSeq2SeqWithPadding
// (run_distillation.py; WAVE2 A5), except that rows are padded to the batch's longest sequence
// instead of max_length 448 (see collateLabels).
import { DistillError } from '../errors.js';

/** Value of a label position that is not scored (PyTorch's `ignore_index`). */
export const IGNORE_INDEX = -100;

/** Ids {@link collateLabels} needs. */
export interface CollateIds {
  /** `<|startoftranscript|>` (`decoder_start_token_id`): the prompt mask ends after it. */
  readonly sot: number;
  /** Pad id of the decoder inputs (the config's `pad_token_id`, `<|endoftext|>` for Whisper). */
  readonly pad: number;
}

/** A collated batch of label sequences, row-major `[batchSize, length]`. */
export interface CollatedLabels {
  /** `labels_full[:, :-1]`, padded with the pad id. */
  readonly decoderInputIds: Int32Array;
  /**
   * `labels_full[:, 1:]`, with {@link IGNORE_INDEX} at padding, at the prompt and at the
   * `<|startoftranscript|>` target of prompted rows.
   */
  readonly labels: Int32Array;
  readonly batchSize: number;
  /** Positions per row: the longest sequence's length minus one. */
  readonly length: number;
  /** Label positions that are scored (≠ {@link IGNORE_INDEX}): the loss's divisor `n`. */
  readonly labelTokens: number;
}

/**
 * Collates label sequences (`labels_full`, e.g. {@link TrainingExample.labels}) exactly as the
 * reference collator does, row by row:
 *
 * - pad every row with `pad` to the batch's longest sequence `L`;
 * - `decoderInputIds = full[:, :-1]`, `labels = full[:, 1:]` (both `[B, L − 1]`);
 * - label positions past a row's real length → −100 (by length, so a real `<|endoftext|>` that
 *   equals the pad id stays scored);
 * - prompt mask: `bos = argmax(labels_row == sot)` (0 when absent); `if bos > 0: bos += 1`;
 *   `labels_row[:bos] = −100` — a prompted row's `<|startofprev|>` prompt and its
 *   `<|startoftranscript|>` target are not scored. Quirk kept from the reference: an empty prompt
 *   (`[<|startofprev|>, <|startoftranscript|>, …]`) puts SOT at index 0, so its SOT target stays
 *   scored.
 *
 * Padding to the batch's longest row instead of the reference's 448 changes nothing the model
 * computes: the positions cut off are padding after every row's last real token, whose labels
 * are −100, and under causal self-attention no real position attends to a later one. It only
 * saves the work on those positions.
 *
 * @throws {@link DistillError} `INVALID_ARGUMENT` for an empty batch or an empty row.
 *
 * @example
 * ```ts
 * const batch = collateLabels([ex1.labels, ex2.labels], { sot: 50258, pad: 50257 });
 * batch.labels; // Int32Array [B × (longest − 1)], −100 where unscored
 * ```
 */
export function collateLabels(
  rows: readonly (readonly number[])[],
  ids: CollateIds,
): CollatedLabels {
  const batchSize = rows.length;
  if (batchSize === 0) throw new DistillError('INVALID_ARGUMENT', 'cannot collate an empty batch');
  let longest = 0;
  rows.forEach((row, r) => {
    if (row.length === 0)
      throw new DistillError('INVALID_ARGUMENT', `row ${r} of the batch has no tokens`);
    longest = Math.max(longest, row.length);
  });
  const length = longest - 1;
  const decoderInputIds = new Int32Array(batchSize * length).fill(ids.pad);
  const labels = new Int32Array(batchSize * length).fill(IGNORE_INDEX);
  let labelTokens = 0;
  for (let r = 0; r < batchSize; r++) {
    const row = rows[r]!;
    const base = r * length;
    for (let i = 0; i < row.length - 1; i++) decoderInputIds[base + i] = row[i]!;
    // Real label positions are 0 … row.length − 2 (the shift drops the first token).
    const real = row.length - 1;
    let bos = 0;
    for (let i = 0; i < real; i++) {
      if (row[i + 1] === ids.sot) {
        bos = i;
        break;
      }
    }
    if (bos > 0) bos += 1;
    for (let i = Math.min(bos, real); i < real; i++) labels[base + i] = row[i + 1]!;
    labelTokens += Math.max(0, real - bos);
  }
  return { decoderInputIds, labels, batchSize, length, labelTokens };
}
