// Binds a WhisperModel's encoder to the long-form loop: each batch of windows is encoded once and
// decoded through whisperGenerationModel, then released.
import type { WhisperModel } from '../model';
import { whisperGenerationModel } from '../generation/whisper-adapter';
import type { EncodedWindows, WindowEncoder } from './types';

/**
 * The {@link WindowEncoder} of a loaded model: `encode` runs the encoder on a batch of windows and
 * returns sessions over them (the caller disposes them after decoding).
 *
 * @example
 * ```ts
 * const encoder = whisperWindowEncoder(model);
 * const results = await transcribeLong(encoder, model.generationConfig, sources);
 * ```
 */
export function whisperWindowEncoder(model: WhisperModel): WindowEncoder {
  return {
    numMelBins: model.config.numMelBins,
    framesPerWindow: model.framesPerWindow,
    encode(features, batch): EncodedWindows {
      const encoderOutput = model.encode(features, batch);
      return {
        model: whisperGenerationModel(model, encoderOutput),
        encoderOutput,
        dispose: () => encoderOutput.dispose(),
      };
    },
  };
}
