// `npm run lint:packages`: packs every package (tools/packaging/pack.mjs) and lints each
// tarball with publint (--strict: warnings fail too) and are-the-types-wrong (the dual ESM/CJS
// entry points resolve to matching types under node10, node16 from CJS and ESM, and bundlers).
// Needs the packages built (`npm run build`).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packAll, packageDirs, repoRoot } from './pack.mjs';

const missing = packageDirs.filter((d) => !existsSync(join(d, 'dist', 'index.js')));
if (missing.length > 0) {
  console.error(`lint:packages: build first (npm run build); no dist in ${missing.join(', ')}`);
  process.exit(1);
}
const bin = (name) => join(repoRoot, 'node_modules', '.bin', name);
const dest = mkdtempSync(join(tmpdir(), 'dw-lint-packages-'));
let failed = 0;
try {
  for (const [name, tarball] of packAll(dest)) {
    for (const [tool, args] of [
      ['publint', [tarball, '--strict']],
      ['attw', [tarball, '--no-definitely-typed', '--format', 'ascii', '--no-emoji']],
    ]) {
      try {
        execFileSync(bin(tool), args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
        console.log(`${tool} ${name}: ok`);
      } catch (e) {
        failed++;
        console.error(`${tool} ${name}: FAILED\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    }
  }
} finally {
  rmSync(dest, { recursive: true, force: true });
}
process.exit(failed > 0 ? 1 : 0);
