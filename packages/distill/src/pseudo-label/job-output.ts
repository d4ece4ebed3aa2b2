// Opening the output of a pseudo-labelling job: the same job continues its file, a new job
// starts one, another job's file is refused unless forced.
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { writeFileAtomic } from '@distil-whisper/model';

import { DistillError } from '../errors.js';
import { invalid } from './options.js';
import { LabelsOutput } from './output-file.js';
import { metaDifferences, metaPath, readMeta, type LabelsMeta } from './run-meta.js';

/** Empties a previous job's output: the records file and the packed WAVs this tool wrote. */
function clearOutput(out: string, audioDir: string): void {
  let names: string[] = [];
  try {
    if (statSync(audioDir).isDirectory()) names = readdirSync(audioDir);
  } catch {
    names = [];
  }
  for (const n of names) if (n.endsWith('.wav')) rmSync(join(audioDir, n), { force: true });
  try {
    rmSync(audioDir);
  } catch {
    // Not empty (files someone else put there) or absent: leave it.
  }
  rmSync(out, { force: true });
}

/**
 * Opens the output for this job: continues it when its sidecar names the same job, starts it
 * (sidecar first) when absent or empty, refuses another job's unless `force`, which empties it.
 *
 * @throws {@link DistillError} `LABELS_MISMATCH`, `LABELS_CORRUPT`, `INVALID_ARGUMENT` when
 *   `out` is a directory.
 */
export function prepareOutput(
  out: string,
  audioDir: string,
  meta: LabelsMeta,
  force: boolean,
  log: (m: string) => void,
): LabelsOutput {
  let size = -1;
  try {
    const st = statSync(out);
    if (!st.isFile())
      throw invalid(`the output ${out} exists and is not a file; choose another --out`);
    size = st.size;
  } catch (err) {
    if (err instanceof DistillError) throw err;
  }
  const written = readMeta(out);
  if (size > 0) {
    const diffs = written
      ? metaDifferences(written, meta)
      : [`${metaPath(out)} is missing or unreadable, so the job that wrote it is unknown`];
    if (diffs.length === 0) return LabelsOutput.open(out, true);
    if (!force)
      throw new DistillError(
        'LABELS_MISMATCH',
        `the output ${out} belongs to another pseudo-labelling job (${diffs.join('; ')}); rerun with that job's options to continue it, choose another --out, or pass --force to start over`,
        { path: out, problems: diffs },
      );
    log(`--force: starting ${out} over (${diffs.join('; ')})`);
    clearOutput(out, audioDir);
  }
  // Nothing worth keeping: (re)write the sidecar before the first record.
  writeFileAtomic(metaPath(out), `${JSON.stringify(meta, null, 2)}\n`, { force: true });
  return LabelsOutput.open(out, false);
}
