// `distil-whisper create-student` end to end on a random teacher: summary, files, refusals.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandomCheckpoint } from '@distil-whisper/model';

const run = promisify(execFile);
const pkg = resolve(__dirname, '..');
const cli = ['--conditions=@distil-whisper/source', '--import', 'tsx', join(pkg, 'src', 'cli.ts')];
const work = mkdtempSync(join(tmpdir(), 'dw-cli-student-'));
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

describe('distil-whisper create-student', () => {
  const teacher = join(work, 'teacher');
  const out = join(work, 'student');
  beforeAll(() => {
    createRandomCheckpoint({
      outDir: teacher,
      dims: {
        dModel: 64,
        encoderLayers: 4,
        decoderLayers: 6,
        encoderAttentionHeads: 4,
        decoderAttentionHeads: 4,
        encoderFfnDim: 128,
        decoderFfnDim: 128,
        vocabSize: 600,
      },
      dtype: 'f16',
      tokenizerDir: false,
    });
  });

  it('writes a student and prints the layer map and parameter counts', async () => {
    const r = await distilWhisper(
      'create-student',
      '--teacher',
      teacher,
      '--decoder-layers',
      '2',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^teacher .*: 4 encoder \+ 6 decoder layers, [\d.]+ M parameters/m);
    expect(r.stdout).toMatch(/^student .*: 4 encoder \+ 2 decoder layers, .* % of the teacher$/m);
    expect(r.stdout).toContain('decoder layers (student←teacher): 0←0 1←5');
    expect(r.stdout).toContain('encoder: all 4 layers copied');
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect([config.encoder_layers, config.decoder_layers]).toEqual([4, 2]);
  }, 60_000);

  it('refuses the existing output without --force, replaces it with --force', async () => {
    const again = await distilWhisper('create-student', '--teacher', teacher, '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/WriteError \[OUTPUT_EXISTS\].*--force/);
    const forced = await distilWhisper(
      'create-student',
      '--teacher',
      teacher,
      '--decoder-layer-ids',
      '1,4,5',
      '--encoder-layers',
      '2',
      '--out',
      out,
      '--force',
    );
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain('decoder layers (student←teacher): 0←1 1←4 2←5');
    expect(forced.stdout).toContain('encoder layers (student←teacher): 0←0 1←3');
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect([config.encoder_layers, config.decoder_layers]).toEqual([2, 3]);
  }, 60_000);

  it('refuses impossible layers with a typed error and malformed ids at parse time', async () => {
    const tooMany = await distilWhisper(
      'create-student',
      '--teacher',
      teacher,
      '--decoder-layers',
      '7',
      '--out',
      join(work, 'never'),
    );
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/DistillError \[LAYERS_INVALID\].*more decoder layers \(7\)/);
    const badIds = await distilWhisper(
      'create-student',
      '--teacher',
      teacher,
      '--decoder-layer-ids',
      '0,-1',
      '--out',
      join(work, 'never'),
    );
    expect(badIds.code).toBe(1);
    expect(badIds.stderr).toMatch(/--decoder-layer-ids.*invalid/);
  }, 60_000);
});
