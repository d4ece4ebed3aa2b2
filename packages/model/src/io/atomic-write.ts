// Crash-safe writes. A file or directory becomes visible under its final name only once it is
// complete and on disk: everything is written under a temporary sibling name, fsynced, and then
// renamed into place (rename within one directory is atomic on POSIX file systems). Existing
// outputs are never replaced unless the caller asks for it.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';

import { WriteError } from './write-error';

/** Options of {@link writeFileAtomic} and {@link writeDirectoryAtomic}. */
export interface AtomicWriteOptions {
  /**
   * Replace an existing target. Default: false, and an existing file (or a non-empty directory)
   * is refused with {@link WriteError} `OUTPUT_EXISTS`. An empty directory is never "existing
   * output" and is replaced silently.
   */
  force?: boolean;
  /**
   * {@link writeDirectoryAtomic} only: write the files into `dir` beside what it holds already
   * (e.g. a training run's final model next to its log and checkpoints) instead of replacing the
   * directory. Each top-level entry is renamed into `dir` once every file is fsynced, so each
   * appears whole, though not all at the same instant. An entry of the same name is refused with
   * `OUTPUT_EXISTS` (before anything moves) unless `force`. Default false.
   */
  merge?: boolean;
}

/** Prefix shared by every temporary name: `.<name>.tmp-<pid>-<random>`. */
function siblingName(target: string, kind: 'tmp' | 'old'): string {
  return join(
    dirname(target),
    `.${basename(target)}.${kind}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
}

function failed(step: string, path: string, err: unknown): WriteError {
  const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  return new WriteError('WRITE_FAILED', `cannot ${step}: ${reason}`, { path, cause: err });
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw failed('inspect the output', path, err);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function targetPath(path: string): string {
  const target = resolve(path);
  if (basename(target) === '' || dirname(target) === target)
    throw new WriteError('OUTPUT_INVALID', 'an output needs a name, not a file-system root', {
      path: target,
    });
  return target;
}

/** fsync of a directory makes renames and new entries in it durable. */
function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (err) {
    // Some platforms (Windows) cannot open or fsync directories; the data itself was fsynced.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES')
      throw failed('fsync directory', dir, err);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** fsyncs every file below `dir` and every directory, deepest first. */
function fsyncTree(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) fsyncTree(path);
    else if (entry.isFile()) {
      const fd = openSync(path, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }
  fsyncDirectory(dir);
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Best effort: the leftover keeps its recognisable `.name.tmp-*` name.
  }
}

/**
 * Writes a file so that a crash or a full disk can never leave a truncated file under `path`:
 * the bytes go to `.<name>.tmp-<pid>-<random>` beside it, are fsynced, and the temporary file is
 * then renamed over `path` (the parent directory is fsynced too). Without `force` the final step
 * is an exclusive link, so a file that appears meanwhile is not clobbered either. Missing parent
 * directories are created.
 *
 * @param data text (written as UTF-8) or bytes
 * @param options `force`: replace an existing file (default false: refuse)
 * @throws {@link WriteError} `OUTPUT_EXISTS` (the file exists and `force` is not set),
 *   `OUTPUT_INVALID` (`path` is a directory), `WRITE_FAILED` (the OS refused a step; the
 *   temporary file is removed).
 * @example
 * ```ts
 * writeFileAtomic('out/metrics.json', JSON.stringify(metrics));            // refuses to overwrite
 * writeFileAtomic('out/metrics.json', JSON.stringify(metrics), { force: true }); // replaces
 * ```
 */
export function writeFileAtomic(
  path: string,
  data: string | NodeJS.ArrayBufferView,
  options: AtomicWriteOptions = {},
): void {
  const target = targetPath(path);
  const force = options.force ?? false;
  const existing = statOrUndefined(target);
  if (existing?.isDirectory())
    throw new WriteError('OUTPUT_INVALID', 'cannot write a file: a directory has this name', {
      path: target,
    });
  if (existing && !force) throw outputExists(target, 'file');
  try {
    mkdirSync(dirname(target), { recursive: true });
  } catch (err) {
    throw failed('create the parent directory', dirname(target), err);
  }
  const tmp = siblingName(target, 'tmp');
  const bytes =
    typeof data === 'string'
      ? Buffer.from(data, 'utf8')
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    for (let done = 0; done < bytes.byteLength;)
      done += writeSync(fd, bytes, done, bytes.byteLength - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    if (force) renameSync(tmp, target);
    else {
      try {
        // link(2) fails with EEXIST instead of replacing: no window where another writer's file
        // could be overwritten after the check above.
        linkSync(tmp, target);
        unlinkSync(tmp);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw outputExists(target, 'file');
        // File systems without hard links: fall back to check-then-rename.
        if (exists(target)) throw outputExists(target, 'file');
        renameSync(tmp, target);
      }
    }
    fsyncDirectory(dirname(target));
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    removeQuietly(tmp);
    if (err instanceof WriteError) throw err;
    throw failed('write the file', target, err);
  }
}

function outputExists(target: string, what: 'file' | 'directory'): WriteError {
  return new WriteError(
    'OUTPUT_EXISTS',
    what === 'file'
      ? 'output file already exists; pass force: true (CLI: --force) to replace it'
      : 'output directory already exists and is not empty; pass force: true (CLI: --force) to replace it',
    { path: target },
  );
}

/** What is at the target right now: nothing, an empty directory, or output to protect. */
function inspectTarget(target: string): 'absent' | 'empty' | 'occupied' {
  const st = statOrUndefined(target);
  if (!st) return exists(target) ? 'occupied' : 'absent'; // a dangling link is still occupied
  if (!st.isDirectory())
    throw new WriteError('OUTPUT_INVALID', 'cannot write a directory: a file has this name', {
      path: target,
    });
  return readdirSync(target).length === 0 ? 'empty' : 'occupied';
}

/**
 * Moves the finished temporary directory to `target`. An occupied target (only with `force`) is
 * first renamed aside to `.<name>.old-<pid>-<random>` and deleted only once the new directory is
 * in place, so at every instant one complete directory exists: the old one (under its name, or
 * for the two renames' duration under the `.old-` name) or the new one.
 */
function commitDirectory(tmp: string, target: string, force: boolean): void {
  const state = inspectTarget(target);
  if (state === 'occupied' && !force) throw outputExists(target, 'directory');
  let aside: string | undefined;
  try {
    if (state === 'empty') rmdirSync(target);
    else if (state === 'occupied') {
      aside = siblingName(target, 'old');
      renameSync(target, aside);
    }
  } catch (err) {
    throw failed('move the existing output aside', target, err);
  }
  try {
    renameSync(tmp, target);
  } catch (err) {
    if (aside !== undefined) {
      try {
        renameSync(aside, target);
      } catch {
        // The old directory stays complete under its `.old-` name; the error names it.
        throw failed(
          `put the new directory in place (the old one is kept at ${aside})`,
          target,
          err,
        );
      }
    }
    throw failed('put the new directory in place', target, err);
  }
  fsyncDirectory(dirname(target));
  if (aside !== undefined) removeQuietly(aside);
}

/**
 * Moves every top-level entry of the finished temporary directory into `target` (created when
 * missing), each by one rename, and removes the emptied temporary. Clashing names are checked
 * for all entries before the first one moves.
 */
function mergeDirectory(tmp: string, target: string, force: boolean): void {
  if (inspectTarget(target) === 'absent') {
    try {
      mkdirSync(target, { recursive: true });
    } catch (err) {
      throw failed('create the output directory', target, err);
    }
  }
  const entries = readdirSync(tmp);
  const clashes = entries.filter((n) => exists(join(target, n)));
  if (clashes.length > 0 && !force)
    throw new WriteError(
      'OUTPUT_EXISTS',
      `${clashes.join(', ')} already exist${clashes.length === 1 ? 's' : ''} in the output directory; pass force: true (CLI: --force) to replace ${clashes.length === 1 ? 'it' : 'them'}`,
      { path: target, problems: clashes.map((n) => `${join(target, n)} exists`) },
    );
  for (const name of entries) {
    const to = join(target, name);
    try {
      // A directory entry cannot be renamed over a non-empty one: the old one goes first.
      if (statOrUndefined(to)?.isDirectory()) rmSync(to, { recursive: true, force: true });
      renameSync(join(tmp, name), to);
    } catch (err) {
      throw failed(`move ${name} into place`, to, err);
    }
  }
  fsyncDirectory(target);
  removeQuietly(tmp);
}

/**
 * Writes a directory (e.g. a checkpoint) as one unit. `write` receives an empty temporary
 * directory `.<name>.tmp-<pid>-<random>` beside `dir` and writes every file into it; then all
 * files are fsynced and the directory is renamed to `dir`.
 *
 * Modes:
 * - `dir` absent, or an empty directory: the new directory takes its place.
 * - `dir` non-empty, `force` unset (default): refused with `OUTPUT_EXISTS` before `write` runs
 *   (and checked again before the rename, in case it appeared meanwhile).
 * - `dir` non-empty, `force: true`: the old directory is renamed aside, the new one renamed in,
 *   and only then is the old one deleted. A crash at any point leaves a complete directory: the
 *   old one, the new one, or (between the two renames) both under their `.name.old-*` /
 *   `.name.tmp-*` names.
 * - `merge: true`: the files join what `dir` holds instead of replacing it (see
 *   {@link AtomicWriteOptions.merge}); same names are refused without `force`.
 * - `write` throws (or its promise rejects): the temporary directory is removed, `dir` is
 *   untouched, and the error is rethrown unchanged.
 *
 * `write` may be async: the result is then a promise, and the rename happens after it resolves.
 *
 * @param dir final directory (created with its missing parents)
 * @param write fills the temporary directory; its return value is returned
 * @param options `force`: replace a non-empty `dir` (default false: refuse)
 * @throws {@link WriteError} `OUTPUT_EXISTS`, `OUTPUT_INVALID` (`dir` is a file or a root),
 *   `WRITE_FAILED`; anything `write` throws.
 * @example
 * ```ts
 * writeDirectoryAtomic('./student', (tmp) => {
 *   writeFileSync(join(tmp, 'config.json'), JSON.stringify(config));
 *   writeSafetensors(join(tmp, 'model.safetensors'), sources);
 * }, { force: true });
 * ```
 */
export function writeDirectoryAtomic<T>(
  dir: string,
  write: (tmpDir: string) => Promise<T>,
  options?: AtomicWriteOptions,
): Promise<T>;
export function writeDirectoryAtomic<T>(
  dir: string,
  write: (tmpDir: string) => T,
  options?: AtomicWriteOptions,
): T;
export function writeDirectoryAtomic<T>(
  dir: string,
  write: (tmpDir: string) => T | Promise<T>,
  options: AtomicWriteOptions = {},
): T | Promise<T> {
  const target = targetPath(dir);
  const force = options.force ?? false;
  const merge = options.merge ?? false;
  // Fail before any work is done when the output is taken.
  if (!merge && inspectTarget(target) === 'occupied' && !force)
    throw outputExists(target, 'directory');
  const tmp = siblingName(target, 'tmp');
  try {
    mkdirSync(dirname(target), { recursive: true });
    mkdirSync(tmp);
  } catch (err) {
    throw failed('create the temporary directory', tmp, err);
  }
  const finish = (value: T): T => {
    try {
      try {
        fsyncTree(tmp);
      } catch (err) {
        throw err instanceof WriteError ? err : failed('fsync the written files', tmp, err);
      }
      if (merge) mergeDirectory(tmp, target, force);
      else commitDirectory(tmp, target, force);
      return value;
    } catch (err) {
      removeQuietly(tmp);
      throw err;
    }
  };
  let result: T | Promise<T>;
  try {
    result = write(tmp);
  } catch (err) {
    removeQuietly(tmp);
    throw err;
  }
  if (isPromiseLike(result))
    return Promise.resolve(result).then(finish, (err: unknown) => {
      removeQuietly(tmp);
      throw err;
    });
  return finish(result as T);
}

function isPromiseLike<T>(v: T | Promise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

/**
 * Refuses an output directory that would destroy or corrupt its own input: `outDir` equal to
 * `sourceDir`, inside it, or containing it (replacing it would delete the source). Symbolic
 * links are resolved for the parts that exist.
 *
 * @param what how the source is called in the message, e.g. `'the teacher directory'`
 * @throws {@link WriteError} `OUTPUT_INVALID`, naming both paths.
 * @example
 * ```ts
 * assertOutputOutside('./base', './base-student', 'the teacher directory'); // fine
 * assertOutputOutside('./base', './base/student', 'the teacher directory'); // throws
 * ```
 */
export function assertOutputOutside(sourceDir: string, outDir: string, what = 'the source'): void {
  const src = realish(sourceDir);
  const out = realish(outDir);
  const inside = (child: string, parent: string): boolean => {
    const rel = relative(parent, child);
    return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
  };
  if (inside(out, src))
    throw new WriteError(
      'OUTPUT_INVALID',
      `output directory ${out === src ? 'is' : 'lies inside'} ${what} ${src}; choose an output directory outside it`,
      { path: out },
    );
  if (inside(src, out))
    throw new WriteError(
      'OUTPUT_INVALID',
      `output directory contains ${what} ${src}; writing there would replace its input — choose another output directory`,
      { path: out },
    );
}

/** realpath of the longest existing prefix, with the rest appended (the output may not exist yet). */
function realish(path: string): string {
  let head = resolve(path);
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(head), ...tail);
    } catch {
      const parent = dirname(head);
      if (parent === head) return resolve(path);
      tail.unshift(basename(head));
      head = parent;
    }
  }
}
