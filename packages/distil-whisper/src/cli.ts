#!/usr/bin/env node
// `distil-whisper` command line: transcribe files, create random-weight checkpoints, and the
// distillation commands (each in its own cli-*.ts module).
import { Command, Option } from 'commander';
import { createRandomCheckpoint, PRESETS, type PresetName } from '@distil-whisper/model';
import { registerConvertCommand } from './cli-convert';
import { registerDistillCommand } from './cli-distill';
import { registerStudentCommands } from './cli-students';
import { registerCreateStudentCommand } from './cli-create-student';
import { registerPseudoLabelCommand } from './cli-pseudo-label';
import { registerFilterCommand } from './cli-filter';
import { registerTranscribeCommand } from './cli-transcribe';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('distil-whisper')
    .description('Whisper / Distil-Whisper speech recognition (CPU, or CUDA where built)')
    .showHelpAfterError();

  registerTranscribeCommand(program);

  program
    .command('create-random')
    .description('write a random-weight checkpoint (for tests and benchmarks)')
    .addOption(
      new Option('-p, --preset <name>', 'model dims').choices(Object.keys(PRESETS)).default('tiny'),
    )
    .addOption(
      new Option('-d, --dtype <dtype>', 'stored dtype')
        .choices(['f32', 'f16', 'bf16'])
        .default('f16'),
    )
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--seed <n>', 'random seed', (v) => Number(v), 0)
    .option(
      '--tokenizer <dir>',
      'tokenizer folder to copy, e.g. a Whisper checkpoint with the same vocabulary (default: the shared reference tokenizers, found only in this repository)',
    )
    .option('--decoder-only', 'write a WhisperForCausalLM (assistant) checkpoint')
    .option('--force', 'replace the output directory when it exists and is not empty')
    .action((o: Record<string, unknown>) => {
      const r = createRandomCheckpoint({
        outDir: o.out as string,
        force: o.force === true,
        preset: o.preset as PresetName,
        dtype: o.dtype as 'f32' | 'f16' | 'bf16',
        seed: o.seed as number,
        ...(o.tokenizer !== undefined ? { tokenizerDir: o.tokenizer as string } : {}),
        ...(o.decoderOnly ? { decoderOnly: true } : {}),
      });
      process.stdout.write(
        `wrote ${r.dir}: ${(r.weightBytes / 1e6).toFixed(1)} MB of weights${r.tokenizerDir ? `, tokenizer from ${r.tokenizerDir}` : ', no tokenizer'}\n`,
      );
      // Outside this repository there are no reference tokenizers to copy; without one the
      // checkpoint loads as a model but `transcribe` cannot turn its tokens into text.
      if (!r.tokenizerDir && o.decoderOnly !== true)
        process.stderr.write(
          `distil-whisper: warning: ${r.dir} has no tokenizer, so \`transcribe\` cannot use it; ` +
            'pass --tokenizer DIR with a Whisper checkpoint of the same vocabulary ' +
            `(${r.config.vocabSize} ids), e.g. a Hugging Face download of openai/whisper-tiny\n`,
        );
    });
  registerConvertCommand(program);
  registerCreateStudentCommand(program);
  registerDistillCommand(program);
  registerStudentCommands(program);
  registerPseudoLabelCommand(program);
  registerFilterCommand(program);
  return program;
}

/** Runs the CLI on `argv` (process.argv by default). */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string };
    process.stderr.write(
      `distil-whisper: ${err.name ?? 'Error'}${err.code ? ` [${err.code}]` : ''}: ${err.message ?? String(e)}\n`,
    );
    process.exitCode = 1;
  }
}

void main();
