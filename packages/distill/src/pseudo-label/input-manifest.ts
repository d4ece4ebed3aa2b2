// The manifest pseudo-labelling reads: JSON Lines of clips to label. Unlike the training manifest,
// `text` (the ground truth) is optional here — the teacher writes the label. Lines are kept with
// their 0-based position in the file so that shards (contiguous ranges of lines) are defined by
// the file alone, before any audio is opened.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { DistillError } from '../errors.js';

/**
 * Why an input line was skipped (it is named in the summary, never thrown):
 * - `INVALID_UTF8`, `INVALID_JSON`, `NOT_AN_OBJECT`: the line is not a JSON object in UTF-8.
 * - `MISSING_FIELD`: `audio` is absent or null.
 * - `EMPTY_FIELD`: `audio` or `id` is blank.
 * - `WRONG_TYPE`: `audio`/`text`/`speaker` is not a string, or `id` not a string or integer.
 * - `BAD_PATH`: the audio path holds a NUL, is a URL, or is longer than 4096 characters.
 * - `DUPLICATE_ID`: the id was used by an earlier line (outputs and resumption are keyed by id).
 */
export type InputProblemCode =
  | 'INVALID_UTF8'
  | 'INVALID_JSON'
  | 'NOT_AN_OBJECT'
  | 'MISSING_FIELD'
  | 'EMPTY_FIELD'
  | 'WRONG_TYPE'
  | 'BAD_PATH'
  | 'DUPLICATE_ID';

/** One usable line of the input manifest. */
export interface LabelInput {
  /** `id` of the line (integers in decimal), or its 1-based line number when it has none. */
  readonly id: string;
  /** 1-based line number. */
  readonly line: number;
  /** Absolute path of the audio file. */
  readonly audioPath: string;
  /** Ground-truth transcript, when the line has one. */
  readonly text: string | undefined;
  /** Speaker, when the line has one. */
  readonly speaker: string | undefined;
}

/** One skipped input line. */
export interface InputProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly code: InputProblemCode;
  /** What is wrong, in words. */
  readonly reason: string;
  /** The line's id when it could be read. */
  readonly id?: string;
}

/** The parsed input manifest. */
export interface LabelInputs {
  /** Absolute path of the file. */
  readonly path: string;
  /** Every line of the file (usable, skipped or blank), in order; index = line number − 1. */
  readonly entries: ReadonlyArray<LabelInput | InputProblem | null>;
}

const MAX_PATH_CHARS = 4096;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  return t === 'object' || t === 'undefined' ? `an ${t}` : `a ${t}`;
}

function optionalString(
  r: Record<string, unknown>,
  field: string,
  line: number,
): string | undefined | InputProblem {
  const v = r[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string')
    return {
      line,
      code: 'WRONG_TYPE',
      reason: `"${field}" must be a string, found ${typeName(v)}`,
    };
  return v;
}

function isProblem(v: unknown): v is InputProblem {
  return typeof v === 'object' && v !== null && 'code' in v;
}

function readRecord(record: unknown, line: number, root: string): LabelInput | InputProblem {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return {
      line,
      code: 'NOT_AN_OBJECT',
      reason: `expected a JSON object, found ${typeName(record)}`,
    };
  const r = record as Record<string, unknown>;
  let id = String(line);
  if (r.id !== undefined && r.id !== null) {
    if (typeof r.id === 'number' && Number.isInteger(r.id)) id = String(r.id);
    else if (typeof r.id === 'string') {
      if (r.id.trim().length === 0) return { line, code: 'EMPTY_FIELD', reason: '"id" is empty' };
      id = r.id;
    } else
      return {
        line,
        code: 'WRONG_TYPE',
        reason: `"id" must be a string or an integer, found ${typeName(r.id)}`,
      };
  }
  const audio = r.audio;
  if (audio === undefined || audio === null)
    return { line, id, code: 'MISSING_FIELD', reason: '"audio" is missing' };
  if (typeof audio !== 'string')
    return {
      line,
      id,
      code: 'WRONG_TYPE',
      reason: `"audio" must be a string, found ${typeName(audio)}`,
    };
  if (audio.trim().length === 0)
    return { line, id, code: 'EMPTY_FIELD', reason: '"audio" is empty' };
  if (audio.length > MAX_PATH_CHARS || audio.includes('\0'))
    return {
      line,
      id,
      code: 'BAD_PATH',
      reason: `audio path is longer than ${MAX_PATH_CHARS} characters or holds a NUL`,
    };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(audio))
    return {
      line,
      id,
      code: 'BAD_PATH',
      reason: `audio path ${JSON.stringify(audio)} is a URL; give a file path`,
    };
  const text = optionalString(r, 'text', line);
  if (isProblem(text)) return { ...text, id };
  const speaker = optionalString(r, 'speaker', line);
  if (isProblem(speaker)) return { ...speaker, id };
  return { id, line, audioPath: resolve(root, audio), text, speaker };
}

/** Splits bytes on LF; a trailing LF does not start another line. */
function splitLines(bytes: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0x0a) {
      lines.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) lines.push(bytes.subarray(start));
  return lines;
}

/**
 * Reads the manifest to pseudo-label: JSON Lines with `audio` (path relative to the manifest's
 * directory, or absolute), optional `text` (ground truth), `speaker` and `id`. Other fields are
 * ignored. Bad lines are returned as {@link InputProblem}s, blank lines as null.
 *
 * @throws {@link DistillError} `MANIFEST_UNREADABLE` when the file cannot be read.
 */
export async function readLabelInputs(path: string): Promise<LabelInputs> {
  const file = resolve(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(err);
    throw new DistillError('MANIFEST_UNREADABLE', `cannot read the manifest ${file}: ${why}`, {
      path: file,
      cause: err,
    });
  }
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  const root = dirname(file);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const seen = new Map<string, number>();
  const entries = splitLines(bytes).map((raw, i): LabelInput | InputProblem | null => {
    const line = i + 1;
    let text: string;
    try {
      text = decoder.decode(raw);
    } catch {
      return { line, code: 'INVALID_UTF8', reason: 'the line is not valid UTF-8' };
    }
    if (text.trim().length === 0) return null;
    let record: unknown;
    try {
      record = JSON.parse(text);
    } catch (err) {
      return { line, code: 'INVALID_JSON', reason: `not valid JSON: ${(err as Error).message}` };
    }
    const entry = readRecord(record, line, root);
    if (isProblem(entry)) return entry;
    const first = seen.get(entry.id);
    if (first !== undefined)
      return {
        line,
        id: entry.id,
        code: 'DUPLICATE_ID',
        reason: `id ${JSON.stringify(entry.id)} was already used on line ${first}`,
      };
    seen.set(entry.id, line);
    return entry;
  });
  return { path: file, entries };
}

/** True for a usable line of {@link LabelInputs.entries}. */
export function isLabelInput(entry: LabelInput | InputProblem | null): entry is LabelInput {
  return entry !== null && 'audioPath' in entry;
}
