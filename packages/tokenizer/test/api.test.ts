// The public surface: exported names and types, timestamps, languages, prompts, error codes.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { hasReference } from '../../../test-support/reference';
import * as api from '../src/index.js';
import {
  parseTokenizerJson,
  toLanguageCode,
  TokenizerError,
  WHISPER_LANGUAGES,
  WhisperTokenizer,
  type TokenizerErrorCode,
  type WhisperSpecialIds,
  type WordSplit,
} from '../src/index.js';
import { tokenizer } from './helpers.js';
import { syntheticTokenizerJson } from './synthetic.js';

describe('public API', () => {
  it('exports exactly the documented values', () => {
    expect(Object.keys(api).sort()).toEqual(
      [
        'LANGUAGES_WITHOUT_SPACES',
        'TIMESTAMP_COUNT',
        'TIME_PRECISION',
        'TokenizerError',
        'WHISPER_LANGUAGES',
        'WhisperTokenizer',
        'loadTokenizerData',
        'loadTokenizerDataSync',
        'parseTiktoken',
        'parseTokenizerJson',
        'parseVocabAndMerges',
        'pretokenize',
        'toLanguageCode',
        'whisperSpecialTokenNames',
      ].sort(),
    );
  });

  it('has precise types', () => {
    expectTypeOf(
      WhisperTokenizer.fromPretrained,
    ).returns.resolves.toEqualTypeOf<WhisperTokenizer>();
    expectTypeOf<WhisperTokenizer['encode']>().returns.toEqualTypeOf<number[]>();
    expectTypeOf<WhisperTokenizer['decode']>().parameter(0).toEqualTypeOf<ArrayLike<number>>();
    expectTypeOf<WhisperTokenizer['special']>().toEqualTypeOf<WhisperSpecialIds>();
    expectTypeOf<WhisperTokenizer['splitToWordTokens']>().returns.toEqualTypeOf<WordSplit>();
    expectTypeOf<TokenizerError['code']>().toEqualTypeOf<TokenizerErrorCode>();
    expectTypeOf<Parameters<WhisperTokenizer['sotSequence']>[0]>().toMatchTypeOf<
      | { language?: string | null; task?: 'transcribe' | 'translate'; noTimestamps?: boolean }
      | undefined
    >();
  });

  it('TokenizerError is an Error with a stable code and keeps the cause', () => {
    const cause = new Error('inner');
    const e = new TokenizerError('MALFORMED_FILE', 'bad', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('TokenizerError');
    expect(e.code).toBe('MALFORMED_FILE');
    expect(e.cause).toBe(cause);
  });

  it('language table and name resolution', () => {
    expect(WHISPER_LANGUAGES).toHaveLength(100);
    expect(WHISPER_LANGUAGES[0]).toEqual({ code: 'en', name: 'english' });
    expect(WHISPER_LANGUAGES[99]).toEqual({ code: 'yue', name: 'cantonese' });
    expect(new Set(WHISPER_LANGUAGES.map((l) => l.code)).size).toBe(100);
    expect(toLanguageCode('Spanish')).toBe('es');
    expect(toLanguageCode('MANDARIN')).toBe('zh');
    expect(toLanguageCode('haitian creole')).toBe('ht');
    expect(toLanguageCode('klingon')).toBeUndefined();
  });
});

describe('synthetic tokenizer (no reference data needed)', () => {
  const tok = new WhisperTokenizer(parseTokenizerJson(JSON.stringify(syntheticTokenizerJson())), {
    multilingual: true,
  });
  const s = tok.special;

  it('timestamps', () => {
    expect(s.timestampEnd - s.timestampBegin).toBe(1500);
    expect(tok.isTimestamp(s.timestampBegin)).toBe(true);
    expect(tok.isTimestamp(s.noTimestamps)).toBe(false);
    expect(tok.timestampToSeconds(s.timestampBegin + 54)).toBeCloseTo(1.08, 10);
    expect(tok.secondsToTimestamp(1.08)).toBe(s.timestampBegin + 54);
    expect(tok.secondsToTimestamp(1.089)).toBe(s.timestampBegin + 54);
    expect(tok.secondsToTimestamp(30)).toBe(s.timestampEnd);
    expect(tok.idToToken(s.timestampBegin + 54)).toBe('<|1.08|>');
    expect(tok.tokenToId('<|30.00|>')).toBe(s.timestampEnd);
    expect(tok.decodeWithTimestamps([s.timestampBegin + 54, 259, s.timestampEnd])).toBe(
      '<|1.08|>hello<|30.00|>',
    );
    for (const bad of [-0.01, 30.01, Number.NaN]) {
      expect(() => tok.secondsToTimestamp(bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
      );
    }
    expect(() => tok.timestampToSeconds(259)).toThrow(
      expect.objectContaining({ code: 'INVALID_TOKEN_ID' }),
    );
  });

  it('languages, tasks and prompts', () => {
    expect(tok.languages.map((l) => l.code)).toEqual(['en', 'zh']);
    expect(tok.languageToken('Chinese')).toBe(s.sot + 2);
    expect(tok.tokenToLanguage(s.sot + 2)).toBe('zh');
    expect(tok.tokenToLanguage(s.eot)).toBeUndefined();
    expect(() => tok.languageToken('de')).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_LANGUAGE' }),
    );
    expect(() => tok.languageToken('xx')).toThrow(/unsupported language "xx"/);
    expect(() => tok.sotSequence({ task: 'summarize' as 'transcribe' })).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_TASK' }),
    );
    expect(tok.sotSequence({ language: null })).toEqual([s.sot, s.transcribe]);
    expect(tok.sotSequence({ language: 'zh', task: 'translate', noTimestamps: true })).toEqual([
      s.sot,
      s.sot + 2,
      s.translate,
      s.noTimestamps,
    ]);
    expect(tok.forcedDecoderIds({ language: 'zh' })).toEqual([
      [1, s.sot + 2],
      [2, s.transcribe],
    ]);
    expect(tok.promptIds('  hello ')).toEqual([s.startOfPrev, ...tok.encode(' hello')]);
    expect(tok.buildPrompt({ previous: 'hello world', noTimestamps: true })).toEqual([
      s.startOfPrev,
      ...tok.encode(' hello world'),
      ...tok.sotSequence({ noTimestamps: true }),
    ]);
    expect(tok.buildPrompt({ previous: [1, 2, 3, 4], maxPreviousTokens: 2 })).toEqual([
      s.startOfPrev,
      3,
      4,
      ...tok.sotSequence(),
    ]);
    expect(tok.buildPrompt({ previous: [1, 2], maxPreviousTokens: 0 })).toEqual([
      s.startOfPrev,
      ...tok.sotSequence(),
    ]);
    expect(tok.buildPrompt()).toEqual(tok.sotSequence());
    expect(tok.encodeWithPrefix('hello', { noTimestamps: true })).toEqual([
      ...tok.sotSequence({ noTimestamps: true }),
      259,
      s.eot,
    ]);
  });

  it('token strings use the byte-level alphabet', () => {
    expect(tok.idToToken(0x20)).toBe('Ġ');
    expect(tok.idToToken(260)).toBe('Ġw');
    expect(tok.tokenToId('Ġw')).toBe(260);
    expect(tok.idToToken(s.sot)).toBe('<|startoftranscript|>');
    expect(tok.idToToken(-1)).toBeUndefined();
    expect(tok.tokenBytes(260)).toEqual(new Uint8Array([0x20, 0x77]));
  });

  it('checkpoints without timestamp tokens still decode timestamps', () => {
    const j = syntheticTokenizerJson();
    j.added_tokens = j.added_tokens.filter((t) => !/^<\|\d/.test(t.content));
    const old = new WhisperTokenizer(parseTokenizerJson(JSON.stringify(j)));
    expect(old.special.timestampBegin).toBe(old.special.noTimestamps + 1);
    expect(old.vocabSize).toBe(old.special.timestampEnd + 1);
    expect(old.decodeWithTimestamps([old.special.timestampBegin + 50, 259])).toBe('<|1.00|>hello');
    expect(old.decode([old.special.timestampBegin + 50, 259])).toBe('hello');
    // Without the added tokens, timestamp text is plain text even when specials are allowed.
    expect(old.encode('<|1.00|>', { allowedSpecial: 'all' })).toEqual(old.encode('<|1.00|>'));
  });

  it('word splitting keeps every token', () => {
    const ids = [...tok.encode(' hello world, hello!'), s.eot];
    const split = tok.splitToWordTokens(ids, 'english');
    expect(split.words).toEqual([' hello', ' world', ',', ' hello', '!', '<|endoftext|>']);
    expect(split.wordTokens.flat()).toEqual(ids);
    expect(tok.splitToWordTokens(tok.encode('中文'), 'zh').words).toEqual(['中', '文']);
  });
});

