// createPipeline(dir, { assistant }) and `transcribe --assistant`: a random checkpoint and its
// create-student student (shared encoder) give the same transcription with and without the
// assistant, in the model thread and inline; an incompatible assistant is refused at load.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudent } from '@distil-whisper/distill';
import { createRandomCheckpoint } from '@distil-whisper/model';

import { createPipeline, type Pipeline, type Transcription } from '../src';
import { hasReference, referencePath } from '../../../test-support/reference';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');
const dims = {
  dModel: 64,
  encoderLayers: 2,
  decoderLayers: 4,
  encoderAttentionHeads: 2,
  decoderAttentionHeads: 2,
  encoderFfnDim: 128,
  decoderFfnDim: 128,
};

describe.skipIf(!hasReference('speculative pipeline (jfk.wav, tokenizers)'))(
  'pipeline with a speculative-decoding assistant',
  () => {
    let root: string;
    let teacher: string;
    let student: string;
    let plain: Pipeline;
    let assisted: Pipeline;
    const jfk = (): string => referencePath('assets', 'jfk.wav');

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'dw-spec-pipeline-'));
      teacher = join(root, 'teacher');
      student = join(root, 'student');
      createRandomCheckpoint({ outDir: teacher, preset: 'tiny', dims, dtype: 'f16', seed: 3 });
      createStudent({ teacherDir: teacher, outDir: student, decoderLayers: 2 });
      plain = await createPipeline(teacher);
      assisted = await createPipeline(teacher, { assistant: student });
    }, 120_000);
    afterAll(async () => {
      await plain?.dispose();
      await assisted?.dispose();
      if (root) rmSync(root, { recursive: true, force: true });
    });

    it.each([false, true])('same tokens as the model alone (timestamps %s)', async (ts) => {
      const options = { language: 'en', returnTimestamps: ts, maxNewTokens: 24 };
      const a = await plain.transcribe(jfk(), options);
      const b = await assisted.transcribe(jfk(), options);
      expect(b.tokens).toEqual(a.tokens);
      // Times, text and tokens are the model's; the windows' log-probabilities may differ in the
      // last float digits (verified positions are scored together).
      const timing = (t: Transcription): unknown[] =>
        t.segments.map(({ start, end, text, tokens }) => ({ start, end, text, tokens }));
      expect(timing(b)).toEqual(timing(a));
      expect(b.text).toBe(a.text);
    });

    it('inline pipelines take the assistant too', async () => {
      const inline = await createPipeline(teacher, { assistant: student, inline: true });
      try {
        const a = await plain.transcribe(jfk(), { maxNewTokens: 16 });
        const b = await inline.transcribe(jfk(), { maxNewTokens: 16 });
        expect(b.tokens).toEqual(a.tokens);
      } finally {
        await inline.dispose();
      }
    });

    it('refuses an assistant with another vocabulary at load', async () => {
      const english = join(root, 'english');
      createRandomCheckpoint({ outDir: english, preset: 'small.en', dims, dtype: 'f16', seed: 4 });
      await expect(
        createPipeline(teacher, { assistant: english, inline: true }),
      ).rejects.toMatchObject({
        name: 'GenerationError',
        code: 'ASSISTANT_INCOMPATIBLE',
      });
      await expect(createPipeline(teacher, { assistant: english })).rejects.toMatchObject({
        code: 'ASSISTANT_INCOMPATIBLE',
      });
    });

    it('the CLI takes --assistant', async () => {
      const cli = [
        '--conditions=@distil-whisper/source',
        '--import',
        'tsx',
        join(pkg, 'src', 'cli.ts'),
      ];
      const args = ['transcribe', jfk(), '-m', teacher, '--json', '--max-new-tokens', '12'];
      const without = await run(process.execPath, [...cli, ...args], { cwd: pkg });
      const withAssistant = await run(process.execPath, [...cli, ...args, '--assistant', student], {
        cwd: pkg,
      });
      const a = JSON.parse(without.stdout) as Transcription;
      const b = JSON.parse(withAssistant.stdout) as Transcription;
      expect(b.tokens).toEqual(a.tokens);
      expect(b.tokens.length).toBeGreaterThan(0);
    }, 120_000);
  },
);
