#!/usr/bin/env node
// Install step of @distil-whisper/kernels: make sure a native addon this process can load is
// there, building it from the C++ sources shipped in the package (native/) when no usable binary
// is found. Order, as in the loader (src/native.ts):
//   1. DW_KERNELS_SKIP_BUILD=1: do nothing (the loader says how to build later);
//   2. build/Release/dw_native.node from an earlier build, if it loads;
//   3. a prebuilt binary in prebuilds/<platform>-<arch>/ (prebuildify layout), if it loads;
//   4. no native/ sources (the monorepo, where `npm run build:native` builds the addon): nothing;
//   5. otherwise cmake-js builds native/ into build/ — after checking for cmake >= 3.18 and a
//      C++17 compiler, and naming what is missing if they are not there.
// Environment: DW_CUDA=AUTO|ON|OFF (default AUTO: the CUDA backend where a toolkit is found),
// DW_BUILD_JOBS (default: the number of CPUs).
'use strict';

const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const { join } = require('node:path');

const pkg = join(__dirname, '..');
const say = (line) => process.stderr.write(`@distil-whisper/kernels: ${line}\n`);

/** True when `file` loads as an addon in a fresh process (a broken binary must not abort us). */
function loads(file) {
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)})`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) say(`${file} does not load here: ${(r.stderr || '').trim().split('\n')[0]}`);
  return r.status === 0;
}

function prebuilt() {
  const dir = join(pkg, 'prebuilds', `${process.platform}-${process.arch}`);
  if (!existsSync(dir)) return undefined;
  return readdirSync(dir)
    .filter((n) => n.endsWith('.node'))
    .map((n) => join(dir, n))
    .find(loads);
}

/** `[major, minor]` of `cmd --version`'s first x.y, or undefined when it cannot run. */
function version(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  const m = /(\d+)\.(\d+)/.exec(r.stdout || r.stderr || '');
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function missingTools() {
  const missing = [];
  const cmake = version('cmake');
  if (!cmake) missing.push('cmake >= 3.18 (not found on PATH)');
  else if (cmake[0] < 3 || (cmake[0] === 3 && cmake[1] < 18))
    missing.push(`cmake >= 3.18 (found ${cmake.join('.')})`);
  const compilers = [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean);
  if (!compilers.some((c) => version(c)))
    missing.push(`a C++17 compiler (tried ${compilers.join(', ')}; set CXX to use another)`);
  if (process.platform === 'linux' && !version('make') && !version('ninja'))
    missing.push('make or ninja (a build tool for cmake)');
  return missing;
}

function build() {
  const missing = missingTools();
  if (missing.length > 0) {
    say(
      `cannot build the native addon from source: missing ${missing.join('; ')}.\n` +
        '  Install them (Debian/Ubuntu: apt-get install cmake g++ make; macOS: xcode-select --install && brew install cmake)\n' +
        '  and run `npm rebuild @distil-whisper/kernels`, or place a prebuilt dw_native.node in\n' +
        `  ${join(pkg, 'prebuilds', `${process.platform}-${process.arch}`)}/ (or point DW_NATIVE_PATH at one).\n` +
        '  DW_KERNELS_SKIP_BUILD=1 skips this step.',
    );
    process.exit(1);
  }
  const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
  const jobs = String(Number(process.env.DW_BUILD_JOBS) || availableParallelism());
  const cuda = process.env.DW_CUDA || 'AUTO';
  const common = ['-d', 'native', '-O', 'build'];
  say(
    `building the native addon from source (DW_CUDA=${cuda}, ${jobs} jobs); this takes a few minutes`,
  );
  const steps = [
    ['configure', ...common, `--CDDW_CUDA=${cuda}`, '--CDDW_BUILD_TESTS=OFF'],
    ['build', ...common, '-p', jobs],
  ];
  for (const args of steps) {
    const r = spawnSync(process.execPath, [cmakeJs, ...args], { cwd: pkg, stdio: 'inherit' });
    if (r.status !== 0) {
      say(`cmake-js ${args[0]} failed (exit ${r.status ?? r.signal}); see the output above`);
      process.exit(1);
    }
  }
  const out = join(pkg, 'build', 'Release', 'dw_native.node');
  if (!existsSync(out) || !loads(out)) {
    say(`the build finished but ${out} is missing or does not load`);
    process.exit(1);
  }
  say(`built ${out}`);
}

function main() {
  if (process.env.DW_KERNELS_SKIP_BUILD === '1') {
    say('DW_KERNELS_SKIP_BUILD=1: not building the native addon');
    return;
  }
  const local = join(pkg, 'build', 'Release', 'dw_native.node');
  if (existsSync(local) && loads(local)) return;
  const pre = prebuilt();
  if (pre) {
    say(`using the prebuilt ${pre}`);
    return;
  }
  // In the monorepo the package has no native/ copy: the root's `npm run build:native` builds it.
  if (!existsSync(join(pkg, 'native', 'CMakeLists.txt'))) return;
  build();
}

main();
