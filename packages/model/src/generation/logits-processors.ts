// Whisper's logits processors, in the order transformers applies them for Whisper
// (WhisperGenerationMixin._retrieve_logit_processors): begin-suppress, suppress, timestamp rules.
// Each works in place on one row and sees the row's generated tokens (after the prefix).
import { logSumExp, maxOf, topK } from './math';

/** Token ids the timestamp rules need. */
export interface TimestampRuleIds {
  /** `<|notimestamps|>`; the first timestamp `<|0.00|>` is this + 1. */
  noTimestamps: number;
  /** `<|endoftext|>`: ids below it are "text" for the pairing rule. */
  eos: number;
  /** Largest index (from `<|0.00|>`) of the first timestamp, or null for no limit. */
  maxInitialTimestampIndex: number | null;
}

/** Settings of {@link processLogits}. */
export interface ProcessorSettings {
  suppressTokens: readonly number[];
  beginSuppressTokens: readonly number[];
  /** Timestamp rules, or null when timestamps are not requested. */
  timestamps: TimestampRuleIds | null;
}

/** Sets `row[id] = −∞` for every id in range. */
export function suppress(row: Float32Array, ids: readonly number[]): void {
  for (const id of ids) if (id >= 0 && id < row.length) row[id] = -Infinity;
}

/**
 * Whisper's timestamp rules (transformers' WhisperTimeStampLogitsProcessor, from openai/whisper's
 * ApplyTimestampRules): `<|notimestamps|>` is never sampled; timestamps come in pairs except just
 * before end of text; they never decrease (and a pair's second may not repeat after a closed pair);
 * the first token is a timestamp no later than `maxInitialTimestampIndex`; and when the total
 * probability of all timestamps beats every single text token, a timestamp must be chosen.
 *
 * @param generated tokens generated so far for this row (prefix excluded)
 */
export function applyTimestampRules(
  row: Float32Array,
  generated: readonly number[],
  ids: TimestampRuleIds,
): void {
  const begin = ids.noTimestamps + 1;
  const n = row.length;
  row[ids.noTimestamps] = -Infinity;
  const len = generated.length;
  const lastWasTimestamp = len >= 1 && (generated[len - 1] as number) >= begin;
  const penultimateWasTimestamp = len < 2 || (generated[len - 2] as number) >= begin;
  if (lastWasTimestamp) {
    // A closed pair must be followed by text; an open one must be closed (or end the text).
    if (penultimateWasTimestamp) row.fill(-Infinity, begin, n);
    else row.fill(-Infinity, 0, ids.eos);
  }
  let lastTimestamp = -1;
  for (let i = len - 1; i >= 0; i--) {
    if ((generated[i] as number) >= begin) {
      lastTimestamp = generated[i] as number;
      break;
    }
  }
  if (lastTimestamp >= 0) {
    // Inside an open pair the closing timestamp may equal the opening one; otherwise it must grow.
    const firstAllowed =
      lastWasTimestamp && !penultimateWasTimestamp ? lastTimestamp : lastTimestamp + 1;
    row.fill(-Infinity, begin, Math.min(firstAllowed, n));
  }
  if (len === 0) {
    row.fill(-Infinity, 0, begin);
    if (ids.maxInitialTimestampIndex !== null) {
      const lastAllowed = begin + ids.maxInitialTimestampIndex;
      if (lastAllowed + 1 < n) row.fill(-Infinity, lastAllowed + 1, n);
    }
  }
  // Compare log Σ p(timestamps) with max p(text) on the log-softmax of the processed row; the
  // normaliser cancels, so raw values suffice.
  const timestampMass = logSumExp(row, begin, n);
  const maxText = maxOf(row, 0, begin);
  if (timestampMass > maxText) row.fill(-Infinity, 0, begin);
}

/**
 * Applies begin-suppression (first generated step only), suppression and, when enabled, the
 * timestamp rules to one row in place.
 */
export function processLogits(
  row: Float32Array,
  generated: readonly number[],
  settings: ProcessorSettings,
): void {
  if (generated.length === 0) suppress(row, settings.beginSuppressTokens);
  suppress(row, settings.suppressTokens);
  if (settings.timestamps !== null) applyTimestampRules(row, generated, settings.timestamps);
}

/** transformers' TemperatureLogitsWarper followed by TopKLogitsWarper (top_k 0 disables it). */
export function warpForSampling(row: Float32Array, temperature: number, k: number): void {
  if (temperature !== 1)
    for (let i = 0; i < row.length; i++) row[i] = (row[i] as number) / temperature;
  if (k > 0 && k < row.length) {
    // Threshold = the k-th largest value; ties at the threshold survive, as in transformers.
    const threshold = topK(row, k).values[k - 1] as number;
    for (let i = 0; i < row.length; i++) if ((row[i] as number) < threshold) row[i] = -Infinity;
  }
}
