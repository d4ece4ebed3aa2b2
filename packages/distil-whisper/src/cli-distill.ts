// `distil-whisper distill`: trains a student against its teacher (distil-whisper's
// run_distillation.py semantics) through @distil-whisper/distill's `distill()`. The flag names
// are fixed: other tools call them.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { distill, type DistillOptions, type DistillProgress } from '@distil-whisper/distill';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}
function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
}
function nonNegative(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0) || !Number.isFinite(n))
    throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}
function probability(v: string): number {
  const n = nonNegative(v);
  if (n > 1) throw new InvalidArgumentError('expected a probability in [0, 1]');
  return n;
}

/** One progress line on an interactive terminal (stderr), so piped output stays clean. */
function progressBar(): (p: DistillProgress) => void {
  const tty = process.stderr.isTTY;
  const started = Date.now();
  return (p) => {
    const l = p.log;
    const eta = ((Date.now() - started) / 1000 / Math.max(1, p.step)) * (p.maxSteps - p.step);
    const width = 24;
    const done = Math.round((width * p.step) / p.maxSteps);
    const bar = `[${'#'.repeat(done)}${'.'.repeat(width - done)}]`;
    const line =
      `${bar} step ${p.step}/${p.maxSteps} loss ${l.loss.toFixed(4)} (ce ${l.ce_loss.toFixed(4)}, kl ${l.kl_loss.toFixed(4)}) ` +
      `|g| ${l.grad_norm.toFixed(2)} lr ${l.learning_rate.toExponential(2)} ${(l.tokens / l.seconds).toFixed(0)} tok/s ` +
      `eta ${Math.round(eta)} s${p.eval ? ` eval WER ${p.eval.wer.toFixed(2)} %` : ''}`;
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
    else if (p.eval || p.step === p.maxSteps || p.step % 10 === 0)
      process.stderr.write(`${line}\n`);
    if (tty && p.step === p.maxSteps) process.stderr.write('\n');
  };
}

/**
 * Adds the `distill` subcommand. Flags mirror {@link DistillOptions}: `--teacher`, `--student`,
 * `--train-manifest`, `--output-dir` (required), `--max-steps` (required), `--batch-size` (8),
 * `--learning-rate` (1e-4), `--lr-scheduler constant|linear` (constant), `--warmup-steps` (0),
 * `--gradient-accumulation-steps` (1), `--max-grad-norm` (1.0), `--temperature` (2),
 * `--ce-weight` (0.8), `--kl-weight` (1.0), `--timestamp-probability` (0.2),
 * `--condition-on-prev-probability` (0.2), `--freeze-embed-positions`, `--freeze-embed-tokens`,
 * `--weight-decay` (0), `--seed` (42), `--save-steps` (0: at the end), `--save-total-limit` (2),
 * `--eval-manifest`, `--eval-steps`, `--eval-limit`, `--resume`, `--force`, `--language` (en),
 * `--encoder-cache`, `--threads`. Ctrl-C stops after the current step and writes a checkpoint.
 *
 * @example
 * ```sh
 * distil-whisper distill --teacher whisper-base --student student-2l --train-manifest train.jsonl \
 *   --output-dir run1 --max-steps 2000 --batch-size 8 --learning-rate 1e-4 --warmup-steps 50
 * ```
 */