describe.skipIf(!hasReference('tokenizer API on real vocabularies'))('real vocabularies', () => {
  it('README example', async () => {
    const { referencePath } = await import('../../../test-support/reference');
    const tok = await WhisperTokenizer.fromPretrained(
      referencePath('tokenizers', 'multilingual-v3'),
    );
    const ids = tok.encode(' Hello world.');
    const prompt = tok.sotSequence({ language: 'en', task: 'transcribe', noTimestamps: true });
    expect(prompt).toEqual([50258, 50259, 50360, 50364]);
    expect(tok.decode([...prompt, ...ids, tok.special.eot], { skipSpecialTokens: true })).toBe(
      ' Hello world.',
    );
    expect(tokenizer('multilingual-v2').encode('<|0.00|> Hi', { allowedSpecial: 'all' })).toEqual([
      50364, 2421,
    ]);
    expect(tokenizer('multilingual-v2').decodeWithTimestamps([50364, 2425, 1002, 13, 50414])).toBe(
      '<|0.00|> Hello world.<|1.00|>',
    );
    expect(tokenizer('multilingual-v2').encode(' Hello world')).toEqual([2425, 1002]);
  });
});

describe.skipIf(!hasReference('tokenizer/model vocabulary check'))('checkModel', () => {
  /** What a model of the tokenizer's own checkpoint reports (vocab size and generation ids). */
  function modelOf(tok: WhisperTokenizer): api.ModelVocabulary {
    const langToId: Record<string, number> = {};
    tok.languages.forEach((l, i) => (langToId[`<|${l.code}|>`] = tok.special.sot + 1 + i));
    return {
      vocabSize: tok.vocabSize,
      decoderStartTokenId: tok.special.sot,
      eosTokenId: tok.special.eot,
      noTimestampsTokenId: tok.special.noTimestamps,
      prevSotTokenId: tok.special.startOfPrev,
      langToId,
    };
  }

  function mismatch(tok: WhisperTokenizer, model: api.ModelVocabulary): TokenizerError {
    try {
      tok.checkModel(model);
    } catch (e) {
      expect(e).toBeInstanceOf(TokenizerError);
      return e as TokenizerError;
    }
    throw new Error('expected a TokenizerError');
  }

  it("accepts each tokenizer with its own model's ids, and ids the model does not name", () => {
    for (const name of ['en', 'multilingual-v2', 'multilingual-v3'] as const) {
      const tok = tokenizer(name);
      expect(() => tok.checkModel(modelOf(tok))).not.toThrow();
      expect(() => tok.checkModel({ vocabSize: tok.vocabSize, eosTokenId: null })).not.toThrow();
    }
  });

  it('refuses an English-only tokenizer for a multilingual model, and v2 for v3, listing the differences', () => {
    const en = mismatch(tokenizer('en'), modelOf(tokenizer('multilingual-v2')));
    expect(en.code).toBe('MODEL_MISMATCH');
    expect(en.message).toContain('the model has 51865 output ids, the tokenizer 51864');
    expect(en.message).toContain(
      '<|startoftranscript|> is 50258 in the model, 50257 in the tokenizer',
    );
    expect(en.message).toContain("load the tokenizer of the model's own checkpoint");
    const v2 = mismatch(tokenizer('multilingual-v2'), modelOf(tokenizer('multilingual-v3')));
    expect(v2.message).toContain('the model has 51866 output ids, the tokenizer 51865');
    expect(v2.message).toContain('<|notimestamps|> is 50364 in the model, 50363 in the tokenizer');
    expect(v2.message).toContain('the model has language token <|yue|>, the tokenizer does not');
  });
});
