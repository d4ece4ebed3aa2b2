// Greedy decoding of one window from a raw prompt, synchronously: the token loop of generate()
// with the argmax choice and only the suppress processors, for parity checks and benchmarks that
// need neither prefix planning nor fallback.
import type { EncoderOutput } from '../encoder-output';
import { ModelError } from '../errors';
import type { WhisperModel } from '../model';
import { argmaxChoice } from './token-choice';
import { tokenSearchSync } from './token-loop';
import { whisperSession } from './whisper-adapter';

/** Options of {@link greedyDecode}. */
export interface GreedyDecodeOptions {
  /** Prompt fed first (e.g. `[sot, lang, task, notimestamps]`). */
  prompt: readonly number[];
  /** Tokens to generate at most. Default: 32. */
  maxNewTokens?: number;
  /** Stop when this id is produced (it is included in the output). Default: the generation config's eos; null never stops early. */
  eosTokenId?: number | null;
  /** Ids set to −∞ before every argmax (transformers' SuppressTokensLogitsProcessor). Default: none. */
  suppressTokens?: readonly number[];
  /** Ids set to −∞ at the first generated step only (SuppressTokensAtBeginLogitsProcessor). Default: none. */
  beginSuppressTokens?: readonly number[];
}

/**
 * Greedy decoding of one encoded window: argmax of the (optionally suppressed) logits, one token
 * at a time, with the KV cache. Returns the generated ids (prompt excluded). Synchronous; for
 * transformers' full `generate()` (forced prefix, timestamps, beams, fallback) use {@link generate}.
 *
 * @throws {@link ModelError} `INVALID_ARGUMENT` when `encoderOutput` holds more than one window
 *   or the prompt is empty; `SEQUENCE_TOO_LONG` when the prompt exceeds the decoder's positions.
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
  if (encoderOutput.batch !== 1)
    throw new ModelError(
      'INVALID_ARGUMENT',
      `greedyDecode decodes one window; the encoder output holds ${encoderOutput.batch}`,
    );
  const session = whisperSession(model, encoderOutput, [0]);
  try {
    const prompt = [...options.prompt];
    const maxLength = Math.min(prompt.length + maxNew, model.config.maxTargetPositions);
    if (maxLength <= prompt.length) return [];
    const [out] = tokenSearchSync(
      session,
      session.decode([prompt]),
      {
        processors: {
          suppressTokens: options.suppressTokens ?? [],
          beginSuppressTokens: options.beginSuppressTokens ?? [],
          timestamps: null,
        },
        // No token id is negative, so -1 never ends a row.
        eosTokenId: eos ?? -1,
        maxLength,
        prefixLength: prompt.length,
      },
      argmaxChoice,
    );
    return out!.tokens;
  } finally {
    session.dispose();
  }
}
