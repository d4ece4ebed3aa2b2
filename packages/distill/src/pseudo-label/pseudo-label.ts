// pseudoLabel(): distil-whisper's run_pseudo_labelling.py for a JSONL manifest (WAVE2 A2). The
// teacher labels every clip (or every pack of consecutive clips of one speaker) greedily; the
// labels are appended to a training manifest that `readTrainingManifest` reads as it is. Runs are
// resumable (records are keyed by their input ids), shardable (contiguous line ranges) and never
// stop on one bad clip: every skipped line or clip is named in the summary.
import { createHash } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';

import { AudioError, loadAudio } from '@distil-whisper/audio';
import { writeFileAtomic } from '@distil-whisper/model';
import { encodeLabelText } from '../data/label-text.js';
import { DistillError } from '../errors.js';
import {
  isLabelInput,
  readLabelInputs,
  type InputProblem,
  type InputProblemCode,
  type LabelInput,
} from './input-manifest.js';
import { labelText, previousTextPrompt } from './label-ids.js';
import { LabelsOutput, type LabelRecord, type WrittenPack } from './output-file.js';
import { Packer, type Pack } from './packer.js';
import {
  LABELS_META_FORMAT,
  metaDifferences,
  metaPath,
  readMeta,
  teacherFingerprint,
  type LabelsMeta,
} from './run-meta.js';
import { checkShard, shardLineRange, type Shard } from './shard.js';
import { labelPrefixLength, labelWindows, loadTeacher, type LabellingTeacher } from './teacher.js';
import { floatWav } from './wav-file.js';

/** Options of {@link pseudoLabel}. */
export interface PseudoLabelOptions {
  /** Teacher checkpoint directory (Hugging Face layout, with its tokenizer). */
  readonly teacher: string;
  /** Input manifest: JSONL with `audio` (relative to the manifest), optional `text`, `speaker`, `id`. */
  readonly manifest: string;
  /** Output manifest (JSONL, training-manifest format); appended to on reruns of the same job. */
  readonly out: string;
  /**
   * Language of multilingual teachers (code or name). Default: detected per window, as the
   * reference does without `--language`. Ignored by English-only teachers.
   */
  readonly language?: string | null;
  /** `'transcribe'` (default) or `'translate'`; multilingual teachers only. */
  readonly task?: 'transcribe' | 'translate';
  /** Predict timestamps and store them as `<|t.tt|>` in the label. Default false. */
  readonly timestamps?: boolean;
  /**
   * Pack consecutive clips of one speaker into windows of at most `maxDuration` seconds and store
   * `condition_on_prev`. Default false (one clip, one record, no prompts).
   */
  readonly concatenateAudio?: boolean;
  /** Longest pack in seconds, at most the model window (30 s). Default 30. */
  readonly maxDuration?: number;
  /** Windows per encoder call and batched greedy search. Default 8. */
  readonly batchSize?: number;
  /** transformers' `max_length` of generation. Default 256. */
  readonly maxLabelLength?: number;
  /** Process only this shard of the manifest's lines (see {@link parseShard}). Default: all. */
  readonly shard?: Shard;
  /** Kernel threads of the teacher. Default: the kernels' default. */
  readonly threads?: number;
  /** Where the teacher runs. Default: the kernels' default device. */
  readonly device?: 'cpu' | 'cuda';
  /** Activation dtype (`'f16'` on CUDA only). Default `'f32'`. */
  readonly activationDtype?: 'f32' | 'f16';
  /**
   * Start over when `out` exists but was written by another job (teacher, manifest, shard or an
   * option differs) or has no sidecar: the file is emptied and the packed audio removed. Default
   * false: refuse.
   */
  readonly force?: boolean;
  /** Stops after the batch in flight; what was written stays and a rerun continues. */
  readonly signal?: AbortSignal;
  /** Called after every batch and once at the start. */
  readonly onProgress?: (progress: PseudoLabelProgress) => void;
  /** One-line messages (resumption, repairs, warnings). */
  readonly log?: (message: string) => void;
}

/**
 * Why a line or clip was skipped: the input-line codes of the manifest reader, plus
 * - `AUDIO_MISSING`: the audio file does not exist;
 * - `AUDIO_UNREADABLE`: it cannot be decoded (format, corruption, permissions);
 * - `AUDIO_EMPTY`: it decodes to no samples;
 * - `AUDIO_TOO_LONG`: it is longer than the model window (30 s): split it first;
 * - `GENERATION_FAILED`: the teacher failed on the window (every member is named).
 */
