// The sidecar `<out>.meta.json` says which job wrote a pseudo-label file: the teacher's content
// hash, the input manifest, the shard and every option that changes what is written. A rerun
// continues the file only when all of these match, so labels of two teachers (or with and
// without timestamps, or of different packings) can never end up mixed in one output.
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { Shard } from './shard.js';

/** Format marker of the sidecar. */
export const LABELS_META_FORMAT = 'distil-whisper/pseudo-labels';

/** Contents of `<out>.meta.json`. */
export interface LabelsMeta {
  readonly format: typeof LABELS_META_FORMAT;
  readonly version: 1;
  /** The teacher directory (informative) and the SHA-256 of its files (compared). */
  readonly teacher: { readonly path: string; readonly sha256: string };
  /** Absolute path of the input manifest. */
  readonly manifest: string;
  /** The shard and the manifest's line count it was cut from, or null for the whole manifest. */
  readonly shard: (Shard & { readonly lines: number }) | null;
  /** Every option that changes the output. */
  readonly options: {
    readonly language: string | null;
    readonly task: string;
    readonly timestamps: boolean;
    readonly concatenateAudio: boolean;
    readonly maxDuration: number;
    readonly maxLabelLength: number;
    readonly numBeams: number;
  };
}

/** Sidecar path of an output file. */
export function metaPath(out: string): string {
  return `${resolve(out)}.meta.json`;
}

const TEACHER_FILE = /\.(json|safetensors|txt|tiktoken)$/;

/**
 * SHA-256 over the teacher directory's weights, configs and tokenizer files (names, sizes and
 * bytes, in name order): the identity of the labels' author. Reads every weight byte once
 * (about a second per GB), which is small beside labelling.
 */
export async function teacherFingerprint(dir: string): Promise<string> {
  const names = readdirSync(dir)
    .filter((n) => !n.startsWith('.') && TEACHER_FILE.test(n))
    .filter((n) => statSync(join(dir, n)).isFile())
    .sort();
  const h = createHash('sha256').update('distil-whisper/teacher-files/1');
  for (const name of names) {
    const path = join(dir, name);
    h.update(`\0${name}\0${statSync(path).size}\0`);
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 }))
      h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

/** The sidecar, or undefined when it is absent or not one of ours. */
export function readMeta(out: string): LabelsMeta | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(metaPath(out), 'utf8'));
  } catch {
    return undefined;
  }
  const m = parsed as Partial<LabelsMeta> | null;
  return m && m.format === LABELS_META_FORMAT && m.version === 1 ? (m as LabelsMeta) : undefined;
}

/**
 * Every difference between the job that wrote a file and this one, in words (empty when they
 * are the same job). The teacher's path is not compared, its content hash is.
 */
export function metaDifferences(written: LabelsMeta, now: LabelsMeta): string[] {
  const diffs: string[] = [];
  const show = (v: unknown): string => JSON.stringify(v);
  if (written.teacher.sha256 !== now.teacher.sha256)
    diffs.push(
      `teacher: written by ${written.teacher.path} (sha256 ${written.teacher.sha256.slice(0, 12)}…), now ${now.teacher.path} (sha256 ${now.teacher.sha256.slice(0, 12)}…)`,
    );
  if (written.manifest !== now.manifest)
    diffs.push(`manifest: was ${written.manifest}, now ${now.manifest}`);
  if (show(written.shard) !== show(now.shard))
    diffs.push(`shard: was ${show(written.shard)}, now ${show(now.shard)}`);
  for (const key of Object.keys(now.options) as Array<keyof LabelsMeta['options']>)
    if (show(written.options[key]) !== show(now.options[key]))
      diffs.push(`${key}: was ${show(written.options[key])}, now ${show(now.options[key])}`);
  return diffs;
}
