// Sequential long-form transcription: transformers' WhisperForConditionalGeneration.generate() on
// more than 3000 frames (openai/whisper's transcribe loop, with transformers' choices where the
// two differ; docs/longform.md lists them). Each window is decoded by generate(), so fallback,
// beams, sampling, processors and any decoding option behave exactly as for one window.
import type { WhisperGenerationConfig } from '../generation-config';
import { GenerationError, throwIfAborted } from '../generation/errors';
import { detectLanguage, generate, type GenerationResult } from '../generation/generate';
import { planPrefix, type PrefixPlan } from '../generation/prefix';
import type { GenerationModel } from '../generation/types';
import { initialHistory, windowPrompt, type PromptSettings } from './conditioning';
import { isSilentWindow } from '../vad/silent-window';
import { cutWindow, seekSeconds, windowLength } from './window-cut';
import { assembleWindows } from './window-source';
import type {
  EncodedWindows,
  LongFormOptions,
  LongFormResult,
  LongFormSegment,
  MelWindowSource,
  WindowEncoder,
} from './types';

/** Where one source stands between windows. */
interface Row {
  index: number;
  source: MelWindowSource;
  seek: number;
  /** Token lists that condition later windows (initial prompt, then segments). */
  history: number[][];
  segments: LongFormSegment[];
  /** transformers' `do_condition_on_prev_tokens` of this row. */
  condition: boolean;
  /** Detected or given language token; undefined until detected. */
  languageTokenId: number | null | undefined;
  /** transformers' `generation_config.max_length`, which grows window after window (see below). */
  maxLength: number;
  /** Once an attempt sampled, transformers leaves `num_beams` at 1 for the rest of the call. */
  greedyOnly: boolean;
  windows: number;
  /** Whether this source is decoded with timestamps. */
  timestamps: boolean;
}

/**
 * A view of some windows of an encoded batch as a batch of its own: window `i` of the view is
 * window `rows[i]` of `model`.
 *
 * @example
 * ```ts
 * const second = selectWindows(whisperGenerationModel(model, enc), [1]);
 * ```
 */
export function selectWindows(model: GenerationModel, rows: readonly number[]): GenerationModel {
  return {
    vocabSize: model.vocabSize,
    maxTargetPositions: model.maxTargetPositions,
    batchSize: rows.length,
    startSession: (audioIndex) => model.startSession(audioIndex.map((i) => rows[i] as number)),
  };
}

/** Stands for the encoded batch of a batch whose windows were all silent (nothing was encoded). */
const NOTHING_ENCODED: EncodedWindows = {
  model: {
    vocabSize: 0,
    maxTargetPositions: 0,
    batchSize: 0,
    startSession() {
      throw new Error('internal: a silent window has no encoded audio to decode');
    },
  },
  encoderOutput: null,
  dispose() {},
};

function sourceIterator(
  sources: Iterable<MelWindowSource> | AsyncIterable<MelWindowSource>,
): AsyncIterator<MelWindowSource> | Iterator<MelWindowSource> {
  return Symbol.asyncIterator in sources
    ? (sources as AsyncIterable<MelWindowSource>)[Symbol.asyncIterator]()
    : (sources as Iterable<MelWindowSource>)[Symbol.iterator]();
}

function checkBatchSize(n: number | undefined): number {
  const b = n ?? 1;
  if (!Number.isInteger(b) || b < 1)
    throw new GenerationError('INVALID_OPTION', `batchSize must be an integer >= 1, got ${n}`);
  return b;
}

function languageCode(gen: WhisperGenerationConfig, id: number | null): string | null {
  if (id === null) return null;
  const token = Object.keys(gen.langToId).find((k) => gen.langToId[k] === id);
  return token === undefined ? null : token.slice(2, -2);
}

