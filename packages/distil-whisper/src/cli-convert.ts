// `distil-whisper convert --from ct2 <dir> --out <hf-dir>`: turns a CTranslate2 (faster-whisper)
// Whisper model directory into a Hugging Face checkpoint directory the pipeline can load.
import { type Command, Option } from 'commander';
import { convertCt2ToHf } from '@distil-whisper/model';

/**
 * Adds the `convert` subcommand to a commander program.
 *
 * @example
 * ```ts
 * const program = new Command();
 * registerConvertCommand(program);
 * await program.parseAsync(['node', 'cli', 'convert', '--from', 'ct2', './faster-whisper-base', '--out', './base-hf']);
 * ```
 */
export function registerConvertCommand(program: Command): void {
  program
    .command('convert')
    .description('convert a model directory of another format into a Hugging Face checkpoint')
    .argument(
      '<dir>',
      'source model directory (CTranslate2: model.bin, config.json, tokenizer.json)',
    )
    .addOption(
      new Option('--from <format>', 'source format').choices(['ct2']).makeOptionMandatory(),
    )
    .requiredOption('-o, --out <dir>', 'output Hugging Face checkpoint directory')
    .addOption(
      new Option('-d, --dtype <dtype>', 'stored dtype (default: the source float dtype)').choices([
        'f32',
        'f16',
        'bf16',
      ]),
    )
    .option('--tokenizer <dir>', "tokenizer folder to copy instead of the source directory's")
    .option('--force', 'replace the output directory when it exists and is not empty')
    .action((dir: string, o: Record<string, unknown>) => {
      const r = convertCt2ToHf(dir, o.out as string, {
        force: o.force === true,
        ...(o.dtype !== undefined ? { dtype: o.dtype as 'f32' | 'f16' | 'bf16' } : {}),
        ...(o.tokenizer !== undefined ? { tokenizerDir: o.tokenizer as string } : {}),
      });
      const d = r.plan.dims;
      process.stdout.write(
        `wrote ${r.outDir}: d_model ${d.dModel}, ${d.encoderLayers}+${d.decoderLayers} layers, vocabulary ${d.vocabSize}, ` +
          `from ${r.plan.storedDtypes.join('/')}${r.plan.quantized ? ' (dequantised)' : ''}, ` +
          `${(r.weightBytes / 1e6).toFixed(1)} MB of weights` +
          (r.tokenizerFrom ? `, tokenizer from ${r.tokenizerFrom}\n` : '\n'),
      );
      if (!r.tokenizerFrom)
        process.stderr.write(
          'warning: no tokenizer.json found; copy one into the output (or pass --tokenizer <dir>) before transcribing\n',
        );
    });
}
