// The per-window quality measures of the temperature fallback (transformers'
// WhisperGenerationMixin._retrieve_compression_ratio / _retrieve_avg_logprobs / _need_fallback).
import { deflateSync } from 'node:zlib';

/**
 * zlib compression ratio of the token ids, each written little-endian in the fewest whole bytes
 * that hold `vocabSize` ids (2 for Whisper) — transformers measures tokens, not decoded text.
 * High ratios (> 2.4) flag repetition loops.
 */
export function tokenCompressionRatio(tokens: readonly number[], vocabSize: number): number {
  const width = Math.floor(Math.log2(vocabSize) / 8) + 1;
  const bytes = Buffer.alloc(tokens.length * width);
  tokens.forEach((t, i) => {
    let v = t;
    for (let b = 0; b < width; b++) {
      bytes[i * width + b] = v & 0xff;
      v = Math.floor(v / 256);
    }
  });
  return bytes.length / deflateSync(bytes).length;
}

/**
 * zlib compression ratio of decoded text (openai/whisper's measure), for callers that prefer it.
 */
export function textCompressionRatio(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return 0;
  return bytes.length / deflateSync(bytes).length;
}

/** Thresholds of the fallback decision; null disables a check. */
export interface FallbackThresholds {
  compressionRatioThreshold: number | null;
  logprobThreshold: number | null;
  noSpeechThreshold: number | null;
}

/** Outcome of {@link needsFallback}. */
export interface FallbackDecision {
  /** Decode again at the next temperature. */
  fallback: boolean;
  /** The window is silence: drop its text. */
  skip: boolean;
}

/**
 * transformers' rule: fall back when the compression ratio is above its threshold or the average
 * log-probability below its threshold; but when the average log-probability is low *and* the
 * no-speech probability is above its threshold, the window is silence: skip it, no fallback.
 */
export function needsFallback(
  measures: { compressionRatio: number; avgLogprob: number; noSpeechProb: number | null },
  t: FallbackThresholds,
): FallbackDecision {
  let fallback = false;
  let skip = false;
  if (
    t.compressionRatioThreshold !== null &&
    measures.compressionRatio > t.compressionRatioThreshold
  )
    fallback = true;
  const lowLogprob = t.logprobThreshold !== null && measures.avgLogprob < t.logprobThreshold;
  if (lowLogprob) fallback = true;
  if (
    t.noSpeechThreshold !== null &&
    lowLogprob &&
    measures.noSpeechProb !== null &&
    measures.noSpeechProb > t.noSpeechThreshold
  ) {
    fallback = false;
    skip = true;
  }
  return { fallback, skip };
}
