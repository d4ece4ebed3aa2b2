#!/usr/bin/env node
// prepack / postpack of @distil-whisper/kernels: the tarball carries the C++ sources of the
// repository's native/ (the CMake project, headers, kernels, N-API binding — not its tests,
// benchmarks or build folder) so that scripts/install.cjs can build the addon where the package
// is installed. `--clean` removes the copy again after packing; the copy is never committed
// (.gitignore). The LICENSE is copied the same way when the package has none of its own.
'use strict';

const { cpSync, existsSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const pkg = join(__dirname, '..');
const repoNative = join(pkg, '..', '..', 'native');
const out = join(pkg, 'native');
const parts = ['CMakeLists.txt', 'cmake', 'include', 'src', 'binding'];

if (process.argv.includes('--clean')) {
  rmSync(out, { recursive: true, force: true });
  process.exit(0);
}

if (!existsSync(join(repoNative, 'CMakeLists.txt'))) {
  process.stderr.write(`pack-native: ${repoNative} not found; packing without native sources\n`);
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
for (const part of parts) cpSync(join(repoNative, part), join(out, part), { recursive: true });
// cmake-js reads `binary.napi_versions` from the package.json of the folder it builds, and then
// takes Node-API headers from node-api-headers (no download of Node's full headers).
writeFileSync(
  join(out, 'package.json'),
  `${JSON.stringify({ name: 'dw-native-sources', private: true, binary: { napi_versions: [8] } }, null, 2)}\n`,
);
