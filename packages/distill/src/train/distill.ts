// `distill()`: the distillation run of distil-whisper's run_distillation.py on our kernels —
// manifest → targets (A4) → batches → frozen-encoder states (cached) → teacher logits and the
// student's forward/backward on the same decoder inputs → 0.8·CE + 1.0·T²·KL → clip → AdamW with
// a warmup schedule; periodic greedy-WER evaluation, atomic checkpoints, exact resume, and the
// final student as a Hugging Face directory.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { setNumThreads, Tensor } from '@distil-whisper/kernels';
import {
  TrainableDecoder,
  WhisperModel,
  writeDirectoryAtomic,
  writeFileAtomic,
  type WhisperGenerationConfig,
} from '@distil-whisper/model';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';

import { TrainingBatches, type BatchPosition } from '../data/batches.js';
import { EncoderStateCache } from '../data/encoder-cache.js';
import { prepareTrainingExamples } from '../data/examples.js';
import { readTrainingManifest } from '../data/manifest.js';
import { targetLayout } from '../data/targets.js';
import { DistillError } from '../errors.js';
import {
  checkpointName,
  listCheckpoints,
  loadOptimizerMoments,
  pruneCheckpoints,
  readTrainerState,
  saveTrainingCheckpoint,
  writeStudentDirectory,
  type TrainerState,
} from './checkpoints.js';
import { evaluateGreedyWer, type EvalClip, type EvalResult } from './evaluate.js';
import { learningRateAt, type LrSchedulerKind } from './schedule.js';
import { trainingStep, type MicroBatch } from './step.js';

/** Options of {@link distill} (the CLI's flags, camelCased). */
export interface DistillOptions {
  /** Teacher checkpoint directory (Hugging Face). */
  teacher: string;
  /** Student checkpoint directory (e.g. from `createStudent`). */
  student: string;
  /** Training manifest (JSONL: `audio`, `text`, optional `condition_on_prev`). */
  trainManifest: string;
  /** Where `log.jsonl`, `checkpoint-N/` and the final student go. */
  outputDir: string;
  /** Optimizer steps. */
  maxSteps: number;
  /** Examples per micro-batch. Default 8. */
  batchSize?: number;
  /** Peak learning rate. Default 1e-4. */
  learningRate?: number;
  /** `'constant'` (after warmup) or `'linear'` decay to 0 at maxSteps. Default `'constant'`. */
  lrScheduler?: LrSchedulerKind;
  /** Linear warmup steps. Default 0. */
  warmupSteps?: number;
  /** Micro-batches per optimizer step. Default 1. */
  gradientAccumulationSteps?: number;
  /** Global gradient-norm clip. Default 1.0 (0 disables). */
  maxGradNorm?: number;
  /** KL temperature. Default 2. */
  temperature?: number;
  /** Default 0.8. */
  ceWeight?: number;
  /** Default 1.0. */
  klWeight?: number;
  /** Probability of keeping a pseudo-label's timestamps. Default 0.2. */
  timestampProbability?: number;
  /** Probability of conditioning on the stored previous text. Default 0.2. */
  conditionOnPrevProbability?: number;
  /** Freeze the decoder's learned positions (the PyTorch recipe does). Default false. */
  freezeEmbedPositions?: boolean;
  /** Freeze the token embeddings / tied proj_out. Default false. */
  freezeEmbedTokens?: boolean;
  /** AdamW weight decay (not biases, not LayerNorm). Default 0. */
  weightDecay?: number;
  /** Seed of the per-example draws and the shuffles. Default 42. */
  seed?: number;
  /** Save `checkpoint-N` every this many steps (0: only at the end). Default 0. */
  saveSteps?: number;
  /** Keep at most this many checkpoints (oldest deleted). Default 2; 0 keeps all. */
  saveTotalLimit?: number;
  /** Evaluation manifest (JSONL: `audio`, `text`). */
  evalManifest?: string;
  /** Evaluate every this many steps (and at the end). Default: only at the end. */
  evalSteps?: number;
  /** Most evaluation clips used. Default: all. */
  evalLimit?: number;
  /** Continue from the newest `checkpoint-N` in outputDir. */
  resume?: boolean;
  /** Start over in a non-empty outputDir (its checkpoints and log are deleted). */
  force?: boolean;
  /** Language of multilingual models (prefix of plain transcripts, normaliser). Default `'en'`. */
  language?: string;
  /** Encoder-state cache root. Default `$DW_ENCODER_CACHE` or ~/.cache/distil-whisper/encoder-states. */
  encoderCacheDir?: string;
  /** Kernel threads. Default: the kernels' default. */
  threads?: number;
  /** Called after every optimizer step and evaluation. */
  onProgress?: (progress: DistillProgress) => void;
  /** Cancels between steps (a checkpoint of the last finished step is written first). */
  signal?: AbortSignal;
  /** Informational messages (data summaries, resume, saves). Default: none. */
  log?: (message: string) => void;
}

