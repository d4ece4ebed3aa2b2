// Installing the package outside the repository: the ranked search for prebuilt binaries
// (prebuildify layout) and the install step (scripts/install.cjs) — a prebuilt binary that loads
// is used as is, and without one and without cmake or a compiler the step fails naming what is
// missing. The real from-source build at install is tools/packaging/install-test.sh (CI).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prebuildCandidates } from '../src/native';

const pkg = resolve(__dirname, '..');
const built = resolve(pkg, '..', '..', 'native', 'build', 'Release', 'dw_native.node');
const work = mkdtempSync(join(tmpdir(), 'dw-kernels-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A package folder holding only what the install step looks at. */
function fakePackage(name: string, withSources: boolean): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  copyFileSync(join(pkg, 'scripts', 'install.cjs'), join(dir, 'scripts', 'install.cjs'));
  if (withSources) {
    mkdirSync(join(dir, 'native'));
    writeFileSync(join(dir, 'native', 'CMakeLists.txt'), 'project(x)\n');
  }
  return dir;
}

function install(dir: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(dir, 'scripts', 'install.cjs')],
      { cwd: dir, env },
      (error, _stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stderr: String(stderr) }),
    );
  });
}

describe('prebuilt binaries', () => {
  it('are ranked: N-API and this libc first, the other libc never', () => {
    const dir = join(work, 'prebuilds');
    const folder = join(dir, `${process.platform}-${process.arch}`);
    mkdirSync(folder, { recursive: true });
    for (const n of ['a.node', 'node.napi.node', 'node.napi.glibc.node', 'node.napi.musl.node'])
      writeFileSync(join(folder, n), '');
    writeFileSync(join(folder, 'README.txt'), '');
    const names = prebuildCandidates(dir).map((p) => p.slice(folder.length + 1));
    if (process.platform === 'linux') {
      const glibc = Boolean(
        (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } }).header
          ?.glibcVersionRuntime,
      );
      expect(names).toEqual(
        glibc
          ? ['node.napi.glibc.node', 'node.napi.node', 'a.node']
          : ['node.napi.musl.node', 'node.napi.node', 'a.node'],
      );
    } else expect(names.slice(0, 1)).toEqual(['node.napi.glibc.node']);
    expect(prebuildCandidates(join(work, 'none'))).toEqual([]);
  });
});

describe('install step', () => {
  it('in the monorepo (no native/ copy) does nothing', async () => {
    const r = await install(fakePackage('monorepo', false), process.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('uses a prebuilt binary that loads, without building', async () => {
    const dir = fakePackage('prebuilt', true);
    const folder = join(dir, 'prebuilds', `${process.platform}-${process.arch}`);
    mkdirSync(folder, { recursive: true });
    copyFileSync(built, join(folder, 'node.napi.node'));
    const r = await install(dir, { ...process.env, PATH: '' });
    expect(r.stderr).toMatch(/using the prebuilt .*node\.napi\.node/);
    expect(r.code).toBe(0);
  });

  it('without cmake or a compiler names what is missing and fails', async () => {
    const dir = fakePackage('no-tools', true);
    // A PATH with node only.
    const bin = join(work, 'bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(process.execPath, join(bin, 'node'));
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: bin };
    delete env.CXX;
    const r = await install(dir, env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/missing cmake >= 3\.18 \(not found on PATH\)/);
    expect(r.stderr).toMatch(/a C\+\+17 compiler \(tried c\+\+, g\+\+, clang\+\+/);
    expect(r.stderr).toMatch(/npm rebuild @distil-whisper\/kernels/);
  });

  it('DW_KERNELS_SKIP_BUILD=1 skips it', async () => {
    const r = await install(fakePackage('skip', true), {
      ...process.env,
      DW_KERNELS_SKIP_BUILD: '1',
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/not building/);
  });
});
