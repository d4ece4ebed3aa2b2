// The training manifest: JSON Lines, one example a line. Every line is checked on its own; a bad
// line is skipped and named (line number + reason), never thrown, so one broken row of a large
// pseudo-labelled set does not stop a run. Only an unreadable file, or a file with nothing usable
// left, is an error.
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';

import { TokenizerError, type WhisperTask, type WhisperTokenizer } from '@distil-whisper/tokenizer';

import { DistillError } from '../errors.js';
import { encodeLabelText } from './label-text.js';

/**
 * Why a manifest line was skipped:
 * - `INVALID_UTF8`: the line's bytes are not UTF-8.
 * - `INVALID_JSON`: the line does not parse as JSON.
 * - `NOT_AN_OBJECT`: the line is JSON but not an object.
 * - `MISSING_FIELD`: `audio` or `text` is absent (or null).
 * - `EMPTY_FIELD`: `audio`, `text` or `id` is an empty or blank string.
 * - `WRONG_TYPE`: a field has the wrong type (`audio`/`text`/`speaker` not a string, `id` not a
 *   string or integer, `condition_on_prev` not an array of integers or a string).
 * - `BAD_PATH`: the audio path is too long, holds a NUL, is a URL, or lies outside the audio root.
 * - `BAD_LABEL`: the text cannot be tokenised, or a pseudo-label does not start with
 *   `<|startoftranscript|>`.
 * - `BAD_PROMPT`: `condition_on_prev` holds an id outside the vocabulary or cannot be tokenised.
 * - `DUPLICATE_ID`: the id was already used by an earlier line (draws are keyed by id).
 */
export type ManifestProblemCode =
  | 'INVALID_UTF8'
  | 'INVALID_JSON'
  | 'NOT_AN_OBJECT'
  | 'MISSING_FIELD'
  | 'EMPTY_FIELD'
  | 'WRONG_TYPE'
  | 'BAD_PATH'
  | 'BAD_LABEL'
  | 'BAD_PROMPT'
  | 'DUPLICATE_ID';

/** One skipped manifest line. */
export interface ManifestProblem {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly code: ManifestProblemCode;
  /** What is wrong, in words (names the field and what was found). */
  readonly reason: string;
}

/** How the `text` of a line was read. */
export type LabelTextKind = 'pseudo-label' | 'plain';

/** One usable manifest line. */
export interface ManifestExample {
  /** The line's `id` (numbers written in decimal), or its line number when it has none. */
  readonly id: string;
  /** 1-based line number. */
  readonly line: number;
  /** Absolute path of the audio file. */
  readonly audioPath: string;
  /** The `text` as stored. */
  readonly text: string;
  /** How `text` was read (see {@link ReadManifestOptions.textFormat}). */
  readonly textKind: LabelTextKind;
  /** The tokenised label: `<|startoftranscript|>` … `<|endoftext|>`, before the random draws. */
  readonly ids: readonly number[];
  /**
   * The stored previous-text prompt as ids (normally starting with `<|startofprev|>`, as
   * run_pseudo_labelling.py stores it), or null when the line has none.
   */
  readonly prompt: readonly number[] | null;
  /** The line's `speaker`, when given. */
  readonly speaker: string | undefined;
}

/** Result of {@link readTrainingManifest}. */
export interface TrainingManifest {
  /** Absolute path of the manifest file. */
  readonly path: string;
  /** Usable examples, in file order. */
  readonly examples: readonly ManifestExample[];
  /** Every skipped line, in file order. */
  readonly problems: readonly ManifestProblem[];
  /** Skipped lines per reason. */
  readonly problemCounts: Readonly<Partial<Record<ManifestProblemCode, number>>>;
  /** Non-blank lines read (examples + problems). */
  readonly lines: number;
  /** Whitespace-only lines, ignored (a trailing newline does not count). */
  readonly blankLines: number;
  /** One paragraph for a log: counts, then up to 20 skipped lines with their reasons. */
  readonly summary: string;
}

