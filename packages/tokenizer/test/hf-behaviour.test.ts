// Hugging Face behaviour: added-token text recognised when allowed (special_text_cases.json),
// decoder prompts (prefix.json), and the U+0085 / U+FEFF whitespace divergence.
import { describe, expect, it } from 'vitest';
import { hasReference } from '../../../test-support/reference';
import { pretokenize } from '../src/index.js';
import { readReferenceJson, tokenizer, type VariantName } from './helpers.js';

interface SpecialTextCase {
  text: string;
  ids: number[];
  ordinary_ids: number[];
}
interface PrefixVariant {
  multilingual: boolean;
  prefix_tokens: string[];
  prefix_ids: number[];
  decoder_start_token_id: number;
  forced_decoder_ids: [number, number][];
  eos_token_id: number;
  cases: {
    text: string;
    ids: number[];
    input_ids: number[];
    input_ids_default_template: number[];
    decoded: string;
    decoded_skip_special: string;
  }[];
}
interface Divergence {
  variant: 'gpt2' | 'multilingual';
  text: string;
  ids_js_regex: number[];
  ids_unicode_white_space: number[];
  pieces_unicode_white_space: string[];
}

const TIKTOKEN: Record<string, VariantName> = {
  en: 'tiktoken-gpt2',
  'multilingual-v2': 'tiktoken-multilingual',
  'multilingual-v3': 'tiktoken-multilingual-v3',
};

describe.skipIf(!hasReference('tokenizer HF behaviour'))('Hugging Face behaviour', () => {
  const special = readReferenceJson<{ variants: Record<string, SpecialTextCase[]> }>(
    'tokenization',
    'special_text_cases.json',
  );

  it.each(Object.keys(special.variants))(
    '%s: allowedSpecial "all" recognises added-token text as HF does',
    (variant) => {
      const hf = tokenizer(variant as VariantName);
      const openai = tokenizer(TIKTOKEN[variant]!);
      for (const c of special.variants[variant]!) {
        expect(hf.encode(c.text, { allowedSpecial: 'all' })).toEqual(c.ids);
        expect(hf.encode(c.text)).toEqual(c.ordinary_ids);
        expect(openai.encode(c.text)).toEqual(c.ordinary_ids);
        // openai/whisper names the no-speech token <|nospeech|> in every vocabulary.
        const openaiText = c.text.replace('<|nocaptions|>', '<|nospeech|>');
        expect(openai.encode(openaiText, { allowedSpecial: 'all' })).toEqual(c.ids);
        expect(hf.decode(c.ids)).toBe(c.text.replace(/<\|\d+\.\d\d\|>/g, ''));
        expect(hf.decodeWithTimestamps(c.ids)).toBe(c.text);
      }
    },
  );

  it('allowedSpecial as a list admits only the listed tokens', () => {
    const tok = tokenizer('multilingual-v2');
    const text = '<|startoftranscript|><|en|> hi<|endoftext|>';
    const ids = tok.encode(text, { allowedSpecial: ['<|en|>'] });
    expect(ids).toContain(tok.languageToken('en'));
    expect(ids).not.toContain(tok.special.sot);
    expect(ids).not.toContain(tok.special.eot);
    expect(tok.decode(ids)).toBe(text);
    expect(() =>
      tok.encode(text, { allowedSpecial: ['<|en|>'], disallowedSpecial: 'all' }),
    ).toThrow(/<\|startoftranscript\|>/);
    expect(() => tok.encode('x', { allowedSpecial: ['<|nope|>'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    // Malformed and nested brackets stay text.
    expect(tok.encode('<|<|en|>|>', { allowedSpecial: 'all' })).toEqual([
      ...tok.encode('<|'),
      tok.languageToken('en'),
      ...tok.encode('|>'),
    ]);
  });

  const prefix = readReferenceJson<{ variants: Record<string, PrefixVariant> }>(
    'tokenization',
    'prefix.json',
  );

  it.each(Object.keys(prefix.variants))(
    '%s: decoder prompt, labels and decoding match prefix.json',
    (variant) => {
      const ref = prefix.variants[variant]!;
      for (const name of [variant as VariantName, TIKTOKEN[variant]!]) {
        const tok = tokenizer(name);
        const options = { language: 'en', task: 'transcribe', noTimestamps: true } as const;
        expect(tok.sotSequence(options)).toEqual(ref.prefix_ids);
        expect(tok.special.sot).toBe(ref.decoder_start_token_id);
        expect(tok.special.eot).toBe(ref.eos_token_id);
        expect(tok.forcedDecoderIds(options)).toEqual(ref.forced_decoder_ids);
        for (const c of ref.cases) {
          expect(tok.encode(c.text)).toEqual(c.ids);
          expect(tok.encodeWithPrefix(c.text, options)).toEqual(c.input_ids);
          expect(tok.decode(c.input_ids)).toBe(c.decoded);
          expect(tok.decode(c.input_ids, { skipSpecialTokens: true })).toBe(c.decoded_skip_special);
          const template = [tok.special.sot, tok.special.noTimestamps, ...c.ids, tok.special.eot];
          expect(template).toEqual(c.input_ids_default_template);
        }
      }
      if (variant !== 'en')
        expect(tokenizer(variant as VariantName).idToToken(ref.prefix_ids[1]!)).toBe(
          ref.prefix_tokens[1],
        );
    },
  );

  it('U+0085 / U+FEFF: unicode semantics give tiktoken-rust ids, javascript semantics js-tiktoken ids', () => {
    const cases = readReferenceJson<Divergence[]>('tokenization', 'whitespace_divergence.json');
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) {
      const name = c.variant === 'gpt2' ? 'tiktoken-gpt2' : 'multilingual-v2';
      expect(tokenizer(name).encode(c.text)).toEqual(c.ids_unicode_white_space);
      expect(tokenizer(name, { whitespace: 'javascript' }).encode(c.text)).toEqual(c.ids_js_regex);
      expect(pretokenize(c.text)).toEqual(c.pieces_unicode_white_space);
      expect(tokenizer(name).decode(c.ids_js_regex)).toBe(c.text);
    }
  });
});
