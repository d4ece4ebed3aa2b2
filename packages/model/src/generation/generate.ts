// Short-form Whisper generation with transformers' semantics (WhisperForConditionalGeneration.generate
// for audio of at most one window): prefix, language detection, greedy / beam / sampling search,
// temperature fallback and timestamp segments.
import type { WhisperGenerationConfig } from '../generation-config';
import { GenerationError } from './errors';
import type { ProcessorSettings } from './logits-processors';
import { softmax } from './math';
import { planPrefix, type WhisperTaskName } from './prefix';
import { needsFallback, tokenCompressionRatio, type FallbackThresholds } from './quality';
import { SeededRandom } from './rng';
import { beamSearch } from './beam-search';
import { splitSegments, type TimedSegment } from './segments';
import { choiceForTemperature } from './token-choice';
import { tokenSearch } from './token-loop';
import { checkAssistant, runAssistedSearch } from './speculative-generate';
import type { AssistantOptions } from './speculative-types';
import type { DecoderSession, GenerationModel, SearchOutput } from './types';

/** Options of {@link generate}; unset values come from the generation config, then transformers' defaults. */
export interface GenerateOptions {
  /** Language code (`'en'`) or token (`'<|en|>'`); null/unset = the config's, or detected on multilingual models. */
  language?: string | null;
  /** `'transcribe'` (default on multilingual models when a language is given) or `'translate'`. */
  task?: WhisperTaskName | null;
  /**
   * Language token id of each window, already detected (long-form decoding detects once per file):
   * fills the prefix's language slot instead of detecting it again. Ignored when `language` is set
   * or the checkpoint has no language slot. Default: detect.
   */
  languageTokenIds?: readonly number[];
  /** Predict timestamp tokens and return segments. Default: the config's `return_timestamps`, else false. */
  returnTimestamps?: boolean;
  /** Previous-text prompt, `<|startofprev|>` first (as the tokenizer's prompt ids give it). */
  promptIds?: readonly number[];
  /** Most tokens to generate; prompt + prefix + this may not exceed `max_target_positions`. */
  maxNewTokens?: number;
  /** transformers' `max_length` (default: the config's, else 20): generated tokens + min(prefix, 223), capped at `max_target_positions`. */
  maxLength?: number;
  /** Beams for temperature-0 decoding. Default 1 (greedy). */
  numBeams?: number;
  /** Exponent of the generated length dividing a finished beam's log-probability. Default 1. */
  lengthPenalty?: number;
  /** transformers' `early_stopping`. Default false. */
  earlyStopping?: boolean | 'never';
  /** One temperature, or the fallback ladder (e.g. `[0, 0.2, 0.4, 0.6, 0.8, 1]`). Default 0. */
  temperature?: number | readonly number[];
  /** Top-k filter when sampling. Default 50 (transformers' default); 0 disables it. */
  topK?: number;
  /** Seed of the sampling generator. Default 0. */
  seed?: number;
  /** Fall back when the token compression ratio exceeds this (openai/whisper uses 2.4). */
  compressionRatioThreshold?: number | null;
  /** Fall back when the average log-probability is below this (openai/whisper uses −1). */
  logprobThreshold?: number | null;
  /** With a low log-probability, skip the window when p(no speech) exceeds this (openai/whisper uses 0.6). */
  noSpeechThreshold?: number | null;
  /** Replace the config's `suppress_tokens` (null = none). */
  suppressTokens?: readonly number[] | null;
  /** Replace the config's `begin_suppress_tokens` (null = none). */
  beginSuppressTokens?: readonly number[] | null;
  /** Mel frames of real audio in each window (the rest is padding), for the end time of untimed segments. Default 3000. */
  windowFrames?: number;
  /**
   * Speculative decoding: an assistant drafts, this model verifies (greedy: this model's exact
   * tokens; sampling: its distribution). Beam search ignores it. Default: none.
   */
  assistant?: AssistantOptions;
  /** Cancels generation between steps. */
  signal?: AbortSignal;
  /** Progress: tokens generated so far in the current attempt. */
  onStep?: (generated: number) => void;
}

/** The generation result of one audio window. */
export interface GenerationResult {
  /** Decoder input: prompt ids followed by the forced prefix (`<|startoftranscript|>`, language, task, ...). */
  prefix: number[];
  /** Generated tokens, end of text removed ([] when the window was skipped as silence). */
  tokens: number[];
  /** Timed segments (when timestamps were requested and the window was not skipped). */
  segments: TimedSegment[];
  /** Language token in the prefix, if any. */
  languageTokenId: number | null;
  /** Language code of that token (`'en'`), if any. */
  language: string | null;
  /** Temperature of the attempt that was kept. */
  temperature: number;
  /** Average log-probability of the kept attempt (end of text included, as transformers counts). */
  avgLogprob: number;
  /** Token compression ratio of the kept attempt. */
  compressionRatio: number;
  /** Probability of the no-speech token after `<|startoftranscript|>`. */
  noSpeechProb: number;
  /** Length-penalised beam score, for beam search. */
  beamScore: number | null;
  /** True when the no-speech rule dropped the window's text. */
  skipped: boolean;
}

