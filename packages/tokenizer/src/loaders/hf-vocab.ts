// Shared by the two Hugging Face formats: turns a byte-level vocab (token string → id), merges and
// added tokens into TokenizerData.

import { byteLevelToBytes } from '../byte-level.js';
import { TokenizerError } from '../errors.js';
import {
  validateTokenizerData,
  type AddedToken,
  type TokenizerData,
  type TokenizerFormat,
} from '../vocabulary.js';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new TokenizerError(
      'MALFORMED_FILE',
      `${file} is not valid JSON (${(cause as Error).message}); the file may be truncated — download it again`,
      { cause },
    );
  }
}

export function readVocab(value: unknown, file: string): Map<string, number> {
  if (!isRecord(value)) {
    throw new TokenizerError(
      'MALFORMED_FILE',
      `${file}: expected the vocabulary to be an object of token → id`,
    );
  }
  const vocab = new Map<string, number>();
  for (const token in value) {
    const id = value[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffff) {
      throw new TokenizerError(
        'MALFORMED_FILE',
        `${file}: token ${JSON.stringify(token)} has invalid id ${JSON.stringify(id)}`,
      );
    }
    vocab.set(token, id);
  }
  return vocab;
}

export function buildFromHf(
  format: TokenizerFormat,
  file: string,
  vocab: Map<string, number>,
  merges: ReadonlyArray<readonly [string, string]>,
  added: readonly AddedToken[],
): TokenizerData {
  const addedIds = new Map(added.map((t) => [t.content, t.id] as const));
  const tokenBytes: (Uint8Array | undefined)[] = [];
  for (const [token, id] of vocab) {
    const addedId = addedIds.get(token);
    if (addedId !== undefined) {
      if (addedId !== id) {
        throw new TokenizerError(
          'MALFORMED_FILE',
          `${file}: ${JSON.stringify(token)} has id ${id} in the vocabulary but ${addedId} as an added token`,
        );
      }
      continue;
    }
    const bytes = byteLevelToBytes(token);
    if (bytes === undefined) {
      throw new TokenizerError(
        'UNSUPPORTED_TOKENIZER',
        `${file}: vocabulary token ${JSON.stringify(token)} is not written in the byte-level alphabet; only byte-level BPE (GPT-2 / Whisper) tokenizers are supported`,
      );
    }
    if (tokenBytes[id] !== undefined) {
      throw new TokenizerError(
        'MALFORMED_FILE',
        `${file}: id ${id} is used by two vocabulary tokens`,
      );
    }
    tokenBytes[id] = bytes;
  }
  const triples = new Int32Array(merges.length * 3);
  let n = 0;
  merges.forEach(([left, right], line) => {
    const l = vocab.get(left);
    const r = vocab.get(right);
    const result = vocab.get(left + right);
    if (l === undefined || r === undefined || result === undefined) {
      const missing = l === undefined ? left : r === undefined ? right : left + right;
      throw new TokenizerError(
        'UNKNOWN_MERGE_TOKEN',
        `${file}: merge ${line + 1} (${JSON.stringify(left)} ${JSON.stringify(right)}) refers to ${JSON.stringify(missing)}, which is not in the vocabulary; the vocabulary and merges do not belong together`,
      );
    }
    triples[n++] = l;
    triples[n++] = r;
    triples[n++] = result;
  });
  const data: TokenizerData = {
    format,
    tokenBytes,
    merges: triples,
    addedTokens: [...added].sort((a, b) => a.id - b.id),
  };
  validateTokenizerData(data, file);
  return data;
}
