// A writer killed with SIGKILL in the middle of a write (no exception handler, no cleanup runs)
// must leave the previous output exactly as it was: the crash-safety promise of the atomic
// writer, checked on a real process rather than a simulated failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { afterAll, describe, expect, it } from 'vitest';

import { tempDir } from './helpers';

const tmp = tempDir('kill');
afterAll(() => tmp.cleanup());

const pkg = resolve(__dirname, '..');
const atomicWrite = pathToFileURL(join(pkg, 'src', 'io', 'atomic-write.ts')).href;
const BIG = 96 << 20; // long enough to write that the parent sees it half done

/**
 * The child: `file TARGET` rewrites TARGET with BIG bytes of 'n' (force); `dir TARGET` writes a
 * new checkpoint directory over TARGET, says "midway" after its first file and waits to be killed.
 */
const CHILD = `
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDirectoryAtomic, writeFileAtomic } from '${atomicWrite}';
const [mode, target] = process.argv.slice(2);
if (mode === 'file') {
  const bytes = Buffer.alloc(${BIG}, 0x6e);
  process.stdout.write('ready\\n');
  writeFileAtomic(target, bytes, { force: true });
  process.stdout.write('done\\n');
} else {
  await writeDirectoryAtomic(target, async (dir) => {
    writeFileSync(join(dir, 'model.safetensors'), 'half of the new weig');
    process.stdout.write('midway\\n');
    await new Promise(() => {});
  }, { force: true });
}
`;

function startChild(mode: 'file' | 'dir', target: string): ChildProcess {
  const script = join(tmp.dir, 'child.mts');
  writeFileSync(script, CHILD);
  return spawn(process.execPath, ['--import', 'tsx', script, mode, target], {
    cwd: pkg,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Resolves when the child prints `line`. */
function said(child: ChildProcess, line: string): Promise<void> {
  return new Promise((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').includes(line)) res();
    });
    child.once('exit', (code) => rej(new Error(`child exited (${code}) before saying ${line}`)));
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) res();
    else child.once('exit', () => res());
    child.kill('SIGKILL');
  });
}

/** Temporaries the writer leaves beside a target when it dies. */
function temporaries(parent: string, name: string): string[] {
  return readdirSync(parent).filter((n) => n.startsWith(`.${name}.tmp-`));
}

describe('a writer killed with SIGKILL midway', () => {
  it('writeFileAtomic: the old file stays whole while the new one is half written', async () => {
    const parent = join(tmp.dir, 'file');
    mkdirSync(parent, { recursive: true });
    const target = join(parent, 'checkpoint.bin');
    writeFileSync(target, 'old checkpoint');
    let caughtMidway = false;
    for (let attempt = 0; attempt < 3 && !caughtMidway; attempt++) {
      const child = startChild('file', target);
      await said(child, 'ready');
      // Kill as soon as the temporary holds part of the new bytes (or the write is over).
      for (;;) {
        const partial = temporaries(parent, 'checkpoint.bin').some(
          (n) => statSync(join(parent, n)).size > 0,
        );
        if (partial || child.exitCode !== null) {
          caughtMidway = partial;
          break;
        }
        await new Promise((r) => setImmediate(r));
      }
      await killed(child);
      const now = readFileSync(target);
      if (caughtMidway) expect(now.toString()).toBe('old checkpoint');
      // Whatever the moment, the target is one whole version, never a mix.
      else expect(now.length === BIG || now.toString() === 'old checkpoint').toBe(true);
    }
    expect(caughtMidway).toBe(true);
    // The dead writer's temporary keeps its recognisable name (.checkpoint.bin.tmp-<pid>-<hex>).
    for (const n of temporaries(parent, 'checkpoint.bin'))
      expect(n).toMatch(/^\.checkpoint\.bin\.tmp-\d+-[0-9a-f]{8}$/);
  }, 120_000);

  it('writeDirectoryAtomic: the old checkpoint directory stays whole', async () => {
    const target = join(tmp.dir, 'dir', 'student');
    mkdirSync(join(target, 'sub'), { recursive: true });
    writeFileSync(join(target, 'model.safetensors'), 'old weights');
    writeFileSync(join(target, 'sub', 'config.json'), '{"old":true}');
    const child = startChild('dir', target);
    await said(child, 'midway');
    await killed(child);
    expect(readdirSync(target).sort()).toEqual(['model.safetensors', 'sub']);
    expect(readFileSync(join(target, 'model.safetensors'), 'utf8')).toBe('old weights');
    expect(readFileSync(join(target, 'sub', 'config.json'), 'utf8')).toBe('{"old":true}');
    expect(temporaries(join(tmp.dir, 'dir'), 'student')).toHaveLength(1);
  }, 60_000);
});