/** One line of `log.jsonl` (snake_case as written). */
export interface StepLog {
  step: number;
  loss: number;
  ce_loss: number;
  kl_loss: number;
  grad_norm: number;
  learning_rate: number;
  tokens: number;
  seconds: number;
  /** Present on evaluation steps: the student's greedy WER (%) on the eval manifest. */
  eval_wer?: number;
}

/** Progress report of {@link distill}. */
export interface DistillProgress {
  step: number;
  maxSteps: number;
  /** The step's log line. */
  log: StepLog;
  /** Evaluation result, when this step evaluated. */
  eval?: EvalResult;
}

/** Summary returned by {@link distill}. */
export interface DistillSummary {
  outputDir: string;
  /** Step the run started from (0, or the resumed checkpoint's). */
  startStep: number;
  steps: number;
  /** Last step's losses. */
  final: StepLog | undefined;
  /** Evaluation WER (%) by step. */
  evals: Array<{ step: number; wer: number }>;
  /** Examples used / dropped, by reason. */
  data: {
    manifestLines: number;
    examples: number;
    badLines: number;
    droppedLabels: number;
    skippedAudio: number;
    problems: string[];
  };
  tokens: number;
  seconds: number;
}

interface Resolved {
  batchSize: number;
  learningRate: number;
  lrScheduler: LrSchedulerKind;
  warmupSteps: number;
  gradientAccumulationSteps: number;
  maxGradNorm: number;
  temperature: number;
  ceWeight: number;
  klWeight: number;
  timestampProbability: number;
  conditionOnPrevProbability: number;
  freezeEmbedPositions: boolean;
  freezeEmbedTokens: boolean;
  weightDecay: number;
  seed: number;
  saveSteps: number;
  saveTotalLimit: number;
  evalSteps: number;
  language: string;
}

