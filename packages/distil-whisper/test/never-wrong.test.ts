// Inputs that used to give a wrong answer with exit status 0 must now fail with a typed error
// or carry a warning: a tokenizer of another model, truncated compressed audio.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandomCheckpoint } from '@distil-whisper/model';
import { TokenizerError } from '@distil-whisper/tokenizer';
import { createPipeline } from '../src';
import { hasReference, referencePath } from '../../../test-support/reference';

describe.skipIf(!hasReference('never silently wrong (tokenizers, jfk.mp3)'))(
  'never silently wrong',
  () => {
    let dir: string;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'dw-never-wrong-'));
      // Multilingual v2 vocabulary (51865 ids), small dims.
      createRandomCheckpoint({
        outDir: join(dir, 'model'),
        preset: 'tiny',
        dims: {
          dModel: 64,
          encoderLayers: 2,
          decoderLayers: 2,
          encoderAttentionHeads: 2,
          decoderAttentionHeads: 2,
          encoderFfnDim: 128,
          decoderFfnDim: 128,
        },
        dtype: 'f16',
        seed: 1,
      });
    }, 120_000);

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('a tokenizer of another vocabulary is refused when the pipeline loads', async () => {
      for (const other of ['en', 'multilingual-v3']) {
        const err = await createPipeline(join(dir, 'model'), {
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
      const asr = await createPipeline(join(dir, 'model'), { inline: true });
      await asr.dispose();
    });
  },
);