/** Options of {@link readTrainingManifest}. */
export interface ReadManifestOptions {
  /** Tokenizer of the teacher/student (labels are tokenised once, here). */
  readonly tokenizer: WhisperTokenizer;
  /**
   * How `text` is read:
   * - `'auto'` (default): a pseudo-label when it contains `<|startoftranscript|>`, else plain;
   * - `'pseudo-label'`: special tokens and timestamps are written inside the string, as
   *   pseudo-labelling stores them (tokenised with those tokens recognised);
   * - `'plain'`: a transcript; the tokenizer's prefix is added — `<|startoftranscript|>`, the
   *   language and task for multilingual models, `<|notimestamps|>` — and `<|endoftext|>`
   *   appended (the reference's `tokenizer(text)` with prefix tokens). The text is encoded as is:
   *   no leading space is added.
   */
  readonly textFormat?: 'auto' | LabelTextKind;
  /** Language of plain transcripts for multilingual models (code or name). Default `'en'`. */
  readonly language?: string;
  /** Task of plain transcripts for multilingual models. Default `'transcribe'`. */
  readonly task?: WhisperTask;
  /** Directory relative `audio` paths are resolved against. Default: the manifest's directory. */
  readonly audioRoot?: string;
  /**
   * Accept audio paths that resolve outside `audioRoot` (absolute paths elsewhere, `../`).
   * Default false: such a line is skipped with `BAD_PATH`, so a manifest cannot point the
   * trainer at arbitrary files.
   */
  readonly allowAudioOutsideRoot?: boolean;
}

const MAX_PATH_CHARS = 4096;
const SUMMARY_PROBLEMS = 20;

type LineResult = ManifestExample | ManifestProblem;

interface LineContext {
  readonly options: ReadManifestOptions;
  readonly root: string;
  readonly prefix: readonly number[];
}

function problem(line: number, code: ManifestProblemCode, reason: string): ManifestProblem {
  return { line, code, reason };
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const t = typeof value;
  return t === 'object' || t === 'undefined' ? `an ${t}` : `a ${t}`;
}

function checkAudioPath(value: string, line: number, ctx: LineContext): string | ManifestProblem {
  if (value.length > MAX_PATH_CHARS)
    return problem(
      line,
      'BAD_PATH',
      `audio path is ${value.length} characters long (limit ${MAX_PATH_CHARS})`,
    );
  if (value.includes('\0')) return problem(line, 'BAD_PATH', 'audio path contains a NUL character');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value))
    return problem(
      line,
      'BAD_PATH',
      `audio path ${JSON.stringify(value)} is a URL; give a file path`,
    );
  const full = resolve(ctx.root, value);
  if (!ctx.options.allowAudioOutsideRoot) {
    const rel = relative(ctx.root, full);
    if (
      rel === '' ||
      rel === '..' ||
      rel.startsWith('../') ||
      rel.startsWith('..\\') ||
      isAbsolute(rel)
    )
      return problem(
        line,
        'BAD_PATH',
        `audio path ${JSON.stringify(value)} resolves outside the audio root ${ctx.root} (set allowAudioOutsideRoot to accept it)`,
      );
  }
  return full;
}

function requiredString(
  record: Record<string, unknown>,
  field: string,
  line: number,
): string | ManifestProblem {
  const value = record[field];
  if (value === undefined || value === null)
    return problem(line, 'MISSING_FIELD', `"${field}" is missing`);
  if (typeof value !== 'string')
    return problem(line, 'WRONG_TYPE', `"${field}" must be a string, found ${typeName(value)}`);
  if (value.trim().length === 0) return problem(line, 'EMPTY_FIELD', `"${field}" is empty`);
  return value;
}

function readPrompt(
  value: unknown,
  line: number,
  tokenizer: WhisperTokenizer,
): readonly number[] | null | ManifestProblem {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') {
    try {
      return encodeLabelText(tokenizer, value);
    } catch (err) {
      return problem(
        line,
        'BAD_PROMPT',
        `"condition_on_prev" cannot be tokenised: ${(err as Error).message}`,
      );
    }
  }
  if (!Array.isArray(value))
    return problem(
      line,
      'WRONG_TYPE',
      `"condition_on_prev" must be an array of token ids or a string, found ${typeName(value)}` +
        (typeof value === 'number' || typeof value === 'boolean'
          ? " (a packing flag? store the previous pack's ids, as run_pseudo_labelling.py does after labelling)"
          : ''),
    );
  for (let i = 0; i < value.length; i++) {
    const id: unknown = value[i];
    if (typeof id !== 'number' || !Number.isInteger(id))
      return problem(
        line,
        'WRONG_TYPE',
        `"condition_on_prev"[${i}] must be an integer token id, found ${typeName(id)}`,
      );
    if (id < 0 || id >= tokenizer.vocabSize)
      return problem(
        line,
        'BAD_PROMPT',
        `"condition_on_prev"[${i}] = ${id} is not a token id of this tokenizer (0..${tokenizer.vocabSize - 1})`,
      );
  }
  return value as number[];
}

