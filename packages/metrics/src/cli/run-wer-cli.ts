import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MetricsError } from '../errors.js';
import { createNormalizer, type NormalizerName } from '../normalizers/create.js';
import { loadSpellingMapSync } from '../normalizers/spelling-map-file.js';
import { measureCorpus, type TokenUnit } from '../wer/measures.js';

/** Where {@link runWerCli} writes and reads; defaults are the process streams and the file system. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readFile: (path: string) => string;
}

const USAGE = `Usage: distil-whisper-wer --ref refs.txt --hyp hyps.txt [options]

One utterance per line (UTF-8; a byte-order mark is ignored); line k of --hyp is scored
against line k of --ref. An empty reference line counts its hypothesis words as insertions;
an empty line against an empty line counts nothing (as jiwer 4).

Options:
  --ref <file>            reference transcripts (required)
  --hyp <file>            hypothesis transcripts (required)
  --normalize <name>      english (default; Whisper's English normaliser, as in the paper),
                          basic (Whisper's multilingual normaliser) or none
  --spelling-map <path>   normalizer.json / english.json, or a checkpoint directory holding it
                          (British -> American spellings for --normalize english)
  --unit <unit>           word (WER, default) or character (CER)
  --json                  print the measures as JSON
  -h, --help              show this help
`;

function readLines(io: CliIo, path: string): string[] {
  let text: string;
  try {
    text = io.readFile(path);
  } catch (e) {
    throw new MetricsError('CLI_USAGE', `Cannot read ${path}: ${(e as Error).message}`);
  }
  // A UTF-8 byte-order mark (Windows editors write one) is not text: left in, it would glue onto
  // the first word of line 1 and count as an error there.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop(); // the newline that ends the last line
  return lines;
}

const percent = (x: number): string => `${(100 * x).toFixed(2)} %`;

/**
 * The `distil-whisper-wer` command: corpus WER (or CER) of two line-aligned transcript files with
 * the S/D/I breakdown, as text or JSON. Returns the exit code (0 ok, 1 bad input, 2 usage error)
 * instead of exiting, so it can be embedded in another CLI.
 *
 * @example
 * ```ts
 * const code = runWerCli(['--ref', 'refs.txt', '--hyp', 'hyps.txt', '--json']);
 * ```
 */
export function runWerCli(argv: readonly string[], io: Partial<CliIo> = {}): number {
  const out: CliIo = {
    stdout: io.stdout ?? ((t) => process.stdout.write(t)),
    stderr: io.stderr ?? ((t) => process.stderr.write(t)),
    readFile: io.readFile ?? ((p) => readFileSync(p, 'utf8')),
  };
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ref: { type: 'string' },
        hyp: { type: 'string' },
        normalize: { type: 'string', default: 'english' },
        'spelling-map': { type: 'string' },
        unit: { type: 'string', default: 'word' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    out.stderr(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out.stdout(USAGE);
    return 0;
  }
  const usageError = (message: string): number => {
    out.stderr(`${message}\n\n${USAGE}`);
    return 2;
  };
  if (!values.ref || !values.hyp) return usageError('Both --ref and --hyp are required.');
  const normalize = values.normalize;
  if (normalize !== 'english' && normalize !== 'basic' && normalize !== 'none') {
    return usageError(
      `Expected english, basic or none for --normalize but received "${normalize}".`,
    );
  }
  const unit = values.unit;
  if (unit !== 'word' && unit !== 'character') {
    return usageError(`Expected word or character for --unit but received "${unit}".`);
  }

  try {
    const spellingMap = values['spelling-map']
      ? loadSpellingMapSync(values['spelling-map'])
      : undefined;
    const normalizer = createNormalizer(normalize as NormalizerName, {
      spellingMap,
      onWarning: (message) => out.stderr(`warning: ${message}\n`),
    });
    const references = readLines(out, values.ref);
    const hypotheses = readLines(out, values.hyp);
    if (references.length !== hypotheses.length) {
      throw new MetricsError(
        'LENGTH_MISMATCH',
        `${values.ref} has ${references.length} lines but ${values.hyp} has ${hypotheses.length}; line k of each must be the same utterance.`,
      );
    }
    const m = measureCorpus(references, hypotheses, { normalizer, unit: unit as TokenUnit });
    const name = unit === 'word' ? 'WER' : 'CER';
    if (values.json) {
      out.stdout(
        `${JSON.stringify({ metric: name.toLowerCase(), normalize, spellingMap: spellingMap !== undefined, ...m }, null, 2)}\n`,
      );
    } else {
      const tokens = unit === 'word' ? 'words' : 'characters';
      out.stdout(
        `${name}: ${percent(m.errorRate)} over ${m.utterances} utterances, ${m.referenceLength} reference ${tokens}\n` +
          `  substitutions ${m.substitutions} (${percent(m.substitutionRate)})\n` +
          `  deletions     ${m.deletions} (${percent(m.deletionRate)})\n` +
          `  insertions    ${m.insertions} (${percent(m.insertionRate)})\n` +
          `  hits          ${m.hits}\n` +
          `  MER ${percent(m.mer)}  WIL ${percent(m.wil)}  WIP ${percent(m.wip)}\n` +
          `  normalizer: ${normalize}${normalize === 'english' ? (spellingMap ? ' (with spelling map)' : ' (no spelling map)') : ''}\n`,
      );
    }
    return 0;
  } catch (e) {
    if (e instanceof MetricsError) {
      out.stderr(`error (${e.code}): ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