interface Resolved {
  temperatures: number[];
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean | 'never';
  topK: number;
  thresholds: FallbackThresholds;
  processors: ProcessorSettings;
  eos: number;
  returnTimestamps: boolean;
  timestampBegin: number;
}

function extraNumber(gen: WhisperGenerationConfig, key: string): number | null {
  const v = gen.extra[key];
  return typeof v === 'number' ? v : null;
}

function resolve(
  model: GenerationModel,
  gen: WhisperGenerationConfig,
  o: GenerateOptions,
): Resolved {
  const eos = gen.eosTokenId ?? gen.bosTokenId;
  if (eos === null)
    throw new GenerationError('CONFIG_INCOMPLETE', 'generation config has no eos_token_id');
  const returnTimestamps = o.returnTimestamps ?? gen.returnTimestamps ?? false;
  if (returnTimestamps && gen.noTimestampsTokenId === null)
    throw new GenerationError(
      'CONFIG_INCOMPLETE',
      'timestamps need no_timestamps_token_id in the generation config',
    );
  const t = o.temperature ?? extraNumber(gen, 'temperature') ?? 0;
  const temperatures = typeof t === 'number' ? [t] : [...t];
  if (temperatures.length === 0 || temperatures.some((x) => !(x >= 0) || !Number.isFinite(x)))
    throw new GenerationError(
      'INVALID_OPTION',
      `temperature must be a finite number >= 0 or a non-empty list of them, got ${JSON.stringify(t)}`,
    );
  const numBeams = o.numBeams ?? extraNumber(gen, 'num_beams') ?? 1;
  if (!Number.isInteger(numBeams) || numBeams < 1)
    throw new GenerationError(
      'INVALID_OPTION',
      `numBeams must be an integer >= 1, got ${numBeams}`,
    );
  const topK = o.topK ?? 50;
  if (!Number.isInteger(topK) || topK < 0)
    throw new GenerationError('INVALID_OPTION', `topK must be an integer >= 0, got ${topK}`);
  const timestampBegin =
    gen.noTimestampsTokenId !== null ? gen.noTimestampsTokenId + 1 : model.vocabSize + 1;
  const pick = (key: keyof FallbackThresholds, snake: string): number | null =>
    o[key] !== undefined ? (o[key] ?? null) : extraNumber(gen, snake);
  return {
    temperatures,
    numBeams,
    lengthPenalty: o.lengthPenalty ?? extraNumber(gen, 'length_penalty') ?? 1,
    earlyStopping: o.earlyStopping ?? false,
    topK,
    thresholds: {
      compressionRatioThreshold: pick('compressionRatioThreshold', 'compression_ratio_threshold'),
      logprobThreshold: pick('logprobThreshold', 'logprob_threshold'),
      noSpeechThreshold: pick('noSpeechThreshold', 'no_speech_threshold'),
    },
    processors: {
      suppressTokens:
        o.suppressTokens === undefined ? gen.suppressTokens : (o.suppressTokens ?? []),
      beginSuppressTokens:
        o.beginSuppressTokens === undefined
          ? gen.beginSuppressTokens
          : (o.beginSuppressTokens ?? []),
      timestamps: returnTimestamps
        ? {
            noTimestamps: gen.noTimestampsTokenId as number,
            eos,
            maxInitialTimestampIndex: gen.maxInitialTimestampIndex,
          }
        : null,
    },
    eos,
    returnTimestamps,
    timestampBegin,
  };
}

/** transformers' `_set_max_new_tokens_and_length`: the longest total sequence for a prefix length. */
export function resolveMaxLength(
  prefixLength: number,
  maxTargetPositions: number,
  o: { maxNewTokens?: number | undefined; maxLength?: number | undefined },
  configMaxLength: number | null,
): number {
  if (o.maxNewTokens !== undefined) {
    if (!Number.isInteger(o.maxNewTokens) || o.maxNewTokens < 1)
      throw new GenerationError(
        'INVALID_OPTION',
        `maxNewTokens must be an integer >= 1, got ${o.maxNewTokens}`,
      );
    if (o.maxNewTokens + prefixLength > maxTargetPositions)
      throw new GenerationError(
        'TOO_LONG',
        `prompt and prefix (${prefixLength} tokens) plus maxNewTokens (${o.maxNewTokens}) exceed the decoder's ${maxTargetPositions} positions; shorten the prompt or lower maxNewTokens`,
      );
    return prefixLength + o.maxNewTokens;
  }
  const base = o.maxLength ?? configMaxLength ?? 20;
  const initial = Math.min(Math.floor(maxTargetPositions / 2) - 1, prefixLength);
  return Math.min(base + initial, maxTargetPositions);
}