/**
 * Transcribes recordings of any length with transformers' sequential long-form algorithm
 * (`generate()` on more than 3000 frames), yielding one result per source in source order.
 *
 * Each source is cut into 30 s windows from its seek: a window's text ends at its last closed
 * timestamp pair and the next window starts there (or after the window when the text ended
 * cleanly). Each window is decoded by {@link generate} with every decoding option (temperature
 * fallback with compression-ratio / log-prob thresholds, the no-speech skip, beams, sampling),
 * optionally conditioned on the previous text. Sources share batches of `batchSize` windows: a
 * finished source leaves its slot to the next one, and a source's result never depends on its
 * batch mates (each behaves as transformers with batch size 1).
 *
 * Defaults follow transformers: timestamps on, no conditioning unless the config's
 * `condition_on_prev_tokens`, thresholds and temperature from the config (none / 0 when absent).
 * The differences from openai/whisper are listed in the package README (Long-form).
 *
 * @param encoder encodes batches of windows ({@link whisperWindowEncoder} of a model)
 * @param gen the model's generation config
 * @param sources one {@link MelWindowSource} per recording, or chunk
 * @throws {@link GenerationError} `INVALID_OPTION` for bad options, `ABORTED` on the signal; and
 *   whatever a source's `read` throws
 * @example
 * ```ts
 * const mel = logMelSpectrogram(await loadAudio('talk.wav'));  // the whole recording
 * for await (const r of transcribeLongStream(whisperWindowEncoder(model), model.generationConfig,
 *   [melArraySource(mel.data, mel.nMels, mel.nFrames)], { language: 'en' }))
 *   for (const s of r.segments) console.log(s.start, s.end, tokenizer.decode(s.tokens));
 * ```
 */
