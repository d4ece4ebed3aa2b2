// Crash-safe writing: refusal of existing outputs, replacement with force, and failures in the
// middle of a write that must leave the previous output intact and no temporary behind.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import {
  assertOutputOutside,
  convertCt2ToHf,
  createRandomCheckpoint,
  readSafetensorsHeader,
  saveCheckpoint,
  WhisperModel,
  writeDirectoryAtomic,
  writeFileAtomic,
  WriteError,
} from '../src/index';
import { smallCheckpoint, tempDir } from './helpers';

const tmp = tempDir('atomic');
afterAll(() => tmp.cleanup());

/** Runs `f`, expecting a WriteError; returns it. */
function writeFailure(f: () => unknown): WriteError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WriteError);
    return e as WriteError;
  }
  throw new Error('expected a WriteError');
}

/** Names in `parent` that are temporaries or moved-aside copies of the atomic writer. */
function leftovers(parent: string): string[] {
  return readdirSync(parent).filter((n) => /\.(tmp|old)-\d+-[0-9a-f]+$/.test(n));
}

/** A directory with a file in it, standing for a previous complete output. */
function previousOutput(dir: string): void {
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'model.safetensors'), 'old weights');
  writeFileSync(join(dir, 'sub', 'nested.txt'), 'old nested');
}

function expectPreviousOutput(dir: string): void {
  expect(readFileSync(join(dir, 'model.safetensors'), 'utf8')).toBe('old weights');
  expect(readFileSync(join(dir, 'sub', 'nested.txt'), 'utf8')).toBe('old nested');
}

describe('writeFileAtomic', () => {
  it('writes text and bytes, creating parent directories', () => {
    const parent = join(tmp.dir, 'files', 'a', 'b');
    writeFileAtomic(join(parent, 'x.json'), '{"a":1}');
    writeFileAtomic(join(parent, 'y.bin'), new Float32Array([1, 2]));
    expect(readFileSync(join(parent, 'x.json'), 'utf8')).toBe('{"a":1}');
    const bytes = readFileSync(join(parent, 'y.bin'));
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4)]).toEqual([1, 2]);
    expect(statSync(join(parent, 'y.bin')).size).toBe(8);
    expect(leftovers(parent)).toEqual([]);
  });

  it('refuses an existing file without force, naming it and the remedy', () => {
    const path = join(tmp.dir, 'files', 'keep.txt');
    writeFileAtomic(path, 'first');
    const e = writeFailure(() => writeFileAtomic(path, 'second'));
    expect(e.code).toBe('OUTPUT_EXISTS');
    expect(e.path).toBe(path);
    expect(e.message).toContain(path);
    expect(e.message).toMatch(/force.*--force/);
    expect(readFileSync(path, 'utf8')).toBe('first');
    expect(leftovers(join(tmp.dir, 'files'))).toEqual([]);
  });

  it('replaces an existing file with force', () => {
    const path = join(tmp.dir, 'files', 'replace.txt');
    writeFileAtomic(path, 'first');
    writeFileAtomic(path, 'second', { force: true });
    expect(readFileSync(path, 'utf8')).toBe('second');
  });

  it('refuses a directory in the way, even with force', () => {
    const path = join(tmp.dir, 'files', 'adir');
    mkdirSync(path, { recursive: true });
    expect(writeFailure(() => writeFileAtomic(path, 'x', { force: true })).code).toBe(
      'OUTPUT_INVALID',
    );
  });
});

