// readTrainingManifest: every kind of bad line is skipped and named, never thrown; labels are
// tokenised with their special tokens and timestamps; plain transcripts get the prefix.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { WhisperTokenizer } from '@distil-whisper/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { DistillError, encodeLabelText, readTrainingManifest } from '../src/index.js';
import { hasReference, referencePath } from '../../../test-support/reference';
import { syntheticTokenizer, tempDir } from './data-helpers';

const ml = syntheticTokenizer(true);
const en = syntheticTokenizer(false);
const S = ml.special;

let dir: string;
let cleanup: () => void;
beforeAll(() => {
  ({ dir, cleanup } = tempDir('manifest'));
  mkdirSync(join(dir, 'clips'));
});
afterAll(() => cleanup());

let n = 0;
function manifest(text: string | Uint8Array): string {
  const path = join(dir, `m${n++}.jsonl`);
  writeFileSync(path, text);
  return path;
}
const line = (o: unknown): string => JSON.stringify(o);

describe('readTrainingManifest', () => {
  it('reads pseudo-labels, prompts (ids or text), ids and speakers', async () => {
    const label = '<|startoftranscript|><|en|><|transcribe|><|0.00|> hello<|2.00|><|endoftext|>';
    const path = manifest(
      [
        line({ audio: 'clips/a.wav', text: label, id: 'a', speaker: 's1' }),
        line({
          audio: 'clips/b.wav',
          text: label,
          condition_on_prev: [S.startOfPrev, S.timestampBegin, 104, 101],
        }),
        line({
          audio: 'clips/c.wav',
          text: label,
          id: 7,
          condition_on_prev: '<|startofprev|> hello',
        }),
        line({ audio: 'clips/d.wav', text: label, condition_on_prev: null, extra: 'ignored' }),
      ].join('\n') + '\n',
    );
    const m = await readTrainingManifest(path, { tokenizer: ml });
    expect(m.problems).toEqual([]);
    expect(m.examples.map((e) => e.id)).toEqual(['a', '2', '7', '4']);
    const a = m.examples[0]!;
    expect(a.audioPath).toBe(join(dir, 'clips', 'a.wav'));
    expect(a.speaker).toBe('s1');
    expect(a.textKind).toBe('pseudo-label');
    expect(a.ids).toEqual([
      S.sot,
      ml.languageToken('en'),
      S.transcribe,
      S.timestampBegin,
      ...ml.encode(' hello'),
      S.timestampBegin + 100,
      S.eot,
    ]);
    expect(a.prompt).toBeNull();
    expect(m.examples[1]!.prompt).toEqual([S.startOfPrev, S.timestampBegin, 104, 101]);
    expect(m.examples[2]!.prompt).toEqual([S.startOfPrev, ...ml.encode(' hello')]);
    expect(m.examples[3]!.prompt).toBeNull();
    expect(m.summary).toMatch(/4 examples, 0 lines skipped/);
  });

  it('adds the prefix to plain transcripts (language and task for multilingual models)', async () => {
    const path = manifest(line({ audio: 'clips/a.wav', text: ' hello' }));
    const m = await readTrainingManifest(path, {
      tokenizer: ml,
      language: 'de',
      task: 'translate',
    });
    expect(m.examples[0]!.textKind).toBe('plain');
    expect(m.examples[0]!.ids).toEqual([
      S.sot,
      ml.languageToken('de'),
      S.translate,
      S.noTimestamps,
      ...ml.encode(' hello'),
      S.eot,
    ]);
    const e = await readTrainingManifest(path, { tokenizer: en, language: 'de' });
    expect(e.examples[0]!.ids).toEqual([
      en.special.sot,
      en.special.noTimestamps,
      ...en.encode(' hello'),
      en.special.eot,
    ]);
    // textFormat 'plain' encodes special-token text as text
    const p = manifest(line({ audio: 'clips/a.wav', text: '<|startoftranscript|> x' }));
    const asPlain = await readTrainingManifest(p, { tokenizer: ml, textFormat: 'plain' });
    expect(asPlain.examples[0]!.ids.filter((id) => id === S.sot)).toHaveLength(1);
  });

  it('skips and names every kind of bad line, and accepts a BOM, CRLF and blank lines', async () => {
    const good = { audio: 'clips/ok.wav', text: ' fine' };
    const rows = [
      line(good), // 1
      '{"audio": "clips/x.wav", "text": ', // 2 invalid JSON
      '[1, 2]', // 3 not an object
      line({ text: ' t' }), // 4 missing audio
      line({ audio: 'clips/x.wav' }), // 5 missing text
      line({ audio: '', text: ' t' }), // 6 empty audio
      line({ audio: 'clips/x.wav', text: '   ' }), // 7 empty text
      line({ audio: 5, text: ' t' }), // 8 wrong type
      line({ audio: 'clips/x.wav', text: ['t'] }), // 9 wrong type
      line({ audio: 'clips/x.wav', text: ' t', id: 1.5 }), // 10 wrong id type
      line({ audio: 'clips/x.wav', text: ' t', speaker: 3 }), // 11 wrong speaker type
      line({ audio: 'clips/x.wav', text: ' t', condition_on_prev: { a: 1 } }), // 12 wrong prompt type
      line({ audio: 'clips/x.wav', text: ' t', condition_on_prev: [1, 'a'] }), // 13 prompt element
      line({ audio: 'clips/x.wav', text: ' t', condition_on_prev: [ml.vocabSize] }), // 14 out of vocab
      line({ audio: '../outside.wav', text: ' t' }), // 15 outside the root
      line({ audio: '/etc/passwd', text: ' t' }), // 16 absolute outside
      line({ audio: 'https://x.org/a.wav', text: ' t' }), // 17 URL
      line({ audio: 'clips/a\u0000.wav', text: ' t' }), // 18 NUL
      line({ audio: 'a'.repeat(5000), text: ' t' }), // 19 too long
      line({ audio: 'clips/x.wav', text: ' hi <|startoftranscript|>' }), // 20 pseudo-label not starting with SOT
      line({ ...good, id: '1' }), // 21 duplicate of line 1's default id
      '   ', // 22 blank
      line({ audio: 'clips/y.wav', text: ' t', id: '' }), // 23 empty id
      line({ ...good, id: 'last' }), // 24 good
    ];
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(rows.join('\r\n') + '\r\n'),
    ]);
    const m = await readTrainingManifest(manifest(bytes), { tokenizer: ml });
    expect(m.examples.map((e) => [e.line, e.id])).toEqual([
      [1, '1'],
      [24, 'last'],
    ]);
    expect(m.problems.map((p) => [p.line, p.code])).toEqual([
      [2, 'INVALID_JSON'],
      [3, 'NOT_AN_OBJECT'],
      [4, 'MISSING_FIELD'],
      [5, 'MISSING_FIELD'],
      [6, 'EMPTY_FIELD'],
      [7, 'EMPTY_FIELD'],
      [8, 'WRONG_TYPE'],
      [9, 'WRONG_TYPE'],
      [10, 'WRONG_TYPE'],
      [11, 'WRONG_TYPE'],
      [12, 'WRONG_TYPE'],
      [13, 'WRONG_TYPE'],
      [14, 'BAD_PROMPT'],
      [15, 'BAD_PATH'],
      [16, 'BAD_PATH'],
      [17, 'BAD_PATH'],
      [18, 'BAD_PATH'],
      [19, 'BAD_PATH'],
      [20, 'BAD_LABEL'],
      [21, 'DUPLICATE_ID'],
      [23, 'EMPTY_FIELD'],
    ]);
    expect(m.problems[1]!.reason).toMatch(/expected a JSON object, found an array/);
    expect(m.problems[2]!.reason).toMatch(/"audio" is missing/);
    expect(m.problems[19]!.reason).toMatch(/already used on line 1/);
    expect(m.problemCounts).toMatchObject({ BAD_PATH: 5, WRONG_TYPE: 6, INVALID_JSON: 1 });
    expect(m.blankLines).toBe(1);
    expect(m.lines).toBe(23);
    expect(m.summary).toMatch(/2 examples, 21 lines skipped/);
    expect(m.summary).toMatch(/line 15: BAD_PATH/);
  });

  it('skips a line that is not UTF-8', async () => {
    const bytes = Buffer.concat([
      Buffer.from(line({ audio: 'clips/a.wav', text: ' a' }) + '\n'),
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]),
    ]);
    const m = await readTrainingManifest(manifest(bytes), { tokenizer: ml });
    expect(m.problems).toEqual([{ line: 2, code: 'INVALID_UTF8', reason: expect.any(String) }]);
  });

  it('accepts paths outside the root when allowed, and resolves against audioRoot', async () => {
    const path = manifest(line({ audio: '../elsewhere/a.wav', text: ' a' }));
    const m = await readTrainingManifest(path, { tokenizer: ml, allowAudioOutsideRoot: true });
    expect(m.examples[0]!.audioPath).toBe(join(dir, '..', 'elsewhere', 'a.wav'));
    const rooted = await readTrainingManifest(manifest(line({ audio: 'a.wav', text: ' a' })), {
      tokenizer: ml,
      audioRoot: join(dir, 'clips'),
    });
    expect(rooted.examples[0]!.audioPath).toBe(join(dir, 'clips', 'a.wav'));
  });

  it('throws typed errors for an unreadable or empty manifest and bad options', async () => {
    await expect(
      readTrainingManifest(join(dir, 'nope.jsonl'), { tokenizer: ml }),
    ).rejects.toMatchObject({
      code: 'MANIFEST_UNREADABLE',
      message: expect.stringMatching(/no such file/),
    });
    await expect(readTrainingManifest(join(dir, 'clips'), { tokenizer: ml })).rejects.toMatchObject(
      {
        code: 'MANIFEST_UNREADABLE',
      },
    );
    if (process.getuid?.() !== 0) {
      const locked = manifest(line({ audio: 'a.wav', text: ' a' }));
      chmodSync(locked, 0o000);
      await expect(readTrainingManifest(locked, { tokenizer: ml })).rejects.toMatchObject({
        code: 'MANIFEST_UNREADABLE',
      });
    }
    await expect(readTrainingManifest(manifest('\n\n'), { tokenizer: ml })).rejects.toMatchObject({
      code: 'MANIFEST_EMPTY',
    });
    const err = await readTrainingManifest(manifest('nope\n[]\n'), { tokenizer: ml }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DistillError);
    expect((err as DistillError).problems).toEqual([
      expect.stringMatching(/^line 1: INVALID_JSON/),
      expect.stringMatching(/^line 2: NOT_AN_OBJECT/),
    ]);
    await expect(
      readTrainingManifest(manifest(line({ audio: 'a.wav', text: ' a' })), {
        tokenizer: ml,
        language: 'xx',
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('encodeLabelText', () => {
  it('recognises timestamps even when the tokenizer lacks them as added tokens, and leaves non-tokens as text', () => {
    const ids = encodeLabelText(
      ml,
      '<|startoftranscript|><|1.08|> hi<|0.01|><|31.00|><|endoftext|>',
    );
    expect(ids[0]).toBe(S.sot);
    expect(ids[1]).toBe(S.timestampBegin + 54);
    expect(ids.at(-1)).toBe(S.eot);
    expect(ml.decodeWithTimestamps(ids.slice(2, -1))).toBe(' hi<|0.01|><|31.00|>');
    expect(ids.slice(2, -1).every((id) => id < S.eot)).toBe(true);
  });

  it.skipIf(!hasReference('encodeLabelText with the real tokenizers'))(
    'gives transformers ids on the reference multilingual and English tokenizers',
    () => {
      const v2 = WhisperTokenizer.fromPretrainedSync(
        referencePath('tokenizers', 'multilingual-v2'),
      );
      const ids = encodeLabelText(
        v2,
        '<|startoftranscript|><|en|><|transcribe|><|0.00|> Hello.<|2.00|><|endoftext|>',
      );
      expect(ids).toEqual([50258, 50259, 50359, 50364, ...v2.encode(' Hello.'), 50464, 50257]);
      const e = WhisperTokenizer.fromPretrainedSync(referencePath('tokenizers', 'en'));
      expect(encodeLabelText(e, '<|startoftranscript|><|notimestamps|> Hi.<|endoftext|>')).toEqual([
        50257,
        50362,
        ...e.encode(' Hi.'),
        50256,
      ]);
    },
  );
});
