// config.json of a Hugging Face Whisper checkpoint, as a typed camelCase object. The only place
// that knows the snake_case keys is the adapter pair parseWhisperConfig / whisperConfigToJson.
import { CheckpointError } from './errors';

/**
 * The fields of transformers' `WhisperConfig` that shape the graph or generation, in camelCase.
 * Keys of config.json that are not modelled here are kept verbatim in `extra` so that a
 * load → save round trip does not lose them.
 */
export interface WhisperConfig {
  /** `model_type`; always `'whisper'` for supported checkpoints. */
  modelType: string;
  /** `architectures`, e.g. `['WhisperForConditionalGeneration']` or `['WhisperForCausalLM']`. */
  architectures: string[];
  /** Output vocabulary size (51864 English-only, 51865 multilingual, 51866 large-v3). */
  vocabSize: number;
  /** Mel bins of the input features (80, or 128 for large-v3). */
  numMelBins: number;
  /** Hidden size. */
  dModel: number;
  encoderLayers: number;
  encoderAttentionHeads: number;
  encoderFfnDim: number;
  decoderLayers: number;
  decoderAttentionHeads: number;
  decoderFfnDim: number;
  /** Encoder positions (1500 = 30 s after the stride-2 conv). The encoder takes 2× this many mel frames. */
  maxSourcePositions: number;
  /** Decoder positions = the longest token sequence (448); the KV cache is this long. */
  maxTargetPositions: number;
  /** Multiply token embeddings by √dModel (false for every released Whisper). */
  scaleEmbedding: boolean;
  /** Only `'gelu'` is supported. */
  activationFunction: string;
  /** Output projection shares `embed_tokens` (true for Whisper; `proj_out.weight` may then be absent). */
  tieWordEmbeddings: boolean;
  padTokenId: number | null;
  bosTokenId: number | null;
  eosTokenId: number | null;
  decoderStartTokenId: number | null;
  /** Legacy generation settings some config.json files still carry (generation_config.json wins). */
  suppressTokens: number[] | null;
  beginSuppressTokens: number[] | null;
  forcedDecoderIds: Array<[number, number | null]> | null;
  /** `torch_dtype` as written by transformers (`'float32'`, `'float16'`, `'bfloat16'`), if any. */
  torchDtype: string | null;
  /** Every other key of config.json, unchanged (snake_case). */
  extra: Record<string, unknown>;
}

/** Default values transformers uses for keys a config.json may omit. */
const DEFAULTS = {
  modelType: 'whisper',
  architectures: ['WhisperForConditionalGeneration'],
  vocabSize: 51865,
  numMelBins: 80,
  dModel: 384,
  encoderLayers: 4,
  encoderAttentionHeads: 6,
  encoderFfnDim: 1536,
  decoderLayers: 4,
  decoderAttentionHeads: 6,
  decoderFfnDim: 1536,
  maxSourcePositions: 1500,
  maxTargetPositions: 448,
  scaleEmbedding: false,
  activationFunction: 'gelu',
  tieWordEmbeddings: true,
} as const;

/** snake_case key of each modelled camelCase field. */
const KEYS: Record<Exclude<keyof WhisperConfig, 'extra'>, string> = {
  modelType: 'model_type',
  architectures: 'architectures',
  vocabSize: 'vocab_size',
  numMelBins: 'num_mel_bins',
  dModel: 'd_model',
  encoderLayers: 'encoder_layers',
  encoderAttentionHeads: 'encoder_attention_heads',
  encoderFfnDim: 'encoder_ffn_dim',
  decoderLayers: 'decoder_layers',
  decoderAttentionHeads: 'decoder_attention_heads',
  decoderFfnDim: 'decoder_ffn_dim',
  maxSourcePositions: 'max_source_positions',
  maxTargetPositions: 'max_target_positions',
  scaleEmbedding: 'scale_embedding',
  activationFunction: 'activation_function',
  tieWordEmbeddings: 'tie_word_embeddings',
  padTokenId: 'pad_token_id',
  bosTokenId: 'bos_token_id',
  eosTokenId: 'eos_token_id',
  decoderStartTokenId: 'decoder_start_token_id',
  suppressTokens: 'suppress_tokens',
  beginSuppressTokens: 'begin_suppress_tokens',
  forcedDecoderIds: 'forced_decoder_ids',
  torchDtype: 'torch_dtype',
};

const KNOWN = new Set(Object.values(KEYS));

type Reader = {
  int(key: string, fallback: number): number;
  intOrNull(key: string): number | null;
  bool(key: string, fallback: boolean): boolean;
  str(key: string, fallback: string): string;
  strOrNull(key: string): string | null;
  ints(key: string): number[] | null;
};