function readLine(record: unknown, line: number, ctx: LineContext): LineResult {
  if (typeof record !== 'object' || record === null || Array.isArray(record))
    return problem(line, 'NOT_AN_OBJECT', `expected a JSON object, found ${typeName(record)}`);
  const r = record as Record<string, unknown>;

  const audio = requiredString(r, 'audio', line);
  if (typeof audio !== 'string') return audio;
  const audioPath = checkAudioPath(audio, line, ctx);
  if (typeof audioPath !== 'string') return audioPath;

  const text = requiredString(r, 'text', line);
  if (typeof text !== 'string') return text;

  let id = String(line);
  if (r.id !== undefined && r.id !== null) {
    if (typeof r.id === 'number' && Number.isInteger(r.id)) id = String(r.id);
    else if (typeof r.id === 'string') {
      if (r.id.trim().length === 0) return problem(line, 'EMPTY_FIELD', '"id" is empty');
      id = r.id;
    } else
      return problem(
        line,
        'WRONG_TYPE',
        `"id" must be a string or an integer, found ${typeName(r.id)}`,
      );
  }

  let speaker: string | undefined;
  if (r.speaker !== undefined && r.speaker !== null) {
    if (typeof r.speaker !== 'string')
      return problem(
        line,
        'WRONG_TYPE',
        `"speaker" must be a string, found ${typeName(r.speaker)}`,
      );
    speaker = r.speaker;
  }

  const { tokenizer } = ctx.options;
  const prompt = readPrompt(r.condition_on_prev, line, tokenizer);
  if (prompt !== null && !Array.isArray(prompt)) return prompt as ManifestProblem;

  const format = ctx.options.textFormat ?? 'auto';
  const textKind: LabelTextKind =
    format === 'auto'
      ? text.includes('<|startoftranscript|>')
        ? 'pseudo-label'
        : 'plain'
      : format;
  let ids: number[];
  try {
    ids =
      textKind === 'plain'
        ? [...ctx.prefix, ...tokenizer.encode(text), tokenizer.special.eot]
        : encodeLabelText(tokenizer, text);
  } catch (err) {
    return problem(line, 'BAD_LABEL', `"text" cannot be tokenised: ${(err as Error).message}`);
  }
  if (textKind === 'pseudo-label' && ids[0] !== tokenizer.special.sot)
    return problem(
      line,
      'BAD_LABEL',
      `a pseudo-label must start with <|startoftranscript|>; found ${JSON.stringify(text.slice(0, 40))}`,
    );
  return {
    id,
    line,
    audioPath,
    text,
    textKind,
    ids,
    prompt: prompt as readonly number[] | null,
    speaker,
  };
}

function parseLine(text: string, line: number, ctx: LineContext): LineResult {
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (err) {
    return problem(line, 'INVALID_JSON', `not valid JSON: ${(err as Error).message}`);
  }
  return readLine(record, line, ctx);
}

/** Splits bytes on LF (a CR before it is dropped later with the rest of the line's whitespace). */
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

function summarize(
  path: string,
  examples: number,
  problems: readonly ManifestProblem[],
  counts: Partial<Record<ManifestProblemCode, number>>,
): string {
  const head = `${path}: ${examples} example${examples === 1 ? '' : 's'}, ${problems.length} line${problems.length === 1 ? '' : 's'} skipped`;
  if (problems.length === 0) return head;
  const byCode = Object.entries(counts)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const listed = problems
    .slice(0, SUMMARY_PROBLEMS)
    .map((p) => `  line ${p.line}: ${p.code}: ${p.reason}`);
  if (problems.length > SUMMARY_PROBLEMS)
    listed.push(`  … and ${problems.length - SUMMARY_PROBLEMS} more`);
  return `${head} (${byCode})\n${listed.join('\n')}`;
}

