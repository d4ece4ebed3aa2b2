/**
 * @packageDocumentation
 * The Whisper byte-level BPE tokenizer in pure TypeScript: loads `tokenizer.json`,
 * `vocab.json` + `merges.txt` or OpenAI `.tiktoken` files and gives the ids, special-token
 * sequences and text of openai/whisper and Hugging Face transformers.
 */
export { WhisperTokenizer } from './whisper-tokenizer.js';
export type {
  DecodeOptions,
  EncodeOptions,
  ModelVocabulary,
  PromptOptions,
  SotOptions,
  WhisperSpecialIds,
  WhisperTask,
  WhisperTokenizerOptions,
} from './whisper-tokenizer.js';
export { TokenizerError } from './errors.js';
export type { TokenizerErrorCode } from './errors.js';
export { WHISPER_LANGUAGES, toLanguageCode } from './languages.js';
export type { WhisperLanguage } from './languages.js';
export { parseTokenizerJson } from './loaders/tokenizer-json.js';
export { parseVocabAndMerges } from './loaders/vocab-merges.js';
export type { VocabAndMergesFiles } from './loaders/vocab-merges.js';
export { parseTiktoken, whisperSpecialTokenNames } from './loaders/tiktoken.js';
export type { TiktokenOptions } from './loaders/tiktoken.js';
export { loadTokenizerData, loadTokenizerDataSync } from './loaders/load.js';
export type { LoadOptions } from './loaders/load.js';
export type { AddedToken, TokenizerData, TokenizerFormat } from './vocabulary.js';
export { pretokenize } from './pretokenize.js';
export type { WhitespaceSemantics } from './pretokenize.js';
export { TIME_PRECISION, TIMESTAMP_COUNT } from './timestamps.js';
export { LANGUAGES_WITHOUT_SPACES } from './word-split.js';
export type { WordSplit } from './word-split.js';
