import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runWerCli } from '../src/index';

const dir = mkdtempSync(join(tmpdir(), 'dw-wer-cli-'));
const refs = join(dir, 'refs.txt');
const hyps = join(dir, 'hyps.txt');
writeFileSync(refs, 'The colour is red.\nask not what your country can do\n');
writeFileSync(hyps, 'the color is red\r\nask what your country can do for\n');
writeFileSync(join(dir, 'normalizer.json'), JSON.stringify({ colour: 'color' }));

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = runWerCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('distil-whisper-wer', () => {
  it('prints WER and the S/D/I breakdown', () => {
    const r = run(['--ref', refs, '--hyp', hyps, '--spelling-map', dir]);
    expect(r.code).toBe(0);
    // 11 reference words; "not" deleted, "for" inserted
    expect(r.stdout).toContain('WER: 18.18 % over 2 utterances, 11 reference words');
    expect(r.stdout).toMatch(/deletions\s+1 /);
    expect(r.stdout).toMatch(/insertions\s+1 /);
    expect(r.stdout).toContain('(with spelling map)');
    expect(r.stderr).toBe('');
  });

  it('JSON output, other normalisers, CER', () => {
    const j = JSON.parse(
      run(['--ref', refs, '--hyp', hyps, '--normalize', 'none', '--json']).stdout,
    ) as Record<string, number>;
    // unnormalised: "The"/"the", "colour."/"color", "red."/"red" differ too
    expect(j).toMatchObject({
      metric: 'wer',
      utterances: 2,
      substitutions: 3,
      deletions: 1,
      insertions: 1,
    });
    const c = JSON.parse(
      run(['--ref', refs, '--hyp', hyps, '--normalize', 'basic', '--unit', 'character', '--json'])
        .stdout,
    ) as Record<string, unknown>;
    expect(c.metric).toBe('cer');
  });

  it('warns on stderr when the English normaliser has no spelling map', () => {
    const r = run(['--ref', refs, '--hyp', hyps]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('warning: EnglishTextNormalizer: no spelling map');
  });

  it('ignores a UTF-8 byte-order mark at the start of either file', () => {
    const bomRefs = join(dir, 'bom-refs.txt');
    const bomHyps = join(dir, 'bom-hyps.txt');
    writeFileSync(bomRefs, '\ufeffhello world\nsecond line\n');
    writeFileSync(bomHyps, '\ufeffhello world\r\nsecond line\r\n');
    for (const normalize of ['none', 'basic', 'english']) {
      const r = run(['--ref', bomRefs, '--hyp', bomHyps, '--normalize', normalize, '--json']);
      expect(r.code, normalize).toBe(0);
      expect(JSON.parse(r.stdout), normalize).toMatchObject({ errorRate: 0, hits: 4 });
    }
    // Only the file's first character: a BOM later in a line is text.
    writeFileSync(bomHyps, 'hello world\nsecond \ufeffline\n');
    const r = run(['--ref', bomRefs, '--hyp', bomHyps, '--normalize', 'none', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ substitutions: 1 });
  });

  it('both sides empty on a line: no error; all lines empty: WER 0 over 0 words', () => {
    const a = join(dir, 'empty-a.txt');
    const b = join(dir, 'empty-b.txt');
    writeFileSync(a, 'hello there\n\n');
    writeFileSync(b, 'hello there\n\n');
    expect(JSON.parse(run(['--ref', a, '--hyp', b, '--json']).stdout)).toMatchObject({
      utterances: 2,
      errorRate: 0,
      referenceLength: 2,
    });
    writeFileSync(a, '\n\n');
    writeFileSync(b, '\n\n');
    const r = run(['--ref', a, '--hyp', b, '--normalize', 'none']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('WER: 0.00 % over 2 utterances, 0 reference words');
  });

  it('usage and input errors', () => {
    expect(run([]).code).toBe(2);
    expect(run(['--ref', refs]).stderr).toContain('Both --ref and --hyp are required');
    expect(run(['--ref', refs, '--hyp', hyps, '--normalize', 'xx']).code).toBe(2);
    expect(run(['--bogus']).code).toBe(2);
    expect(run(['--help']).stdout).toContain('Usage: distil-whisper-wer');
    const short = join(dir, 'short.txt');
    writeFileSync(short, 'one line\n');
    const mismatch = run(['--ref', refs, '--hyp', short, '--normalize', 'none']);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('LENGTH_MISMATCH');
    expect(run(['--ref', join(dir, 'nope.txt'), '--hyp', hyps, '--normalize', 'none']).code).toBe(
      1,
    );
  });

  it('runs as a process through its bin entry', () => {
    const pkgDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
    const tsx = createRequire(import.meta.url).resolve('tsx');
    const out = execFileSync(
      process.execPath,
      [
        '--conditions=@distil-whisper/source',
        '--import',
        tsx,
        join(pkgDir, 'src', 'cli.ts'),
        '--ref',
        refs,
        '--hyp',
        hyps,
        '--normalize',
        'none',
        '--json',
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toMatchObject({ metric: 'wer', referenceLength: 11 });
  });
});
