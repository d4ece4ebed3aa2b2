// `distil-whisper transcribe`: files of any length (or `-` for standard input), sequential or
// chunked long-form, outputs written atomically as each recording finishes, a progress bar on a
// terminal, and every failing file named while the others go on (exit status 1 at the end).
import { existsSync } from 'node:fs';
import { basename, extname, join, resolve, sep } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { writeFileAtomic, WriteError } from '@distil-whisper/model';
import { formatTranscription, type OutputFormat } from './formats';
import { createPipeline } from './pipeline';
import type {
  LongFormMode,
  TranscribeInput,
  TranscribeManyOptions,
  TranscribeOptions,
  TranscribeOutcome,
  TranscribeProgress,
} from './types';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/**
 * Most beams `--beams` accepts. Each beam is decoded at every step and keeps its own key/value
 * cache (whisper base: 11 MB per beam and window; large-v3: 150 MB), so width costs time and
 * memory linearly while the gain stops after a handful: openai/whisper uses 5.
 */
export const MAX_BEAMS = 16;

function beams(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_BEAMS)
    throw new InvalidArgumentError(
      `expected 1 to ${MAX_BEAMS} beams: each beam is decoded at every step and holds its own key/value cache, so time and memory grow with the width while accuracy stops improving after about 5 (openai/whisper's default)`,
    );
  return n;
}

function positiveSeconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !(n > 0) || !Number.isFinite(n))
    throw new InvalidArgumentError('expected seconds > 0');
  return n;
}

function stride(v: string): number | [number, number] {
  const xs = v.split(',').map((x) => Number(x.trim()));
  if (xs.length > 2 || xs.some((x) => !(x >= 0) || !Number.isFinite(x)))
    throw new InvalidArgumentError('expected seconds >= 0, or LEFT,RIGHT');
  return xs.length === 2 ? [xs[0] as number, xs[1] as number] : (xs[0] as number);
}

function finite(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
}

