// The pipeline's speculative-decoding assistant: loaded beside the main model, checked against it
// once (vocabulary, mel bins, device; the encoder hashed to know whether it can be shared), and
// bound to each request's encoded windows.
import {
  checkAssistantModel,
  encodeWithAssistant,
  sharesEncoder,
  whisperGenerationModel,
  WhisperModel,
  type AssistantOptions,
  type GenerationModel,
} from '@distil-whisper/model';

import type { PipelineOptions } from './types';

/**
 * Loads the assistant checkpoint in `dir` on the main model's device and activation dtype, checks
 * that it can draft for `main` and hashes both encoders (so each request knows at once whether
 * the encoder runs once or twice).
 *
 * @throws `GenerationError` `ASSISTANT_INCOMPATIBLE`; `CheckpointError` for an unreadable directory
 */
export function loadAssistant(
  main: WhisperModel,
  dir: string,
  options: Pick<PipelineOptions, 'device' | 'activationDtype' | 'computeType'>,
): WhisperModel {
  const assistant = WhisperModel.load(dir, {
    ...(options.device ? { device: options.device } : {}),
    ...(options.activationDtype ? { activationDtype: options.activationDtype } : {}),
    ...(options.computeType ? { computeType: options.computeType } : {}),
  });
  try {
    checkAssistantModel(main, assistant);
    sharesEncoder(main, assistant);
    return assistant;
  } catch (e) {
    assistant.dispose();
    throw e;
  }
}

/** What generate() decodes one request with: the main model's windows and, when loaded, the assistant's. */
export interface EncodedRequest {
  /** The main model over the encoded windows. */
  model: GenerationModel;
  /** generate()'s `assistant` option, when an assistant is loaded. */
  assistant: AssistantOptions | undefined;
  /** Releases the encoder output(s). */
  dispose(): void;
}

/**
 * Encodes `features` (`batch` windows) for the main model and, when there is one, its assistant
 * (once when the assistant shares the encoder).
 */
export function encodeRequest(
  main: WhisperModel,
  assistant: WhisperModel | null,
  features: Float32Array,
  batch = 1,
): EncodedRequest {
  if (!assistant) {
    const enc = main.encode(features, batch);
    return {
      model: whisperGenerationModel(main, enc),
      assistant: undefined,
      dispose: () => enc.dispose(),
    };
  }
  const enc = encodeWithAssistant(main, assistant, features, batch);
  return {
    model: whisperGenerationModel(main, enc.main),
    assistant: { model: whisperGenerationModel(assistant, enc.assistant) },
    dispose: () => enc.dispose(),
  };
}
