// The pseudo-label output: JSON Lines appended one record at a time, so a crash loses at most the
// batch in flight. Every record ends with a newline; whatever follows the last newline on reopen
// is a torn write and is cut off before anything is appended. This file is the one output not
// written through a temporary name — an append-only log is what makes resumption cheap.
import { closeSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';

import { DistillError } from '../errors.js';

/** One output line, in the training-manifest format (see `readTrainingManifest`). */
export interface LabelRecord {
  /** The pack's id (its member's id for a single clip). */
  readonly id: string;
  /** Audio path relative to the output manifest's directory. */
  readonly audio: string;
  /** The pseudo-label, special tokens inside the string, one trailing `<|endoftext|>`. */
  readonly text: string;
  /** Ground truth: the members' texts joined with a space (absent when a member has none). */
  readonly reference?: string;
  /** The previous pack's ids as a `<|startofprev|>` prompt (absent when there is none). */
  readonly condition_on_prev?: readonly number[];
  readonly speaker?: string;
  /** Seconds of audio. */
  readonly duration: number;
  /** Ids of the input lines in the pack, in order. */
  readonly members: readonly string[];
}

/** What a previous run already wrote, for one pack. */
export interface WrittenPack {
  readonly id: string;
  /** The stored label (its ids are recovered from it for the next pack's prompt). */
  readonly text: string;
  readonly speaker: string | undefined;
  readonly members: readonly string[];
}

function corrupt(path: string, line: number, why: string): DistillError {
  return new DistillError(
    'LABELS_CORRUPT',
    `${path} line ${line} is not a pseudo-label record (${why}); it was not written by this tool's append — fix or delete that line, or pass --force to start over`,
    { path },
  );
}

function parseRecord(path: string, line: number, text: string): WrittenPack {
  let r: unknown;
  try {
    r = JSON.parse(text);
  } catch (err) {
    throw corrupt(path, line, (err as Error).message);
  }
  if (typeof r !== 'object' || r === null || Array.isArray(r))
    throw corrupt(path, line, 'not an object');
  const o = r as Record<string, unknown>;
  if (typeof o.id !== 'string' || typeof o.text !== 'string')
    throw corrupt(path, line, '"id" and "text" must be strings');
  const members =
    Array.isArray(o.members) && o.members.every((m) => typeof m === 'string')
      ? (o.members as string[])
      : [o.id];
  return {
    id: o.id,
    text: o.text,
    speaker: typeof o.speaker === 'string' ? o.speaker : undefined,
    members,
  };
}

/**
 * An open pseudo-label output. {@link LabelsOutput.open} repairs a torn tail and indexes what
 * is already there; {@link LabelsOutput.append} adds records durably.
 */
export class LabelsOutput {
  /** Absolute path of the file. */
  readonly path: string;
  /** Packs already in the file, by the id of each member. */
  readonly written: ReadonlyMap<string, WrittenPack>;
  /** Records already in the file. */
  readonly records: number;
  /** Bytes of a torn last line that were cut off on open (0 when the file was intact). */
  readonly repairedBytes: number;
  #fd: number | undefined;

  private constructor(
    path: string,
    written: Map<string, WrittenPack>,
    records: number,
    repaired: number,
  ) {
    this.path = path;
    this.written = written;
    this.records = records;
    this.repairedBytes = repaired;
    this.#fd = openSync(path, 'a');
  }

  /**
   * Opens `path` for appending (created when missing). With `keep` false an existing file is
   * emptied first.
   *
   * @throws {@link DistillError} `LABELS_CORRUPT` when a complete line is not a record.
   */
  static open(path: string, keep: boolean): LabelsOutput {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      bytes = Buffer.alloc(0);
    }
    if (!keep) {
      if (bytes.length > 0) truncateSync(path, 0);
      return new LabelsOutput(path, new Map(), 0, 0);
    }
    const end = bytes.lastIndexOf(0x0a) + 1;
    const repaired = bytes.length - end;
    // The tail after the last newline is a record whose write was interrupted: drop it, the
    // pack is labelled again.
    if (repaired > 0) truncateSync(path, end);
    const written = new Map<string, WrittenPack>();
    let records = 0;
    const text = bytes.subarray(0, end).toString('utf8');
    text.split('\n').forEach((line, i) => {
      if (line.trim().length === 0) return;
      const pack = parseRecord(path, i + 1, line);
      records++;
      for (const m of pack.members) written.set(m, pack);
    });
    return new LabelsOutput(path, written, records, repaired);
  }

  /** Appends records, one write per line (unbuffered), then fsyncs them together. */
  append(records: readonly LabelRecord[]): void {
    const fd = this.#fd;
    if (fd === undefined) throw new Error('LabelsOutput is closed');
    if (records.length === 0) return;
    for (const r of records) {
      const bytes = Buffer.from(`${JSON.stringify(r)}\n`, 'utf8');
      for (let done = 0; done < bytes.length;)
        done += writeSync(fd, bytes, done, bytes.length - done);
    }
    fsyncSync(fd);
  }

  /** Closes the file (idempotent). */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
