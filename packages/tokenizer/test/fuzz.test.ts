// Mutation fuzzing of the tokenizer.json reader: the synthetic Whisper-shaped tokenizer.json
// edited structurally and byte by byte must load (and then encode and decode) or throw
// TokenizerError, nothing else (test-support/fuzz.ts). A few hundred inputs here;
// DW_FUZZ_RUNS=N for the long run.
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fuzz, fuzzRuns, fuzzTimeout, mutatedBytes, mutatedJson } from '../../../test-support/fuzz';
import { parseTokenizerJson, TokenizerError, WhisperTokenizer } from '../src/index.js';
import { syntheticTokenizerJson } from './synthetic.js';

const isTokenizerError = (e: unknown): e is TokenizerError => e instanceof TokenizerError;
const text = new TextDecoder();

/** Loads the file and, when it loads, uses it: encode, decode, special tokens. */
function useTokenizer(bytes: Uint8Array): void {
  const tok = new WhisperTokenizer(parseTokenizerJson(text.decode(bytes)));
  const ids = tok.encode('hello world, <|en|> ünïcödé 🎤');
  tok.decode(ids);
  tok.decode(ids, { skipSpecialTokens: true });
  tok.decode([0, 1, 255].filter((id) => id < tok.vocabSize));
}

describe('fuzz: tokenizer.json', () => {
  const runs = fuzzRuns(300);
  const seed = syntheticTokenizerJson();
  const seedBytes = new TextEncoder().encode(JSON.stringify(seed));

  it(
    'edited structurally',
    async () => {
      await fuzz(
        'tokenizer.json (structural)',
        mutatedJson(seed),
        useTokenizer,
        isTokenizerError,
        runs,
      );
    },
    fuzzTimeout(300, 10),
  );

  it(
    'bytes mutated',
    async () => {
      await fuzz(
        'tokenizer.json (bytes)',
        fc.oneof(mutatedBytes(seedBytes, seedBytes.length), mutatedBytes(seedBytes, 64)),
        useTokenizer,
        isTokenizerError,
        runs,
      );
    },
    fuzzTimeout(300, 10),
  );
});
