// Dimensions of released Whisper / Distil-Whisper checkpoints and the special-token layout of
// each Whisper vocabulary (facts from the released config.json / generation_config.json files).
import type { WhisperConfig } from './config';
import type { WhisperGenerationConfig } from './generation-config';

/** Graph dimensions of a Whisper model. */
export interface WhisperDims {
  dModel: number;
  encoderLayers: number;
  decoderLayers: number;
  encoderAttentionHeads: number;
  decoderAttentionHeads: number;
  encoderFfnDim: number;
  decoderFfnDim: number;
  vocabSize: number;
  numMelBins: number;
  maxSourcePositions: number;
  maxTargetPositions: number;
}

/** Names of the built-in presets. */
export type PresetName = 'tiny' | 'small.en' | 'distil-small.en' | 'large-v3' | 'distil-large-v3';

const base = { maxSourcePositions: 1500, maxTargetPositions: 448 };

/** Dimensions of the released checkpoints of each preset name. */
export const PRESETS: Readonly<Record<PresetName, Readonly<WhisperDims>>> = {
  tiny: {
    ...base,
    dModel: 384,
    encoderLayers: 4,
    decoderLayers: 4,
    encoderAttentionHeads: 6,
    decoderAttentionHeads: 6,
    encoderFfnDim: 1536,
    decoderFfnDim: 1536,
    vocabSize: 51865,
    numMelBins: 80,
  },
  'small.en': {
    ...base,
    dModel: 768,
    encoderLayers: 12,
    decoderLayers: 12,
    encoderAttentionHeads: 12,
    decoderAttentionHeads: 12,
    encoderFfnDim: 3072,
    decoderFfnDim: 3072,
    vocabSize: 51864,
    numMelBins: 80,
  },
  'distil-small.en': {
    ...base,
    dModel: 768,
    encoderLayers: 12,
    decoderLayers: 2,
    encoderAttentionHeads: 12,
    decoderAttentionHeads: 12,
    encoderFfnDim: 3072,
    decoderFfnDim: 3072,
    vocabSize: 51864,
    numMelBins: 80,
  },
  'large-v3': {
    ...base,
    dModel: 1280,
    encoderLayers: 32,
    decoderLayers: 32,
    encoderAttentionHeads: 20,
    decoderAttentionHeads: 20,
    encoderFfnDim: 5120,
    decoderFfnDim: 5120,
    vocabSize: 51866,
    numMelBins: 128,
  },
  'distil-large-v3': {
    ...base,
    dModel: 1280,
    encoderLayers: 32,
    decoderLayers: 2,
    encoderAttentionHeads: 20,
    decoderAttentionHeads: 20,
    encoderFfnDim: 5120,
    decoderFfnDim: 5120,
    vocabSize: 51866,
    numMelBins: 128,
  },
};

/** The three Whisper vocabularies, named like the reference tokenizer folders. */
export type VocabularyVariant = 'en' | 'multilingual-v2' | 'multilingual-v3';

/** Language codes in the order of their tokens (openai/whisper's LANGUAGES; `yue` only in v3). */
export const LANGUAGE_CODES: readonly string[] = (
  'en zh de es ru ko fr ja pt tr pl ca nl ar sv it id hi fi vi he uk el ms cs ro da hu ta no th ur hr bg lt la mi ml cy ' +
  'sk te fa lv bn sr az sl kn et mk br eu is hy ne mn bs kk sq sw gl mr pa si km sn yo so af oc ka be tg sd gu am yi lo ' +
  'uz fo ht ps tk nn mt sa lb my bo tl mg as tt haw ln ha ba jw su yue'
).split(' ');

// Non-speech token ids (openai/whisper Tokenizer.non_speech_tokens) of each BPE vocabulary.
const NON_SPEECH_GPT2 = [
  1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63, 90, 91, 92, 93, 357, 366,
  438, 532, 685, 705, 796, 930, 1058, 1220, 1267, 1279, 1303, 1343, 1377, 1391, 1635, 1782, 1875,
  2162, 2361, 2488, 3467, 4008, 4211, 4600, 4808, 5299, 5855, 6329, 7203, 9609, 9959, 10563, 10786,
  11420, 11709, 11907, 13163, 13697, 13700, 14808, 15306, 16410, 16791, 17992, 19203, 19510, 20724,
  22305, 22935, 27007, 30109, 30420, 33409, 34949, 40283, 40493, 40549, 47282, 49146,
];
const NON_SPEECH_MULTILINGUAL = [
  1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63, 90, 91, 92, 93, 359, 503,
  522, 542, 873, 893, 902, 918, 922, 931, 1350, 1853, 1982, 2460, 2627, 3246, 3253, 3268, 3536,
  3846, 3961, 4183, 4667, 6585, 6647, 7273, 9061, 9383, 10428, 10929, 11938, 12033, 12331, 12562,
  13793, 14157, 14635, 15265, 15618, 16553, 16604, 18362, 18956, 20075, 21675, 22520, 26130, 26161,
  26435, 28279, 29464, 31650, 32302, 32470, 36865, 42863, 47425, 49870, 50254,
];

