import { ProblemListError } from '../errors';

/**
 * Stable codes of {@link WriteError}:
 * - `OUTPUT_EXISTS`: the target file exists, or the target directory exists and is not empty;
 *   pass `force: true` (CLI: `--force`) to replace it.
 * - `OUTPUT_INVALID`: the target cannot be an output at all: a directory where a file is to be
 *   written (or the reverse), a path without a name (`/`), or an output directory that is, holds
 *   or lies inside the directory being read from.
 * - `WRITE_FAILED`: the operating system refused a step (create, write, fsync, rename); the
 *   message carries its reason, `cause` the original error. Nothing half-written is left behind.
 */
export type WriteErrorCode = 'OUTPUT_EXISTS' | 'OUTPUT_INVALID' | 'WRITE_FAILED';

/**
 * A file or directory could not be written safely. `code` is stable, `path` names the target.
 * Thrown by {@link writeFileAtomic}, {@link writeDirectoryAtomic} and every writer built on them
 * (checkpoints, random checkpoints, conversions, students).
 *
 * @example
 * ```ts
 * try { saveCheckpoint('./out', checkpoint); }
 * catch (e) { if (e instanceof WriteError && e.code === 'OUTPUT_EXISTS') console.error('use --force'); }
 * ```
 */
export class WriteError extends ProblemListError<WriteErrorCode> {
  override readonly name = 'WriteError';
}
