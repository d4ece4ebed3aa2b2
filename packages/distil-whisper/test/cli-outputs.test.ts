// The CLI never destroys existing output: create-random and convert refuse a non-empty output
// directory unless --force, and convert refuses an output that is (or is inside) its source.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');
const cli = ['--conditions=@distil-whisper/source', '--import', 'tsx', join(pkg, 'src', 'cli.ts')];
const work = mkdtempSync(join(tmpdir(), 'dw-cli-outputs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the CLI; resolves with exit code, stdout and stderr (never rejects). */
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

describe('CLI outputs', () => {
  it('create-random refuses a non-empty --out, replaces it with --force', async () => {
    const out = join(work, 'random');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'keep me');
    const args = ['create-random', '--preset', 'tiny', '--dtype', 'f16', '--out', out];
    const refused = await distilWhisper(...args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/WriteError \[OUTPUT_EXISTS\]/);
    expect(refused.stderr).toContain(out);
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('keep me');
    expect(readdirSync(work).filter((n) => n.includes('.tmp-'))).toEqual([]);
    const forced = await distilWhisper(...args, '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(readdirSync(out)).not.toContain('notes.txt');
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).d_model).toBe(384);
  }, 120_000);

  it('convert refuses --out equal to or inside the source directory', async () => {
    const src = join(work, 'ct2');
    mkdirSync(src);
    for (const out of [src, join(src, 'hf')]) {
      const r = await distilWhisper('convert', '--from', 'ct2', src, '--out', out, '--force');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/WriteError \[OUTPUT_INVALID\].*source directory/);
    }
    expect(readdirSync(src)).toEqual([]);
  }, 60_000);
});