function reader(json: Record<string, unknown>, problems: string[]): Reader {
  const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
  return {
    int(key, fallback) {
      const v = json[key];
      if (v === undefined || v === null) return fallback;
      if (!isInt(v)) {
        problems.push(`${key} must be an integer, got ${JSON.stringify(v)}`);
        return fallback;
      }
      return v;
    },
    intOrNull(key) {
      const v = json[key];
      if (v === undefined || v === null) return null;
      // Some configs store a list of eos ids; the first is the one generation stops on by default.
      if (Array.isArray(v) && v.length > 0 && v.every(isInt)) return v[0] as number;
      if (!isInt(v)) {
        problems.push(`${key} must be an integer or null, got ${JSON.stringify(v)}`);
        return null;
      }
      return v;
    },
    bool(key, fallback) {
      const v = json[key];
      if (v === undefined || v === null) return fallback;
      if (typeof v !== 'boolean') {
        problems.push(`${key} must be true or false, got ${JSON.stringify(v)}`);
        return fallback;
      }
      return v;
    },
    str(key, fallback) {
      const v = json[key];
      if (v === undefined || v === null) return fallback;
      if (typeof v !== 'string') {
        problems.push(`${key} must be a string, got ${JSON.stringify(v)}`);
        return fallback;
      }
      return v;
    },
    strOrNull(key) {
      const v = json[key];
      if (v === undefined || v === null) return null;
      if (typeof v !== 'string') {
        problems.push(`${key} must be a string, got ${JSON.stringify(v)}`);
        return null;
      }
      return v;
    },
    ints(key) {
      const v = json[key];
      if (v === undefined || v === null) return null;
      if (!Array.isArray(v) || !v.every(isInt)) {
        problems.push(`${key} must be a list of integers`);
        return null;
      }
      return [...v];
    },
  };
}

/** @internal Parses `[[index, id|null], ...]` (forced_decoder_ids). */
export function parseForcedDecoderIds(
  v: unknown,
  key: string,
  problems: string[],
): Array<[number, number | null]> | null {
  if (v === undefined || v === null) return null;
  const ok =
    Array.isArray(v) &&
    v.every(
      (p) =>
        Array.isArray(p) &&
        p.length === 2 &&
        Number.isInteger(p[0]) &&
        (p[1] === null || Number.isInteger(p[1])),
    );
  if (!ok) {
    problems.push(`${key} must be a list of [position, token id or null] pairs`);
    return null;
  }
  return (v as Array<[number, number | null]>).map(([i, t]) => [i, t]);
}

/**
 * Checks that the dimensions describe a graph that can exist; returns every problem found.
 * @internal
 */
export function whisperConfigProblems(c: WhisperConfig): string[] {
  const problems: string[] = [];
  const positive: Array<keyof WhisperConfig> = [
    'vocabSize',
    'numMelBins',
    'dModel',
    'encoderAttentionHeads',
    'encoderFfnDim',
    'decoderLayers',
    'decoderAttentionHeads',
    'decoderFfnDim',
    'maxSourcePositions',
    'maxTargetPositions',
  ];
  for (const k of positive) {
    const v = c[k] as number;
    if (!(v > 0))
      problems.push(
        `${KEYS[k as Exclude<keyof WhisperConfig, 'extra'>]} must be positive, got ${v}`,
      );
  }
  // Decoder-only (WhisperForCausalLM) checkpoints may declare encoder_layers but never 0 > it.
  if (c.encoderLayers < 0)
    problems.push(`encoder_layers must not be negative, got ${c.encoderLayers}`);
  if (c.dModel > 0 && c.encoderAttentionHeads > 0 && c.dModel % c.encoderAttentionHeads !== 0)
    problems.push(
      `d_model (${c.dModel}) must be divisible by encoder_attention_heads (${c.encoderAttentionHeads})`,
    );
  if (c.dModel > 0 && c.decoderAttentionHeads > 0 && c.dModel % c.decoderAttentionHeads !== 0)
    problems.push(
      `d_model (${c.dModel}) must be divisible by decoder_attention_heads (${c.decoderAttentionHeads})`,
    );
  const limit = 1 << 24;
  for (const k of [
    'vocabSize',
    'dModel',
    'encoderFfnDim',
    'decoderFfnDim',
    'maxSourcePositions',
    'maxTargetPositions',
  ] as const)
    if (c[k] > limit) problems.push(`${KEYS[k]} = ${c[k]} is implausibly large (limit ${limit})`);
  for (const k of [
    'encoderLayers',
    'decoderLayers',
    'encoderAttentionHeads',
    'decoderAttentionHeads',
  ] as const)
    if (c[k] > 4096) problems.push(`${KEYS[k]} = ${c[k]} is implausibly large (limit 4096)`);
  if (c.numMelBins > 4096)
    problems.push(`num_mel_bins = ${c.numMelBins} is implausibly large (limit 4096)`);
  if (c.activationFunction !== 'gelu')
    problems.push(`activation_function '${c.activationFunction}' is not supported (only 'gelu')`);
  for (const k of ['padTokenId', 'bosTokenId', 'eosTokenId', 'decoderStartTokenId'] as const) {
    const v = c[k];
    if (v !== null && (v < 0 || (c.vocabSize > 0 && v >= c.vocabSize)))
      problems.push(`${KEYS[k]} = ${v} is outside the vocabulary [0, ${c.vocabSize})`);
  }
  return problems;
}

