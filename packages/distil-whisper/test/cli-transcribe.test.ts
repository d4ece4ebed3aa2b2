// `distil-whisper transcribe` on a random checkpoint: stdin (`-`), chunked long-form flags,
// outputs written atomically as each file finishes, a failing file named while the others go on,
// exit status 1 at the end, no progress bar when stderr is not a terminal.
import { execFile } from 'node:child_process';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio } from '@distil-whisper/audio';
import { WriteError } from '@distil-whisper/model';
import {
  MAX_BEAMS,
  outputNames,
  progressBar,
  registerTranscribeCommand,
  requestOptions,
} from '../src/cli-transcribe';
import { hasReference, referencePath } from '../../../test-support/reference';
import { jfkJoined, wavBytes } from '../../../test-support/longform-audio';
import { randomCheckpoint, type RandomCheckpoint } from './support/fixture';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');
const cli = ['--conditions=@distil-whisper/source', '--import', 'tsx', join(pkg, 'src', 'cli.ts')];

describe.skipIf(!hasReference('distil-whisper transcribe CLI (jfk.wav, tokenizers)'))(
  'distil-whisper transcribe',
  () => {
    let model: RandomCheckpoint;
    let dir: string;
    let work: string;
    let long: string;
    let jfk: Float32Array;

    beforeAll(async () => {
      model = randomCheckpoint('dw-cli-longform-model-');
      dir = model.dir;
      work = mkdtempSync(join(tmpdir(), 'dw-cli-longform-'));
      jfk = await loadAudio(referencePath('assets', 'jfk.wav'));
      long = join(work, 'long.wav');
      writeFileSync(long, wavBytes(jfkJoined(jfk)));
    }, 120_000);

    afterAll(() => {
      model?.remove();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('the CLI: - reads stdin, outputs are written as each file finishes, a failing file is named and the exit status is 1', async () => {
      const out = join(work, 'out');
      const short = join(work, 'short.wav');
      writeFileSync(short, wavBytes(jfk));
      // Same base name in another folder: its output must not replace the first one's.
      mkdirSync(join(work, 'sub'));
      const twin = join(work, 'sub', 'short.wav');
      writeFileSync(twin, wavBytes(jfk.subarray(0, 16000)));
      // A truncated MP3: transcribed, with a warning on stderr.
      const mp3 = readFileSync(referencePath('assets', 'jfk.mp3'));
      const cutMp3 = join(work, 'cut.mp3');
      writeFileSync(cutMp3, mp3.subarray(0, mp3.length >> 1));
      const proc = run(
        process.execPath,
        [
          ...cli,
          'transcribe',
          '-',
          join(work, 'missing.wav'),
          short,
          twin,
          cutMp3,
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
      expect(r.stderr).toMatch(/1 of 5 files failed/);
      expect(r.stderr).toContain(
        `distil-whisper: ${cutMp3}: warning: MP3 stream looks truncated: its Xing/Info header declares 11.00 s but only 5.`,
      );
      expect(r.stderr).toContain(`wrote ${join(out, 'stdin.srt')}`);
      const shortOut = join(out, `${basename(work)}__short.wav.srt`);
      const twinOut = join(out, 'sub__short.wav.srt');
      expect(r.stderr).toContain(`wrote ${shortOut}`);
      expect(r.stderr).toContain(`wrote ${twinOut}`);
      expect(readdirSync(out).sort()).toEqual(
        ['stdin.srt', basename(shortOut), basename(twinOut), 'cut.srt'].sort(),
      );
      // Run again: every existing output is refused, by name, before the model loads.
      const before = readFileSync(shortOut, 'utf8');
      const again = await run(
        process.execPath,
        [...cli, 'transcribe', short, twin, '-m', dir, '-f', 'srt', '-o', out],
        {
          cwd: pkg,
        },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code?: number; stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }),
      );
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('WriteError [OUTPUT_EXISTS]: 2 outputs exist already');
      expect(again.stderr).toContain(shortOut);
      expect(again.stderr).toContain('--force');
      expect(readFileSync(shortOut, 'utf8')).toBe(before);
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

describe('transcribe command line (no model)', () => {
  /** Parses a transcribe command line; returns the pipeline options it asks for, or the error. */
  async function parse(...args: string[]): Promise<ReturnType<typeof requestOptions> | Error> {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
    registerTranscribeCommand(program);
    const cmd = program.commands.find((c) => c.name() === 'transcribe')!;
    cmd.exitOverride().configureOutput({ writeErr: () => {} });
    let options: ReturnType<typeof requestOptions> | undefined;
    cmd.action((_files: string[], o: Record<string, unknown>) => {
      options = requestOptions(o);
    });
    try {
      await program.parseAsync(['node', 'cli', 'transcribe', 'a.wav', '-m', 'model', ...args]);
    } catch (e) {
      return e as Error;
    }
    return options!;
  }

  it('the decoding thresholds and --beams reach the pipeline options', async () => {
    expect(
      await parse(
        '--no-speech-threshold',
        '0.6',
        '--logprob-threshold',
        '-1',
        '--compression-ratio-threshold',
        '1.35',
        '--temperature',
        '0,0.2,0.4',
        '--beams',
        '5',
        '--lenient',
      ),
    ).toEqual({
      longForm: 'sequential',
      noSpeechThreshold: 0.6,
      logprobThreshold: -1,
      compressionRatioThreshold: 1.35,
      temperature: [0, 0.2, 0.4],
      numBeams: 5,
      lenient: true,
    });
    expect(await parse('--strict')).toMatchObject({ strict: true });
  });

  it(`--beams is bounded to 1..${MAX_BEAMS} with a message that says why`, async () => {
    expect(await parse('--beams', String(MAX_BEAMS))).toMatchObject({ numBeams: MAX_BEAMS });
    for (const bad of ['1000', '0', '2.5', 'x']) {
      const e = await parse('--beams', bad);
      expect(e, bad).toBeInstanceOf(Error);
      expect((e as Error).message).toContain(`expected 1 to ${MAX_BEAMS} beams`);
      expect((e as Error).message).toMatch(/key\/value cache/);
    }
  });

  it('outputs of inputs with the same base name stay distinct', () => {
    expect(outputNames(['talk.wav', 'other.flac', '-'])).toEqual(['talk', 'other', 'stdin']);
    expect(outputNames(['talk.wav', 'talk.mp3'])).toEqual(['talk.wav', 'talk.mp3']);
    expect(outputNames(['a/talk.wav', 'b/talk.wav', 'x/other.flac'])).toEqual([
      'a__talk.wav',
      'b__talk.wav',
      'other',
    ]);
    expect(outputNames(['x/a/talk.wav', 'y/a/talk.wav'])).toEqual([
      'x__a__talk.wav',
      'y__a__talk.wav',
    ]);
    // Names equal but for case would clash on case-insensitive file systems.
    expect(outputNames(['Talk.WAV', 'talk.flac'])).toEqual(['Talk.WAV', 'talk.flac']);
    expect(outputNames(['Talk.WAV', 'talk.wav'])).toEqual(['Talk', 'talk-2']);
    expect(outputNames(['talk.wav', 'talk.wav', '-', 'stdin.wav'])).toEqual([
      'talk',
      'talk-2',
      'stdin',
      'stdin.wav',
    ]);
  });

  it('-o refuses existing outputs before loading the model, and --force lets them be replaced', async () => {
    const out = mkdtempSync(join(tmpdir(), 'dw-cli-refuse-'));
    try {
      writeFileSync(join(out, 'talk.txt'), 'an earlier transcript');
      const program = new Command();
      registerTranscribeCommand(program);
      const args = [
        'node',
        'cli',
        'transcribe',
        'talk.wav',
        '-m',
        join(out, 'no-model'),
        '-o',
        out,
      ];
      const refused = await program.parseAsync(args).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(WriteError);
      expect((refused as WriteError).code).toBe('OUTPUT_EXISTS');
      expect((refused as Error).message).toContain(join(out, 'talk.txt'));
      expect(readFileSync(join(out, 'talk.txt'), 'utf8')).toBe('an earlier transcript');
      // With --force the check passes and the (missing) model is what fails.
      const again = new Command();
      registerTranscribeCommand(again);
      const forced = await again.parseAsync([...args, '--force']).catch((e: unknown) => e);
      expect(forced).not.toBeInstanceOf(WriteError);
      expect((forced as Error).message).toContain('no-model');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
