// generation_config.json of a Hugging Face Whisper checkpoint, typed. Values mirror
// transformers' GenerationConfig / WhisperGenerationConfig keys; absent keys are null, never guessed.
import { parseForcedDecoderIds, type WhisperConfig } from './config';
import { CheckpointError } from './errors';

/**
 * Generation settings of a Whisper checkpoint (generation_config.json), in camelCase.
 * Unmodelled keys are kept in `extra` for round trips.
 */
export interface WhisperGenerationConfig {
  /** First decoder token (`<|startoftranscript|>`). */
  decoderStartTokenId: number | null;
  /** End of text; generation stops on it. */
  eosTokenId: number | null;
  padTokenId: number | null;
  bosTokenId: number | null;
  /** Longest sequence including the prompt (transformers' `max_length`, usually 448). */
  maxLength: number | null;
  /** Legacy forced prefix `[[position, id | null], ...]` (position 1 = just after the start token). */
  forcedDecoderIds: Array<[number, number | null]> | null;
  /** Ids masked to −∞ at every step. */
  suppressTokens: number[];
  /** Ids masked to −∞ at the first generated step only. */
  beginSuppressTokens: number[];
  /** `'<|en|>'` → id. Empty for English-only checkpoints without the table. */
  langToId: Record<string, number>;
  /** `'transcribe'` / `'translate'` → id. */
  taskToId: Record<string, number>;
  /** `<|notimestamps|>`. */
  noTimestampsTokenId: number | null;
  /** `<|startofprev|>` (prompt conditioning). */
  prevSotTokenId: number | null;
  /** Whether language / task tokens exist. */
  isMultilingual: boolean | null;
  /** Largest first timestamp index (50 = 1.0 s) for Whisper's timestamp rules. */
  maxInitialTimestampIndex: number | null;
  /**
   * `[decoderLayer, head]` pairs whose cross-attention aligns with time (word timestamps). May
   * name layers the model does not have (a student keeps its teacher's list); users skip those.
   */
  alignmentHeads: Array<[number, number]>;
  /** Whether timestamps are returned by default. */
  returnTimestamps: boolean | null;
  /** Median-filter width for word timestamps. */
  medianFilterWidth: number | null;
  /** Every other key, unchanged (snake_case). */
  extra: Record<string, unknown>;
}

const KEYS: Record<Exclude<keyof WhisperGenerationConfig, 'extra'>, string> = {
  decoderStartTokenId: 'decoder_start_token_id',
  eosTokenId: 'eos_token_id',
  padTokenId: 'pad_token_id',
  bosTokenId: 'bos_token_id',
  maxLength: 'max_length',
  forcedDecoderIds: 'forced_decoder_ids',
  suppressTokens: 'suppress_tokens',
  beginSuppressTokens: 'begin_suppress_tokens',
  langToId: 'lang_to_id',
  taskToId: 'task_to_id',
  noTimestampsTokenId: 'no_timestamps_token_id',
  prevSotTokenId: 'prev_sot_token_id',
  isMultilingual: 'is_multilingual',
  maxInitialTimestampIndex: 'max_initial_timestamp_index',
  alignmentHeads: 'alignment_heads',
  returnTimestamps: 'return_timestamps',
  medianFilterWidth: 'median_filter_width',
};
const KNOWN = new Set(Object.values(KEYS));

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/**
 * Parses a generation_config.json object. When `config` is given, missing token ids fall back
 * to those of config.json (as transformers does for older checkpoints) and ids are range-checked.
 *
 * @throws {@link CheckpointError} `CONFIG_INVALID` listing every malformed value.
 * @example
 * ```ts
 * const gen = parseGenerationConfig(JSON.parse(readFileSync('generation_config.json', 'utf8')), config);
 * const english = gen.langToId['<|en|>'];
 * ```
 */
