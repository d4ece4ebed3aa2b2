// `distil-whisper filter`: Distil-Whisper's pseudo-label WER filter (run_distillation.py's
// `is_wer_in_range`, WAVE2 A3) over a pseudo-label manifest, through @distil-whisper/distill's
// `filterManifest()`. The flag names are fixed: other tools call them.
import { type Command, InvalidArgumentError } from 'commander';
import { filterManifest, formatWerSweep } from '@distil-whisper/distill';

function percent(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n >= 0) || !Number.isFinite(n))
    throw new InvalidArgumentError('expected a WER threshold in percent (e.g. 10)');
  return n;
}

/**
 * Adds the `filter` subcommand: `--manifest IN.jsonl --out OUT.jsonl [--wer-threshold 10]
 * [--language L] [--spelling-map DIR] [--sweep] [--force]`. Keeps a record iff its normalised
 * `reference` is non-empty, its `text` (the label) is not all upper case and 100 · WER < λ; prints
 * the kept count and the corpus WER of kept, dropped and all records, and with `--sweep` the
 * table for λ ∈ {100, 80, 40, 20, 15, 10, 5}.
 *
 * @example
 * ```sh
 * distil-whisper filter --manifest labels.jsonl --out train.jsonl --wer-threshold 10 \
 *   --spelling-map ./whisper-large-v3 --sweep
 * ```
 */
export function registerFilterCommand(program: Command): void {
  program
    .command('filter')
    .description(
      'keep pseudo-labels whose WER against the ground truth is below λ (Distil-Whisper §4.2)',
    )
    .requiredOption('--manifest <file>', 'pseudo-label JSONL (text = label, reference = truth)')
    .requiredOption('--out <file>', 'kept records, unchanged, as JSONL')
    .option('--wer-threshold <λ>', 'keep when 100 · WER < λ (default 10)', percent)
    .option(
      '--language <lang>',
      'language of the data: English (default) uses the English normaliser, others the basic one',
    )
    .option(
      '--spelling-map <dir>',
      'checkpoint directory with normalizer.json (or the JSON file) for the English normaliser',
    )
    .option('--sweep', 'also print what λ = 100, 80, 40, 20, 15, 10, 5 would keep')
    .option('--force', 'replace --out when it exists')
    .action(async (o: Record<string, unknown>) => {
      const summary = await filterManifest({
        manifest: o.manifest as string,
        out: o.out as string,
        ...(o.werThreshold !== undefined ? { threshold: o.werThreshold as number } : {}),
        ...(o.language !== undefined ? { language: o.language as string } : {}),
        ...(o.spellingMap !== undefined ? { spellingMap: o.spellingMap as string } : {}),
        force: o.force === true,
      });
      process.stdout.write(`${summary.text}\n`);
      if (o.sweep) process.stdout.write(`\n${formatWerSweep(summary.sweep)}\n`);
    });
}
