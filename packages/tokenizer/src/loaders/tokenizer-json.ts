import { TokenizerError } from '../errors.js';
import type { AddedToken, TokenizerData } from '../vocabulary.js';
import { buildFromHf, isRecord, parseJson, readVocab } from './hf-vocab.js';

const FILE = 'tokenizer.json';

function describeType(value: unknown): string {
  return isRecord(value) && typeof value.type === 'string' ? value.type : JSON.stringify(value);
}

// The Whisper pre-tokenizer is ByteLevel with the GPT-2 regex; anything else would tokenise
// differently, so it is refused rather than silently approximated.
function checkPipeline(json: Record<string, unknown>): void {
  const pre = json.pre_tokenizer;
  if (pre !== undefined && pre !== null) {
    if (!isRecord(pre) || pre.type !== 'ByteLevel') {
      throw new TokenizerError(
        'UNSUPPORTED_TOKENIZER',
        `${FILE}: pre_tokenizer ${describeType(pre)} is not supported (expected ByteLevel)`,
      );
    }
    if (pre.add_prefix_space === true || pre.use_regex === false) {
      throw new TokenizerError(
        'UNSUPPORTED_TOKENIZER',
        `${FILE}: ByteLevel with add_prefix_space=true or use_regex=false is not supported (Whisper uses neither)`,
      );
    }
  }
  const normalizer = json.normalizer;
  if (normalizer !== undefined && normalizer !== null) {
    throw new TokenizerError(
      'UNSUPPORTED_TOKENIZER',
      `${FILE}: normalizer ${describeType(normalizer)} is not supported (Whisper tokenizers have none)`,
    );
  }
}

function readMerges(value: unknown): [string, string][] {
  if (!Array.isArray(value))
    throw new TokenizerError('MALFORMED_FILE', `${FILE}: model.merges must be an array`);
  return value.map((entry: unknown, i): [string, string] => {
    // Two spellings exist: "left right" (tokenizers < 0.20) and ["left", "right"].
    if (typeof entry === 'string') {
      const parts = entry.split(' ');
      if (parts.length === 2) return [parts[0]!, parts[1]!];
    } else if (
      Array.isArray(entry) &&
      entry.length === 2 &&
      typeof entry[0] === 'string' &&
      typeof entry[1] === 'string'
    ) {
      return [entry[0], entry[1]];
    }
    throw new TokenizerError(
      'MALFORMED_FILE',
      `${FILE}: model.merges[${i}] is ${JSON.stringify(entry)}, expected "left right" or ["left", "right"]`,
    );
  });
}

function readAddedTokens(value: unknown): AddedToken[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new TokenizerError('MALFORMED_FILE', `${FILE}: added_tokens must be an array`);
  return value.map((entry: unknown, i): AddedToken => {
    if (
      !isRecord(entry) ||
      typeof entry.content !== 'string' ||
      typeof entry.id !== 'number' ||
      !Number.isInteger(entry.id)
    ) {
      throw new TokenizerError(
        'MALFORMED_FILE',
        `${FILE}: added_tokens[${i}] needs an integer id and a string content`,
      );
    }
    return { id: entry.id, content: entry.content, special: entry.special === true };
  });
}

/**
 * Parses the text of a Hugging Face `tokenizer.json` (byte-level BPE, as shipped with every Whisper
 * and Distil-Whisper checkpoint).
 *
 * @throws {@link TokenizerError} `MALFORMED_FILE` for invalid or truncated JSON or missing fields,
 * `UNSUPPORTED_TOKENIZER` for a model / pre-tokenizer / normalizer other than Whisper's,
 * `UNKNOWN_MERGE_TOKEN` when a merge names a token missing from the vocabulary.
 *
 * @example
 * ```ts
 * const data = parseTokenizerJson(readFileSync('tokenizer.json', 'utf8'));
 * const tokenizer = new WhisperTokenizer(data);
 * ```
 */
export function parseTokenizerJson(text: string): TokenizerData {
  const json = parseJson(text, FILE);
  if (!isRecord(json) || !isRecord(json.model)) {
    throw new TokenizerError('MALFORMED_FILE', `${FILE}: missing the "model" object`);
  }
  const model = json.model;
  if (model.type !== undefined && model.type !== 'BPE') {
    throw new TokenizerError(
      'UNSUPPORTED_TOKENIZER',
      `${FILE}: model type ${JSON.stringify(model.type)} is not supported (expected BPE)`,
    );
  }
  if (model.continuing_subword_prefix || model.end_of_word_suffix || model.dropout) {
    throw new TokenizerError(
      'UNSUPPORTED_TOKENIZER',
      `${FILE}: BPE with a subword prefix/suffix or dropout is not byte-level BPE`,
    );
  }
  checkPipeline(json);
  const vocab = readVocab(model.vocab, `${FILE} model.vocab`);
  return buildFromHf(
    'tokenizer.json',
    FILE,
    vocab,
    readMerges(model.merges),
    readAddedTokens(json.added_tokens),
  );
}
