// Bad input: malformed or truncated files, unknown merge tokens, ids out of range, lone surrogates,
// and pathological text that must stay (roughly) linear to encode.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasReference } from '../../../test-support/reference';
import {
  parseTiktoken,
  parseTokenizerJson,
  parseVocabAndMerges,
  TokenizerError,
  WhisperTokenizer,
} from '../src/index.js';
import { tokenizer } from './helpers.js';
import { syntheticTiktoken, syntheticTokenizerJson } from './synthetic.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof TokenizerError) return e.code;
    throw e;
  }
  return undefined;
}

describe('malformed tokenizer files', () => {
  const good = JSON.stringify(syntheticTokenizerJson());

  it('the synthetic tokenizer loads and encodes', () => {
    const tok = new WhisperTokenizer(parseTokenizerJson(good));
    expect(tok.encode('hello world')).toEqual([
      259,
      260,
      ...[...'orld'].map((c) => c.charCodeAt(0)),
    ]);
    expect(tok.languages.map((l) => l.code)).toEqual(['en', 'zh']);
    expect(tok.isMultilingual).toBe(false);
  });

  it('truncated or invalid JSON is MALFORMED_FILE', () => {
    for (const cut of [0, 1, 100, good.length / 2, good.length - 1]) {
      expect(codeOf(() => parseTokenizerJson(good.slice(0, cut)))).toBe('MALFORMED_FILE');
    }
    expect(codeOf(() => parseTokenizerJson('{}'))).toBe('MALFORMED_FILE');
    expect(codeOf(() => parseTokenizerJson('[1,2]'))).toBe('MALFORMED_FILE');
  });

  it('wrong field types are MALFORMED_FILE', () => {
    const mutate = (f: (j: ReturnType<typeof syntheticTokenizerJson>) => void): string => {
      const j = syntheticTokenizerJson();
      f(j);
      return JSON.stringify(j);
    };
    expect(
      codeOf(() => parseTokenizerJson(mutate((j) => Object.assign(j.model, { merges: 'x' })))),
    ).toBe('MALFORMED_FILE');
    expect(codeOf(() => parseTokenizerJson(mutate((j) => j.model.merges.push('a b c'))))).toBe(
      'MALFORMED_FILE',
    );
    expect(
      codeOf(() => parseTokenizerJson(mutate((j) => Object.assign(j.model.vocab, { x: 'one' })))),
    ).toBe('MALFORMED_FILE');
    expect(
      codeOf(() => parseTokenizerJson(mutate((j) => Object.assign(j.model.vocab, { x: -1 })))),
    ).toBe('MALFORMED_FILE');
    expect(
      codeOf(() =>
        parseTokenizerJson(mutate((j) => Object.assign(j.added_tokens[0]!, { id: 'x' }))),
      ),
    ).toBe('MALFORMED_FILE');
    expect(
      codeOf(() => parseTokenizerJson(mutate((j) => Object.assign(j.added_tokens[1]!, { id: 3 })))),
    ).toBe('MALFORMED_FILE');
    expect(
      codeOf(() => parseTokenizerJson(mutate((j) => Object.assign(j.model.vocab, { xy: 3 })))),
    ).toBe('MALFORMED_FILE');
  });

  it('an added token id beyond any vocabulary (2^53, found by fuzzing) is MALFORMED_FILE', () => {
    const j = syntheticTokenizerJson();
    j.added_tokens[0]!.id = 2 ** 53;
    expect(codeOf(() => new WhisperTokenizer(parseTokenizerJson(JSON.stringify(j))))).toBe(
      'MALFORMED_FILE',
    );
  });

  it('merges that name unknown tokens are UNKNOWN_MERGE_TOKEN', () => {
    const j = syntheticTokenizerJson();
    j.model.merges.push('hello zz');
    expect(codeOf(() => parseTokenizerJson(JSON.stringify(j)))).toBe('UNKNOWN_MERGE_TOKEN');
    const k = syntheticTokenizerJson();
    k.model.merges.push('o w'); // both parts known, "ow" is not
    expect(() => parseTokenizerJson(JSON.stringify(k))).toThrow(
      /"ow", which is not in the vocabulary/,
    );
  });

  it('other tokenizer kinds are UNSUPPORTED_TOKENIZER', () => {
    const kinds: ((j: ReturnType<typeof syntheticTokenizerJson>) => void)[] = [
      (j) => (j.model.type = 'WordPiece'),
      (j) => (j.pre_tokenizer.type = 'Whitespace'),
      (j) => (j.pre_tokenizer.add_prefix_space = true),
      (j) => Object.assign(j, { normalizer: { type: 'NFC' } }),
      (j) => Object.assign(j.model.vocab, { '\u4e00': 999 }),
    ];
    for (const f of kinds) {
      const j = syntheticTokenizerJson();
      f(j);
      expect(codeOf(() => parseTokenizerJson(JSON.stringify(j)))).toBe('UNSUPPORTED_TOKENIZER');
    }
    const noBytes = syntheticTokenizerJson();
    delete noBytes.model.vocab['!'];
    noBytes.model.merges = [];
    expect(codeOf(() => new WhisperTokenizer(parseTokenizerJson(JSON.stringify(noBytes))))).toBe(
      'UNSUPPORTED_TOKENIZER',
    );
  });

  it('a tokenizer without Whisper control tokens is NOT_A_WHISPER_TOKENIZER', () => {
    const j = syntheticTokenizerJson();
    j.added_tokens = j.added_tokens.filter((t) => t.content !== '<|startoftranscript|>');
    expect(() => new WhisperTokenizer(parseTokenizerJson(JSON.stringify(j)))).toThrow(
      expect.objectContaining({
        code: 'NOT_A_WHISPER_TOKENIZER',
        message: expect.stringMatching(/startoftranscript/),
      }),
    );
  });

  it('bad .tiktoken files are MALFORMED_FILE', () => {
    const good = syntheticTiktoken();
    expect(new WhisperTokenizer(parseTiktoken(good)).encode('hello')).toEqual([259]);
    expect(codeOf(() => parseTiktoken(''))).toBe('MALFORMED_FILE');
    expect(codeOf(() => parseTiktoken(good + 'not-base64! 9999\n'))).toBe('MALFORMED_FILE');
    expect(codeOf(() => parseTiktoken(good + 'aGk= x\n'))).toBe('MALFORMED_FILE');
    expect(codeOf(() => parseTiktoken(good + 'aGk= 5\n'))).toBe('MALFORMED_FILE'); // duplicate rank
    expect(codeOf(() => parseTiktoken(good.split('\n').slice(1).join('\n')))).toBe(
      'MALFORMED_FILE',
    ); // gap
    expect(codeOf(() => parseTiktoken(good, { numLanguages: 101 }))).toBe('INVALID_ARGUMENT');
  });

  it('bad vocab.json / merges.txt', () => {
    const j = syntheticTokenizerJson();
    const vocab = JSON.stringify(j.model.vocab);
    const merges = '#version: 0.2\n' + j.model.merges.join('\n') + '\n';
    const added = JSON.stringify(Object.fromEntries(j.added_tokens.map((t) => [t.content, t.id])));
    const tok = new WhisperTokenizer(parseVocabAndMerges({ vocab, merges, addedTokens: added }));
    expect(tok.encode('hello')).toEqual([259]);
    expect(codeOf(() => parseVocabAndMerges({ vocab: vocab.slice(0, 50), merges }))).toBe(
      'MALFORMED_FILE',
    );
    expect(codeOf(() => parseVocabAndMerges({ vocab, merges: merges + 'a\n' }))).toBe(
      'MALFORMED_FILE',
    );
    expect(codeOf(() => parseVocabAndMerges({ vocab, merges: merges + 'hello q9\n' }))).toBe(
      'UNKNOWN_MERGE_TOKEN',
    );
  });

  it('fromPretrained reports what it looked for', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-tok-'));
    await expect(WhisperTokenizer.fromPretrained(join(dir, 'missing'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
    expect(codeOf(() => WhisperTokenizer.fromPretrainedSync(dir))).toBe('FILE_NOT_FOUND');
    await expect(WhisperTokenizer.fromPretrained(dir)).rejects.toThrow(
      /tokenizer\.json, vocab\.json \+ merges\.txt, \*\.tiktoken/,
    );

    writeFileSync(
      join(dir, 'tokenizer.json'),
      JSON.stringify(syntheticTokenizerJson()).slice(0, 500),
    );
    await expect(WhisperTokenizer.fromPretrained(dir)).rejects.toMatchObject({
      code: 'MALFORMED_FILE',
    });

    const ok = join(dir, 'ok');
    mkdirSync(ok);
    writeFileSync(join(ok, 'tokenizer.json'), JSON.stringify(syntheticTokenizerJson()));
    expect((await WhisperTokenizer.fromPretrained(ok)).encode('hello')).toEqual([259]);
    const tik = join(dir, 'tik');
    mkdirSync(tik);
    writeFileSync(join(tik, 'toy.tiktoken'), syntheticTiktoken());
    expect((await WhisperTokenizer.fromPretrained(tik)).format).toBe('tiktoken');
    expect(WhisperTokenizer.fromPretrainedSync(join(tik, 'toy.tiktoken')).format).toBe('tiktoken');
  });
});

describe('bad ids and text', () => {
  const tok = new WhisperTokenizer(parseTokenizerJson(JSON.stringify(syntheticTokenizerJson())));

  it('decode rejects ids outside the vocabulary with INVALID_TOKEN_ID', () => {
    for (const id of [-1, tok.vocabSize, 1e9, 1.5, Number.NaN, Infinity]) {
      expect(codeOf(() => tok.decode([104, id]))).toBe('INVALID_TOKEN_ID');
      expect(codeOf(() => tok.decodeWithTimestamps([id]))).toBe('INVALID_TOKEN_ID');
    }
    expect(tok.decode(new Int32Array([259, tok.special.timestampBegin]))).toBe('hello');
    expect(tok.decode([])).toBe('');
  });

  it('lone surrogates are encoded as U+FFFD', () => {
    for (const text of ['\ud800', 'a\udc00b', 'x\ud83d', '\ud83d\ude00\ud83d']) {
      const ids = tok.encode(text);
      expect(ids).toEqual(tok.encode(text.replace(/\p{Cs}/gu, '\ufffd')));
      expect(tok.decode(ids)).toBe(text.replace(/\p{Cs}/gu, '\ufffd'));
    }
  });

  it('encode rejects non-strings with INVALID_ARGUMENT', () => {
    expect(codeOf(() => tok.encode(42 as unknown as string))).toBe('INVALID_ARGUMENT');
  });
});

describe.skipIf(!hasReference('tokenizer pathological input'))(
  'pathological input stays linear',
  () => {
    // A quadratic BPE or regex takes minutes on these; linear code takes well under a second. The
    // bound is generous for a loaded 2-core machine.
    const BOUND_MS = 8000;
    const N = 100_000;
    const random = (() => {
      let s = 12345;
      return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
    })();
    const inputs: [string, string][] = [
      ['repeated letter', 'a'.repeat(N)],
      [
        'random letters (one piece)',
        Array.from({ length: N }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join(
          '',
        ),
      ],
      ['repeated digit', '7'.repeat(N)],
      ['repeated punctuation', '!'.repeat(N)],
      ['spaces', ' '.repeat(N)],
      ['spaces then a letter', ' '.repeat(N) + 'x'],
      ['newlines and tabs', '\n\t'.repeat(N / 2)],
      ['CJK', '中'.repeat(N)],
      ['emoji', '😀'.repeat(N / 2)],
      ['apostrophes', "'".repeat(N)],
      ['special-token openers', '<|'.repeat(N / 2)],
      ['combining marks', 'e' + '\u0301'.repeat(N)],
    ];

    it.each(inputs)('%s', (_name, text) => {
      const tok = tokenizer('multilingual-v3');
      const start = performance.now();
      const ids = tok.encode(text, { allowedSpecial: 'all' });
      const ms = performance.now() - start;
      expect(ms).toBeLessThan(BOUND_MS);
      expect(tok.decode(ids)).toBe(text);
      expect(ids.length).toBeLessThanOrEqual(Buffer.byteLength(text));
    });
  },
);
