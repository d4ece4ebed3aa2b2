// The alignment pass over one decoded window (openai/whisper timing.find_alignment): the decoder
// re-reads `<|startoftranscript|>[lang][task] <|notimestamps|> text… <|endoftext|>` in one call,
// returning the cross-attention of the alignment heads and the probability of every text token.
//
// transformers records the attention during generation instead. A separate pass is one batched
// decoder call per window (a fraction of generation's cost) and works the same after greedy,
// beam, sampled, speculative or chunked decoding, with no per-step bookkeeping of beams; it is
// also exactly the input openai/whisper aligns, the reference the word times are checked against.

import type { EncoderOutput } from '../encoder-output';
import type { WhisperModel } from '../model';
import type { AlignmentAttention } from './alignment-matrix';
import { resolveAlignmentHeads, type ResolvedAlignmentHeads } from './alignment-heads';
import { AlignmentError } from './errors';

/** What to align in one window. */
export interface AlignmentPassInput {
  /** `<|startoftranscript|>` and, on multilingual models, the language and task tokens (no prompt, no `<|notimestamps|>`). */
  sotSequence: readonly number[];
  /** The window's text tokens (timestamps and other specials removed). */
  textTokens: readonly number[];
  /** Window of `encoderOutput` the text belongs to. Default 0. */
  window?: number;
  /** Alignment heads. Default: {@link resolveAlignmentHeads} of the model's generation config. */
  heads?: ReadonlyArray<readonly [number, number]>;
}

/** Output of {@link runAlignmentPass}. */
export interface AlignmentPassOutput {
  /**
   * Cross-attention of the heads over every position of the pass: rows = sot sequence,
   * `<|notimestamps|>`, the n text tokens, end of text.
   */
  attention: AlignmentAttention;
  /** Row that predicts text token 0 (the `<|notimestamps|>` row); rows `first … first + n` are aligned. */
  firstTextRow: number;
  /** Probability of each text token, softmax over the text vocabulary (ids below end of text). */
  tokenProbabilities: Float64Array;
  /** The heads used and where they came from. */
  heads: ResolvedAlignmentHeads;
}

/**
 * Runs the alignment pass of one window on `model` (synchronous native work).
 *
 * @throws {@link AlignmentError} `INVALID_INPUT` when the sequence does not fit the decoder or the
 *   generation config lacks `no_timestamps_token_id` / `eos_token_id`
 *
 * @example
 * ```ts
 * const pass = runAlignmentPass(model, enc, { sotSequence: [50258, 50259, 50359], textTokens });
 * ```
 */
export function runAlignmentPass(
  model: WhisperModel,
  encoderOutput: EncoderOutput,
  input: AlignmentPassInput,
): AlignmentPassOutput {
  const gen = model.generationConfig;
  const eot = gen.eosTokenId;
  const noTimestamps = gen.noTimestampsTokenId;
  if (eot === null || noTimestamps === null)
    throw new AlignmentError(
      'INVALID_INPUT',
      'word alignment needs eos_token_id and no_timestamps_token_id in the generation config',
    );
  const { config } = model;
  const heads = input.heads
    ? resolveAlignmentHeads(config.decoderLayers, config.decoderAttentionHeads, input.heads)
    : resolveAlignmentHeads(config.decoderLayers, config.decoderAttentionHeads, gen.alignmentHeads);
  const text = [...input.textTokens];
  if (text.some((t) => !Number.isInteger(t) || t < 0 || t >= eot))
    throw new AlignmentError(
      'INVALID_INPUT',
      'textTokens must hold text tokens only (ids below end of text)',
    );
  const sequence = [...input.sotSequence, noTimestamps, ...text, eot];
  if (sequence.length > config.maxTargetPositions)
    throw new AlignmentError(
      'INVALID_INPUT',
      `${text.length} text tokens with a ${input.sotSequence.length}-token start sequence exceed the decoder's ${config.maxTargetPositions} positions`,
    );
  const layers = [...new Set(heads.heads.map(([l]) => l))];
  const state = model.createDecoderState(encoderOutput, {
    rows: [input.window ?? 0],
    maxLength: sequence.length,
  });
  let out;
  try {
    out = model.decode(state, [sequence], { logits: 'all', outputCrossAttentions: layers });
  } finally {
    state.dispose();
  }
  const rows = sequence.length;
  const cross = out.crossAttentions ?? [];
  const frames = cross[layers[0]!]?.shape[3] ?? 0;
  const data = new Float32Array(heads.heads.length * rows * frames);
  heads.heads.forEach(([l, h], i) => {
    const w = cross[l];
    if (!w)
      throw new AlignmentError('INVALID_INPUT', `decoder layer ${l} returned no cross-attention`);
    // One row of the batch: `[1, heads, rows, frames]`, so head h starts at h · rows · frames.
    const from = h * rows * frames;
    data.set(w.data.subarray(from, from + rows * frames), i * rows * frames);
  });

  const firstTextRow = input.sotSequence.length;
  const tokenProbabilities = new Float64Array(text.length);
  const v = out.vocabSize;
  text.forEach((token, k) => {
    const row = out.logits.subarray((firstTextRow + k) * v, (firstTextRow + k) * v + eot);
    let max = -Infinity;
    for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
    let sum = 0;
    for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
    tokenProbabilities[k] = Math.exp(row[token]! - max) / sum;
  });
  return {
    attention: { data, heads: heads.heads.length, rows, frames },
    firstTextRow,
    tokenProbabilities,
    heads,
  };
}