function copyRows(rows: Float32Array[]): Float32Array[] {
  return rows.map((r) => Float32Array.from(r));
}

function detectLanguageRow(row: Float32Array, langIds: readonly number[]): number {
  let best = -1;
  let bestValue = -Infinity;
  // Ascending ids so that ties go to the lowest id, like argmax over the masked row.
  for (const id of [...langIds].sort((a, b) => a - b)) {
    const v = row[id] as number;
    if (best < 0 || v > bestValue) {
      best = id;
      bestValue = v;
    }
  }
  return best;
}

/**
 * Detects the spoken language of each window: the most likely language token after
 * `<|startoftranscript|>` alone (transformers' `detect_language`).
 *
 * @returns one language token id per window
 */
export async function detectLanguage(
  model: GenerationModel,
  gen: WhisperGenerationConfig,
  audioIndex?: readonly number[],
): Promise<number[]> {
  const langIds = Object.values(gen.langToId);
  if (langIds.length === 0)
    throw new GenerationError(
      'CONFIG_INCOMPLETE',
      'language detection needs lang_to_id in the generation config',
    );
  if (gen.decoderStartTokenId === null)
    throw new GenerationError(
      'CONFIG_INCOMPLETE',
      'generation config has no decoder_start_token_id',
    );
  const rows = audioIndex ?? Array.from({ length: model.batchSize }, (_, i) => i);
  const session = await model.startSession(rows);
  try {
    const logits = await session.decode(rows.map(() => [gen.decoderStartTokenId as number]));
    return logits.map((row) => detectLanguageRow(row, langIds));
  } finally {
    session.dispose();
  }
}

/** Validates {@link GenerateOptions.languageTokenIds}: one language token per window, or none. */
function knownLanguages(
  ids: readonly number[] | undefined,
  batch: number,
  langIds: readonly number[],
): readonly number[] | null {
  if (ids === undefined) return null;
  if (ids.length !== batch || ids.some((id) => !langIds.includes(id)))
    throw new GenerationError(
      'INVALID_OPTION',
      `languageTokenIds must hold one language token id per window (${batch}), got ${JSON.stringify(ids)}`,
    );
  return ids;
}

interface Attempt {
  out: SearchOutput;
  noSpeechProb: number;
}

/**
 * Generates the transcription of every encoded window of `model` (one result per window), with
 * the semantics of transformers' `WhisperForConditionalGeneration.generate` for short-form audio.
 *
 * Options, defaults and their transformers names, the result fields and the limits (one window
 * of ≤ 30 s per item) are listed in the package README.
 *
 * @example
 * ```ts
 * const enc = model.encode(features, 1); // log-mel [1, numMelBins, 3000]
 * try {
 *   const [result] = await generate(whisperGenerationModel(model, enc), model.generationConfig, {
 *     language: 'en',
 *     numBeams: 3,
 *   });
 *   console.log(tokenizer.decode(result!.tokens, { skipSpecialTokens: true }));
 * } finally {
 *   enc.dispose();
 * }
 * ```
 */
