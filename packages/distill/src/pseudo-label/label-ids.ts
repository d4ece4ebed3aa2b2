// What pseudo-labelling stores for one pack (run_pseudo_labelling.py, WAVE2 A2): the teacher's
// whole output — forced prefix included — as a string that keeps its special tokens, and, for the
// next pack of the same speaker, the same ids as a `<|startofprev|>` prompt.
import type { WhisperTokenizer } from '@distil-whisper/tokenizer';

/**
 * The label ids of one generation: `prefix + tokens` with every `<|endoftext|>` removed and exactly
 * one appended (the reference's `filter_eot_tokens`, which makes the stored length the true one).
 *
 * @example
 * ```ts
 * labelIds([50258, 50259, 50359, 50363], [440, 50257], 50257); // [50258, 50259, 50359, 50363, 440, 50257]
 * ```
 */
export function labelIds(
  prefix: readonly number[],
  tokens: readonly number[],
  eot: number,
): number[] {
  const ids = [...prefix, ...tokens].filter((t) => t !== eot);
  ids.push(eot);
  return ids;
}

/**
 * The stored pseudo-label: the ids decoded with special tokens kept
 * (`<|startoftranscript|><|en|><|transcribe|><|notimestamps|> Hello.<|endoftext|>`), timestamps
 * written as `<|t.tt|>` when `timestamps` (the reference's `decode_with_timestamps`).
 */
export function labelText(
  tokenizer: WhisperTokenizer,
  ids: readonly number[],
  timestamps: boolean,
): string {
  return timestamps ? tokenizer.decodeWithTimestamps(ids) : tokenizer.decode(ids);
}

/**
 * Where the text starts in a label: after `<|startoftranscript|><|lang|><|task|>` (3) on
 * multilingual models, after `<|startoftranscript|>` (1) on English-only ones.
 */
export function timestampPosition(tokenizer: WhisperTokenizer): number {
  return tokenizer.isMultilingual ? 3 : 1;
}

/**
 * The `condition_on_prev` a pack stores: the previous pack's label ids without `<|endoftext|>`, as
 * `[<|startofprev|>] + ids[timestampPosition:]`. As in the reference, the slice keeps
 * `<|notimestamps|>` when the label has one (the trainer drops it with the timestamps when it
 * drops them from the target).
 *
 * @example
 * ```ts
 * previousTextPrompt([50258, 50259, 50359, 50363, 440, 50257], tokenizer); // [50361, 50363, 440]
 * ```
 */
export function previousTextPrompt(
  previousLabelIds: readonly number[],
  tokenizer: WhisperTokenizer,
): number[] {
  const { eot, startOfPrev } = tokenizer.special;
  const ids = previousLabelIds.filter((t) => t !== eot);
  return [startOfPrev, ...ids.slice(timestampPosition(tokenizer))];
}
