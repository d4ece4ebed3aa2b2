// The format-independent description of a byte-level BPE tokenizer that every loader produces, and
// the derivation of the merge table from it.

import { TokenizerError } from './errors.js';
import { PairTable } from './pair-table.js';

/** A token matched as a whole in text (when allowed) and decoded as its content, e.g. `<|en|>`. */
export interface AddedToken {
  /** Token id. */
  readonly id: number;
  /** Exact text of the token, e.g. `"<|startoftranscript|>"` or `"<|1.08|>"`. */
  readonly content: string;
  /** Whether the source file marks it special (Hugging Face `special`; true for every tiktoken special). */
  readonly special: boolean;
}

/** Where a {@link TokenizerData} came from. */
export type TokenizerFormat = 'tokenizer.json' | 'vocab.json+merges.txt' | 'tiktoken';

/**
 * A loaded byte-level BPE vocabulary, independent of the file format. Produced by the loaders
 * ({@link parseTokenizerJson}, {@link parseVocabAndMerges}, {@link parseTiktoken}) and consumed by
 * {@link WhisperTokenizer}.
 */
export interface TokenizerData {
  /** File format it was read from. */
  readonly format: TokenizerFormat;
  /**
   * Bytes of every BPE token, indexed by id; `undefined` at ids that are added tokens or unused. The
   * empty token of the multilingual vocabulary (id 50256) is an empty array.
   */
  readonly tokenBytes: ReadonlyArray<Uint8Array | undefined>;
  /**
   * Merge rules in priority order as flat `[left, right, result]` id triples (Hugging Face merges),
   * or `'ranks'`: any two adjacent tokens whose concatenated bytes form a token merge, lower token
   * id first (tiktoken's rule, where the id is the rank).
   */
  readonly merges: Int32Array | 'ranks';
  /** Added (special) tokens, in id order. */
  readonly addedTokens: readonly AddedToken[];
}

/** Latin-1 string of a byte array: a cheap, exact Map key for byte strings. */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Builds the pair table the BPE engine runs on. */
export function buildPairTable(data: TokenizerData): PairTable {
  if (data.merges !== 'ranks') {
    const triples = data.merges;
    const table = new PairTable(triples.length / 3);
    for (let k = 0, i = 0; i < triples.length; i += 3, k++) {
      table.add(triples[i]!, triples[i + 1]!, k, triples[i + 2]!);
    }
    return table;
  }
  // tiktoken: a pair merges when its concatenated bytes are a token; resolved on first use, which
  // costs far less at load time than enumerating every split of every token.
  const keys: (string | undefined)[] = [];
  const idByBytes = new Map<string, number>();
  data.tokenBytes.forEach((bytes, id) => {
    if (bytes === undefined || bytes.length === 0) return;
    const key = latin1(bytes);
    keys[id] = key;
    idByBytes.set(key, id);
  });
  return new PairTable(4 * data.tokenBytes.length, (left, right) => {
    const l = keys[left];
    const r = keys[right];
    if (l === undefined || r === undefined) return -1;
    return idByBytes.get(l + r) ?? -1;
  });
}

/** Checks the invariants every loader must produce; throws `MALFORMED_FILE` otherwise. */
export function validateTokenizerData(data: TokenizerData, file: string): void {
  const seen = new Set<number>();
  for (const token of data.addedTokens) {
    // The same bound as vocabulary ids (hf-vocab.ts): the tokenizer allocates tables of the
    // largest id, so an id of 2^53 in a corrupt file must be refused here, not reach `new Array`.
    if (!Number.isInteger(token.id) || token.id < 0 || token.id > 0xffffff) {
      throw new TokenizerError(
        'MALFORMED_FILE',
        `${file}: added token ${JSON.stringify(token.content)} has invalid id ${token.id}`,
      );
    }
    if (data.tokenBytes[token.id] !== undefined) {
      throw new TokenizerError(
        'MALFORMED_FILE',
        `${file}: id ${token.id} is both a BPE token and the added token ${JSON.stringify(token.content)}`,
      );
    }
    if (seen.has(token.id)) {
      throw new TokenizerError(
        'MALFORMED_FILE',
        `${file}: id ${token.id} is used by two added tokens`,
      );
    }
    seen.add(token.id);
  }
}