/**
 * Reads a JSON Lines training manifest. Each line is an object:
 *
 * | field | required | meaning |
 * | --- | --- | --- |
 * | `audio` | yes | audio file path, relative to the manifest's directory (or `audioRoot`) |
 * | `text` | yes | a pseudo-label with its special tokens and timestamps inside the string (`<\|startoftranscript\|><\|en\|><\|transcribe\|><\|0.00\|> Hello.<\|2.00\|><\|endoftext\|>`), or a plain transcript (see {@link ReadManifestOptions.textFormat}) |
 * | `condition_on_prev` | no | the previous pack's ids as run_pseudo_labelling.py stores them (`[<\|startofprev\|>, …ids]`), or a string with special tokens; null or absent: no prompt |
 * | `id` | no | string or integer; default: the line number. Must be unique (random draws are keyed by it) |
 * | `speaker` | no | string |
 *
 * Other fields are ignored. A UTF-8 byte-order mark, CRLF line ends and blank lines are accepted.
 * Bad lines are skipped and listed in `problems` (line number, {@link ManifestProblemCode},
 * reason) and in `summary`; they never throw. Audio files are not opened here (see
 * {@link TrainingBatches}).
 *
 * @throws {@link DistillError} `MANIFEST_UNREADABLE` when the file cannot be read,
 *   `MANIFEST_EMPTY` when no line is usable (its `problems` list the reasons), `INVALID_ARGUMENT`
 *   for an unknown language or task.
 *
 * @example
 * ```ts
 * const tokenizer = await WhisperTokenizer.fromPretrained(teacherDir);
 * const manifest = await readTrainingManifest('data/train.jsonl', { tokenizer });
 * console.log(manifest.summary); // "…/train.jsonl: 9812 examples, 3 lines skipped (INVALID_JSON 1, BAD_PATH 2) …"
 * ```
 */
export async function readTrainingManifest(
  path: string,
  options: ReadManifestOptions,
): Promise<TrainingManifest> {
  const { tokenizer } = options;
  if (typeof tokenizer !== 'object' || tokenizer === null || typeof tokenizer.encode !== 'function')
    throw new DistillError(
      'INVALID_ARGUMENT',
      'readTrainingManifest needs options.tokenizer (a WhisperTokenizer)',
    );
  const format = options.textFormat ?? 'auto';
  if (format !== 'auto' && format !== 'pseudo-label' && format !== 'plain')
    throw new DistillError(
      'INVALID_ARGUMENT',
      `textFormat must be 'auto', 'pseudo-label' or 'plain', got ${JSON.stringify(format)}`,
    );
  let prefix: number[];
  try {
    prefix = tokenizer.sotSequence({
      language: options.language ?? 'en',
      task: options.task ?? 'transcribe',
      noTimestamps: true,
    });
  } catch (err) {
    if (err instanceof TokenizerError)
      throw new DistillError('INVALID_ARGUMENT', `plain-transcript prefix: ${err.message}`, {
        cause: err,
      });
    throw err;
  }

  const file = resolve(path);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : String(err);
    throw new DistillError(
      'MANIFEST_UNREADABLE',
      `cannot read the training manifest ${file}: ${why}`,
      {
        path: file,
        cause: err,
      },
    );
  }
  // A UTF-8 byte-order mark (EF BB BF) is not part of the first line.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);

  const ctx: LineContext = {
    options,
    root: resolve(options.audioRoot ?? dirname(file)),
    prefix,
  };
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const examples: ManifestExample[] = [];
  const problems: ManifestProblem[] = [];
  const counts: Partial<Record<ManifestProblemCode, number>> = {};
  const firstLineOfId = new Map<string, number>();
  let blankLines = 0;
  const rawLines = splitLines(bytes);
  for (let i = 0; i < rawLines.length; i++) {
    const line = i + 1;
    let result: LineResult | undefined;
    let text = '';
    try {
      text = decoder.decode(rawLines[i]);
    } catch {
      result = problem(line, 'INVALID_UTF8', 'the line is not valid UTF-8');
    }
    if (result === undefined) {
      if (text.trim().length === 0) {
        blankLines++;
        continue;
      }
      result = parseLine(text, line, ctx);
    }
    if ('audioPath' in result) {
      const first = firstLineOfId.get(result.id);
      if (first !== undefined)
        result = problem(
          line,
          'DUPLICATE_ID',
          `id ${JSON.stringify(result.id)} was already used on line ${first}`,
        );
      else firstLineOfId.set(result.id, line);
    }
    if ('audioPath' in result) examples.push(result);
    else {
      problems.push(result);
      counts[result.code] = (counts[result.code] ?? 0) + 1;
    }
  }
  if (examples.length === 0)
    throw new DistillError(
      'MANIFEST_EMPTY',
      problems.length === 0
        ? `the training manifest ${file} has no examples`
        : `no usable example in the training manifest ${file}: all ${problems.length} lines were skipped (first: line ${problems[0]!.line}: ${problems[0]!.reason})`,
      {
        path: file,
        problems: problems
          .slice(0, SUMMARY_PROBLEMS)
          .map((p) => `line ${p.line}: ${p.code}: ${p.reason}`),
      },
    );
  return {
    path: file,
    examples,
    problems,
    problemCounts: counts,
    lines: examples.length + problems.length,
    blankLines,
    summary: summarize(file, examples.length, problems, counts),
  };
}