function resolveOptions(o: DistillOptions): Resolved {
  const int = (name: string, v: number | undefined, def: number, min: number): number => {
    const x = v ?? def;
    if (!Number.isSafeInteger(x) || x < min)
      throw new DistillError('INVALID_ARGUMENT', `${name} must be an integer ≥ ${min}, got ${x}`);
    return x;
  };
  const num = (name: string, v: number | undefined, def: number, lo: number, hi = Infinity) => {
    const x = v ?? def;
    if (typeof x !== 'number' || !(x >= lo && x <= hi))
      throw new DistillError(
        'INVALID_ARGUMENT',
        `${name} must be a number in [${lo}, ${hi === Infinity ? '∞' : hi}], got ${x}`,
      );
    return x;
  };
  for (const k of ['teacher', 'student', 'trainManifest', 'outputDir'] as const)
    if (typeof o[k] !== 'string' || o[k].length === 0)
      throw new DistillError('INVALID_ARGUMENT', `${k} is required`);
  int('maxSteps', o.maxSteps, 0, 1);
  const lrScheduler = o.lrScheduler ?? 'constant';
  if (lrScheduler !== 'constant' && lrScheduler !== 'linear')
    throw new DistillError(
      'INVALID_ARGUMENT',
      `lrScheduler must be 'constant' or 'linear', got ${String(lrScheduler)}`,
    );
  const temperature = num('temperature', o.temperature, 2, Number.MIN_VALUE);
  if (!Number.isFinite(temperature))
    throw new DistillError('INVALID_ARGUMENT', 'temperature must be finite');
  return {
    batchSize: int('batchSize', o.batchSize, 8, 1),
    learningRate: num('learningRate', o.learningRate, 1e-4, 0, 1),
    lrScheduler,
    warmupSteps: int('warmupSteps', o.warmupSteps, 0, 0),
    gradientAccumulationSteps: int('gradientAccumulationSteps', o.gradientAccumulationSteps, 1, 1),
    maxGradNorm: num('maxGradNorm', o.maxGradNorm, 1, 0),
    temperature,
    ceWeight: num('ceWeight', o.ceWeight, 0.8, 0, 1e6),
    klWeight: num('klWeight', o.klWeight, 1, 0, 1e6),
    timestampProbability: num('timestampProbability', o.timestampProbability, 0.2, 0, 1),
    conditionOnPrevProbability: num(
      'conditionOnPrevProbability',
      o.conditionOnPrevProbability,
      0.2,
      0,
      1,
    ),
    freezeEmbedPositions: o.freezeEmbedPositions ?? false,
    freezeEmbedTokens: o.freezeEmbedTokens ?? false,
    weightDecay: num('weightDecay', o.weightDecay, 0, 0, 1),
    seed: int('seed', o.seed, 42, 0),
    saveSteps: int('saveSteps', o.saveSteps, 0, 0),
    saveTotalLimit: int('saveTotalLimit', o.saveTotalLimit, 2, 0),
    evalSteps: int('evalSteps', o.evalSteps, 0, 0),
    language: o.language ?? 'en',
  };
}

const LOG_FILE = 'log.jsonl';

function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The options a resumed run must share with the original (anything that changes the trajectory). */
function fingerprint(o: DistillOptions, r: Resolved): TrainerState['fingerprint'] {
  return {
    trainManifest: fileHash(o.trainManifest),
    // A constant schedule can be extended by resuming with more steps; a linear decay cannot.
    maxSteps: r.lrScheduler === 'linear' ? o.maxSteps : null,
    batchSize: r.batchSize,
    learningRate: r.learningRate,
    lrScheduler: r.lrScheduler,
    warmupSteps: r.warmupSteps,
    gradientAccumulationSteps: r.gradientAccumulationSteps,
    maxGradNorm: r.maxGradNorm,
    temperature: r.temperature,
    ceWeight: r.ceWeight,
    klWeight: r.klWeight,
    timestampProbability: r.timestampProbability,
    conditionOnPrevProbability: r.conditionOnPrevProbability,
    freezeEmbedPositions: r.freezeEmbedPositions,
    freezeEmbedTokens: r.freezeEmbedTokens,
    weightDecay: r.weightDecay,
    seed: r.seed,
    language: r.language,
  };
}