/** Control-token ids of a Whisper vocabulary. */
export interface SpecialTokenLayout {
  variant: VocabularyVariant;
  eot: number;
  sot: number;
  /** `'<|en|>'` → id. */
  langToId: Record<string, number>;
  translate: number;
  transcribe: number;
  sotLm: number;
  sotPrev: number;
  noSpeech: number;
  noTimestamps: number;
  timestampBegin: number;
  multilingual: boolean;
}

/** The vocabulary variant implied by a vocabulary size, if it is one of Whisper's. */
export function vocabularyVariant(vocabSize: number): VocabularyVariant | undefined {
  return vocabSize === 51864
    ? 'en'
    : vocabSize === 51865
      ? 'multilingual-v2'
      : vocabSize === 51866
        ? 'multilingual-v3'
        : undefined;
}

/** Special-token ids of a Whisper vocabulary, laid out as openai/whisper's tokenizer does. */
export function specialTokenLayout(variant: VocabularyVariant): SpecialTokenLayout {
  const eot = variant === 'en' ? 50256 : 50257;
  const languages = variant === 'multilingual-v3' ? LANGUAGE_CODES : LANGUAGE_CODES.slice(0, 99);
  const sot = eot + 1;
  const langToId: Record<string, number> = {};
  languages.forEach((code, i) => (langToId[`<|${code}|>`] = sot + 1 + i));
  const translate = sot + 1 + languages.length;
  return {
    variant,
    eot,
    sot,
    langToId,
    translate,
    transcribe: translate + 1,
    sotLm: translate + 2,
    sotPrev: translate + 3,
    noSpeech: translate + 4,
    noTimestamps: translate + 5,
    timestampBegin: translate + 6,
    multilingual: variant !== 'en',
  };
}

/**
 * generation_config.json content of a released checkpoint with this config's vocabulary
 * (suppress lists, forced prefix, language/task tables, alignment heads = every head of the
 * upper half of the decoder layers). Returns a minimal config for non-Whisper vocabularies.
 */
export function defaultGenerationConfig(config: WhisperConfig): WhisperGenerationConfig {
  const variant = vocabularyVariant(config.vocabSize);
  const heads: Array<[number, number]> = [];
  for (let l = Math.floor(config.decoderLayers / 2); l < config.decoderLayers; l++)
    for (let h = 0; h < config.decoderAttentionHeads; h++) heads.push([l, h]);
  const empty: WhisperGenerationConfig = {
    decoderStartTokenId: config.decoderStartTokenId,
    eosTokenId: config.eosTokenId,
    padTokenId: config.padTokenId,
    bosTokenId: config.bosTokenId,
    maxLength: config.maxTargetPositions,
    forcedDecoderIds: null,
    suppressTokens: [],
    beginSuppressTokens: [],
    langToId: {},
    taskToId: {},
    noTimestampsTokenId: null,
    prevSotTokenId: null,
    isMultilingual: null,
    maxInitialTimestampIndex: null,
    alignmentHeads: heads,
    returnTimestamps: null,
    medianFilterWidth: null,
    extra: {},
  };
  if (!variant) return empty;
  const s = specialTokenLayout(variant);
  const nonSpeech = variant === 'en' ? NON_SPEECH_GPT2 : NON_SPEECH_MULTILINGUAL;
  return {
    ...empty,
    decoderStartTokenId: s.sot,
    eosTokenId: s.eot,
    padTokenId: s.eot,
    bosTokenId: s.eot,
    forcedDecoderIds: s.multilingual
      ? [
          [1, null],
          [2, s.transcribe],
        ]
      : [[1, s.noTimestamps]],
    suppressTokens: [
      ...nonSpeech,
      s.sot,
      s.translate,
      s.transcribe,
      s.sotLm,
      s.sotPrev,
      s.noSpeech,
    ],
    beginSuppressTokens: [220, s.eot],
    langToId: s.multilingual ? s.langToId : {},
    taskToId: s.multilingual ? { transcribe: s.transcribe, translate: s.translate } : {},
    noTimestampsTokenId: s.noTimestamps,
    prevSotTokenId: s.sotPrev,
    isMultilingual: s.multilingual,
    maxInitialTimestampIndex: 50,
    returnTimestamps: false,
  };
}
