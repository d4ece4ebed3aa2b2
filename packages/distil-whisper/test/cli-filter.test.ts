// `distil-whisper filter` through the CLI: kept lines, the all / kept / dropped table, the λ
// sweep, and refusals.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');
const cli = ['--conditions=@distil-whisper/source', '--import', 'tsx', join(pkg, 'src', 'cli.ts')];
const work = mkdtempSync(join(tmpdir(), 'dw-cli-filter-'));
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

const label = (text: string): string =>
  `<|startoftranscript|><|en|><|transcribe|><|notimestamps|> ${text}<|endoftext|>`;

describe('distil-whisper filter', () => {
  const input = join(work, 'labels.jsonl');
  const lines = [
    { id: 'a', audio: 'a.wav', text: label('The cat sat.'), reference: 'the cat sat' },
    {
      id: 'b',
      audio: 'b.wav',
      text: label('The cat sat on a mat.'),
      reference: 'the cat sat on the mat',
    },
    { id: 'c', audio: 'c.wav', text: label('THE DOG RAN.'), reference: 'the dog ran' },
    { id: 'd', audio: 'd.wav', text: label('Nothing.'), reference: '' },
  ].map((l) => JSON.stringify(l));
  writeFileSync(input, `${lines.join('\n')}\n`);

  it('keeps labels under λ and prints the table and the sweep', async () => {
    const out = join(work, 'kept.jsonl');
    const r = await distilWhisper(
      'filter',
      '--manifest',
      input,
      '--out',
      out,
      '--wer-threshold',
      '10',
      '--sweep',
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(`${lines[0]}\n`);
    expect(r.stdout).toMatch(/^kept 1 of 4 examples \(25\.0 %\) with WER < 10 %/);
    expect(r.stdout).toMatch(/dropped: above-threshold 1, upper-case 1, empty-reference 1/);
    // b: 1 error in 6 words; c (all caps) is measured for the table: 0 errors in 3 words.
    expect(r.stdout).toMatch(/\| all \| 4 \| 100\.0 % \| 12 \| 8\.33 % \|/);
    expect(r.stdout).toMatch(/\| dropped \| 3 \| 75\.0 % \| 9 \| 11\.11 % \|/);
    expect(r.stdout).toMatch(/\| 20 \| 2 \| 50\.0 % \| 11\.11 % \|/);
    expect(r.stdout).toMatch(/\| 15 \| 1 \| 25\.0 % \| 0\.00 % \|/);

    const again = await distilWhisper('filter', '--manifest', input, '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/OUTPUT_EXISTS/);
    const loose = await distilWhisper(
      'filter',
      '--manifest',
      input,
      '--out',
      out,
      '--wer-threshold',
      '20',
      '--force',
    );
    expect(loose.code, loose.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(`${lines[0]}\n${lines[1]}\n`);
  });

  it('rejects a bad threshold', async () => {
    const r = await distilWhisper(
      'filter',
      '--manifest',
      input,
      '--out',
      join(work, 'x.jsonl'),
      '--wer-threshold',
      'ten',
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/WER threshold in percent/);
  });
});