/** Prepares the output directory; returns the checkpoint to resume from (or null). */
function prepareOutput(o: DistillOptions, log: (m: string) => void): string | null {
  const dir = o.outputDir;
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (o.resume) {
      const steps = listCheckpoints(dir);
      if (steps.length > 0) return join(dir, checkpointName(steps[steps.length - 1]!));
      log(`${dir}: no checkpoint to resume from; starting at step 0`);
      rmSync(join(dir, LOG_FILE), { force: true });
      return null;
    }
    if (!o.force)
      throw new DistillError(
        'OUTPUT_EXISTS',
        `${dir} is not empty: pass resume (--resume) to continue its run or force (--force) to start over`,
        { path: dir },
      );
    for (const name of readdirSync(dir))
      if (/^checkpoint-\d+$/.test(name) || name === LOG_FILE)
        rmSync(join(dir, name), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  return null;
}

function checkCompatible(teacher: WhisperModel, student: WhisperModel): void {
  const problems: string[] = [];
  const t = teacher.config;
  const s = student.config;
  if (t.vocabSize !== s.vocabSize)
    problems.push(`vocabulary: teacher ${t.vocabSize} tokens, student ${s.vocabSize}`);
  if (t.dModel !== s.dModel)
    problems.push(
      `width: teacher d_model ${t.dModel}, student ${s.dModel} (the teacher's decoder reads the student's frozen encoder states)`,
    );
  if (t.numMelBins !== s.numMelBins)
    problems.push(`mel bins: teacher ${t.numMelBins}, student ${s.numMelBins}`);
  if (student.kind !== 'encoder-decoder')
    problems.push('the student is decoder-only: it needs its encoder to train');
  if (problems.length > 0)
    throw new DistillError(
      'INCOMPATIBLE_MODELS',
      `teacher and student cannot be distilled together: ${problems.join('; ')}`,
      { problems },
    );
}

/** The student as it stands, as a WhisperModel sharing the store's memory (for evaluation). */
function snapshotModel(student: TrainableDecoder): WhisperModel {
  const m = student.model;
  const tensors = new Map<string, Tensor>();
  // New handles on the same memory: disposing the snapshot releases only these handles.
  for (const [name, t] of student.currentTensors()) tensors.set(name, t.reshape(t.shape));
  return new WhisperModel({
    config: m.config,
    generationConfig: m.generationConfig as WhisperGenerationConfig,
    kind: m.kind,
    tensors,
  });
}

async function readEvalClips(
  path: string,
  tokenizer: WhisperTokenizer,
  limit: number | undefined,
  log: (m: string) => void,
): Promise<EvalClip[]> {
  const manifest = await readTrainingManifest(path, {
    tokenizer,
    textFormat: 'auto',
    allowAudioOutsideRoot: true,
  });
  const clips: EvalClip[] = [];
  for (const ex of manifest.examples.slice(0, limit ?? manifest.examples.length)) {
    try {
      const audio = await loadAudio(ex.audioPath, { maxDurationSeconds: 30 });
      if (audio.length === 0 || audio.length >= 30 * 16000) continue;
      clips.push({ id: ex.id, audio, reference: ex.text });
    } catch (err) {
      log(`eval: skipping ${ex.audioPath}: ${(err as Error).message}`);
    }
  }
  return clips;
}

function sideFilesDir(o: DistillOptions): string {
  return existsSync(join(o.student, 'tokenizer.json')) ? o.student : o.teacher;
}

/**
 * Distils `teacher` into `student` (see {@link DistillOptions}). Writes `<outputDir>/log.jsonl`
 * (one line per optimizer step), `checkpoint-N/` every `saveSteps` and at the end, and the final
 * student as a Hugging Face directory in `outputDir` itself.
 *
 * @throws {@link DistillError} `OUTPUT_EXISTS`, `INCOMPATIBLE_MODELS`, `RESUME_MISMATCH`,
 *   `CHECKPOINT_INVALID`, `NON_FINITE_LOSS` (training stops; the last checkpoint stays intact),
 *   `ABORTED`, and the data errors of the manifest reader.
 * @example
 * ```ts
 * const summary = await distill({
 *   teacher: 'whisper-base', student: 'student-2l', trainManifest: 'train.jsonl',
 *   outputDir: 'run1', maxSteps: 1000, batchSize: 8, learningRate: 1e-4, warmupSteps: 50,
 * });
 * ```
 */
export async function distill(options: DistillOptions): Promise<DistillSummary> {
  const started = performance.now();
  const r = resolveOptions(options);
  const log = options.log ?? (() => {});
  if (options.threads !== undefined) setNumThreads(options.threads);
  const outputDir = resolve(options.outputDir);
  const resumeFrom = prepareOutput({ ...options, outputDir }, log);
  const print = fingerprint(options, r);
  let state: TrainerState = {
    step: 0,
    position: { epoch: 0, index: 0 },
    fingerprint: print,
    seconds: 0,
    tokens: 0,
  };
  if (resumeFrom) {
    state = readTrainerState(resumeFrom);
    const diff = Object.keys(print).filter((k) => state.fingerprint[k] !== print[k]);
    if (diff.length > 0)
      throw new DistillError(
        'RESUME_MISMATCH',
        `cannot resume ${resumeFrom}: ${diff.map((k) => `${k} was ${String(state.fingerprint[k])}, now ${String(print[k])}`).join('; ')}`,
        { path: resumeFrom },
      );
    log(`resuming from ${resumeFrom} (step ${state.step})`);
  }

  const teacher = WhisperModel.load(options.teacher);
  let studentModel: WhisperModel | undefined;
  let student: TrainableDecoder | undefined;
  try {
    studentModel = WhisperModel.load(resumeFrom ?? options.student);
    checkCompatible(teacher, studentModel);
    const side = sideFilesDir(options);
    const tokenizer = await WhisperTokenizer.fromPretrained(side);
    tokenizer.checkModel({ vocabSize: studentModel.vocabSize, ...studentModel.generationConfig });
    const extractor = await WhisperFeatureExtractor.fromPretrained(side);

    // The user's own manifest: pseudo-labels often point back at the audio they were made from.
    const manifest = await readTrainingManifest(options.trainManifest, {
      tokenizer,
      language: r.language,
      allowAudioOutsideRoot: true,
    });
    const layout = targetLayout(tokenizer);
    const prepared = prepareTrainingExamples(manifest.examples, {
      layout,
      seed: r.seed,
      timestampProbability: r.timestampProbability,
      conditionOnPrevProbability: r.conditionOnPrevProbability,
    });
    log(
      `data: ${prepared.examples.length} examples (${manifest.problems.length} bad lines, ${prepared.dropped.length} dropped by label length; ${prepared.prompted} prompted, ${prepared.withTimestamps} with timestamps)`,
    );
    const batches = new TrainingBatches(prepared.examples, {
      batchSize: r.batchSize,
      ids: layout.special,
      seed: r.seed,
      start: state.position,
    });
    const cache = EncoderStateCache.forModel(studentModel, {
      ...(options.encoderCacheDir ? { root: options.encoderCacheDir } : {}),
    });
    student = new TrainableDecoder(studentModel, {
      freezeEmbedPositions: r.freezeEmbedPositions,
      freezeEmbedTokens: r.freezeEmbedTokens,
    });
    if (resumeFrom) loadOptimizerMoments(resumeFrom, student);
    const evalClips = options.evalManifest
      ? await readEvalClips(options.evalManifest, tokenizer, options.evalLimit, log)
      : [];

    const logPath = join(outputDir, LOG_FILE);
    truncateLog(logPath, state.step);
    const evals: DistillSummary['evals'] = [];
    const runEval = async (step: number): Promise<EvalResult | undefined> => {
      if (evalClips.length === 0) return undefined;
      const snap = snapshotModel(student!);
      try {
        const res = await evaluateGreedyWer(snap, tokenizer, extractor, cache, evalClips, {
          language: r.language,
          spellingMapDir: side,
        });
        evals.push({ step, wer: res.wer });
        log(`eval step ${step}: WER ${res.wer.toFixed(2)} % on ${res.clips} clips`);
        return res;
      } finally {
        snap.dispose();
      }
    };
    const save = (): void => {
      const dir = saveTrainingCheckpoint(outputDir, student!, state, side);
      pruneCheckpoints(outputDir, r.saveTotalLimit);
      log(`saved ${dir}`);
    };

    let last: StepLog | undefined;
    let skippedAudio = 0;
    const problems = new Set<string>();
    const startStep = state.step;
    for (let step = state.step + 1; step <= options.maxSteps; step++) {
      if (options.signal?.aborted) {
        if (step - 1 > startStep) save();
        throw new DistillError('ABORTED', `training was cancelled after step ${step - 1}`);
      }
      const stepStart = performance.now();
      const micro: MicroBatch[] = [];
      let position: BatchPosition = state.position;
      try {
        for (let k = 0; k < r.gradientAccumulationSteps; k++) {
          let batch = await batches.next();
          // A batch whose every clip failed to load is skipped (its problems are counted).
          for (let guard = 0; batch.examples.length === 0 && guard < 1000; guard++) {
            for (const p of batch.skipped) problems.add(`${p.path}: ${p.reason}`);
            skippedAudio += batch.skipped.length;
            batch = await batches.next();
          }
          if (batch.examples.length === 0)
            throw new DistillError(
              'NO_USABLE_EXAMPLES',
              'no audio of the manifest could be loaded',
            );
          for (const p of batch.skipped) problems.add(`${p.path}: ${p.reason}`);
          skippedAudio += batch.skipped.length;
          position = batch.next;
          const states = await cache.encodeAudio(batch.audio, extractor, studentModel);
          micro.push({
            decoderInputIds: batch.labels.decoderInputIds,
            labels: batch.labels.labels,
            batchSize: batch.labels.batchSize,
            length: batch.labels.length,
            encoderStates: states,
          });
        }
        const lr = learningRateAt(
          {
            kind: r.lrScheduler,
            peak: r.learningRate,
            warmupSteps: r.warmupSteps,
            maxSteps: options.maxSteps,
          },
          step,
        );
        const res = trainingStep(teacher, student, micro, {
          learningRate: lr,
          step,
          maxGradNorm: r.maxGradNorm,
          weightDecay: r.weightDecay,
          temperature: r.temperature,
          ceWeight: r.ceWeight,
          klWeight: r.klWeight,
        });
        const seconds = (performance.now() - stepStart) / 1000;
        state = {
          ...state,
          step,
          position,
          seconds: state.seconds + seconds,
          tokens: state.tokens + res.tokens,
        };
        last = {
          step,
          loss: res.loss,
          ce_loss: res.ce,
          kl_loss: res.kl,
          grad_norm: res.gradNorm,
          learning_rate: lr,
          tokens: res.tokens,
          seconds,
        };
      } finally {
        for (const mb of micro) mb.encoderStates.dispose();
      }
      const evalNow = r.evalSteps > 0 && step % r.evalSteps === 0 && step !== options.maxSteps;
      const evalRes = evalNow ? await runEval(step) : undefined;
      if (evalRes) last.eval_wer = evalRes.wer;
      appendFileSync(logPath, `${JSON.stringify(last)}\n`);
      options.onProgress?.({
        step,
        maxSteps: options.maxSteps,
        log: last,
        ...(evalRes ? { eval: evalRes } : {}),
      });
      if (r.saveSteps > 0 && step % r.saveSteps === 0 && step !== options.maxSteps) save();
    }
    if (state.step > startStep || !resumeFrom) {
      const finalEval = await runEval(state.step);
      if (finalEval && last) {
        last.eval_wer = finalEval.wer;
        options.onProgress?.({
          step: state.step,
          maxSteps: options.maxSteps,
          log: last,
          eval: finalEval,
        });
      }
      save();
    }
    writeFinalStudent(outputDir, student, side);
    return {
      outputDir,
      startStep,
      steps: state.step,
      final: last,
      evals,
      data: {
        manifestLines: manifest.lines,
        examples: prepared.examples.length,
        badLines: manifest.problems.length,
        droppedLabels: prepared.dropped.length,
        skippedAudio,
        problems: [
          ...manifest.problems.slice(0, 20).map((p) => `line ${p.line}: ${p.reason}`),
          ...prepared.dropped.slice(0, 20).map((p) => `line ${p.line}: ${p.reason}`),
          ...[...problems].slice(0, 20),
        ],
      },
      tokens: state.tokens,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    student?.dispose();
    studentModel?.dispose();
    teacher.dispose();
  }
}

/** Keeps the log lines of steps ≤ `step` (a resumed run rewrites the rest). */
function truncateLog(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => {
      if (line.trim() === '') return false;
      try {
        return (JSON.parse(line) as StepLog).step <= step;
      } catch {
        return false;
      }
    });
  writeFileAtomic(path, kept.map((l) => `${l}\n`).join(''), { force: true });
}

/**
 * Writes the final student into `outputDir` itself (beside log.jsonl and the checkpoints),
 * through the atomic writer: written and fsynced in a temporary sibling, then each file renamed
 * into place (replacing a previous final student's), so none is ever seen half written.
 */
function writeFinalStudent(outputDir: string, student: TrainableDecoder, side: string): void {
  writeDirectoryAtomic(outputDir, (tmp) => writeStudentDirectory(tmp, student, side), {
    merge: true,
    force: true,
  });
}