function temperatures(v: string): number[] {
  const xs = v.split(',').map(Number);
  if (xs.some((x) => !(x >= 0)))
    throw new InvalidArgumentError('expected temperatures >= 0, comma-separated');
  return xs;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h > 0 ? 2 : 1, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

/**
 * A progress bar on stderr, only on an interactive terminal (piped output stays clean):
 * `talk.wav [########------------]  41%  12:05/29:31`, redrawn at most ten times a second.
 */
export function progressBar(
  names: readonly string[],
  stream: NodeJS.WriteStream = process.stderr,
): { update: (p: TranscribeProgress) => void; clear: () => void } {
  let last = 0;
  let shown = false;
  const clear = (): void => {
    if (shown) stream.write('\r\x1b[K');
    shown = false;
  };
  if (!stream.isTTY) return { update: () => {}, clear: () => {} };
  return {
    clear,
    update(p) {
      const name = names[p.file ?? 0] ?? '';
      if (p.stage === 'done') return clear();
      const now = Date.now();
      if (now - last < 100 && p.stage === 'decoder' && p.seconds === undefined) return;
      last = now;
      let line: string;
      if (p.stage === 'decoder' && p.seconds !== undefined && p.totalSeconds) {
        const width = 24;
        const f = Math.min(1, p.seconds / p.totalSeconds);
        const fill = Math.round(f * width);
        line = `${name} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(Math.round(f * 100)).padStart(3)}%  ${clock(p.seconds)}/${clock(p.totalSeconds)}`;
      } else if (p.stage === 'decoder') line = `${name}: decoding, ${p.tokens ?? 0} tokens`;
      else line = `${name}: ${p.stage === 'audio' ? 'reading audio' : p.stage}`;
      stream.write(`\r\x1b[K${line.slice(0, Math.max(20, (stream.columns ?? 80) - 1))}`);
      shown = true;
    },
  };
}

/**
 * `--no-speech-threshold <x>` takes a value; commander would read its `--no-` prefix as the
 * negation of a `--speech-threshold` flag, so the option is told it is not one.
 */
function noSpeechThresholdOption(): Option {
  const opt = new Option(
    '--no-speech-threshold <x>',
    'skip a window as silence when p(no speech) exceeds this and the log-probability is low (e.g. 0.6)',
  ).argParser(finite);
  opt.negate = false;
  opt.attributeName = () => 'noSpeechThreshold';
  return opt;
}

/**
 * The names outputs are written under (without the format's extension), one per input and all
 * different, compared without case (case-insensitive file systems): the base name (`talk`,
 * `stdin` for `-`); where two inputs share it, the name with its extension (`talk.wav`,
 * `talk.mp3`); where they still do, with as many parent folders as tell them apart
 * (`a__talk.wav`, `b__talk.wav`); the same input given twice is numbered (`talk`, `talk-2`).
 *
 * @example
 * ```ts
 * outputNames(['a/talk.wav', 'b/talk.wav', 'talk.mp3', 'x/other.flac']);
 * // ['a__talk.wav', 'b__talk.wav', 'talk.mp3', 'other']
 * ```
 */
export function outputNames(files: readonly string[]): string[] {
  const parts = files.map((f) =>
    f === '-'
      ? ['stdin']
      : resolve(f)
          .split(sep)
          .filter((p) => p !== ''),
  );
  const nameAt = (i: number, level: number): string => {
    const file = files[i] as string;
    if (file === '-') return 'stdin';
    if (level === 0) return basename(file, extname(file));
    const p = parts[i] as string[];
    return p.slice(Math.max(0, p.length - level), p.length).join('__');
  };
  const levels = files.map(() => 0);
  const deepest = (i: number): number => (parts[i] as string[]).length;
  for (;;) {
    const names = files.map((_, i) => nameAt(i, levels[i] as number).toLowerCase());
    const groups = new Map<string, number[]>();
    names.forEach((n, i) => groups.set(n, [...(groups.get(n) ?? []), i]));
    let raised = false;
    for (const members of groups.values()) {
      // Only different inputs are told apart by their folders; the same one twice is numbered.
      const identities = new Set(
        members.map((i) => (parts[i] as string[]).join(sep).toLowerCase()),
      );
      if (identities.size < 2) continue;
      for (const i of members)
        if ((levels[i] as number) < deepest(i)) {
          levels[i] = (levels[i] as number) + 1;
          raised = true;
        }
    }
    if (!raised) break;
  }
  // Still equal (the same input twice, or `-` beside a file called stdin): number them.
  const seen = new Map<string, number>();
  return files.map((_, i) => {
    const name = nameAt(i, levels[i] as number);
    const count = (seen.get(name.toLowerCase()) ?? 0) + 1;
    seen.set(name.toLowerCase(), count);
    return count === 1 ? name : `${name}-${count}`;
  });
}

/**
 * Refuses outputs that exist already unless `force`, before any model is loaded, naming them all.
 *
 * @throws WriteError `OUTPUT_EXISTS`
 */
function checkOutputs(paths: readonly string[], force: boolean): void {
  if (force) return;
  const taken = paths.filter((p) => existsSync(p));
  if (taken.length > 0)
    throw new WriteError(
      'OUTPUT_EXISTS',
      `${taken.length === 1 ? 'an output exists' : `${taken.length} outputs exist`} already (${taken.join(', ')}); pass --force to replace ${taken.length === 1 ? 'it' : 'them'}, or choose another --output-dir`,
      { problems: taken.map((p) => `${p} exists`) },
    );
}

/**
 * The pipeline options a parsed `transcribe` command line asks for (commander's option values:
 * thresholds, beams, long-form flags, audio policy, ...), without the callbacks.
 *
 * @example
 * ```ts
 * requestOptions({ longForm: 'sequential', noSpeechThreshold: 0.6, beams: 5 });
 * // { longForm: 'sequential', noSpeechThreshold: 0.6, numBeams: 5 }
 * ```
 */
export function requestOptions(o: Record<string, unknown>): TranscribeOptions {
  return {
    longForm: o.longForm as LongFormMode,
    ...(o.language !== undefined ? { language: o.language as string } : {}),
    ...(o.task !== undefined ? { task: o.task as 'transcribe' | 'translate' } : {}),
    ...(o.timestamps ? { returnTimestamps: true } : {}),
    ...(o.beams !== undefined ? { numBeams: o.beams as number } : {}),
    ...(o.temperature !== undefined ? { temperature: o.temperature as number[] } : {}),
    ...(o.compressionRatioThreshold !== undefined
      ? { compressionRatioThreshold: o.compressionRatioThreshold as number }
      : {}),
    ...(o.logprobThreshold !== undefined ? { logprobThreshold: o.logprobThreshold as number } : {}),
    ...(o.noSpeechThreshold !== undefined
      ? { noSpeechThreshold: o.noSpeechThreshold as number }
      : {}),
    ...(o.chunkLength !== undefined ? { chunkLength: o.chunkLength as number } : {}),
    ...(o.stride !== undefined ? { stride: o.stride as number | [number, number] } : {}),
    ...(o.batchSize !== undefined ? { batchSize: o.batchSize as number } : {}),
    ...(o.conditionOnPreviousText !== undefined
      ? { conditionOnPreviousText: o.conditionOnPreviousText as boolean }
      : {}),
    ...(o.maxNewTokens !== undefined ? { maxNewTokens: o.maxNewTokens as number } : {}),
    ...(o.prompt !== undefined ? { prompt: o.prompt as string } : {}),
    ...(o.lenient ? { lenient: true } : {}),
    ...(o.strict ? { strict: true } : {}),
    ...(o.wordTimestamps || o.maxWordsPerCue !== undefined ? { wordTimestamps: true } : {}),
    ...(o.vadModel !== undefined
      ? { vad: { modelDir: o.vadModel as string } }
      : o.vad
        ? { vad: true }
        : {}),
  };
}

/**
 * Adds the `transcribe` subcommand. Flags follow transformers' names where they exist
 * (`--chunk-length` ~ `chunk_length_s`, `--stride` ~ `stride_length_s`, `--batch-size`,
 * `--condition-on-previous-text` ~ `condition_on_prev_tokens`, the three thresholds).
 *
 * @example
 * ```sh
 * distil-whisper transcribe lecture.mp3 -m ./whisper-base --long-form chunked --batch-size 8 -f srt -o out/
 * cat talk.flac | distil-whisper transcribe - -m ./whisper-base --condition-on-previous-text
 * ```
 */
export function registerTranscribeCommand(program: Command): void {
  program
    .command('transcribe')
    .description(
      'transcribe audio files of any length (WAV, FLAC, MP3, Ogg; `-` reads standard input)',
    )
    .argument('<file...>', 'audio files, or - for standard input')
    .requiredOption(
      '-m, --model <dir>',
      'checkpoint directory (config.json, model.safetensors, tokenizer)',
    )
    .option('-l, --language <lang>', 'language code or name (default: detected)')
    .addOption(
      new Option('--task <task>', 'transcribe or translate').choices(['transcribe', 'translate']),
    )
    .option(
      '-t, --timestamps',
      'timed segments for audio of one window (longer audio always has them)',
    )
    .option('-b, --beams <n>', `beam search width, 1 to ${MAX_BEAMS} (temperature 0)`, beams)
    .option(
      '--temperature <list>',
      'temperature or fallback ladder, e.g. 0,0.2,0.4,0.6,0.8,1',
      temperatures,
    )
    .option(
      '--compression-ratio-threshold <x>',
      'fall back when the token compression ratio exceeds this (Distil-Whisper: 1.35)',
      finite,
    )
    .option(
      '--logprob-threshold <x>',
      'fall back when the average log-probability is below this (e.g. -1)',
      finite,
    )
    .addOption(noSpeechThresholdOption())
    .addOption(
      new Option('--long-form <mode>', 'algorithm for audio over 30 s')
        .choices(['sequential', 'chunked'])
        .default('sequential'),
    )
    .option(
      '--chunk-length <s>',
      'chunked: chunk length in seconds (default 30; 25 for distilled models)',
      positiveSeconds,
    )
    .option(
      '--stride <s>',
      'chunked: overlap per side in seconds, or LEFT,RIGHT (default chunk/6)',
      stride,
    )
    .option(
      '--batch-size <n>',
      'windows decoded together: chunks (chunked) or files (sequential). Default 1',
      positiveInt,
    )
    .option(
      '--condition-on-previous-text',
      "sequential: condition each window on the text before it (default: the checkpoint's, else off)",
    )
    .option('--no-condition-on-previous-text', 'sequential: decode each window on its own')
    .option('--max-new-tokens <n>', 'most tokens to generate per window', positiveInt)
    .option('--prompt <text>', 'previous text that conditions decoding (the first window)')
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
    .addOption(
      new Option(
        '--compute-type <type>',
        'what the Linear layers multiply in: default (as stored), f32, f16, or int8 (per-channel int8 weights, CPU only)',
      )
        .choices(['default', 'f32', 'f16', 'int8'])
        .default('default'),
    )
    .option(
      '-w, --word-timestamps',
      'word-level timestamps: words (start, end, probability) in json; word-timed srt/vtt cues with --max-words-per-cue',
    )
    .option(
      '--max-words-per-cue <n>',
      'srt/vtt: cues of at most n words, timed by the words (1: one cue per word); implies --word-timestamps',
      positiveInt,
    )
    .option(
      '--vad',
      'Silero VAD pre-pass: transcribe only the speech, times mapped back (weights: bash tools/vad/fetch.sh)',
    )
    .option(
      '--vad-model <dir>',
      'converted Silero VAD folder (default: $DW_VAD_MODEL_DIR, else ~/.cache/distil-whisper/vad/silero-vad-6.2.3); implies --vad',
    )
    .option('--json', 'print JSON (same as --output-format json)')
    .addOption(
      new Option('-f, --output-format <fmt>', 'output format')
        .choices(['txt', 'json', 'srt', 'vtt'])
        .default('txt'),
    )
    .option(
      '-o, --output-dir <dir>',
      'write <file>.<fmt> there (atomically; inputs with the same name get distinct outputs) instead of printing',
    )
    .option('--force', 'replace outputs in --output-dir that exist already')
    .option(
      '--lenient',
      'transcribe what decodes of a damaged file (a WAV/FLAC shorter than its header, bad codec frames) instead of failing it',
    )
    .option(
      '--strict',
      'fail a file whose compressed audio looks truncated (MP3 shorter than its header, Ogg without its last page) instead of a warning',
    )
    .action(async (files: string[], o: Record<string, unknown>) => {
      if (files.filter((f) => f === '-').length > 1)
        throw new InvalidArgumentError('standard input (-) can be given once');
      if (o.lenient && o.strict)
        throw new InvalidArgumentError('--lenient and --strict contradict each other; pass one');
      const format = (o.json ? 'json' : o.outputFormat) as OutputFormat;
      const outputs =
        o.outputDir === undefined
          ? null
          : outputNames(files).map((n) => join(o.outputDir as string, `${n}.${format}`));
      if (outputs) checkOutputs(outputs, o.force === true);
      const asr = await createPipeline(o.model as string, {
        ...(o.threads !== undefined ? { threads: o.threads as number } : {}),
        ...(o.assistant !== undefined ? { assistant: o.assistant as string } : {}),
        device: o.device as 'cpu' | 'cuda',
        activationDtype: o.activations as 'f32' | 'f16',
        computeType: o.computeType as 'default' | 'f32' | 'f16' | 'int8',
      });
      const bar = progressBar(files.map((f) => (f === '-' ? 'stdin' : basename(f))));
      let failed = 0;
      // Printed results keep the input order; written ones go out as soon as they are done.
      const held = new Map<number, string>();
      let nextPrint = 0;
      const emit = (index: number, outcome: TranscribeOutcome): void => {
        const file = files[index] as string;
        bar.clear();
        if (!outcome.ok) {
          failed++;
          const e = outcome.error as { name?: string; code?: string; message?: string };
          process.stderr.write(
            `distil-whisper: ${file === '-' ? 'stdin' : file}: ${e.name ?? 'Error'}${e.code ? ` [${e.code}]` : ''}: ${e.message ?? String(e)}\n`,
          );
          held.set(index, '');
        } else {
          for (const w of outcome.result.warnings ?? [])
            process.stderr.write(
              `distil-whisper: ${file === '-' ? 'stdin' : file}: warning: ${w}\n`,
            );
          const text = formatTranscription(outcome.result, format, {
            ...(o.maxWordsPerCue !== undefined
              ? { maxWordsPerCue: o.maxWordsPerCue as number }
              : {}),
          });
          if (outputs) {
            const out = outputs[index] as string;
            try {
              // Atomic: a crash never leaves half a transcript; an output that appeared since the
              // check above is still refused without --force.
              writeFileAtomic(out, text, { force: o.force === true });
              process.stderr.write(`wrote ${out}\n`);
            } catch (err) {
              failed++;
              process.stderr.write(`distil-whisper: ${file}: ${(err as Error).message}\n`);
            }
            held.set(index, '');
          } else
            held.set(
              index,
              files.length > 1 && format === 'txt'
                ? `${file === '-' ? 'stdin' : file}: ${text}`
                : text,
            );
        }
        while (held.has(nextPrint)) {
          process.stdout.write(held.get(nextPrint) as string);
          held.delete(nextPrint++);
        }
      };
      const options: TranscribeManyOptions = {
        onProgress: bar.update,
        onResult: emit,
        ...requestOptions(o),
      };
      const inputs: TranscribeInput[] = files.map((f) => (f === '-' ? process.stdin : f));
      try {
        await asr.transcribeMany(inputs, options);
      } finally {
        bar.clear();
        await asr.dispose();
      }
      if (failed > 0) {
        process.stderr.write(
          `distil-whisper: ${failed} of ${files.length} file${files.length > 1 ? 's' : ''} failed\n`,
        );
        process.exitCode = 1;
      }
    });
}
