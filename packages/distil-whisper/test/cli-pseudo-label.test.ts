// `distil-whisper pseudo-label` end to end through the CLI on a random multilingual teacher:
// the summary on stdout, the records and sidecar, a rerun that resumes, --shard validation and
// the refusal of another job's output.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandomCheckpoint } from '@distil-whisper/model';

import { makeWav, testSignal } from '../../audio/test/wav-builder';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');
const cli = ['--conditions=@distil-whisper/source', '--import', 'tsx', join(pkg, 'src', 'cli.ts')];
const work = mkdtempSync(join(tmpdir(), 'dw-cli-pseudo-label-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function distilWhisper(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [...cli, ...args], { cwd: pkg });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

describe('distil-whisper pseudo-label', () => {
  const teacher = join(work, 'teacher');
  const manifest = join(work, 'in.jsonl');
  const out = join(work, 'labels.jsonl');
  const common = [
    'pseudo-label',
    '--teacher',
    teacher,
    '--manifest',
    manifest,
    '--language',
    'en',
    '--max-label-length',
    '12',
    '--batch-size',
    '2',
    '--concatenate-audio',
    '--max-duration',
    '20',
  ];
  beforeAll(() => {
    createRandomCheckpoint({
      outDir: teacher,
      dims: {
        dModel: 64,
        encoderLayers: 1,
        decoderLayers: 2,
        encoderAttentionHeads: 4,
        decoderAttentionHeads: 4,
        encoderFfnDim: 128,
        decoderFfnDim: 128,
        vocabSize: 51865,
      },
      seed: 3,
    });
    const lines: string[] = [];
    [4, 6, 12, 3].forEach((seconds, i) => {
      writeFileSync(
        join(work, `c${i}.wav`),
        makeWav({ channels: [testSignal(seconds * 16000, i + 1)], sampleRate: 16000 }),
      );
      lines.push(
        JSON.stringify({ id: `c${i}`, audio: `c${i}.wav`, text: `clip ${i}`, speaker: 'x' }),
      );
    });
    lines.push(JSON.stringify({ id: 'lost', audio: 'lost.wav', text: 'gone' }));
    writeFileSync(manifest, `${lines.join('\n')}\n`);
  });

  it('labels, packs, names what it skipped, and resumes on a rerun', async () => {
    const r = await distilWhisper(...common, '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /labels\.jsonl: 2 records written \(4 clips, 25\.0 s of audio\), 1 skipped/,
    );
    expect(r.stdout).toMatch(/line 5 \(lost\): AUDIO_MISSING/);
    expect(r.stdout).toMatch(/clips\/s\)/);
    const records = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            id: string;
            members: string[];
            text: string;
            condition_on_prev?: number[];
          },
      );
    expect(records.map((x) => x.members)).toEqual([
      ['c0', 'c1'],
      ['c2', 'c3'],
    ]);
    expect(records[0]!.text).toMatch(
      /^<\|startoftranscript\|><\|en\|><\|transcribe\|><\|notimestamps\|>.*<\|endoftext\|>$/,
    );
    expect(records[1]!.condition_on_prev?.[0]).toBe(50361);
    expect(JSON.parse(readFileSync(`${out}.meta.json`, 'utf8')).options.concatenateAudio).toBe(
      true,
    );

    const again = await distilWhisper(...common, '--out', out);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/0 records written .*4 clips already labelled by an earlier run/);
    expect(again.stderr).toMatch(/resuming .*2 records already written/);
  });

  it('refuses another job on the same output unless --force', async () => {
    const r = await distilWhisper(...common, '--out', out, '--timestamps');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[LABELS_MISMATCH\].*timestamps: was false, now true.*--force/);
    const forced = await distilWhisper(...common, '--out', out, '--timestamps', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/2 records written/);
    expect(readFileSync(out, 'utf8')).toMatch(/<\|transcribe\|><\|\d+\.\d\d\|>/);
  });

  it('validates --shard (0-based I/N)', async () => {
    const bad = await distilWhisper(...common, '--out', join(work, 's.jsonl'), '--shard', '2/2');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/0-based.*0\.\.1.*pass 1\/2/);
    const ok = await distilWhisper(...common, '--out', join(work, 's1.jsonl'), '--shard', '1/2');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/shard 1\/2: manifest lines 3–5/);
  });
});
