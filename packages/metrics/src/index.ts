export { MetricsError, type MetricsErrorCode } from './errors.js';
export {
  BasicTextNormalizer,
  removeBracketedText,
  removeSymbols,
  removeSymbolsAndDiacritics,
  type BasicTextNormalizerOptions,
} from './normalizers/basic.js';
export { EnglishNumberNormalizer } from './normalizers/english-numbers.js';
export {
  EnglishSpellingNormalizer,
  spellingMapFromObject,
  type SpellingMap,
} from './normalizers/english-spelling.js';
export {
  EnglishTextNormalizer,
  MISSING_SPELLING_MAP_WARNING,
  type EnglishTextNormalizerOptions,
} from './normalizers/english.js';
export {
  SPELLING_MAP_FILE,
  loadSpellingMap,
  loadSpellingMapSync,
} from './normalizers/spelling-map-file.js';
export {
  createNormalizer,
  type CreateNormalizerOptions,
  type NormalizerName,
} from './normalizers/create.js';
export {
  alignTexts,
  alignTokens,
  cer,
  corpusCer,
  corpusWer,
  errorMeasures,
  measureCorpus,
  measureTexts,
  measureTokens,
  splitCharacters,
  splitWords,
  wer,
  type AlignedPair,
  type Alignment,
  type CorpusMeasures,
  type CorpusOptions,
  type ErrorMeasures,
  type MeasureOptions,
  type TextNormalizer,
  type TokenUnit,
} from './wer/measures.js';
export { type EditCounts } from './wer/edit-distance.js';
export { repeatedNgrams, repeatedWordNgrams, type NgramRepetition } from './wer/ngrams.js';
export {
  werFilter,
  type WerFilterDecision,
  type WerFilterOptions,
  type WerFilterReason,
} from './filter.js';
export { runWerCli, type CliIo } from './cli/run-wer-cli.js';