/**
 * Parses the JSON object of a config.json (snake_case) into a {@link WhisperConfig} and checks
 * that its dimensions are possible. Missing keys take transformers' defaults.
 *
 * @throws {@link CheckpointError} `CONFIG_INVALID` listing every bad value (wrong types,
 *   non-positive sizes, `d_model` not divisible by the head count, unsupported activation, ...).
 * @example
 * ```ts
 * const config = parseWhisperConfig(JSON.parse(readFileSync('config.json', 'utf8')));
 * console.log(config.dModel / config.decoderAttentionHeads); // head dim
 * ```
 */
export function parseWhisperConfig(json: unknown, path?: string): WhisperConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new CheckpointError(
      'CONFIG_INVALID',
      'config.json must hold a JSON object',
      path === undefined ? {} : { path },
    );
  const obj = json as Record<string, unknown>;
  const problems: string[] = [];
  const r = reader(obj, problems);
  const architectures = obj.architectures;
  const config: WhisperConfig = {
    modelType: r.str('model_type', DEFAULTS.modelType),
    architectures:
      Array.isArray(architectures) && architectures.every((a) => typeof a === 'string')
        ? [...(architectures as string[])]
        : [...DEFAULTS.architectures],
    vocabSize: r.int('vocab_size', DEFAULTS.vocabSize),
    numMelBins: r.int('num_mel_bins', DEFAULTS.numMelBins),
    dModel: r.int('d_model', DEFAULTS.dModel),
    encoderLayers: r.int('encoder_layers', DEFAULTS.encoderLayers),
    encoderAttentionHeads: r.int('encoder_attention_heads', DEFAULTS.encoderAttentionHeads),
    encoderFfnDim: r.int('encoder_ffn_dim', DEFAULTS.encoderFfnDim),
    decoderLayers: r.int('decoder_layers', DEFAULTS.decoderLayers),
    decoderAttentionHeads: r.int('decoder_attention_heads', DEFAULTS.decoderAttentionHeads),
    decoderFfnDim: r.int('decoder_ffn_dim', DEFAULTS.decoderFfnDim),
    maxSourcePositions: r.int('max_source_positions', DEFAULTS.maxSourcePositions),
    maxTargetPositions: r.int('max_target_positions', DEFAULTS.maxTargetPositions),
    scaleEmbedding: r.bool('scale_embedding', DEFAULTS.scaleEmbedding),
    activationFunction: r.str('activation_function', DEFAULTS.activationFunction),
    tieWordEmbeddings: r.bool('tie_word_embeddings', DEFAULTS.tieWordEmbeddings),
    padTokenId: r.intOrNull('pad_token_id'),
    bosTokenId: r.intOrNull('bos_token_id'),
    eosTokenId: r.intOrNull('eos_token_id'),
    decoderStartTokenId: r.intOrNull('decoder_start_token_id'),
    suppressTokens: r.ints('suppress_tokens'),
    beginSuppressTokens: r.ints('begin_suppress_tokens'),
    forcedDecoderIds: parseForcedDecoderIds(obj.forced_decoder_ids, 'forced_decoder_ids', problems),
    torchDtype: r.strOrNull('torch_dtype'),
    extra: Object.fromEntries(Object.entries(obj).filter(([k]) => !KNOWN.has(k))),
  };
  if (config.modelType !== 'whisper')
    problems.push(`model_type must be 'whisper', got '${config.modelType}'`);
  problems.push(...whisperConfigProblems(config));
  if (problems.length > 0)
    throw new CheckpointError('CONFIG_INVALID', `invalid Whisper config: ${problems.join('; ')}`, {
      problems,
      ...(path === undefined ? {} : { path }),
    });
  return config;
}

/**
 * Serialises a {@link WhisperConfig} back to the snake_case object transformers reads
 * (the inverse of {@link parseWhisperConfig}; unknown keys from `extra` are kept).
 */
export function whisperConfigToJson(config: WhisperConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config.extra };
  for (const [camel, snake] of Object.entries(KEYS)) {
    const v = config[camel as keyof WhisperConfig];
    if (v === null) continue;
    // transformers' default; written only when false so a load → save round trip adds no keys.
    if (camel === 'tieWordEmbeddings' && v === true) continue;
    out[snake] = v;
  }
  // transformers derives num_hidden_layers from encoder_layers; keep them consistent.
  out.num_hidden_layers = config.encoderLayers;
  if (out.is_encoder_decoder === undefined)
    out.is_encoder_decoder = !config.architectures.includes('WhisperForCausalLM');
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
