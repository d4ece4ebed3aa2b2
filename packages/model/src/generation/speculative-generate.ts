// generate()'s side of speculative decoding: checks the assistant against the main model once per
// call, and runs one attempt's search with an assistant session on the same windows.
import { GenerationError } from './errors';
import { checkDraftLength } from './speculative-draft-length';
import { speculativeSearch } from './speculative-search';
import type { AssistantOptions } from './speculative-types';
import type { SeededRandom } from './rng';
import type { DecoderSession, GenerationModel, SearchOutput, SearchSettings } from './types';

/** An assistant checked against its main model. */
export interface CheckedAssistant {
  readonly options: AssistantOptions;
}

/**
 * Checks that `assistant` can draft for `model`: the same vocabulary (logit row length) and the
 * same audio windows, valid draft lengths.
 *
 * @throws {@link GenerationError} `ASSISTANT_INCOMPATIBLE` (vocabulary, windows), `INVALID_OPTION`
 *   (draft lengths, schedule)
 */
export function checkAssistant(
  model: GenerationModel,
  assistant: AssistantOptions,
): CheckedAssistant {
  const a = assistant.model;
  if (a.vocabSize !== model.vocabSize)
    throw new GenerationError(
      'ASSISTANT_INCOMPATIBLE',
      `the assistant's vocabulary (${a.vocabSize} tokens) differs from the main model's (${model.vocabSize}); speculative decoding needs the same tokenizer`,
    );
  if (a.batchSize !== model.batchSize)
    throw new GenerationError(
      'ASSISTANT_INCOMPATIBLE',
      `the assistant holds ${a.batchSize} audio windows, the main model ${model.batchSize}; bind both to the same encoded windows`,
    );
  const k = assistant.numAssistantTokens;
  if (typeof k === 'number') checkDraftLength(k);
  else if (k !== undefined) {
    if (k.length !== model.batchSize)
      throw new GenerationError(
        'INVALID_OPTION',
        `numAssistantTokens lists ${k.length} lengths for ${model.batchSize} audio windows`,
      );
    k.forEach(checkDraftLength);
  }
  if (
    assistant.schedule !== undefined &&
    assistant.schedule !== 'heuristic' &&
    assistant.schedule !== 'constant'
  )
    throw new GenerationError(
      'INVALID_OPTION',
      `schedule must be 'heuristic' or 'constant', got ${JSON.stringify(assistant.schedule)}`,
    );
  return { options: assistant };
}

/**
 * One attempt of {@link generate} with an assistant: opens the assistant's session on the same
 * windows, runs {@link speculativeSearch} (greedy at temperature 0, speculative sampling above)
 * and closes it.
 *
 * @param session the main model's session, every row fed its prefix
 * @param audioIndex the window of every session row
 * @param first the main model's logits after the prefix, per row
 */
export async function runAssistedSearch(
  assisted: CheckedAssistant,
  session: DecoderSession,
  audioIndex: readonly number[],
  first: Float32Array[],
  settings: SearchSettings & {
    prefixes: number[][];
    temperature: number;
    topK: number;
    rng: SeededRandom;
  },
): Promise<SearchOutput[]> {
  const o = assisted.options;
  const { temperature, topK, rng, ...search } = settings;
  const k = o.numAssistantTokens;
  const assistantSession = await o.model.startSession(audioIndex);
  try {
    return await speculativeSearch(session, assistantSession, first, {
      ...search,
      sampling: temperature > 0 ? { temperature, topK, rng } : null,
      numAssistantTokens:
        k === undefined || typeof k === 'number' ? k : audioIndex.map((a) => k[a] as number),
      schedule: o.schedule,
      onRound: o.onRound,
    });
  } finally {
    assistantSession.dispose();
  }
}
