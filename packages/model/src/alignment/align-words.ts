// Word timestamps of one decoded window: the pure core (attention → words) and the whole step
// over a model (alignment pass → words → segments), for short-form, chunked and sequential
// decoding alike.

import type { EncoderOutput } from '../encoder-output';
import type { WhisperModel } from '../model';
import { alignmentMatrix, type AlignmentAttention } from './alignment-matrix';
import type { ResolvedAlignmentHeads } from './alignment-heads';
import { runAlignmentPass } from './alignment-pass';
import { AlignmentError } from './errors';
import {
  assignWordsToSegments,
  type AssignedWords,
  type AssignWordsOptions,
  type SegmentSpan,
} from './segment-words';
import { tokenStartTimes } from './token-times';
import { timeWords, type WordTiming, type WordTokens } from './words';

/** Inputs of {@link alignWords}. */
export interface AlignWordsInput {
  /** Cross-attention of the alignment heads over every row of the pass. */
  attention: AlignmentAttention;
  /** Row that predicts the first text token; the n + 1 rows from it are aligned (the last predicts end of text). */
  firstTextRow: number;
  /** Probability of each of the n text tokens. */
  tokenProbabilities: ArrayLike<number>;
  /** The n text tokens split into words (the tokenizer's `splitToWordTokens`). */
  split: WordTokens;
  /** Mel frames (10 ms) of real audio in the window; attention beyond `numFrames / 2` positions is padding. */
  numFrames: number;
  /** Median filter width. Default 7. */
  medianFilterWidth?: number;
  /** Re-normalise attention over the audio frames (openai/whisper) instead of cropping only (transformers). Default false. */
  renormalize?: boolean;
}

/**
 * Times the words of one window from the cross-attention of its alignment heads (pure, no model):
 * alignment matrix, DTW, token start times, words with the mean probability of their tokens.
 * Times are seconds from the window start, unrounded; no punctuation merging or heuristics yet
 * ({@link assignWordsToSegments} does those).
 *
 * @throws {@link AlignmentError} `INVALID_INPUT` when the sizes disagree
 *
 * @example
 * ```ts
 * const words = alignWords({ attention, firstTextRow: 3, tokenProbabilities, split, numFrames: 1100 });
 * ```
 */
export function alignWords(input: AlignWordsInput): WordTiming[] {
  const n = input.tokenProbabilities.length;
  if (n === 0) return [];
  if (!(input.numFrames >= 0))
    throw new AlignmentError('INVALID_INPUT', `numFrames must be >= 0, got ${input.numFrames}`);
  // At least one position, so a (degenerate) clip shorter than 20 ms still gets times (all 0).
  const cols = Math.min(input.attention.frames, Math.max(1, Math.floor(input.numFrames / 2)));
  const matrix = alignmentMatrix(input.attention, {
    audioFrames: cols,
    firstRow: input.firstTextRow,
    rowCount: n + 1,
    ...(input.medianFilterWidth !== undefined
      ? { medianFilterWidth: input.medianFilterWidth }
      : {}),
    ...(input.renormalize !== undefined ? { renormalize: input.renormalize } : {}),
  });
  return timeWords(input.split, tokenStartTimes(matrix, n + 1, cols), input.tokenProbabilities);
}

/** Options of {@link alignWindowWords}. */
export interface AlignWindowOptions extends Omit<AssignWordsOptions, 'eot'> {
  /** `<|startoftranscript|>` plus language and task tokens, as decoded (no prompt, no `<|notimestamps|>`). */
  sotSequence: readonly number[];
  /** The window's segments (times on the output timeline); their text tokens are aligned together. */
  segments: readonly SegmentSpan[];
  /** Mel frames of real audio in the window. */
  numFrames: number;
  /** Splits text tokens into words: the tokenizer's `splitToWordTokens(tokens, language)`. */
  splitWords: (tokens: readonly number[]) => WordTokens;
  /** Window of `encoderOutput`. Default 0. */
  window?: number;
  /** Alignment heads. Default: the generation config's, or the upper-half fallback. */
  heads?: ReadonlyArray<readonly [number, number]>;
  /** Median filter width. Default: the generation config's `median_filter_width`, else 7. */
  medianFilterWidth?: number;
  /** See {@link AlignWordsInput.renormalize}. Default false. */
  renormalize?: boolean;
}

/** Result of {@link alignWindowWords}. */
export interface WindowWords extends AssignedWords {
  /** The heads used (and whether the fallback was taken). */
  heads: ResolvedAlignmentHeads;
}

/**
 * Word timestamps of one decoded window: the alignment pass on `model` (one decoder call), the
 * words of the concatenated text tokens of `segments`, then {@link assignWordsToSegments}. Call it
 * once per window, passing the returned `lastSpeechTimestamp` to the next window.
 *
 * @example
 * ```ts
 * const { segments } = alignWindowWords(model, enc, {
 *   sotSequence: [50258, 50259, 50359],
 *   segments: result.segments,
 *   numFrames: Math.floor(samples.length / 160),
 *   splitWords: (t) => tokenizer.splitToWordTokens(t, 'en'),
 * });
 * ```
 */
export function alignWindowWords(
  model: WhisperModel,
  encoderOutput: EncoderOutput,
  options: AlignWindowOptions,
): WindowWords {
  const eot = model.generationConfig.eosTokenId;
  if (eot === null)
    throw new AlignmentError(
      'INVALID_INPUT',
      'word alignment needs eos_token_id in the generation config',
    );
  const textTokens = options.segments.flatMap((s) => s.tokens.filter((t) => t < eot));
  const pass = runAlignmentPass(model, encoderOutput, {
    sotSequence: options.sotSequence,
    textTokens,
    ...(options.window !== undefined ? { window: options.window } : {}),
    ...(options.heads !== undefined ? { heads: options.heads } : {}),
  });
  const words =
    textTokens.length === 0
      ? []
      : alignWords({
          attention: pass.attention,
          firstTextRow: pass.firstTextRow,
          tokenProbabilities: pass.tokenProbabilities,
          split: options.splitWords(textTokens),
          numFrames: options.numFrames,
          medianFilterWidth:
            options.medianFilterWidth ?? model.generationConfig.medianFilterWidth ?? 7,
          renormalize: options.renormalize ?? false,
        });
  const assigned = assignWordsToSegments(words, options.segments, {
    eot,
    ...(options.timeOffset !== undefined ? { timeOffset: options.timeOffset } : {}),
    ...(options.lastSpeechTimestamp !== undefined
      ? { lastSpeechTimestamp: options.lastSpeechTimestamp }
      : {}),
    ...(options.prependPunctuations !== undefined
      ? { prependPunctuations: options.prependPunctuations }
      : {}),
    ...(options.appendPunctuations !== undefined
      ? { appendPunctuations: options.appendPunctuations }
      : {}),
  });
  return { ...assigned, heads: pass.heads };
}
