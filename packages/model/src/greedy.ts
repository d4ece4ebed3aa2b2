// A minimal greedy loop: the reference behaviour the parity tests check. Full generation
// (processors, beams, sampling, timestamps) lives in the `distil-whisper` package.
import type { EncoderOutput } from './encoder-output';
import type { WhisperModel } from './model';

/** Options of {@link greedyDecode}. */
export interface GreedyDecodeOptions {
  /** Prompt fed first (e.g. `[sot, lang, task, notimestamps]`). */
  prompt: readonly number[];
  /** Tokens to generate at most. Default: 32. */
  maxNewTokens?: number;
  /** Stop when this id is produced (it is included in the output). Default: the generation config's eos. */
  eosTokenId?: number | null;
  /** Ids set to −∞ before every argmax (transformers' SuppressTokensLogitsProcessor). Default: none. */
  suppressTokens?: readonly number[];
  /** Ids set to −∞ at the first generated step only (SuppressTokensAtBeginLogitsProcessor). Default: none. */
  beginSuppressTokens?: readonly number[];
}

/**
 * Greedy decoding of one encoded window: argmax of the (optionally suppressed) logits, one token
 * at a time, with the KV cache. Returns the generated ids (prompt excluded).
 *
 * @example
 * ```ts
 * const enc = model.encode(features);
 * const ids = greedyDecode(model, enc, { prompt: [50258, 50259, 50359, 50363], maxNewTokens: 32 });
 * ```
 */
export function greedyDecode(
  model: WhisperModel,
  encoderOutput: EncoderOutput,
  options: GreedyDecodeOptions,
): number[] {
  const maxNew = options.maxNewTokens ?? 32;
  const eos =
    options.eosTokenId === undefined ? model.generationConfig.eosTokenId : options.eosTokenId;
  const state = model.createDecoderState(encoderOutput);
  try {
    const out: number[] = [];
    let feed: number[] = [...options.prompt];
    const budget = Math.min(maxNew, state.maxLength - feed.length);
    for (let step = 0; step < budget; step++) {
      const { logits, vocabSize } = model.decode(state, [feed]);
      for (const t of options.suppressTokens ?? [])
        if (t >= 0 && t < vocabSize) logits[t] = -Infinity;
      if (step === 0)
        for (const t of options.beginSuppressTokens ?? [])
          if (t >= 0 && t < vocabSize) logits[t] = -Infinity;
      let best = 0;
      for (let i = 1; i < vocabSize; i++) if (logits[i]! > logits[best]!) best = i;
      out.push(best);
      if (best === eos) break;
      feed = [best];
    }
    return out;
  } finally {
    state.dispose();
  }
}
