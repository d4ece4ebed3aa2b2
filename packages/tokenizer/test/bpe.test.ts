// The BPE engine itself: rank-based (tiktoken) and merge-based (Hugging Face) tables, short and
// long merge strategies, all giving the same ids.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasReference, referencePath } from '../../../test-support/reference';
import { BytePairMerger } from '../src/bpe.js';
import { parseTiktoken, parseTokenizerJson, type TokenizerData } from '../src/index.js';
import { buildPairTable } from '../src/vocabulary.js';

function merger(data: TokenizerData): BytePairMerger {
  const singles: number[] = [];
  data.tokenBytes.forEach((b, id) => {
    if (b?.length === 1) singles[b[0]!] = id;
  });
  return new BytePairMerger(buildPairTable(data), singles);
}

// Deterministic generator so that a failure reproduces.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe.skipIf(!hasReference('tokenizer BPE engine'))('BPE engine', () => {
  const variants = [
    ['gpt2.tiktoken', 'en'],
    ['multilingual.tiktoken', 'multilingual-v2'],
  ] as const;

  it.each(variants)(
    '%s ranks and %s merges give every token back, with both strategies',
    (rankFile, dir) => {
      const ranks = parseTiktoken(readFileSync(referencePath('assets', rankFile), 'utf8'));
      const merges = parseTokenizerJson(
        readFileSync(referencePath('tokenizers', dir, 'tokenizer.json'), 'utf8'),
      );
      const byRank = merger(ranks);
      const byMerge = merger(merges);
      let checked = 0;
      ranks.tokenBytes.forEach((bytes, id) => {
        if (bytes === undefined || bytes.length === 0) return;
        for (const m of [byRank, byMerge]) {
          for (const strategy of ['short', 'long'] as const) {
            const out: number[] = [];
            m.encodeBytesWith(strategy, bytes, out);
            if (out.length !== 1 || out[0] !== id)
              expect({ id, strategy, out }).toEqual({ id, strategy, out: [id] });
          }
        }
        checked++;
      });
      expect(checked).toBe(
        ranks.tokenBytes.length - (rankFile === 'multilingual.tiktoken' ? 1 : 0),
      );

      // Random concatenations of 2–40 tokens: all four computations agree.
      const random = lcg(42);
      const ids = ranks.tokenBytes.length - 1;
      for (let trial = 0; trial < 3000; trial++) {
        const parts: number[] = [];
        const count = 2 + Math.floor(random() * 39);
        for (let k = 0; k < count; k++)
          parts.push(...(ranks.tokenBytes[Math.floor(random() * ids)] ?? []));
        const bytes = Uint8Array.from(parts);
        const results = [byRank, byMerge].flatMap((m) =>
          (['short', 'long'] as const).map((strategy) => {
            const out: number[] = [];
            m.encodeBytesWith(strategy, bytes, out);
            return out;
          }),
        );
        for (const r of results.slice(1)) {
          if (JSON.stringify(r) !== JSON.stringify(results[0])) expect(r).toEqual(results[0]);
        }
      }
    },
  );

  it('long pieces of few distinct bytes merge identically with both strategies', () => {
    const m = merger(
      parseTiktoken(readFileSync(referencePath('assets', 'multilingual.tiktoken'), 'utf8')),
    );
    const random = lcg(7);
    for (let trial = 0; trial < 200; trial++) {
      const alphabet = [0x61, 0x62, 0x20, 0xe4, 0xb8, 0x80, 0x21].slice(
        0,
        1 + Math.floor(random() * 7),
      );
      const bytes = Uint8Array.from(
        { length: 1 + Math.floor(random() * 400) },
        () => alphabet[Math.floor(random() * alphabet.length)]!,
      );
      const short: number[] = [];
      const long: number[] = [];
      m.encodeBytesWith('short', bytes, short);
      m.encodeBytesWith('long', bytes, long);
      expect(long).toEqual(short);
    }
  });
});