export type PseudoLabelProblemCode =
  | InputProblemCode
  | 'AUDIO_MISSING'
  | 'AUDIO_UNREADABLE'
  | 'AUDIO_EMPTY'
  | 'AUDIO_TOO_LONG'
  | 'GENERATION_FAILED';

/** One skipped line or clip. */
export interface PseudoLabelProblem {
  readonly code: PseudoLabelProblemCode;
  /** 1-based manifest line. */
  readonly line: number;
  /** The line's id, when known. */
  readonly id?: string;
  /** What went wrong, in words. */
  readonly reason: string;
}

/** Progress of {@link pseudoLabel}. */
export interface PseudoLabelProgress {
  /** Manifest lines of this shard handled so far (labelled, resumed or skipped). */
  readonly linesDone: number;
  /** Manifest lines of this shard. */
  readonly lines: number;
  /** Records written by this run. */
  readonly packsWritten: number;
  /** Clips labelled by this run. */
  readonly clipsLabelled: number;
  /** Lines and clips skipped so far. */
  readonly problems: number;
  /** Seconds of audio labelled by this run. */
  readonly audioSeconds: number;
  /** Wall seconds since the start (teacher loading included). */
  readonly seconds: number;
}

/** Result of {@link pseudoLabel}. */
export interface PseudoLabelSummary {
  /** Absolute path of the output manifest. */
  readonly out: string;
  /** Its sidecar (`<out>.meta.json`). */
  readonly meta: string;
  /** Folder of packed audio (`<out>.audio/`); it exists only when a pack of several clips was written. */
  readonly audioDir: string;
  /** The shard processed with its line range (1-based, inclusive), or null for all lines. */
  readonly shard: (Shard & { readonly firstLine: number; readonly lastLine: number }) | null;
  /** Non-blank manifest lines in this shard. */
  readonly lines: number;
  /** Records written by this run. */
  readonly packsWritten: number;
  /** Clips labelled by this run (members of the records written). */
  readonly clipsLabelled: number;
  /** Clips skipped because a previous run already labelled them. */
  readonly clipsResumed: number;
  /** Records in the output before this run. */
  readonly recordsBefore: number;
  /** Bytes of a torn last record cut off before resuming (0: none). */
  readonly repairedBytes: number;
  /** Every skipped line or clip, in manifest order. */
  readonly problems: readonly PseudoLabelProblem[];
  /** Problems per code. */
  readonly problemCounts: Readonly<Partial<Record<PseudoLabelProblemCode, number>>>;
  /**
   * Records whose audio lies outside the output's directory (written as `../…`): the training
   * manifest reader accepts them only with `allowAudioOutsideRoot`. Put the output beside the
   * audio to avoid that.
   */
  readonly audioOutsideOutput: number;
  /** Seconds of audio labelled by this run. */
  readonly audioSeconds: number;
  /** Wall seconds of the run (teacher loading included). */
  readonly seconds: number;
  /** Wall seconds spent in feature extraction, encoder and decoder. */
  readonly labellingSeconds: number;
  /** A paragraph for a log: counts, speed, then up to 20 problems. */
  readonly text: string;
}

const SUMMARY_PROBLEMS = 20;

interface Resolved {
  language: string | null;
  task: 'transcribe' | 'translate';
  timestamps: boolean;
  concatenate: boolean;
  maxDuration: number;
  batchSize: number;
  maxLabelLength: number;
  shard: Shard | null;
}

function invalid(message: string): DistillError {
  return new DistillError('INVALID_ARGUMENT', message);
}

function resolveOptions(o: PseudoLabelOptions): Resolved {
  for (const key of ['teacher', 'manifest', 'out'] as const)
    if (typeof o[key] !== 'string' || o[key].length === 0)
      throw invalid(`pseudoLabel needs options.${key} (a path)`);
  const positiveInt = (v: number | undefined, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    if (!Number.isSafeInteger(v) || v < 1)
      throw invalid(`${name} must be an integer >= 1, got ${String(v)}`);
    return v;
  };
  const maxDuration = o.maxDuration ?? 30;
  if (!(maxDuration > 0 && maxDuration <= 30))
    throw invalid(
      `maxDuration must be in (0, 30] seconds (one model window), got ${String(maxDuration)}`,
    );
  const task = o.task ?? 'transcribe';
  if (task !== 'transcribe' && task !== 'translate')
    throw invalid(`task must be 'transcribe' or 'translate', got ${JSON.stringify(task)}`);
  const maxLabelLength = positiveInt(o.maxLabelLength, 'maxLabelLength', 256);
  if (maxLabelLength > 448)
    throw invalid(
      `maxLabelLength must be at most 448 (the decoder's positions), got ${maxLabelLength}`,
    );
  return {
    language: o.language ?? null,
    task,
    timestamps: o.timestamps ?? false,
    concatenate: o.concatenateAudio ?? false,
    maxDuration,
    batchSize: positiveInt(o.batchSize, 'batchSize', 8),
    maxLabelLength,
    shard: o.shard === undefined ? null : checkShard(o.shard),
  };
}

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
 * when absent or empty, refuses a foreign one unless `force`.
 */
