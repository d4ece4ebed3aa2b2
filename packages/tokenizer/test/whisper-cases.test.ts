// openai/whisper's tokenizer behaviour (whisper_cases.json): special ids, sot sequences, word
// splitting, decoding with and without timestamps, partial UTF-8, non-speech tokens.
import { describe, expect, it } from 'vitest';
import { hasReference } from '../../../test-support/reference';
import { TokenizerError, WHISPER_LANGUAGES, type WhisperTokenizer } from '../src/index.js';
import { readReferenceJson, tokenizer, type VariantName } from './helpers.js';

interface TokenizerSpec {
  multilingual: boolean;
  num_languages: number;
  language?: string;
}
interface SpecialIds {
  n_vocab: number;
  eot: number;
  sot: number;
  translate: number;
  transcribe: number;
  sot_lm: number;
  sot_prev: number;
  no_speech: number;
  no_timestamps: number;
  timestamp_begin: number;
  timestamp_last: number;
  language_tokens_sorted: number[];
  language_codes_by_id: string[];
}
interface WhisperCases {
  upstream_tests: [
    {
      expect: {
        sot: number;
        sot_sequence: number[];
        language_tokens_sorted: number[];
        timestamp_begin: number;
      };
    },
    { text: string; expect: { gpt2_ids: number[]; multilingual_ids: number[] } },
    { tokens: number[]; expect: { words: string[]; word_tokens: number[][] } },
  ];
  derived: {
    special_tokens: Record<'gpt2_99' | 'multilingual_99' | 'multilingual_100', SpecialIds>;
    sot_sequences: {
      multilingual: boolean;
      num_languages: number;
      language_argument: string | null;
      task_argument: 'transcribe' | 'translate' | null;
      sot_sequence: number[];
      sot_sequence_including_notimestamps: number[];
    }[];
    word_splitting: {
      name: string;
      tokenizer: TokenizerSpec;
      method: string;
      text: string;
      appended_tokens: number[];
      tokens: number[];
      words: string[];
      word_tokens: number[][];
    }[];
    decode_vs_decode_with_timestamps: {
      tokenizer: TokenizerSpec;
      tokens: number[];
      decode: string;
      decode_with_timestamps: string;
    }[];
    partial_utf8_decode: {
      cases: { ranks: 'gpt2' | 'multilingual'; what: string; tokens: number[]; decode: string }[];
    };
    non_speech_tokens: { gpt2: number[]; multilingual: number[] };
    encode_rejects_special_token_text: { cases: Record<string, boolean> };
  };
}

function openai(spec: { multilingual: boolean; num_languages: number }): VariantName {
  if (!spec.multilingual) return 'tiktoken-gpt2';
  return spec.num_languages === 100 ? 'tiktoken-multilingual-v3' : 'tiktoken-multilingual';
}
// The Hugging Face folder with the same vocabulary.
const HF: Record<string, VariantName> = {
  'tiktoken-gpt2': 'en',
  'tiktoken-multilingual': 'multilingual-v2',
  'tiktoken-multilingual-v3': 'multilingual-v3',
};