describe('writeDirectoryAtomic', () => {
  it('creates a new directory and returns what the writer returns', () => {
    const dir = join(tmp.dir, 'dirs', 'new');
    const r = writeDirectoryAtomic(dir, (t) => {
      expect(readdirSync(t)).toEqual([]);
      expect(t).toMatch(/[/\\]\.new\.tmp-\d+-[0-9a-f]{8}$/);
      writeFileSync(join(t, 'a.txt'), 'a');
      mkdirSync(join(t, 'nested'));
      writeFileSync(join(t, 'nested', 'b.txt'), 'b');
      return 42;
    });
    expect(r).toBe(42);
    expect(readFileSync(join(dir, 'nested', 'b.txt'), 'utf8')).toBe('b');
    expect(leftovers(join(tmp.dir, 'dirs'))).toEqual([]);
  });

  it('fills an existing empty directory (e.g. from mkdtemp)', () => {
    const dir = join(tmp.dir, 'dirs', 'empty');
    mkdirSync(dir, { recursive: true });
    writeDirectoryAtomic(dir, (t) => writeFileSync(join(t, 'a.txt'), 'a'));
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });

  it('refuses a non-empty directory without force before the writer runs', () => {
    const dir = join(tmp.dir, 'dirs', 'occupied');
    previousOutput(dir);
    let ran = false;
    const e = writeFailure(() =>
      writeDirectoryAtomic(dir, () => {
        ran = true;
      }),
    );
    expect(ran).toBe(false);
    expect(e.code).toBe('OUTPUT_EXISTS');
    expect(e.message).toContain(dir);
    expect(e.message).toMatch(/not empty.*force: true.*--force/);
    expectPreviousOutput(dir);
    expect(leftovers(join(tmp.dir, 'dirs'))).toEqual([]);
  });

  it('replaces a non-empty directory whole with force (no old file survives)', () => {
    const dir = join(tmp.dir, 'dirs', 'replaced');
    previousOutput(dir);
    writeDirectoryAtomic(dir, (t) => writeFileSync(join(t, 'config.json'), '{}'), { force: true });
    expect(readdirSync(dir)).toEqual(['config.json']);
    expect(leftovers(join(tmp.dir, 'dirs'))).toEqual([]);
  });

  it('a writer that fails mid-write leaves the old directory intact and no temporary', () => {
    const dir = join(tmp.dir, 'dirs', 'crash');
    previousOutput(dir);
    let seen = '';
    expect(() =>
      writeDirectoryAtomic(
        dir,
        (t) => {
          seen = t;
          writeFileSync(join(t, 'model.safetensors'), 'half of the new weig');
          throw new Error('disk full (simulated)');
        },
        { force: true },
      ),
    ).toThrow('disk full (simulated)');
    expect(existsSync(seen)).toBe(false);
    expectPreviousOutput(dir);
    expect(readdirSync(dir).sort()).toEqual(['model.safetensors', 'sub']);
    expect(leftovers(join(tmp.dir, 'dirs'))).toEqual([]);
  });

  it('an async writer commits after it resolves, and cleans up when it rejects', async () => {
    const dir = join(tmp.dir, 'dirs', 'async');
    const r = await writeDirectoryAtomic(dir, async (t) => {
      await new Promise((res) => setTimeout(res, 5));
      expect(existsSync(dir)).toBe(false); // nothing visible before the writer is done
      writeFileSync(join(t, 'a.txt'), 'a');
      return 'done';
    });
    expect(r).toBe('done');
    expect(readdirSync(dir)).toEqual(['a.txt']);
    await expect(
      writeDirectoryAtomic(
        dir,
        async (t) => {
          writeFileSync(join(t, 'a.txt'), 'new');
          throw new Error('interrupted');
        },
        { force: true },
      ),
    ).rejects.toThrow('interrupted');
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('a');
    expect(leftovers(join(tmp.dir, 'dirs'))).toEqual([]);
  });

  it('an output that appears while writing is not clobbered without force', () => {
    const dir = join(tmp.dir, 'dirs', 'race');
    const e = writeFailure(() =>
      writeDirectoryAtomic(dir, (t) => {
        writeFileSync(join(t, 'mine.txt'), 'mine');
        previousOutput(dir); // another process got there first
      }),
    );
    expect(e.code).toBe('OUTPUT_EXISTS');
    expectPreviousOutput(dir);
    expect(leftovers(join(tmp.dir, 'dirs'))).toEqual([]);
  });

  it('merge: adds whole files beside what the directory holds; same names only with force', () => {
    const dir = join(tmp.dir, 'dirs', 'run');
    previousOutput(dir); // a training run's earlier files stay
    writeDirectoryAtomic(dir, (t) => writeFileSync(join(t, 'config.json'), '{"final":1}'), {
      merge: true,
    });
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'sub']);
    expectPreviousOutput(dir);
    let ran = false;
    const e = writeFailure(() =>
      writeDirectoryAtomic(
        dir,
        (t) => {
          ran = true;
          writeFileSync(join(t, 'model.safetensors'), 'new weights');
          writeFileSync(join(t, 'extra.txt'), 'x');
        },
        { merge: true },
      ),
    );
    expect(ran).toBe(true);
    expect(e.code).toBe('OUTPUT_EXISTS');
    expect(e.message).toMatch(/model\.safetensors already exists.*--force/);
    expect(readdirSync(dir)).not.toContain('extra.txt'); // nothing moved before the check
    expectPreviousOutput(dir);
    writeDirectoryAtomic(dir, (t) => writeFileSync(join(t, 'model.safetensors'), 'new weights'), {
      merge: true,
      force: true,
    });
    expect(readFileSync(join(dir, 'model.safetensors'), 'utf8')).toBe('new weights');
    expect(readFileSync(join(dir, 'sub', 'nested.txt'), 'utf8')).toBe('old nested');
    expect(leftovers(join(tmp.dir, 'dirs'))).toEqual([]);
    // Into a directory that does not exist yet.
    const fresh = join(tmp.dir, 'dirs', 'fresh-merge');
    writeDirectoryAtomic(fresh, (t) => writeFileSync(join(t, 'a'), 'a'), { merge: true });
    expect(readdirSync(fresh)).toEqual(['a']);
  });

  it('refuses a file where the directory should go', () => {
    const path = join(tmp.dir, 'dirs', 'afile');
    writeFileSync(path, 'x');
    expect(writeFailure(() => writeDirectoryAtomic(path, () => {}, { force: true })).code).toBe(
      'OUTPUT_INVALID',
    );
    expect(readFileSync(path, 'utf8')).toBe('x');
  });
});

