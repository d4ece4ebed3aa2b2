// `distil-whisper assemble-student` and `export-student`: shipped students are stored as their
// difference from the teacher (student.json + student.safetensors); assembling checks the fetched
// teacher's tensors by hash and writes the complete Hugging Face directory.
import { existsSync } from 'node:fs';
import { type Command } from 'commander';
import {
  assembleStudent,
  exportStudentDelta,
  SHIPPED_STUDENTS,
  shippedStudentDir,
  type ShippedStudentName,
} from '@distil-whisper/distill';

/** A shipped student's name, or a delta directory. */
function deltaDir(nameOrDir: string): string {
  if ((SHIPPED_STUDENTS as readonly string[]).includes(nameOrDir))
    return shippedStudentDir(nameOrDir as ShippedStudentName);
  return nameOrDir;
}

/**
 * Adds `assemble-student --teacher DIR --out DIR [--student NAME|DIR] [--force]` and
 * `export-student --student DIR --teacher DIR --out DIR [--dtype f16|f32|bf16] [--force]`.
 *
 * @example
 * ```sh
 * distil-whisper assemble-student --teacher ~/.cache/distil-whisper/real-weights/hf/base --out ./distil-base-2l
 * ```
 */
export function registerStudentCommands(program: Command): void {
  program
    .command('assemble-student')
    .description(
      "write a complete student checkpoint from a shipped student delta and its teacher (the teacher's tensors are checked by hash)",
    )
    .requiredOption('--teacher <dir>', 'the teacher checkpoint the student was distilled from')
    .requiredOption('--out <dir>', 'output checkpoint directory')
    .option(
      '--student <name|dir>',
      `shipped student (${SHIPPED_STUDENTS.join(', ')}) or a delta directory`,
      'whisper-base-2l',
    )
    .option('--force', 'replace a non-empty output directory')
    .action((o: Record<string, unknown>) => {
      const r = assembleStudent({
        teacherDir: o.teacher as string,
        deltaDir: deltaDir(o.student as string),
        outDir: o.out as string,
        force: o.force === true,
      });
      process.stdout.write(
        `wrote ${r.outDir}: ${r.deltaTensors} trained tensors + ${r.teacherTensors} from the teacher (hashes checked)\n`,
      );
    });

  program
    .command('export-student')
    .description('write a trained student as its difference from the teacher (for shipping)')
    .requiredOption(
      '--student <dir>',
      'trained student checkpoint (e.g. a distill output directory)',
    )
    .requiredOption('--teacher <dir>', 'its teacher checkpoint')
    .requiredOption('--out <dir>', 'delta directory to write')
    .option('--dtype <dtype>', 'stored dtype of the trained tensors (f16, f32, bf16)', 'f16')
    .option('--force', 'replace a non-empty output directory')
    .action((o: Record<string, unknown>) => {
      const dtype = o.dtype as string;
      if (dtype !== 'f16' && dtype !== 'f32' && dtype !== 'bf16')
        throw new Error(`--dtype must be f16, f32 or bf16, got ${dtype}`);
      const provenance = existsSync(`${o.student as string}/log.jsonl`)
        ? { run: o.student as string }
        : {};
      const { meta, deltaBytes } = exportStudentDelta({
        studentDir: o.student as string,
        teacherDir: o.teacher as string,
        outDir: o.out as string,
        dtype,
        provenance,
        force: o.force === true,
      });
      const stored = meta.tensors.filter((t) => t.source === 'delta').length;
      process.stdout.write(
        `wrote ${o.out as string}: ${stored} tensors stored (${(deltaBytes / 1e6).toFixed(1)} MB), ${meta.tensors.length - stored} referenced from the teacher\n`,
      );
    });
}
