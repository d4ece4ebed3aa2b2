// Where tests find ../shared/reference: env DW_REFERENCE_DIR, else ../shared/reference next to the
// repository root. Tests that need it are skipped, loudly, where it is absent; .ci/run refuses to
// run without it, so CI always exercises them.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Absolute path of the reference data directory, or undefined when it does not exist. */
export function referenceDir(): string | undefined {
  const dir = process.env.DW_REFERENCE_DIR
    ? resolve(process.env.DW_REFERENCE_DIR)
    : resolve(repoRoot, '..', 'shared', 'reference');
  return existsSync(dir) ? dir : undefined;
}

/** Path inside the reference directory; throws when the directory is absent. */
export function referencePath(...parts: string[]): string {
  const dir = referenceDir();
  if (!dir) throw new Error('reference data directory not found (set DW_REFERENCE_DIR)');
  return join(dir, ...parts);
}

/**
 * True when the reference data is present. When it is not, prints a visible notice naming the
 * suite so a skipped parity test never goes unnoticed.
 */
export function hasReference(suite: string): boolean {
  if (referenceDir()) return true;
  console.warn(
    `[skip] ${suite}: reference data not found at DW_REFERENCE_DIR or ../shared/reference — parity tests skipped`,
  );
  return false;
}
