#!/usr/bin/env node
// `distil-whisper` command line: transcribe files, create random-weight checkpoints.
import { basename, extname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  createRandomCheckpoint,
  PRESETS,
  writeFileAtomic,
  type PresetName,
} from '@distil-whisper/model';
import { formatTranscription, type OutputFormat } from './formats';
import { registerConvertCommand } from './cli-convert';
import { registerDistillCommand } from './cli-distill';
import { registerStudentCommands } from './cli-students';
import { registerCreateStudentCommand } from './cli-create-student';
import { registerPseudoLabelCommand } from './cli-pseudo-label';
import { registerFilterCommand } from './cli-filter';
import { createPipeline } from './pipeline';
import type { TranscribeProgress } from './types';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function temperatures(v: string): number[] {
  const xs = v.split(',').map(Number);
  if (xs.some((x) => !(x >= 0)))
    throw new InvalidArgumentError('expected temperatures >= 0, comma-separated');
  return xs;
}

/** Progress on stderr, only for an interactive terminal (so piped output stays clean). */
function progressLine(file: string): (p: TranscribeProgress) => void {
  const tty = process.stderr.isTTY;
  return (p) => {
    if (!tty) return;
    const what =
      p.stage === 'decoder'
        ? `decoding, ${p.tokens ?? 0} tokens`
        : p.stage === 'done'
          ? 'done'
          : p.stage;
    process.stderr.write(`\r\x1b[K${basename(file)}: ${what}`);
    if (p.stage === 'done') process.stderr.write('\r\x1b[K');
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('distil-whisper')
    .description('Whisper / Distil-Whisper speech recognition (CPU, or CUDA where built)')
    .showHelpAfterError();

  program
    .command('transcribe')
    .description('transcribe audio files (WAV, FLAC, MP3, Ogg; at most 30 s each for now)')
    .argument('<file...>', 'audio files')
    .requiredOption(
      '-m, --model <dir>',
      'checkpoint directory (config.json, model.safetensors, tokenizer)',
    )
    .option('-l, --language <lang>', 'language code or name (default: detected)')
    .addOption(
      new Option('--task <task>', 'transcribe or translate').choices(['transcribe', 'translate']),
    )
    .option('-t, --timestamps', 'predict timestamps (timed segments)')
    .option('-b, --beams <n>', 'beam search width', positiveInt)
    .option('--temperature <list>', 'temperature or fallback ladder, e.g. 0,0.2,0.4', temperatures)
    .option('--max-new-tokens <n>', 'most tokens to generate per file', positiveInt)
    .option('--prompt <text>', 'previous text that conditions decoding')
    .option('--threads <n>', 'kernel threads', positiveInt)
    .option(
      '--assistant <dir>',
      'speculative decoding: a student checkpoint drafts, the model verifies (same output, faster with a distilled student)',
    )
    .addOption(
      new Option('--device <device>', 'where the model runs')
        .choices(['cpu', 'cuda'])
        .default('cpu'),
    )
    .addOption(
      new Option('--activations <dtype>', 'activation dtype (f16 needs --device cuda)')
        .choices(['f32', 'f16'])
        .default('f32'),
    )
    .option('--json', 'print JSON (same as --output-format json)')
    .addOption(
      new Option('-f, --output-format <fmt>', 'output format')
        .choices(['txt', 'json', 'srt', 'vtt'])
        .default('txt'),
    )
    .option('-o, --output-dir <dir>', 'write <file>.<fmt> there instead of printing')
    .action(async (files: string[], o: Record<string, unknown>) => {
      const format = (o.json ? 'json' : o.outputFormat) as OutputFormat;
      const asr = await createPipeline(o.model as string, {
        ...(o.threads !== undefined ? { threads: o.threads as number } : {}),
        ...(o.assistant !== undefined ? { assistant: o.assistant as string } : {}),
        device: o.device as 'cpu' | 'cuda',
        activationDtype: o.activations as 'f32' | 'f16',
      });
      try {
        for (const file of files) {
          const result = await asr.transcribe(file, {
            onProgress: progressLine(file),
            ...(o.language !== undefined ? { language: o.language as string } : {}),
            ...(o.task !== undefined ? { task: o.task as 'transcribe' | 'translate' } : {}),
            ...(o.timestamps ? { returnTimestamps: true } : {}),
            ...(o.beams !== undefined ? { numBeams: o.beams as number } : {}),
            ...(o.temperature !== undefined ? { temperature: o.temperature as number[] } : {}),
            ...(o.maxNewTokens !== undefined ? { maxNewTokens: o.maxNewTokens as number } : {}),
            ...(o.prompt !== undefined ? { prompt: o.prompt as string } : {}),
          });
          const text = formatTranscription(result, format);
          if (o.outputDir !== undefined) {
            const out = join(o.outputDir as string, `${basename(file, extname(file))}.${format}`);
            // Rewriting a transcript is expected; atomic so a crash never leaves half of one.
            writeFileAtomic(out, text, { force: true });
            process.stderr.write(`wrote ${out}\n`);
          } else {
            if (files.length > 1 && format === 'txt') process.stdout.write(`${file}: `);
            process.stdout.write(text);
          }
        }
      } finally {
        await asr.dispose();
      }
    });

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
    .option('--tokenizer <dir>', 'tokenizer folder to copy (default: shared reference tokenizers)')
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
