// Binds WhisperModel's decoder (KV-cached DecoderState) to the GenerationModel interface.
import type { EncoderOutput } from '../encoder-output';
import type { WhisperModel } from '../model';
import type { SyncRewindableSession } from './speculative-types';
import type { SyncDecoderSession } from './token-loop';
import type { GenerationModel } from './types';

/**
 * A synchronous decoder session over encoded windows: one row per entry of `audioIndex`, row `r`
 * cross-attending to window `audioIndex[r]`. Returned logit rows are views of one buffer per call.
 * It is rewindable (several positions per call, `rewind`), as speculative decoding needs.
 */
export function whisperSession(
  model: WhisperModel,
  encoderOutput: EncoderOutput,
  audioIndex: readonly number[],
): SyncDecoderSession & SyncRewindableSession {
  const state = model.createDecoderState(encoderOutput, { rows: audioIndex });
  return {
    decode(tokens) {
      const out = model.decode(state, tokens);
      const v = out.vocabSize;
      return Array.from({ length: out.batch }, (_, r) => out.logits.subarray(r * v, (r + 1) * v));
    },
    get length() {
      return state.length;
    },
    decodeAll(tokens) {
      const out = model.decode(state, tokens, { logits: 'all' });
      const { vocabSize: v, positions: n } = out;
      return Array.from({ length: out.batch }, (_, r) =>
        Array.from({ length: n }, (_, i) =>
          out.logits.subarray((r * n + i) * v, (r * n + i + 1) * v),
        ),
      );
    },
    rewind(length) {
      state.rewind(length);
    },
    reorder(indices) {
      state.reorder(indices);
    },
    dispose() {
      state.dispose();
    },
  };
}

/**
 * A {@link GenerationModel} over encoded windows of a {@link WhisperModel}. The encoder output
 * stays owned by the caller (dispose it after generation).
 *
 * @example
 * ```ts
 * const enc = model.encode(features, 2);
 * try { const results = await generate(whisperGenerationModel(model, enc), model.generationConfig, { language: 'en' }); }
 * finally { enc.dispose(); }
 * ```
 */
export function whisperGenerationModel(
  model: WhisperModel,
  encoderOutput: EncoderOutput,
): GenerationModel {
  return {
    vocabSize: model.vocabSize,
    maxTargetPositions: model.config.maxTargetPositions,
    batchSize: encoderOutput.batch,
    startSession: (audioIndex) => whisperSession(model, encoderOutput, audioIndex),
  };
}
