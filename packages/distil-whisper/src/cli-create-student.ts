// `distil-whisper create-student --teacher DIR --decoder-layers N --out DIR`: initialises a
// Distil-Whisper student from a teacher checkpoint (distil-whisper's create_student_model.py).
import { type Command, InvalidArgumentError } from 'commander';
import {
  createStudent,
  type CreateStudentResult,
  type ParameterCounts,
} from '@distil-whisper/distill';

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** `0,5` or `0 5` → [0, 5]; ranges and negative numbers are not accepted (0-based layer ids). */
function layerIds(v: string): number[] {
  const parts = v.split(/[\s,]+/).filter((p) => p.length > 0);
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p)))
    throw new InvalidArgumentError(
      'expected 0-based teacher layer numbers, comma-separated (e.g. 0,31)',
    );
  return parts.map(Number);
}

const millions = (n: number): string => `${(n / 1e6).toFixed(2)} M`;

function describeCounts(p: ParameterCounts): string {
  return (
    `${millions(p.total)} parameters (encoder ${millions(p.encoder)}, decoder ${millions(p.decoder)}` +
    `${p.projOut > 0 ? `, proj_out ${millions(p.projOut)}` : ''})`
  );
}

/** The short summary printed after a student is written. */
export function formatStudentSummary(r: CreateStudentResult, teacherDir: string): string {
  const { teacher, student } = r.parameters;
  const t = r.teacherConfig;
  const s = r.config;
  const map = (m: readonly number[]): string =>
    m.map((teacherLayer, i) => `${i}←${teacherLayer}`).join(' ');
  return [
    `teacher ${teacherDir}: ${t.encoderLayers} encoder + ${t.decoderLayers} decoder layers, ${describeCounts(teacher)}`,
    `student ${r.outDir}: ${s.encoderLayers} encoder + ${s.decoderLayers} decoder layers, ${describeCounts(student)}, ` +
      `${((100 * student.total) / teacher.total).toFixed(1)} % of the teacher`,
    `decoder layers (student←teacher): ${map(r.decoderLayerMap)}`,
    r.encoderMapped
      ? `encoder layers (student←teacher): ${map(r.encoderLayerMap)}`
      : `encoder: all ${t.encoderLayers} layers copied`,
    `wrote ${r.files.join(', ')} (${(r.weightBytes / 1e6).toFixed(1)} MB of weights)`,
  ].join('\n');
}

/**
 * Adds the `create-student` subcommand to a commander program.
 *
 * Options: `--teacher <dir>` (required), `--decoder-layers <n>` (default 2, or the number of
 * `--decoder-layer-ids`), `--encoder-layers <n>` (default: the teacher's, encoder copied whole),
 * `--decoder-layer-ids <list>` / `--encoder-layer-ids <list>` (0-based teacher layers, e.g. `0,5`),
 * `--out <dir>` (required), `--force` (replace a non-empty output directory).
 *
 * @example
 * ```ts
 * const program = new Command();
 * registerCreateStudentCommand(program);
 * await program.parseAsync(['node', 'cli', 'create-student', '--teacher', './whisper-base', '--decoder-layers', '2', '--out', './student']);
 * ```
 */
export function registerCreateStudentCommand(program: Command): void {
  program
    .command('create-student')
    .description(
      'initialise a Distil-Whisper student from a teacher checkpoint: full encoder, maximally spaced decoder layers',
    )
    .requiredOption('--teacher <dir>', 'teacher checkpoint directory (Hugging Face layout)')
    .option('--decoder-layers <n>', 'student decoder layers (default: 2)', positiveInt)
    .option(
      '--encoder-layers <n>',
      "student encoder layers (default: the teacher's, copied whole)",
      positiveInt,
    )
    .option(
      '--decoder-layer-ids <list>',
      'teacher decoder layers to copy, 0-based, e.g. 0,31',
      layerIds,
    )
    .option('--encoder-layer-ids <list>', 'teacher encoder layers to copy, 0-based', layerIds)
    .requiredOption('-o, --out <dir>', 'output student directory')
    .option('--force', 'replace the output directory when it exists and is not empty')
    .action((o: Record<string, unknown>) => {
      const r = createStudent({
        teacherDir: o.teacher as string,
        outDir: o.out as string,
        force: o.force === true,
        ...(o.decoderLayers !== undefined ? { decoderLayers: o.decoderLayers as number } : {}),
        ...(o.encoderLayers !== undefined ? { encoderLayers: o.encoderLayers as number } : {}),
        ...(o.decoderLayerIds !== undefined
          ? { decoderLayerIds: o.decoderLayerIds as number[] }
          : {}),
        ...(o.encoderLayerIds !== undefined
          ? { encoderLayerIds: o.encoderLayerIds as number[] }
          : {}),
      });
      process.stdout.write(`${formatStudentSummary(r, o.teacher as string)}\n`);
    });
}
