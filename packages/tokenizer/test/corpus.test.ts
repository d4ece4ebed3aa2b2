// Parity: every corpus line encodes to exactly the reference ids and decodes back, for every loader
// (tiktoken ranks, tokenizer.json, vocab.json + merges.txt) and every vocabulary variant.
import { describe, expect, it } from 'vitest';
import { hasReference } from '../../../test-support/reference';
import { readCorpus, tokenizer, VARIANTS, type VariantName } from './helpers.js';

describe.skipIf(!hasReference('tokenizer corpus parity'))('reference corpus', () => {
  const names = Object.keys(VARIANTS) as VariantName[];

  it.each(names)('%s encodes and decodes all 385 strings exactly', (name) => {
    const tok = tokenizer(name);
    const corpus = readCorpus(VARIANTS[name].corpus);
    expect(corpus.length).toBe(385);
    const encodeMismatches: string[] = [];
    const decodeMismatches: string[] = [];
    for (const line of corpus) {
      if (JSON.stringify(tok.encode(line.text)) !== JSON.stringify(line.ids))
        encodeMismatches.push(line.text);
      if (tok.decode(line.ids) !== line.text) decodeMismatches.push(line.text);
      if (tok.decodeWithTimestamps(line.ids) !== line.text) decodeMismatches.push(line.text);
    }
    expect(encodeMismatches).toEqual([]);
    expect(decodeMismatches).toEqual([]);
  });

  it('ordinary ids never reach the special range', () => {
    for (const name of ['en', 'multilingual-v3'] as const) {
      const tok = tokenizer(name);
      for (const line of readCorpus(VARIANTS[name].corpus)) {
        for (const id of tok.encode(line.text)) expect(id).toBeLessThan(tok.special.eot);
      }
    }
  });

  it('javascript whitespace semantics agree on the corpus (which avoids U+0085 / U+FEFF)', () => {
    const tok = tokenizer('multilingual-v2', { whitespace: 'javascript' });
    for (const line of readCorpus('multilingual.jsonl'))
      expect(tok.encode(line.text)).toEqual(line.ids);
  });

  it('HF directories agree with the .tiktoken loaders on every token id', () => {
    for (const [hf, tik] of [
      ['en', 'tiktoken-gpt2'],
      ['multilingual-v2', 'tiktoken-multilingual'],
      ['multilingual-v3', 'tiktoken-multilingual-v3'],
    ] as const) {
      const a = tokenizer(hf);
      const b = tokenizer(tik);
      expect(a.vocabSize).toBe(b.vocabSize);
      const differing: number[] = [];
      for (let id = 0; id < a.vocabSize; id++) {
        if (!Buffer.from(a.tokenBytes(id)).equals(Buffer.from(b.tokenBytes(id))))
          differing.push(id);
      }
      // Only the no-speech token differs: <|nocaptions|> in HF en / v2 folders, <|nospeech|> in
      // openai's tiktoken specials (and in the v3 folder).
      expect(differing).toEqual(hf === 'multilingual-v3' ? [] : [a.special.noSpeech]);
      expect(a.special).toEqual(b.special);
    }
  });
});