describe('assertOutputOutside', () => {
  const src = join(tmp.dir, 'overlap', 'teacher');
  mkdirSync(src, { recursive: true });

  it('accepts a sibling, refuses the same directory, one inside it or one containing it', () => {
    expect(() => assertOutputOutside(src, join(tmp.dir, 'overlap', 'student'))).not.toThrow();
    expect(() => assertOutputOutside(src, `${src}-student`)).not.toThrow();
    for (const out of [src, join(src, '.'), join(src, 'student', 'x'), join(tmp.dir, 'overlap')]) {
      const e = writeFailure(() => assertOutputOutside(src, out, 'the teacher directory'));
      expect(e.code, out).toBe('OUTPUT_INVALID');
      expect(e.message).toContain('the teacher directory');
    }
  });

  it('sees through symbolic links', () => {
    const link = join(tmp.dir, 'overlap', 'link');
    symlinkSync(src, link);
    expect(writeFailure(() => assertOutputOutside(src, join(link, 'out'))).code).toBe(
      'OUTPUT_INVALID',
    );
  });
});

describe('checkpoint writers go through the atomic writer', () => {
  it('saveCheckpoint refuses a non-empty directory, replaces it with force', () => {
    const src = smallCheckpoint(join(tmp.dir, 'ckpt', 'src'));
    const out = join(tmp.dir, 'ckpt', 'out');
    previousOutput(out);
    const model = WhisperModel.load(src);
    try {
      const e = writeFailure(() => model.save(out));
      expect(e.code).toBe('OUTPUT_EXISTS');
      expectPreviousOutput(out);
      model.save(out, { force: true, dtype: 'f16' });
      expect(readdirSync(out).sort()).toEqual([
        'config.json',
        'generation_config.json',
        'model.safetensors',
      ]);
      expect(
        [...readSafetensorsHeader(join(out, 'model.safetensors')).tensors.values()][0]!.dtype,
      ).toBe('F16');
      // Saving over the directory the model was loaded from works with force.
      saveCheckpoint(
        src,
        { config: model.config, generationConfig: model.generationConfig, tensors: model.tensors },
        { force: true },
      );
      WhisperModel.load(src).dispose();
    } finally {
      model.dispose();
    }
    expect(leftovers(join(tmp.dir, 'ckpt'))).toEqual([]);
  });

  it('createRandomCheckpoint refuses a non-empty directory, replaces it with force', () => {
    const out = join(tmp.dir, 'random');
    smallCheckpoint(out, { seed: 1 });
    const first = readFileSync(join(out, 'model.safetensors'));
    expect(writeFailure(() => smallCheckpoint(out, { seed: 2 })).code).toBe('OUTPUT_EXISTS');
    expect(readFileSync(join(out, 'model.safetensors')).equals(first)).toBe(true);
    const r = createRandomCheckpoint({
      outDir: out,
      dims: { dModel: 32, encoderAttentionHeads: 2, decoderAttentionHeads: 2 },
      tokenizerDir: false,
      force: true,
    });
    expect(r.config.dModel).toBe(32);
    expect(readFileSync(join(out, 'model.safetensors')).equals(first)).toBe(false);
  });

  it('convertCt2ToHf refuses an output inside (or equal to) its source before reading it', () => {
    const src = join(tmp.dir, 'ct2-src');
    mkdirSync(src, { recursive: true });
    for (const out of [src, join(src, 'hf')])
      expect(writeFailure(() => convertCt2ToHf(src, out)).code).toBe('OUTPUT_INVALID');
  });
});