function prepareOutput(
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

function audioProblem(err: unknown): { code: PseudoLabelProblemCode; reason: string } {
  if (err instanceof AudioError) {
    const cause = (err.cause as NodeJS.ErrnoException | undefined)?.code;
    if (err.code === 'IO_ERROR' && cause === 'ENOENT')
      return { code: 'AUDIO_MISSING', reason: err.message };
    if (err.code === 'EMPTY_AUDIO') return { code: 'AUDIO_EMPTY', reason: err.message };
    if (err.code === 'TOO_LONG') return { code: 'AUDIO_TOO_LONG', reason: err.message };
    return { code: 'AUDIO_UNREADABLE', reason: `${err.code}: ${err.message}` };
  }
  return { code: 'AUDIO_UNREADABLE', reason: String((err as Error)?.message ?? err) };
}

/** Name of a pack's WAV: readable, file-system safe, and unique per id. */
function packFileName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return `${safe}-${createHash('sha256').update(id).digest('hex').slice(0, 10)}.wav`;
}

function portable(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}

/** The sequence position a pack's prompt is taken from. */
type PreviousPack =
  | { readonly kind: 'written'; readonly pack: WrittenPack }
  | { kind: 'new'; readonly speaker: string | undefined; ids: number[] | null };

interface Queued {
  readonly pack: Pack;
  readonly slot: Extract<PreviousPack, { kind: 'new' }>;
  readonly previous: PreviousPack | undefined;
}

function formatSummary(s: Omit<PseudoLabelSummary, 'text'>): string {
  const rate = s.labellingSeconds > 0 ? s.audioSeconds / s.labellingSeconds : 0;
  const lines = [
    `${s.out}: ${s.packsWritten} record${s.packsWritten === 1 ? '' : 's'} written (${s.clipsLabelled} clips, ${s.audioSeconds.toFixed(1)} s of audio)` +
      (s.clipsResumed > 0 ? `, ${s.clipsResumed} clips already labelled by an earlier run` : '') +
      `, ${s.problems.length} skipped`,
    `time: ${s.seconds.toFixed(1)} s in all, ${s.labellingSeconds.toFixed(1)} s labelling (${rate.toFixed(2)} s of audio per second, ${(s.labellingSeconds > 0 ? s.clipsLabelled / s.labellingSeconds : 0).toFixed(2)} clips/s)`,
  ];
  if (s.shard)
    lines.push(
      `shard ${s.shard.index}/${s.shard.count}: manifest lines ${s.shard.firstLine}–${s.shard.lastLine}`,
    );
  if (s.repairedBytes > 0)
    lines.push(`repaired: cut off a torn last record (${s.repairedBytes} bytes) before resuming`);
  if (s.audioOutsideOutput > 0)
    lines.push(
      `warning: ${s.audioOutsideOutput} records point at audio outside ${dirname(s.out)}; the training manifest reader needs allowAudioOutsideRoot for them — write the output beside the audio instead`,
    );
  if (s.problems.length > 0) {
    const byCode = Object.entries(s.problemCounts)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    lines.push(`skipped (${byCode}):`);
    for (const p of s.problems.slice(0, SUMMARY_PROBLEMS))
      lines.push(
        `  line ${p.line}${p.id !== undefined ? ` (${p.id})` : ''}: ${p.code}: ${p.reason}`,
      );
    if (s.problems.length > SUMMARY_PROBLEMS)
      lines.push(`  … and ${s.problems.length - SUMMARY_PROBLEMS} more`);
  }
  return lines.join('\n');
}