export function parseGenerationConfig(
  json: unknown,
  config?: WhisperConfig,
  path?: string,
): WhisperGenerationConfig {
  const at = path === undefined ? {} : { path };
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new CheckpointError(
      'CONFIG_INVALID',
      'generation_config.json must hold a JSON object',
      at,
    );
  const obj = json as Record<string, unknown>;
  const problems: string[] = [];
  const id = (key: string, fallback: number | null): number | null => {
    let v = obj[key];
    if (Array.isArray(v) && v.length > 0 && v.every(isInt)) v = v[0];
    if (v === undefined || v === null) return fallback;
    if (!isInt(v)) {
      problems.push(`${key} must be an integer, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  };
  const ints = (key: string, fallback: number[] | null): number[] => {
    const v = obj[key];
    if (v === undefined || v === null) return fallback ? [...fallback] : [];
    if (!Array.isArray(v) || !v.every(isInt)) {
      problems.push(`${key} must be a list of integers`);
      return [];
    }
    return [...v];
  };
  const table = (key: string): Record<string, number> => {
    const v = obj[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every(isInt)) {
      problems.push(`${key} must map strings to integer token ids`);
      return {};
    }
    return { ...(v as Record<string, number>) };
  };
  const bool = (key: string): boolean | null => {
    const v = obj[key];
    if (v === undefined || v === null) return null;
    if (typeof v !== 'boolean') {
      problems.push(`${key} must be true or false`);
      return null;
    }
    return v;
  };
  const heads = (): Array<[number, number]> => {
    const v = obj.alignment_heads;
    if (v === undefined || v === null) return [];
    if (
      !Array.isArray(v) ||
      !v.every((p) => Array.isArray(p) && p.length === 2 && isInt(p[0]) && isInt(p[1]))
    ) {
      problems.push('alignment_heads must be a list of [layer, head] pairs');
      return [];
    }
    return (v as Array<[number, number]>).map(([l, h]) => [l, h]);
  };
  const gen: WhisperGenerationConfig = {
    decoderStartTokenId: id('decoder_start_token_id', config?.decoderStartTokenId ?? null),
    eosTokenId: id('eos_token_id', config?.eosTokenId ?? null),
    padTokenId: id('pad_token_id', config?.padTokenId ?? null),
    bosTokenId: id('bos_token_id', config?.bosTokenId ?? null),
    maxLength: id('max_length', null),
    forcedDecoderIds:
      parseForcedDecoderIds(obj.forced_decoder_ids, 'forced_decoder_ids', problems) ??
      config?.forcedDecoderIds ??
      null,
    suppressTokens: ints('suppress_tokens', config?.suppressTokens ?? null),
    beginSuppressTokens: ints('begin_suppress_tokens', config?.beginSuppressTokens ?? null),
    langToId: table('lang_to_id'),
    taskToId: table('task_to_id'),
    noTimestampsTokenId: id('no_timestamps_token_id', null),
    prevSotTokenId: id('prev_sot_token_id', null),
    isMultilingual: bool('is_multilingual'),
    maxInitialTimestampIndex: id('max_initial_timestamp_index', null),
    alignmentHeads: heads(),
    returnTimestamps: bool('return_timestamps'),
    medianFilterWidth: id('median_filter_width', null),
    extra: Object.fromEntries(Object.entries(obj).filter(([k]) => !KNOWN.has(k))),
  };
  if (config) {
    const v = config.vocabSize;
    const check = (name: string, ids: Iterable<number | null>): void => {
      for (const t of ids)
        if (t !== null && (t < 0 || t >= v))
          problems.push(`${name} holds id ${t}, outside the vocabulary [0, ${v})`);
    };
    check('suppress_tokens', gen.suppressTokens);
    check('begin_suppress_tokens', gen.beginSuppressTokens);
    check('lang_to_id', Object.values(gen.langToId));
    check('task_to_id', Object.values(gen.taskToId));
    check('decoder_start_token_id / eos / pad / bos / no_timestamps / prev_sot', [
      gen.decoderStartTokenId,
      gen.eosTokenId,
      gen.padTokenId,
      gen.bosTokenId,
      gen.noTimestampsTokenId,
      gen.prevSotTokenId,
    ]);
    // Layers past the decoder are accepted: a student made from a teacher keeps the teacher's
    // alignment_heads (distil-whisper's create_student_model.py copies generation_config.json) and
    // transformers loads it; code that uses the heads skips the layers the model lacks.
    for (const [l, h] of gen.alignmentHeads)
      if (l < 0 || h < 0 || h >= config.decoderAttentionHeads)
        problems.push(
          `alignment_heads holds [${l}, ${h}], outside ${config.decoderLayers} layers × ${config.decoderAttentionHeads} heads`,
        );
  }
  if (problems.length > 0)
    throw new CheckpointError(
      'CONFIG_INVALID',
      `invalid generation config: ${problems.join('; ')}`,
      { problems, ...at },
    );
  return gen;
}

/**
 * A generation config derived from config.json alone, for checkpoints without
 * generation_config.json (tables such as `langToId` are then empty). Token ids and the suppress
 * lists come from config.json, as transformers' `GenerationConfig.from_model_config` takes them.
 * `maxLength` is config.json's `max_length` when it has one, else the decoder's
 * `max_target_positions` (448, the `max_length` of every released Whisper generation config) —
 * never `GenerationConfig`'s model-agnostic default of 20, which would cut every transcript after
 * 20 tokens without a word.
 *
 * @example
 * ```ts
 * const gen = generationConfigFromModelConfig(config);
 * gen.maxLength; // 448 for every Whisper size
 * ```
 */
export function generationConfigFromModelConfig(config: WhisperConfig): WhisperGenerationConfig {
  const fromConfig = config.extra.max_length;
  return parseGenerationConfig(
    {
      max_length:
        isInt(fromConfig) && fromConfig >= 1
          ? Math.min(fromConfig, config.maxTargetPositions)
          : config.maxTargetPositions,
    },
    config,
  );
}

/** Serialises a {@link WhisperGenerationConfig} to the snake_case object transformers reads. */
export function generationConfigToJson(gen: WhisperGenerationConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...gen.extra };
  for (const [camel, snake] of Object.entries(KEYS)) {
    const v = gen[camel as keyof WhisperGenerationConfig];
    if (v === null) continue;
    if (Array.isArray(v) && v.length === 0 && camel === 'alignmentHeads') continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[snake] = v;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