describe.skipIf(!hasReference('tokenizer whisper cases'))('openai/whisper behaviour', () => {
  const cases = readReferenceJson<WhisperCases>('tokenization', 'whisper_cases.json');
  const d = cases.derived;

  it.each(['gpt2_99', 'multilingual_99', 'multilingual_100'] as const)(
    'special ids of %s',
    (key) => {
      const ref = d.special_tokens[key];
      const spec = {
        multilingual: key !== 'gpt2_99',
        num_languages: key === 'multilingual_100' ? 100 : 99,
      };
      for (const name of [openai(spec), HF[openai(spec)]!]) {
        const tok = tokenizer(name);
        expect(tok.vocabSize).toBe(ref.n_vocab);
        expect(tok.isMultilingual).toBe(spec.multilingual);
        expect(tok.special).toEqual({
          eot: ref.eot,
          sot: ref.sot,
          translate: ref.translate,
          transcribe: ref.transcribe,
          startOfLm: ref.sot_lm,
          startOfPrev: ref.sot_prev,
          noSpeech: ref.no_speech,
          noTimestamps: ref.no_timestamps,
          timestampBegin: ref.timestamp_begin,
          timestampEnd: ref.timestamp_last,
        });
        expect(tok.languageTokens).toEqual(ref.language_tokens_sorted);
        expect(tok.languages.map((l) => l.code)).toEqual(ref.language_codes_by_id);
        expect(tok.languageTokens.map((id) => tok.tokenToLanguage(id))).toEqual(
          ref.language_codes_by_id,
        );
        expect(tok.idToToken(ref.timestamp_last)).toBe('<|30.00|>');
      }
      expect(
        WHISPER_LANGUAGES.slice(0, ref.language_codes_by_id.length).map((l) => l.code),
      ).toEqual(ref.language_codes_by_id);
    },
  );

  it('upstream test_tokenizer expectations', () => {
    const [structure, korean, unicode] = cases.upstream_tests;
    const en = tokenizer('tiktoken-gpt2');
    expect(en.special.sot).toBe(structure.expect.sot);
    expect(en.sotSequence()).toEqual(structure.expect.sot_sequence);
    expect(en.languageTokens).toEqual(structure.expect.language_tokens_sorted);
    expect(en.special.timestampBegin).toBe(structure.expect.timestamp_begin);

    const multi = tokenizer('tiktoken-multilingual');
    expect(en.encode(korean.text)).toEqual(korean.expect.gpt2_ids);
    expect(multi.encode(korean.text)).toEqual(korean.expect.multilingual_ids);
    expect(en.decode(korean.expect.gpt2_ids)).toBe(korean.text);
    expect(multi.decode(korean.expect.multilingual_ids)).toBe(korean.text);

    const split = multi.splitTokensOnUnicode(unicode.tokens);
    expect(split.words).toEqual(unicode.expect.words);
    expect(split.wordTokens).toEqual(unicode.expect.word_tokens);
  });

  it('sot sequences for every language / task combination', () => {
    for (const c of d.sot_sequences) {
      for (const name of [openai(c), HF[openai(c)]!]) {
        const tok = tokenizer(name);
        const options = {
          ...(c.language_argument !== null && { language: c.language_argument }),
          ...(c.task_argument !== null && { task: c.task_argument }),
        };
        expect(tok.sotSequence(options)).toEqual(c.sot_sequence);
        expect(tok.sotSequence({ ...options, noTimestamps: true })).toEqual(
          c.sot_sequence_including_notimestamps,
        );
      }
    }
  });

  it.each(d.word_splitting.map((c) => [c.name, c] as const))('word splitting: %s', (_name, c) => {
    for (const name of [openai(c.tokenizer), HF[openai(c.tokenizer)]!]) {
      const tok = tokenizer(name);
      const tokens = [...tok.encode(c.text), ...c.appended_tokens];
      expect(tokens).toEqual(c.tokens);
      const split = tok.splitToWordTokens(tokens, c.tokenizer.language);
      expect(split.words).toEqual(c.words);
      expect(split.wordTokens).toEqual(c.word_tokens);
      expect(split.wordTokens.flat()).toEqual(tokens);
    }
  });

  it('decode drops timestamps; decodeWithTimestamps writes them', () => {
    for (const c of d.decode_vs_decode_with_timestamps) {
      const tok = tokenizer(openai(c.tokenizer));
      expect(tok.decode(c.tokens)).toBe(c.decode);
      expect(tok.decodeWithTimestamps(c.tokens)).toBe(c.decode_with_timestamps);
    }
  });

  it('partial and invalid UTF-8 decodes with U+FFFD as Python does', () => {
    for (const c of d.partial_utf8_decode.cases) {
      const tok = tokenizer(c.ranks === 'gpt2' ? 'tiktoken-gpt2' : 'multilingual-v2');
      expect({ what: c.what, text: tok.decode(c.tokens) }).toEqual({
        what: c.what,
        text: c.decode,
      });
    }
  });

  it('non-speech tokens and the HF suppress_tokens list', () => {
    const check = (tok: WhisperTokenizer, expected: number[]): void => {
      expect(tok.nonSpeechTokens()).toEqual(expected);
      const s = tok.special;
      expect(tok.suppressTokens()).toEqual([
        ...expected,
        s.sot,
        s.translate,
        s.transcribe,
        s.startOfLm,
        s.startOfPrev,
        s.noSpeech,
      ]);
    };
    check(tokenizer('tiktoken-gpt2'), d.non_speech_tokens.gpt2);
    check(tokenizer('en'), d.non_speech_tokens.gpt2);
    check(tokenizer('multilingual-v2'), d.non_speech_tokens.multilingual);
    check(tokenizer('multilingual-v3'), d.non_speech_tokens.multilingual);
    expect(d.non_speech_tokens.gpt2).toHaveLength(84);
    expect(d.non_speech_tokens.multilingual).toHaveLength(82);
  });

  it("disallowedSpecial: 'all' rejects special-token text like openai/whisper's encode", () => {
    const tok = tokenizer('tiktoken-multilingual');
    for (const [text, rejects] of Object.entries(d.encode_rejects_special_token_text.cases)) {
      const attempt = (): number[] => tok.encode(text, { disallowedSpecial: 'all' });
      if (rejects) {
        expect(attempt).toThrow(TokenizerError);
        expect(attempt).toThrow(expect.objectContaining({ code: 'DISALLOWED_SPECIAL_TOKEN' }));
      } else {
        expect(attempt()).toEqual(tok.encode(text));
      }
    }
    expect(tok.encode('hello <|nospeech', { disallowedSpecial: 'all' })).toEqual(
      tok.encode('hello <|nospeech'),
    );
  });
});