/**
 * Pseudo-labels a manifest with a teacher, as distil-whisper's run_pseudo_labelling.py does
 * (WAVE2 A2), and appends the labels to `out` in the training-manifest format:
 *
 * ```jsonl
 * {"id":"a","audio":"clips/a.wav","text":"<|startoftranscript|><|en|><|transcribe|><|notimestamps|> Hello.<|endoftext|>","reference":"hello","duration":1.5,"members":["a"]}
 * ```
 *
 * - Generation: greedy, `max_length` = `maxLabelLength` counted as transformers counts it,
 *   `language`/`task` for multilingual teachers, `forced_decoder_ids` ignored, no fallback.
 * - Label: the generated ids decoded with special tokens kept (and `<|t.tt|>` with
 *   `timestamps`), every `<|endoftext|>` stripped and one appended.
 * - Packing (`concatenateAudio`): consecutive clips of one speaker joined while ≤ `maxDuration`;
 *   the joined audio is written as a 16 kHz float WAV to `<out>.audio/`; `reference` joins the
 *   members' texts with a space; a pack whose previous pack has the same speaker stores
 *   `condition_on_prev` = `[<|startofprev|>] + previousIds[3:]` (1 for English-only teachers).
 * - Resumption: ids already in `out` are skipped; a torn last line is cut off first. The
 *   sidecar `<out>.meta.json` identifies the job; another job's output is refused unless `force`.
 * - Sharding: `shard` = `{ index, count }` (0-based) labels a contiguous range of lines; the
 *   shards' outputs concatenated cover every line exactly once.
 * - Bad lines and clips (unreadable, missing, empty, > 30 s audio, generation errors) are
 *   skipped and named in `problems`; they never throw.
 *
 * @throws {@link DistillError} `INVALID_ARGUMENT`, `MANIFEST_UNREADABLE`, `LABELS_MISMATCH`,
 *   `LABELS_CORRUPT`, `ABORTED` (records written so far stay); checkpoint errors of the model
 *   package for an unloadable teacher; `WriteError` when the output cannot be written.
 * @example
 * ```ts
 * const summary = await pseudoLabel({
 *   teacher: './whisper-large-v3', manifest: 'data/train.jsonl', out: 'data/labels.jsonl',
 *   language: 'en', timestamps: true, concatenateAudio: true, batchSize: 16,
 * });
 * console.log(summary.text);
 * ```
 */
export async function pseudoLabel(options: PseudoLabelOptions): Promise<PseudoLabelSummary> {
  const started = performance.now();
  const r = resolveOptions(options);
  const log = options.log ?? (() => {});
  const out = resolve(options.out);
  const outDir = dirname(out);
  const audioDir = `${out}.audio`;

  const inputs = await readLabelInputs(options.manifest);
  if (resolve(inputs.path) === out)
    throw invalid(`--out must differ from the input manifest (${out})`);
  const range = r.shard
    ? shardLineRange(r.shard, inputs.entries.length)
    : { start: 0, end: inputs.entries.length };

  const teacher = await loadTeacher(options.teacher, {
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.device ? { device: options.device } : {}),
    ...(options.activationDtype ? { activationDtype: options.activationDtype } : {}),
  });
  let output: LabelsOutput | undefined;
  try {
    const prefixLength = labelPrefixLength(teacher, r.timestamps);
    if (r.maxLabelLength <= prefixLength)
      throw invalid(
        `maxLabelLength ${r.maxLabelLength} leaves no room after the ${prefixLength}-token prefix; use at least ${prefixLength + 1}`,
      );
    if (!teacher.multilingual && (r.language !== null || r.task !== 'transcribe'))
      log('the teacher is English-only: --language and --task are ignored, as in the reference');
    const meta: LabelsMeta = {
      format: LABELS_META_FORMAT,
      version: 1,
      teacher: {
        path: resolve(options.teacher),
        sha256: await teacherFingerprint(options.teacher),
      },
      manifest: inputs.path,
      shard: r.shard ? { ...r.shard, lines: inputs.entries.length } : null,
      options: {
        language: teacher.multilingual ? r.language : null,
        task: teacher.multilingual ? r.task : 'transcribe',
        timestamps: r.timestamps,
        concatenateAudio: r.concatenate,
        maxDuration: r.maxDuration,
        maxLabelLength: r.maxLabelLength,
        numBeams: 1,
      },
    };
    output = prepareOutput(out, audioDir, meta, options.force ?? false, log);
    if (output.records > 0)
      log(
        `resuming ${out}: ${output.records} records already written${output.repairedBytes > 0 ? `; cut off a torn last record (${output.repairedBytes} bytes)` : ''}`,
      );
    return await run(teacher, output, inputs.entries.slice(range.start, range.end), {
      r,
      options,
      out,
      outDir,
      audioDir,
      started,
      range,
      allIds: new Set(inputs.entries.filter(isLabelInput).map((e) => e.id)),
    });
  } finally {
    output?.close();
    teacher.model.dispose();
  }
}

