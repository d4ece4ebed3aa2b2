// Packs every package of the monorepo with `npm pack` (lifecycle scripts included: the kernels
// package copies its C++ sources in prepack) into `destination`, and returns the tarballs by
// package name. Used by lint-packages.mjs (publint, are-the-types-wrong) and install-test.sh.
// Run alone: `node tools/packaging/pack.mjs DIR` prints `name<TAB>tarball` lines.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Packages in dependency order (kernels first). */
export const packageDirs = [
  'kernels',
  'audio',
  'tokenizer',
  'metrics',
  'model',
  'distill',
  'distil-whisper',
].map((p) => join(repoRoot, 'packages', p));

/** @returns {Map<string, string>} package name → absolute tarball path */
export function packAll(destination) {
  mkdirSync(destination, { recursive: true });
  const out = new Map();
  for (const dir of packageDirs) {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const json = execFileSync(
      'npm',
      ['pack', '--json', '--pack-destination', destination, '--loglevel', 'error'],
      { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const [info] = JSON.parse(json);
    out.set(name, join(destination, info.filename));
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dest = resolve(process.argv[2] ?? 'packed');
  for (const [name, file] of packAll(dest)) process.stdout.write(`${name}\t${file}\n`);
}
