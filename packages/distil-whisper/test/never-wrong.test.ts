// Inputs that used to give a wrong answer with exit status 0 must now fail with a typed error
// or carry a warning: a tokenizer of another model, truncated compressed audio.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenizerError } from '@distil-whisper/tokenizer';
import { AudioError } from '@distil-whisper/audio';
import { createPipeline, TranscribeError } from '../src';
import { hasReference, referencePath } from '../../../test-support/reference';
import { wavBytes } from '../../../test-support/longform-audio';
import { randomCheckpoint, type RandomCheckpoint } from './support/fixture';

describe.skipIf(!hasReference('never silently wrong (tokenizers, jfk.mp3)'))(
  'never silently wrong',
  () => {
    let model: RandomCheckpoint;
    let dir: string;

    beforeAll(() => {
      // Multilingual v2 vocabulary (51865 ids), small dims.
      model = randomCheckpoint('dw-never-wrong-');
      dir = model.dir;
    }, 120_000);

    afterAll(() => {
      model?.remove();
    });

    it('a tokenizer of another vocabulary is refused when the pipeline loads', async () => {
      for (const other of ['en', 'multilingual-v3']) {
        const err = await createPipeline(dir, {
          inline: true,
          tokenizerDir: referencePath('tokenizers', other),
        }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, other).toBeInstanceOf(TokenizerError);
        expect((err as TokenizerError).code).toBe('MODEL_MISMATCH');
        expect((err as Error).message).toMatch(
          /the model has 51865 output ids, the tokenizer 5186[46]/,
        );
      }
      // Its own tokenizer loads.
      const asr = await createPipeline(dir, { inline: true });
      await asr.dispose();
    });

    it('a truncated MP3 is transcribed with a warning naming decoded and declared duration; strict fails it', async () => {
      const mp3 = readFileSync(referencePath('assets', 'jfk.mp3'));
      const half = mp3.subarray(0, Math.floor(mp3.length / 2));
      const asr = await createPipeline(dir, { inline: true });
      try {
        const r = await asr.transcribe(half, { language: 'en', maxNewTokens: 2 });
        expect(r.durationSeconds).toBeLessThan(6);
        expect(r.warnings).toHaveLength(1);
        expect(r.warnings?.[0]).toMatch(
          /^MP3 stream looks truncated: its Xing\/Info header declares 11\.00 s but only 5\.\d\d s decode/,
        );
        const whole = await asr.transcribe(mp3, { language: 'en', maxNewTokens: 2 });
        expect(whole.warnings).toBeUndefined();
        const strict = await asr
          .transcribe(half, { language: 'en', maxNewTokens: 2, strict: true })
          .catch((e: unknown) => e);
        expect(strict).toBeInstanceOf(AudioError);
        expect((strict as AudioError).code).toBe('TRUNCATED');
        const both = await asr
          .transcribe(half, { strict: true, lenient: true })
          .catch((e: unknown) => e);
        expect(both).toBeInstanceOf(TranscribeError);
        expect((both as TranscribeError).code).toBe('INVALID_INPUT');
      } finally {
        await asr.dispose();
      }
    });

    it('a truncated WAV fails with a message naming the option that exists (--lenient), which keeps what decodes', async () => {
      const tone = new Float32Array(32000).map((_, i) => 0.1 * Math.sin(i / 7));
      const cut = wavBytes(tone).subarray(0, 44 + 16000 * 4); // header says 2 s, 1 s present
      const asr = await createPipeline(dir, { inline: true });
      try {
        const err = await asr.transcribe(cut, { language: 'en' }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AudioError);
        expect((err as AudioError).code).toBe('TRUNCATED');
        expect((err as Error).message).toMatch(
          /\(2\.00 s\) but only 64000 are present \(1\.00 s\)/,
        );
        expect((err as Error).message).toContain('lenient: true (CLI: --lenient)');
        const r = await asr.transcribe(cut, { language: 'en', maxNewTokens: 2, lenient: true });
        expect(r.durationSeconds).toBeCloseTo(1, 3);
        expect(r.warnings?.[0]).toMatch(/kept what decoded \(lenient\)$/);
      } finally {
        await asr.dispose();
      }
    });
  },
);