interface RunContext {
  readonly r: Resolved;
  readonly options: PseudoLabelOptions;
  readonly out: string;
  readonly outDir: string;
  readonly audioDir: string;
  readonly started: number;
  readonly range: { start: number; end: number };
  readonly allIds: ReadonlySet<string>;
}

async function run(
  teacher: LabellingTeacher,
  output: LabelsOutput,
  entries: ReadonlyArray<LabelInput | InputProblem | null>,
  ctx: RunContext,
): Promise<PseudoLabelSummary> {
  const { r, options } = ctx;
  const { tokenizer, extractor } = teacher;
  const rate = extractor.config.samplingRate;
  const windowSamples = extractor.config.nSamples;
  const problems: PseudoLabelProblem[] = [];
  const counts: Partial<Record<PseudoLabelProblemCode, number>> = {};
  const addProblem = (p: PseudoLabelProblem): void => {
    problems.push(p);
    counts[p.code] = (counts[p.code] ?? 0) + 1;
  };
  const packer = new Packer({
    concatenate: r.concatenate,
    maxSamples: Math.round(r.maxDuration * rate),
  });
  const usedIds = new Set<string>([...output.written.values()].map((p) => p.id));
  const lines = entries.filter((e) => e !== null).length;
  let linesDone = 0;
  let packsWritten = 0;
  let clipsLabelled = 0;
  let clipsResumed = 0;
  let audioSeconds = 0;
  let labellingMs = 0;
  let audioOutsideOutput = 0;
  let previous: PreviousPack | undefined;
  let queue: Queued[] = [];

  const progress = (): void =>
    options.onProgress?.({
      linesDone,
      lines,
      packsWritten,
      clipsLabelled,
      problems: problems.length,
      audioSeconds,
      seconds: (performance.now() - ctx.started) / 1000,
    });

  const packId = (members: readonly LabelInput[]): string => {
    const first = members[0]!.id;
    let id = members.length === 1 ? first : `${first}..${members[members.length - 1]!.id}`;
    // A composed id could coincide with some line's own id: keep every record's id unique.
    if (members.length > 1)
      for (let k = 2; ctx.allIds.has(id) || usedIds.has(id); k++)
        id = `${first}..${members[members.length - 1]!.id}#${k}`;
    usedIds.add(id);
    return id;
  };

  const idsOf = (p: PreviousPack): number[] | null => {
    if (p.kind === 'new') return p.ids;
    try {
      // The previous pack was written by an earlier run: its ids are recovered from the stored
      // string (a BPE re-encoding, which can differ from the teacher's own split in rare cases).
      return encodeLabelText(tokenizer, p.pack.text);
    } catch {
      return null;
    }
  };

  const recordOf = (q: Queued, ids: number[]): LabelRecord => {
    const { pack } = q;
    const id = packId(pack.members);
    let audioPath: string;
    if (pack.members.length === 1) audioPath = pack.members[0]!.audioPath;
    else {
      audioPath = join(ctx.audioDir, packFileName(id));
      // Same job (the sidecar matched), same pack: a file left by a crash before its record was
      // appended holds the same audio, so replacing it is safe.
      writeFileAtomic(audioPath, floatWav(pack.samples, rate), { force: true });
    }
    const rel = relative(ctx.outDir, audioPath);
    if (rel.startsWith('..') || isAbsolute(rel)) audioOutsideOutput++;
    let conditionOnPrev: number[] | undefined;
    const prev = q.previous;
    if (r.concatenate && prev !== undefined) {
      const prevSpeaker = prev.kind === 'new' ? prev.speaker : prev.pack.speaker;
      const prevIds = prevSpeaker === pack.speaker ? idsOf(prev) : null;
      if (prevIds) conditionOnPrev = previousTextPrompt(prevIds, tokenizer);
    }
    const texts = pack.members.map((m) => m.text);
    const reference = texts.every((t): t is string => t !== undefined)
      ? texts.join(' ')
      : undefined;
    return {
      id,
      audio: portable(rel),
      text: labelText(tokenizer, ids, r.timestamps),
      ...(reference !== undefined ? { reference } : {}),
      ...(conditionOnPrev ? { condition_on_prev: conditionOnPrev } : {}),
      ...(pack.speaker !== undefined ? { speaker: pack.speaker } : {}),
      duration: pack.samples.length / rate,
      members: pack.members.map((m) => m.id),
    };
  };

  const labelOne = async (windows: Float32Array[]): Promise<Array<number[] | Error>> => {
    const batchOptions = {
      language: r.language,
      task: r.task,
      timestamps: r.timestamps,
      maxLabelLength: r.maxLabelLength,
      ...(options.signal ? { signal: options.signal } : {}),
    };
    try {
      return await labelWindows(teacher, windows, batchOptions);
    } catch (err) {
      if (options.signal?.aborted || windows.length === 1) return windows.map(() => err as Error);
      // Find the window that failed: label each alone so the others still get labels.
      const each: Array<number[] | Error> = [];
      for (const w of windows) {
        try {
          each.push((await labelWindows(teacher, [w], batchOptions))[0]!);
        } catch (e) {
          each.push(e as Error);
        }
      }
      return each;
    }
  };

  const flush = async (): Promise<void> => {
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    const t0 = performance.now();
    const labels = await labelOne(batch.map((q) => q.pack.samples));
    labellingMs += performance.now() - t0;
    if (options.signal?.aborted)
      throw new DistillError(
        'ABORTED',
        `pseudo-labelling was cancelled; ${packsWritten} records written by this run stay in ${ctx.out} and a rerun continues`,
      );
    const records: LabelRecord[] = [];
    batch.forEach((q, i) => {
      const ids = labels[i]!;
      if (ids instanceof Error) {
        for (const m of q.pack.members)
          addProblem({
            code: 'GENERATION_FAILED',
            line: m.line,
            id: m.id,
            reason: `the teacher failed on this window: ${ids.message}`,
          });
        return;
      }
      q.slot.ids = ids;
      records.push(recordOf(q, ids));
      clipsLabelled += q.pack.members.length;
      audioSeconds += q.pack.samples.length / rate;
    });
    output.append(records);
    packsWritten += records.length;
    progress();
  };

  const enqueue = async (pack: Pack | undefined): Promise<void> => {
    if (!pack) return;
    const slot: Extract<PreviousPack, { kind: 'new' }> = {
      kind: 'new',
      speaker: pack.speaker,
      ids: null,
    };
    queue.push({ pack, slot, previous });
    previous = slot;
    if (queue.length >= r.batchSize) await flush();
  };

  progress();
  for (const entry of entries) {
    if (options.signal?.aborted) break;
    if (entry === null) continue;
    linesDone++;
    if (!isLabelInput(entry)) {
      addProblem(entry);
      continue;
    }
    const done = output.written.get(entry.id);
    if (done) {
      // Labelled by an earlier run: it ends the open pack (a pack never spans a written one).
      await enqueue(packer.close());
      previous = { kind: 'written', pack: done };
      clipsResumed++;
      continue;
    }
    let samples: Float32Array;
    try {
      samples = await loadAudio(entry.audioPath, {
        sampleRate: rate,
        maxDurationSeconds: windowSamples / rate,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (samples.length > windowSamples)
        throw new AudioError(
          'TOO_LONG',
          `the audio is ${(samples.length / rate).toFixed(2)} s long, more than the ${windowSamples / rate} s window; split it first`,
        );
    } catch (err) {
      if (options.signal?.aborted) break;
      const { code, reason } = audioProblem(err);
      addProblem({ code, line: entry.line, id: entry.id, reason });
      continue;
    }
    for (const pack of packer.push({ input: entry, samples })) await enqueue(pack);
  }
  if (!options.signal?.aborted) {
    await enqueue(packer.close());
    await flush();
  }
  if (options.signal?.aborted)
    throw new DistillError(
      'ABORTED',
      `pseudo-labelling was cancelled; ${packsWritten} records written by this run stay in ${ctx.out} and a rerun continues`,
    );

  problems.sort((a, b) => a.line - b.line);
  const base: Omit<PseudoLabelSummary, 'text'> = {
    out: ctx.out,
    meta: metaPath(ctx.out),
    audioDir: ctx.audioDir,
    shard: r.shard ? { ...r.shard, firstLine: ctx.range.start + 1, lastLine: ctx.range.end } : null,
    lines,
    packsWritten,
    clipsLabelled,
    clipsResumed,
    recordsBefore: output.records,
    repairedBytes: output.repairedBytes,
    problems,
    problemCounts: counts,
    audioOutsideOutput,
    audioSeconds,
    seconds: (performance.now() - ctx.started) / 1000,
    labellingSeconds: labellingMs / 1000,
  };
  return { ...base, text: formatSummary(base) };
}
