// pseudoLabel(): distil-whisper's run_pseudo_labelling.py for a JSONL manifest (WAVE2 A2). The
// teacher labels every clip (or every pack of consecutive clips of one speaker) greedily; the
// labels are appended to a training manifest that `readTrainingManifest` reads as it is. Runs are
// resumable (records are keyed by their input ids), shardable (contiguous line ranges) and never
// stop on one bad clip: every skipped line or clip is named in the summary.
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

import { AudioError, loadAudio } from '@distil-whisper/audio';
import { writeFileAtomic } from '@distil-whisper/model';

import { encodeLabelText } from '../data/label-text.js';
import { DistillError } from '../errors.js';
import { audioProblem, packFileName, portable } from './clip-files.js';
import {
  isLabelInput,
  readLabelInputs,
  type InputProblem,
  type LabelInput,
} from './input-manifest.js';
import { prepareOutput } from './job-output.js';
import { labelText, previousTextPrompt } from './label-ids.js';
import {
  invalid,
  resolveLabelOptions,
  type PseudoLabelOptions,
  type ResolvedLabelOptions,
} from './options.js';
import type { LabelRecord, LabelsOutput, WrittenPack } from './output-file.js';
import { Packer, type Pack } from './packer.js';
import { LABELS_META_FORMAT, metaPath, teacherFingerprint, type LabelsMeta } from './run-meta.js';
import { shardLineRange } from './shard.js';
import {
  formatSummary,
  type PseudoLabelProblem,
  type PseudoLabelProblemCode,
  type PseudoLabelSummary,
} from './summary.js';
import { labelPrefixLength, labelWindows, loadTeacher, type LabellingTeacher } from './teacher.js';
import { floatWav } from './wav-file.js';

/** The sequence position a pack's prompt is taken from. */
type PreviousPack =
  | { readonly kind: 'written'; readonly pack: WrittenPack }
  | { kind: 'new'; readonly speaker: string | undefined; ids: number[] | null };

interface Queued {
  readonly pack: Pack;
  readonly slot: Extract<PreviousPack, { kind: 'new' }>;
  readonly previous: PreviousPack | undefined;
}

/**
 * Pseudo-labels a manifest with a teacher, as distil-whisper's run_pseudo_labelling.py does
 * (WAVE2 A2), and appends the labels to `out` in the training-manifest format:
 *
 * ```jsonl
 * {"id":"a","audio":"clips/a.wav","text":"<|startoftranscript|><|en|><|transcribe|><|notimestamps|> Hello.<|endoftext|>","reference":"hello","duration":1.5,"members":["a"]}
 * ```
 *
 * - Generation: greedy, at most `maxLabelLength` tokens with the forced prefix (the reference's
 *   `max_length`), `language`/`task` for multilingual teachers, `forced_decoder_ids` ignored,
 *   no temperature fallback.
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
  const r = resolveLabelOptions(options);
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
    const positions = teacher.model.config.maxTargetPositions;
    if (r.maxLabelLength > positions)
      throw invalid(
        `maxLabelLength ${r.maxLabelLength} exceeds the teacher's ${positions} decoder positions`,
      );
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
  readonly r: ResolvedLabelOptions;
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
