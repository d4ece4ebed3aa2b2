// `distil-whisper pseudo-label`: the teacher's labels for a manifest, appended to a resumable
// training manifest (distil-whisper's run_pseudo_labelling.py through @distil-whisper/distill's
// `pseudoLabel()`). The flag names are fixed: other tools call them.
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  parseShard,
  pseudoLabel,
  type PseudoLabelProgress,
  type Shard,
} from '@distil-whisper/distill';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function seconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0) || n > 30)
    throw new InvalidArgumentError('expected seconds in (0, 30] (one model window)');
  return n;
}

function shard(v: string): Shard {
  try {
    return parseShard(v);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** A progress bar on stderr, drawn only on a terminal so logs and pipes stay clean. */
function progressBar(): (p: PseudoLabelProgress) => void {
  const tty = process.stderr.isTTY === true;
  return (p) => {
    if (!tty) return;
    const width = 24;
    const frac = p.lines > 0 ? p.linesDone / p.lines : 1;
    const done = Math.round(width * frac);
    const rate = p.seconds > 0 ? p.audioSeconds / p.seconds : 0;
    const eta = frac > 0 && frac < 1 ? (p.seconds / frac) * (1 - frac) : 0;
    process.stderr.write(
      `\r\x1b[K[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${p.linesDone}/${p.lines} lines, ` +
        `${p.packsWritten} records, ${p.problems} skipped, ${rate.toFixed(1)} s audio/s` +
        (eta > 0 ? `, eta ${Math.round(eta)} s` : ''),
    );
  };
}

/**
 * Adds the `pseudo-label` subcommand: `--teacher DIR --manifest IN.jsonl --out OUT.jsonl
 * [--language L] [--task transcribe|translate] [--timestamps] [--concatenate-audio
 * [--max-duration 30]] [--batch-size 8] [--max-label-length 256] [--shard I/N] [--threads N]
 * [--device cpu|cuda] [--force]`. `--shard` is 0-based (`0/4` … `3/4`). Ctrl-C stops after the
 * batch in flight; a rerun with the same flags continues.
 *
 * @example
 * ```sh
 * distil-whisper pseudo-label --teacher whisper-large-v3 --manifest data/train.jsonl \
 *   --out data/labels.jsonl --language en --timestamps --concatenate-audio --batch-size 16
 * ```
 */
export function registerPseudoLabelCommand(program: Command): void {
  program
    .command('pseudo-label')
    .description(
      "label a manifest's audio with a teacher (distil-whisper's run_pseudo_labelling.py); resumable and shardable",
    )
    .requiredOption('--teacher <dir>', 'teacher checkpoint directory')
    .requiredOption(
      '--manifest <file>',
      'input JSONL: audio (relative to the manifest), optional text, speaker, id',
    )
    .requiredOption('--out <file>', 'output JSONL (training-manifest format); appended on reruns')
    .option('--language <lang>', 'language of multilingual teachers (default: detected)')
    .addOption(
      new Option('--task <task>', 'multilingual teachers: transcribe or translate')
        .choices(['transcribe', 'translate'])
        .default('transcribe'),
    )
    .option('--timestamps', 'predict timestamps and keep them in the labels')
    .option(
      '--concatenate-audio',
      'pack consecutive clips of one speaker up to --max-duration and store condition_on_prev',
    )
    .option('--max-duration <s>', 'longest pack in seconds (default 30)', seconds)
    .option('--batch-size <n>', 'windows per encoder call and search (default 8)', positiveInt)
    .option(
      '--max-label-length <n>',
      'longest label in tokens, forced prefix included (default 256)',
      positiveInt,
    )
    .option('--shard <I/N>', 'label only shard I of N (0-based contiguous line ranges)', shard)
    .option('--threads <n>', 'kernel threads', positiveInt)
    .addOption(new Option('--device <device>', 'where the teacher runs').choices(['cpu', 'cuda']))
    .option('--force', 'start over when --out was written by another job (or has no sidecar)')
    .action(async (o: Record<string, unknown>) => {
      const controller = new AbortController();
      const onSigint = (): void => {
        if (controller.signal.aborted) process.exit(130);
        process.stderr.write('\nstopping after this batch (Ctrl-C again to quit now)…\n');
        controller.abort();
      };
      process.on('SIGINT', onSigint);
      const tty = process.stderr.isTTY === true;
      try {
        const summary = await pseudoLabel({
          teacher: o.teacher as string,
          manifest: o.manifest as string,
          out: o.out as string,
          ...(o.language !== undefined ? { language: o.language as string } : {}),
          task: o.task as 'transcribe' | 'translate',
          timestamps: o.timestamps === true,
          concatenateAudio: o.concatenateAudio === true,
          ...(o.maxDuration !== undefined ? { maxDuration: o.maxDuration as number } : {}),
          ...(o.batchSize !== undefined ? { batchSize: o.batchSize as number } : {}),
          ...(o.maxLabelLength !== undefined ? { maxLabelLength: o.maxLabelLength as number } : {}),
          ...(o.shard !== undefined ? { shard: o.shard as Shard } : {}),
          ...(o.threads !== undefined ? { threads: o.threads as number } : {}),
          ...(o.device !== undefined ? { device: o.device as 'cpu' | 'cuda' } : {}),
          force: o.force === true,
          signal: controller.signal,
          onProgress: progressBar(),
          log: (m) => process.stderr.write(`${tty ? '\r\x1b[K' : ''}${m}\n`),
        });
        if (tty) process.stderr.write('\r\x1b[K');
        process.stdout.write(`${summary.text}\n`);
      } finally {
        process.off('SIGINT', onSigint);
      }
    });
}