export async function generate(
  model: GenerationModel,
  gen: WhisperGenerationConfig,
  options: GenerateOptions = {},
): Promise<GenerationResult[]> {
  const r = resolve(model, gen, options);
  const assisted = options.assistant ? checkAssistant(model, options.assistant) : null;
  const plan = planPrefix(gen, {
    language: options.language ?? null,
    task: options.task ?? null,
    returnTimestamps: r.returnTimestamps,
  });
  const prompt = [...(options.promptIds ?? [])];
  const batch = model.batchSize;
  const sot = plan.tokens[0] as number;
  const langIds = Object.values(gen.langToId);
  // Languages: detected once (transformers runs detection before any fallback attempt).
  const prefixes: number[][] = Array.from({ length: batch }, () => [...plan.tokens]);
  const needsDetection = plan.languageSlot >= 0;
  const known = knownLanguages(options.languageTokenIds, batch, langIds);
  if (needsDetection && known)
    known.forEach((id, i) => ((prefixes[i] as number[])[plan.languageSlot] = id));
  else if (needsDetection && prompt.length > 0) {
    const detected = await detectLanguage(model, gen);
    detected.forEach((id, i) => ((prefixes[i] as number[])[plan.languageSlot] = id));
  }
  const prefixLength = prompt.length + plan.tokens.length;
  const maxLength = resolveMaxLength(
    prefixLength,
    model.maxTargetPositions,
    options,
    gen.maxLength,
  );
  const windowFrames = options.windowFrames ?? 3000;
  const rng = new SeededRandom(options.seed ?? 0);

  // Feeds prompt + <|startoftranscript|> (its logits give p(no speech) and, without a prompt, the
  // language), then the rest of the prefix. Returns the logits of the first generated step.
  const prefill = async (
    session: DecoderSession,
    rows: number[],
  ): Promise<{ first: Float32Array[]; noSpeech: number[] }> => {
    const atSot = await session.decode(rows.map(() => [...prompt, sot]));
    const noSpeechToken = gen.noTimestampsTokenId !== null ? gen.noTimestampsTokenId - 1 : -1;
    const noSpeech = atSot.map((row) =>
      noSpeechToken >= 0 ? (softmax(row)[noSpeechToken] as number) : 0,
    );
    if (needsDetection && !known && prompt.length === 0)
      rows.forEach(
        (a, i) =>
          ((prefixes[a] as number[])[plan.languageSlot] = detectLanguageRow(
            atSot[i] as Float32Array,
            langIds,
          )),
      );
    const rest = rows.map((a) => (prefixes[a] as number[]).slice(1));
    const first = rest[0] !== undefined && rest[0].length > 0 ? await session.decode(rest) : atSot;
    return { first, noSpeech };
  };

  const runAttempt = async (rows: number[], temperature: number): Promise<Attempt[]> => {
    const beams = temperature === 0 ? r.numBeams : 1;
    const session = await model.startSession(rows);
    try {
      const { first, noSpeech } = await prefill(session, rows);
      const common = {
        processors: r.processors,
        eosTokenId: r.eos,
        maxLength,
        prefixLength,
        signal: options.signal,
        onStep: options.onStep,
      };
      let outs: SearchOutput[];
      if (beams > 1) {
        const expanded: Float32Array[] = [];
        const order: number[] = [];
        first.forEach((row, i) => {
          for (let j = 0; j < beams; j++) {
            expanded.push(Float32Array.from(row));
            order.push(i);
          }
        });
        await session.reorder(order);
        outs = await beamSearch(session, expanded, {
          ...common,
          numBeams: beams,
          lengthPenalty: r.lengthPenalty,
          earlyStopping: r.earlyStopping,
        });
      } else if (assisted) {
        outs = await runAssistedSearch(assisted, session, rows, first, {
          ...common,
          prefixes: rows.map((a) => [...prompt, ...(prefixes[a] as number[])]),
          temperature,
          topK: r.topK,
          rng,
        });
      } else {
        outs = await tokenSearch(
          session,
          copyRows(first),
          common,
          choiceForTemperature(temperature, r.topK, rng),
        );
      }
      return outs.map((out, i) => ({ out, noSpeechProb: noSpeech[i] as number }));
    } finally {
      session.dispose();
    }
  };

  const results: Array<GenerationResult | null> = new Array<GenerationResult | null>(batch).fill(
    null,
  );
  let pending = Array.from({ length: batch }, (_, i) => i);
  for (let ti = 0; ti < r.temperatures.length && pending.length > 0; ti++) {
    const temperature = r.temperatures[ti] as number;
    const attempts = await runAttempt(pending, temperature);
    const retry: number[] = [];
    attempts.forEach(({ out, noSpeechProb }, i) => {
      const audio = pending[i] as number;
      const avgLogprob =
        out.tokens.length > 0 ? out.logprobs.reduce((a, b) => a + b, 0) / out.tokens.length : 0;
      const compressionRatio = tokenCompressionRatio(out.tokens, model.vocabSize);
      const decision = needsFallback({ compressionRatio, avgLogprob, noSpeechProb }, r.thresholds);
      const tokens =
        out.tokens[out.tokens.length - 1] === r.eos ? out.tokens.slice(0, -1) : out.tokens;
      const prefix = [...prompt, ...(prefixes[audio] as number[])];
      const langId = prefix.find((t) => langIds.includes(t)) ?? null;
      const langToken =
        langId === null
          ? undefined
          : Object.keys(gen.langToId).find((k) => gen.langToId[k] === langId);
      results[audio] = {
        prefix,
        tokens: decision.skip ? [] : tokens,
        segments:
          decision.skip || !r.returnTimestamps
            ? []
            : splitSegments(tokens, r.timestampBegin, windowFrames).segments,
        languageTokenId: langId,
        language: langToken === undefined ? null : langToken.slice(2, -2),
        temperature,
        avgLogprob,
        compressionRatio,
        noSpeechProb,
        beamScore: out.score ?? null,
        skipped: decision.skip,
      };
      if (decision.fallback) retry.push(audio);
    });
    pending = retry;
  }
  return results as GenerationResult[];
}