export async function* transcribeLongStream(
  encoder: WindowEncoder,
  gen: WhisperGenerationConfig,
  sources: Iterable<MelWindowSource> | AsyncIterable<MelWindowSource>,
  options: LongFormOptions = {},
): AsyncGenerator<LongFormResult, void, undefined> {
  const {
    conditionOnPrevTokens: conditionOption,
    promptIds,
    promptConditionType = 'first-segment',
    batchSize: batchOption,
    onProgress,
    onWindow,
    returnTimestamps = true,
    skipSilentWindows = true,
    ...decoding
  } = options;
  const batchSize = checkBatchSize(batchOption);
  const extraCondition = gen.extra['condition_on_prev_tokens'];
  const conditionOnPrev =
    conditionOption ?? (typeof extraCondition === 'boolean' ? extraCondition : false);
  if (promptConditionType !== 'first-segment' && promptConditionType !== 'all-segments')
    throw new GenerationError(
      'INVALID_OPTION',
      `promptConditionType must be 'first-segment' or 'all-segments', got ${String(promptConditionType)}`,
    );
  if (promptConditionType === 'all-segments' && !conditionOnPrev)
    throw new GenerationError(
      'INVALID_OPTION',
      "promptConditionType 'all-segments' needs conditionOnPrevTokens: true",
    );
  const plans = new Map<boolean, PrefixPlan>();
  const planFor = (timestamps: boolean): PrefixPlan => {
    let plan = plans.get(timestamps);
    if (!plan) {
      if (timestamps && gen.noTimestampsTokenId === null)
        throw new GenerationError(
          'CONFIG_INCOMPLETE',
          'long-form decoding needs no_timestamps_token_id in the generation config',
        );
      plan = planPrefix(gen, {
        language: decoding.language ?? null,
        task: decoding.task ?? null,
        returnTimestamps: timestamps,
      });
      plans.set(timestamps, plan);
    }
    return plan;
  };
  // Whether the language is detected does not depend on timestamps (only the last token does).
  const detect = planFor(returnTimestamps).languageSlot >= 0;
  const timestampBegin =
    gen.noTimestampsTokenId !== null ? gen.noTimestampsTokenId + 1 : Number.MAX_SAFE_INTEGER;
  const suppress =
    decoding.suppressTokens === undefined ? gen.suppressTokens : (decoding.suppressTokens ?? []);
  const promptSettings = (maxTargetPositions: number): PromptSettings => ({
    initialPrompt: promptIds === undefined ? null : [...promptIds],
    promptConditionType,
    // transformers falls back to the second-to-last suppressed id, where old configs keep it.
    prevSot: gen.prevSotTokenId ?? (suppress.length >= 2 ? (suppress.at(-2) as number) : null),
    timestampBegin,
    cutOff: Math.floor(maxTargetPositions / 2) - 1,
  });
  const history0 = initialHistory(
    promptIds === undefined ? null : promptIds,
    promptConditionType,
    promptSettings(0).prevSot,
  );
  const iterator = sourceIterator(sources);
  let exhausted = false;
  let nextIndex = 0;
  let nextToYield = 0;
  const active: Row[] = [];
  const finished = new Map<number, LongFormResult>();
  const initialMaxLength = decoding.maxLength ?? gen.maxLength ?? 20;

  const finish = (row: Row): void => {
    const languageTokenId = row.languageTokenId ?? null;
    finished.set(row.index, {
      index: row.index,
      tokens: row.segments.flatMap((s) => s.tokens),
      segments: row.segments,
      languageTokenId,
      language: languageCode(gen, languageTokenId),
      frames: row.source.frames,
      windows: row.windows,
    });
  };

  try {
    for (;;) {
      throwIfAborted(decoding.signal);
      while (!exhausted && active.length < batchSize) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const source = next.value;
        if (!Number.isInteger(source.frames) || source.frames < 0)
          throw new GenerationError(
            'INVALID_OPTION',
            `a source's frames must be an integer >= 0, got ${source.frames}`,
          );
        const row: Row = {
          index: nextIndex++,
          source,
          seek: 0,
          history: history0.map((t) => [...t]),
          segments: [],
          condition: conditionOnPrev,
          languageTokenId: undefined,
          maxLength: initialMaxLength,
          greedyOnly: false,
          windows: 0,
          timestamps: source.returnTimestamps ?? returnTimestamps,
        };
        planFor(row.timestamps);
        if (source.frames === 0) finish(row);
        else active.push(row);
      }
      while (finished.has(nextToYield)) {
        const r = finished.get(nextToYield) as LongFormResult;
        finished.delete(nextToYield++);
        yield r;
      }
      if (active.length === 0) {
        if (exhausted) break;
        continue;
      }

      const fpw = encoder.framesPerWindow;
      const spans = active.map((r) => windowLength(r.seek, r.source.frames, fpw));
      const features = await assembleWindows(
        active.map((r, i) => ({ source: r.source, start: r.seek, count: spans[i] as number })),
        encoder.numMelBins,
        fpw,
      );
      const silent = active.map(
        (_, i) =>
          skipSilentWindows &&
          isSilentWindow(features, i, encoder.numMelBins, fpw, spans[i] as number),
      );
      if (silent.every((x) => x)) {
        // Nothing audible in the whole batch: no encoder or decoder work at all.
        for (let i = 0; i < active.length; i++)
          await applySilent(active[i] as Row, spans[i] as number, null, i);
      } else {
        const encoded: EncodedWindows = await encoder.encode(features, active.length);
        try {
          await decodeBatch(encoded, spans, silent);
        } finally {
          encoded.dispose();
        }
      }
      for (let i = active.length - 1; i >= 0; i--) {
        const row = active[i] as Row;
        if (row.seek >= row.source.frames) {
          finish(row);
          active.splice(i, 1);
        }
      }
    }
  } finally {
    if (!exhausted) await iterator.return?.();
  }

  /** A window with nothing audible: skipped as the no-speech rule skips, without decoding. */
  async function applySilent(
    row: Row,
    frames: number,
    encoded: EncodedWindows | null,
    index: number,
  ): Promise<void> {
    const languageTokenId = row.languageTokenId ?? null;
    const prefix = [...planFor(row.timestamps).tokens];
    const result: GenerationResult = {
      prefix,
      tokens: [],
      segments: [],
      languageTokenId,
      language: languageCode(gen, languageTokenId),
      temperature: 0,
      avgLogprob: 0,
      compressionRatio: 0,
      noSpeechProb: 1,
      beamScore: null,
      skipped: true,
    };
    const where = { encoded: encoded ?? NOTHING_ENCODED, row: index, prefix };
    await applyResult(row, result, frames, where);
  }

  async function decodeBatch(
    encoded: EncodedWindows,
    spans: number[],
    silent: readonly boolean[],
  ): Promise<void> {
    const model = encoded.model;
    const settings = promptSettings(model.maxTargetPositions);
    // Language: detected once per source, on its first window (transformers detects on the first
    // 3000 frames before decoding any window).
    const undetected = active.flatMap((r, i) => (r.languageTokenId === undefined ? [i] : []));
    if (detect && undetected.length > 0) {
      const ids = await detectLanguage(selectWindows(model, undetected), gen);
      undetected.forEach((i, k) => ((active[i] as Row).languageTokenId = ids[k] as number));
    }
    // Rows decode together when their decoder inputs have the same shape and settings.
    const groups = new Map<string, { prompt: number[]; rows: number[] }>();
    for (let i = 0; i < active.length; i++)
      if (silent[i]) await applySilent(active[i] as Row, spans[i] as number, encoded, i);
    active.forEach((row, i) => {
      if (silent[i]) return;
      const prompt = windowPrompt(row.history, row.condition, settings);
      const key = `${row.timestamps}|${row.greedyOnly}|${row.maxLength}|${prompt.join(',')}`;
      const g = groups.get(key);
      if (g) g.rows.push(i);
      else groups.set(key, { prompt, rows: [i] });
    });
    for (const { prompt, rows } of groups.values()) {
      const first = active[rows[0] as number] as Row;
      const inputLength = prompt.length + planFor(first.timestamps).tokens.length;
      const initial = Math.min(settings.cutOff, inputLength);
      let maxLength: number | undefined;
      if (decoding.maxNewTokens === undefined) {
        // transformers stores max_length + min(223, input length) back into the generation
        // config before every window, so a max_length below the 448 cap grows window after window.
        const grown = Math.min(first.maxLength + initial, model.maxTargetPositions);
        for (const i of rows) (active[i] as Row).maxLength = grown;
        maxLength = grown - initial;
      }
      const results: GenerationResult[] = await generate(selectWindows(model, rows), gen, {
        ...decoding,
        ...encoded.generateOptions?.(rows),
        returnTimestamps: first.timestamps,
        ...(prompt.length > 0 ? { promptIds: prompt } : {}),
        ...(detect
          ? { languageTokenIds: rows.map((i) => (active[i] as Row).languageTokenId as number) }
          : {}),
        ...(maxLength !== undefined ? { maxLength } : {}),
        ...(first.greedyOnly ? { numBeams: 1 } : {}),
      });
      for (let k = 0; k < rows.length; k++) {
        const i = rows[k] as number;
        await applyResult(active[i] as Row, results[k] as GenerationResult, spans[i] as number, {
          encoded,
          row: i,
          prefix: (results[k] as GenerationResult).prefix,
        });
      }
    }
  }

  async function applyResult(
    row: Row,
    result: GenerationResult,
    frames: number,
    where: { encoded: EncodedWindows; row: number; prefix: readonly number[] },
  ): Promise<void> {
    const seek = row.seek;
    const measures = {
      temperature: result.temperature,
      avgLogprob: result.avgLogprob,
      compressionRatio: result.compressionRatio,
      noSpeechProb: result.noSpeechProb,
    };
    row.windows++;
    row.condition = conditionOnPrev && result.temperature < 0.5;
    if (result.temperature > 0) row.greedyOnly = true;
    if (row.languageTokenId === undefined) row.languageTokenId = result.languageTokenId;
    let segments: LongFormSegment[] = [];
    if (result.skipped) row.seek += frames;
    else {
      const cut = cutWindow(result.tokens, timestampBegin, seek, frames, measures);
      segments = cut.segments;
      row.segments.push(...segments);
      row.history.push(...segments.map((s) => s.tokens));
      row.seek += cut.advance;
    }
    await onWindow?.({
      index: row.index,
      seek,
      frames,
      timeOffset: seekSeconds(seek),
      prefix: where.prefix,
      tokens: result.tokens,
      segments,
      skipped: result.skipped,
      measures,
      encoded: where.encoded,
      row: where.row,
    });
    onProgress?.({
      index: row.index,
      frames: Math.min(row.seek, row.source.frames),
      totalFrames: row.source.frames,
    });
  }
}

/**
 * {@link transcribeLongStream} collected into an array (one result per source, in order).
 *
 * @example
 * ```ts
 * const [talk] = await transcribeLong(whisperWindowEncoder(model), model.generationConfig,
 *   [melArraySource(mel.data, mel.nMels, mel.nFrames)], { temperature: [0, 0.2, 0.4, 0.6, 0.8, 1],
 *   compressionRatioThreshold: 1.35, logprobThreshold: -1, noSpeechThreshold: 0.6 });
 * ```
 */
export async function transcribeLong(
  encoder: WindowEncoder,
  gen: WhisperGenerationConfig,
  sources: Iterable<MelWindowSource> | AsyncIterable<MelWindowSource>,
  options: LongFormOptions = {},
): Promise<LongFormResult[]> {
  const out: LongFormResult[] = [];
  for await (const r of transcribeLongStream(encoder, gen, sources, options)) out.push(r);
  return out;
}
