// Encoding for a main model and its speculative-decoding assistant: when the assistant's encoder
// is the main model's (a student made by create-student copies it byte for byte; a decoder-only
// WhisperForCausalLM assistant has none), the encoder runs once and both decoders read its
// output; otherwise each model encodes the same features.
import { createHash } from 'node:crypto';

import type { EncoderOutput } from '../encoder-output';
import type { WhisperModel } from '../model';
import { GenerationError } from './errors';

const ENCODER_PREFIX = 'model.encoder.';
const fingerprints = new WeakMap<WhisperModel, string | null>();

/**
 * SHA-256 over the encoder's tensors as loaded (names, dtypes, shapes and bytes, in name order),
 * or null for a decoder-only checkpoint. Computed once per model (it reads every encoder weight
 * back from native memory).
 */
export function encoderFingerprint(model: WhisperModel): string | null {
  const cached = fingerprints.get(model);
  if (cached !== undefined) return cached;
  let result: string | null = null;
  if (model.kind !== 'decoder-only') {
    const h = createHash('sha256');
    const names = [...model.tensors.keys()].filter((n) => n.startsWith(ENCODER_PREFIX)).sort();
    for (const name of names) {
      const t = model.tensors.get(name)!;
      h.update(`${name}\0${t.dtype}\0${t.shape.join(',')}\0`);
      const data = t.toArray();
      h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    result = h.digest('hex');
  }
  fingerprints.set(model, result);
  return result;
}

/**
 * True when `assistant` can decode against `main`'s encoder output: it is decoder-only, or its
 * encoder weights are byte-identical to `main`'s (see {@link encoderFingerprint}) and it computes
 * in the same activation dtype.
 */
export function sharesEncoder(main: WhisperModel, assistant: WhisperModel): boolean {
  if (assistant.kind === 'decoder-only') return true;
  if (assistant.activationDtype !== main.activationDtype || assistant.device !== main.device)
    return false;
  return encoderFingerprint(assistant) === encoderFingerprint(main);
}

/**
 * Checks that `assistant` can draft for `main`: same vocabulary and mel bins, same device, and a
 * decoder-only assistant as wide as `main`'s encoder output.
 *
 * @throws {@link GenerationError} `ASSISTANT_INCOMPATIBLE`
 */
export function checkAssistantModel(main: WhisperModel, assistant: WhisperModel): void {
  const problems: string[] = [];
  if (assistant.vocabSize !== main.vocabSize)
    problems.push(`vocabulary ${assistant.vocabSize} vs ${main.vocabSize} tokens`);
  if (assistant.config.numMelBins !== main.config.numMelBins)
    problems.push(`${assistant.config.numMelBins} vs ${main.config.numMelBins} mel bins`);
  if (assistant.device !== main.device)
    problems.push(`device ${assistant.device} vs ${main.device}`);
  if (assistant.kind === 'decoder-only' && assistant.dModel !== main.dModel)
    problems.push(
      `a decoder-only assistant reads the main model's encoder output: d_model ${assistant.dModel} vs ${main.dModel}`,
    );
  if (problems.length > 0)
    throw new GenerationError(
      'ASSISTANT_INCOMPATIBLE',
      `the assistant cannot draft for this model: ${problems.join('; ')}`,
    );
}

/** The encoder outputs a main model and its assistant decode against. */
export interface AssistedEncoding {
  /** The main model's encoder output. */
  readonly main: EncoderOutput;
  /** The assistant's: the same object as {@link AssistedEncoding.main} when {@link shared}. */
  readonly assistant: EncoderOutput;
  /** True when the encoder ran once for both. */
  readonly shared: boolean;
  /** Releases both outputs (once when shared). */
  dispose(): void;
}

/**
 * Encodes `features` for a main model and its assistant: once when the assistant shares the main
 * model's encoder ({@link sharesEncoder}), else once per model.
 *
 * @param features log-mel `[batch, numMelBins, frames]` (as {@link WhisperModel.encode} takes them)
 * @throws {@link GenerationError} `ASSISTANT_INCOMPATIBLE` (see {@link checkAssistantModel})
 *
 * @example
 * ```ts
 * const enc = encodeWithAssistant(teacher, student, features, 1);
 * try {
 *   const [r] = await generate(whisperGenerationModel(teacher, enc.main), teacher.generationConfig, {
 *     assistant: { model: whisperGenerationModel(student, enc.assistant) },
 *   });
 * } finally {
 *   enc.dispose();
 * }
 * ```
 */
export function encodeWithAssistant(
  main: WhisperModel,
  assistant: WhisperModel,
  features: Float32Array,
  batch = 1,
): AssistedEncoding {
  checkAssistantModel(main, assistant);
  const mainOut = main.encode(features, batch);
  if (sharesEncoder(main, assistant))
    return { main: mainOut, assistant: mainOut, shared: true, dispose: () => mainOut.dispose() };
  let assistantOut: EncoderOutput;
  try {
    assistantOut = assistant.encode(features, batch);
  } catch (e) {
    mainOut.dispose();
    throw e;
  }
  return {
    main: mainOut,
    assistant: assistantOut,
    shared: false,
    dispose: () => {
      mainOut.dispose();
      assistantOut.dispose();
    },
  };
}
