// `distil-whisper transcribe` on a random checkpoint: stdin (`-`), chunked long-form flags,
// outputs written atomically as each file finishes, a failing file named while the others go on,
// exit status 1 at the end, no progress bar when stderr is not a terminal.
import { execFile } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio } from '@distil-whisper/audio';
import { createRandomCheckpoint } from '@distil-whisper/model';
import { progressBar } from '../src/cli-transcribe';
import { hasReference, referencePath } from '../../../test-support/reference';
import { jfkJoined, wavBytes } from '../../../test-support/longform-audio';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');
const cli = ['--conditions=@distil-whisper/source', '--import', 'tsx', join(pkg, 'src', 'cli.ts')];

describe.skipIf(!hasReference('distil-whisper transcribe CLI (jfk.wav, tokenizers)'))(
  'distil-whisper transcribe',
  () => {
    let dir: string;
    let work: string;
    let long: string;
    let jfk: Float32Array;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'dw-cli-longform-model-'));
      work = mkdtempSync(join(tmpdir(), 'dw-cli-longform-'));
      createRandomCheckpoint({
        outDir: dir,
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
      jfk = await loadAudio(referencePath('assets', 'jfk.wav'));
      long = join(work, 'long.wav');
      writeFileSync(long, wavBytes(jfkJoined(jfk)));
    }, 120_000);

    afterAll(() => {
      for (const d of [dir, work]) if (d) rmSync(d, { recursive: true, force: true });
    });

    it('the CLI: - reads stdin, outputs are written as each file finishes, a failing file is named and the exit status is 1', async () => {
      const out = join(work, 'out');
      const short = join(work, 'short.wav');
      writeFileSync(short, wavBytes(jfk));
      const proc = run(
        process.execPath,
        [
          ...cli,
          'transcribe',
          '-',
          join(work, 'missing.wav'),
          short,
          '-m',
          dir,
          '--language',
          'en',
          '--max-new-tokens',
          '2',
          '--long-form',
          'chunked',
          '--batch-size',
          '2',
          '--chunk-length',
          '20',
          '--stride',
          '3',
          '-f',
          'srt',
          '-o',
          out,
        ],
        { cwd: pkg },
      );
      createReadStream(long).pipe(proc.child.stdin!);
      const r = await proc.then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({
          code: e.code ?? -1,
          stdout: e.stdout ?? '',
          stderr: e.stderr ?? '',
        }),
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/missing\.wav: AudioError \[IO_ERROR\]/);
      expect(r.stderr).toMatch(/1 of 3 files failed/);
      expect(r.stderr).toContain(`wrote ${join(out, 'stdin.srt')}`);
      expect(r.stderr).toContain(`wrote ${join(out, 'short.srt')}`);
      // Not a terminal: no progress bar in the captured stderr.
      expect(r.stderr).not.toMatch(/\[#*-*\]/);
      const help = await run(process.execPath, [...cli, 'transcribe', '--help'], { cwd: pkg });
      for (const flag of [
        '--chunk-length',
        '--stride',
        '--batch-size',
        '--long-form',
        '--condition-on-previous-text',
        '--no-condition-on-previous-text',
        '--compression-ratio-threshold',
        '--logprob-threshold',
        '--no-speech-threshold',
      ])
        expect(help.stdout).toContain(flag);
    }, 180_000);
  },
);

describe('progress bar', () => {
  it('draws seconds done of the total on a terminal, nothing elsewhere', () => {
    const written: string[] = [];
    const tty = { isTTY: true, columns: 100, write: (x: string) => written.push(x) };
    const bar = progressBar(['talk.wav'], tty as unknown as NodeJS.WriteStream);
    bar.update({ stage: 'audio', file: 0 });
    bar.update({ stage: 'decoder', file: 0, seconds: 754, totalSeconds: 1800 });
    bar.update({ stage: 'done', file: 0 });
    expect(written[0]).toContain('talk.wav: reading audio');
    expect(written[1]).toBe('\r\x1b[Ktalk.wav [##########--------------]  42%  12:34/30:00');
    expect(written[2]).toBe('\r\x1b[K');
    const piped: string[] = [];
    const pipe = { isTTY: false, write: (x: string) => piped.push(x) };
    progressBar(['a'], pipe as unknown as NodeJS.WriteStream).update({
      stage: 'decoder',
      seconds: 1,
      totalSeconds: 2,
    });
    expect(piped).toEqual([]);
  });
});
