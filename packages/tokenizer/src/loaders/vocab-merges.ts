import { TokenizerError } from '../errors.js';
import type { AddedToken, TokenizerData } from '../vocabulary.js';
import { buildFromHf, isRecord, parseJson, readVocab } from './hf-vocab.js';

/** Contents of the files of a "slow" Hugging Face tokenizer directory. */
export interface VocabAndMergesFiles {
  /** Text of `vocab.json` (token → id). Required. */
  readonly vocab: string;
  /** Text of `merges.txt`. Required. */
  readonly merges: string;
  /** Text of `added_tokens.json` (token → id), when present. */
  readonly addedTokens?: string;
  /** Text of `special_tokens_map.json`, when present: names the vocab entries that are special. */
  readonly specialTokensMap?: string;
}

function parseMergesTxt(text: string): [string, string][] {
  const merges: [string, string][] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '' || (i === 0 && line.startsWith('#version'))) return;
    const parts = line.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
      throw new TokenizerError(
        'MALFORMED_FILE',
        `merges.txt line ${i + 1}: expected "left right", got ${JSON.stringify(line)}`,
      );
    }
    merges.push([parts[0]!, parts[1]!]);
  });
  return merges;
}

function specialNames(text: string | undefined): Set<string> {
  const names = new Set<string>(['<|endoftext|>']);
  if (text === undefined) return names;
  const json = parseJson(text, 'special_tokens_map.json');
  if (!isRecord(json))
    throw new TokenizerError('MALFORMED_FILE', 'special_tokens_map.json: expected an object');
  const add = (value: unknown): void => {
    if (typeof value === 'string') names.add(value);
    else if (isRecord(value) && typeof value.content === 'string') names.add(value.content);
    else if (Array.isArray(value)) value.forEach(add);
  };
  Object.values(json).forEach(add);
  return names;
}

/**
 * Parses a `vocab.json` + `merges.txt` tokenizer (plus `added_tokens.json` and
 * `special_tokens_map.json` when given). Vocabulary entries named in the special-tokens map (and
 * `<|endoftext|>`) are added tokens, not BPE tokens.
 *
 * @throws {@link TokenizerError} `MALFORMED_FILE`, `UNSUPPORTED_TOKENIZER` or `UNKNOWN_MERGE_TOKEN`.
 *
 * @example
 * ```ts
 * const data = parseVocabAndMerges({
 *   vocab: readFileSync('vocab.json', 'utf8'),
 *   merges: readFileSync('merges.txt', 'utf8'),
 *   addedTokens: readFileSync('added_tokens.json', 'utf8'),
 * });
 * ```
 */
export function parseVocabAndMerges(files: VocabAndMergesFiles): TokenizerData {
  const vocab = readVocab(parseJson(files.vocab, 'vocab.json'), 'vocab.json');
  const merges = parseMergesTxt(files.merges);
  const special = specialNames(files.specialTokensMap);
  const added: AddedToken[] = [];
  for (const [content, id] of vocab) {
    if (special.has(content)) added.push({ id, content, special: true });
  }
  if (files.addedTokens !== undefined) {
    const extra = readVocab(parseJson(files.addedTokens, 'added_tokens.json'), 'added_tokens.json');
    for (const [content, id] of extra) {
      if (vocab.has(content)) continue;
      added.push({ id, content, special: special.has(content) });
    }
  }
  return buildFromHf('vocab.json+merges.txt', 'vocab.json/merges.txt', vocab, merges, added);
}