export function registerDistillCommand(program: Command): void {
  program
    .command('distill')
    .description(
      "train a student on a teacher's pseudo-labels with 0.8·CE + 1.0·T²·KL (distil-whisper's run_distillation.py)",
    )
    .requiredOption('--teacher <dir>', 'teacher checkpoint directory')
    .requiredOption('--student <dir>', 'student checkpoint directory (from create-student)')
    .requiredOption('--train-manifest <file>', 'training manifest (JSONL: audio, text, ...)')
    .requiredOption('--output-dir <dir>', 'log.jsonl, checkpoint-N/ and the final student go here')
    .requiredOption('--max-steps <n>', 'optimizer steps', positiveInt)
    .option('--batch-size <n>', 'examples per micro-batch (default 8)', positiveInt)
    .option('--learning-rate <x>', 'peak learning rate (default 1e-4)', nonNegative)
    .addOption(
      new Option('--lr-scheduler <kind>', 'after warmup: constant or linear decay to 0').choices([
        'constant',
        'linear',
      ]),
    )
    .option('--warmup-steps <n>', 'linear warmup steps (default 0)', nonNegativeInt)
    .option('--gradient-accumulation-steps <n>', 'micro-batches per step (default 1)', positiveInt)
    .option('--max-grad-norm <x>', 'global gradient-norm clip, 0 = off (default 1.0)', nonNegative)
    .option('--temperature <x>', 'KL temperature (default 2)', nonNegative)
    .option(
      '--ce-weight <x>',
      'weight of the pseudo-label cross-entropy (default 0.8)',
      nonNegative,
    )
    .option('--kl-weight <x>', 'weight of the T²-scaled KL (default 1.0)', nonNegative)
    .option(
      '--timestamp-probability <p>',
      'keep timestamps with this probability (default 0.2)',
      probability,
    )
    .option(
      '--condition-on-prev-probability <p>',
      'attach the previous-text prompt with this probability (default 0.2)',
      probability,
    )
    .option('--freeze-embed-positions', "freeze the decoder's learned positions")
    .option('--freeze-embed-tokens', 'freeze the token embeddings (tied output projection)')
    .option(
      '--weight-decay <x>',
      'AdamW weight decay, not biases/LayerNorm (default 0)',
      nonNegative,
    )
    .option('--seed <n>', 'seed of the target draws and shuffles (default 42)', nonNegativeInt)
    .option(
      '--save-steps <n>',
      'write checkpoint-N every n steps (default: at the end)',
      nonNegativeInt,
    )
    .option(
      '--save-total-limit <n>',
      'keep the newest n checkpoints, 0 = all (default 2)',
      nonNegativeInt,
    )
    .option('--eval-manifest <file>', 'evaluation manifest (JSONL: audio, text)')
    .option('--eval-steps <n>', 'evaluate every n steps (and at the end)', nonNegativeInt)
    .option('--eval-limit <n>', 'evaluate on at most n clips', positiveInt)
    .option('--resume', 'continue from the newest checkpoint in --output-dir')
    .option(
      '--force',
      'start over in a non-empty --output-dir (its checkpoints and log are deleted)',
    )
    .option('--language <lang>', 'language of multilingual models (default en)')
    .option(
      '--encoder-cache <dir>',
      'encoder-state cache root (default ~/.cache/distil-whisper/encoder-states)',
    )
    .option('--threads <n>', 'kernel threads', positiveInt)
    .action(async (o: Record<string, unknown>) => {
      const controller = new AbortController();
      const onSigint = (): void => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\nstopping after this step (Ctrl-C again to quit now)…\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      const pick = <K extends keyof DistillOptions>(
        key: K,
        flag: string,
      ): Partial<DistillOptions> =>
        o[flag] !== undefined ? ({ [key]: o[flag] } as Partial<DistillOptions>) : {};
      try {
        const summary = await distill({
          teacher: o.teacher as string,
          student: o.student as string,
          trainManifest: o.trainManifest as string,
          outputDir: o.outputDir as string,
          maxSteps: o.maxSteps as number,
          ...pick('batchSize', 'batchSize'),
          ...pick('learningRate', 'learningRate'),
          ...pick('lrScheduler', 'lrScheduler'),
          ...pick('warmupSteps', 'warmupSteps'),
          ...pick('gradientAccumulationSteps', 'gradientAccumulationSteps'),
          ...pick('maxGradNorm', 'maxGradNorm'),
          ...pick('temperature', 'temperature'),
          ...pick('ceWeight', 'ceWeight'),
          ...pick('klWeight', 'klWeight'),
          ...pick('timestampProbability', 'timestampProbability'),
          ...pick('conditionOnPrevProbability', 'conditionOnPrevProbability'),
          ...pick('weightDecay', 'weightDecay'),
          ...pick('seed', 'seed'),
          ...pick('saveSteps', 'saveSteps'),
          ...pick('saveTotalLimit', 'saveTotalLimit'),
          ...pick('evalManifest', 'evalManifest'),
          ...pick('evalSteps', 'evalSteps'),
          ...pick('evalLimit', 'evalLimit'),
          ...pick('language', 'language'),
          ...pick('encoderCacheDir', 'encoderCache'),
          ...pick('threads', 'threads'),
          freezeEmbedPositions: o.freezeEmbedPositions === true,
          freezeEmbedTokens: o.freezeEmbedTokens === true,
          resume: o.resume === true,
          force: o.force === true,
          signal: controller.signal,
          onProgress: progressBar(),
          log: (m) => process.stderr.write(`${m}\n`),
        });
        const f = summary.final;
        process.stdout.write(
          [
            `trained steps ${summary.startStep + 1}–${summary.steps} in ${summary.seconds.toFixed(1)} s (${summary.tokens} label tokens)`,
            f
              ? `last step: loss ${f.loss.toFixed(4)} (ce ${f.ce_loss.toFixed(4)}, kl ${f.kl_loss.toFixed(4)})`
              : 'no step run',
            ...summary.evals.map((e) => `eval step ${e.step}: WER ${e.wer.toFixed(2)} %`),
            `data: ${summary.data.examples} examples; ${summary.data.badLines} bad manifest lines, ${summary.data.droppedLabels} labels too long or empty, ${summary.data.skippedAudio} clips skipped`,
            ...summary.data.problems.slice(0, 10).map((p) => `  skipped ${p}`),
            `student written to ${summary.outputDir}`,
            '',
          ].join('\n'),
        );
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
