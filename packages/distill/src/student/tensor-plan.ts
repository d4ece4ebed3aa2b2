// Which stored teacher tensor each student tensor is copied from. Mirrors create_student_model.py:
// load_state_dict(teacher, strict=False) copies every tensor whose name the student has (conv
// stem, positions, token embedding, layer norms, layers 0..N-1), then each student layer i is
// overwritten with teacher layer map[i]. Net effect, per student tensor: a layer tensor comes from
// the mapped teacher layer, anything else from the teacher tensor of the same name.
import {
  expectedTensors,
  PROJ_OUT,
  type CheckpointTensorEntry,
  type WhisperConfig,
} from '@distil-whisper/model';

/** One tensor of the student and the teacher tensor whose bytes it receives. */
export interface StudentTensorSource {
  /** Student tensor name (transformers naming). */
  name: string;
  /** The teacher's stored tensor copied into it, byte for byte. */
  source: CheckpointTensorEntry;
}

const LAYER = /^model\.(encoder|decoder)\.layers\.(\d+)\.(.+)$/;

/**
 * The name of the teacher tensor a student tensor is copied from.
 *
 * @param encoderMap student encoder layer → teacher encoder layer
 * @param decoderMap student decoder layer → teacher decoder layer
 */
export function teacherTensorName(
  studentName: string,
  encoderMap: readonly number[],
  decoderMap: readonly number[],
): string {
  const m = LAYER.exec(studentName);
  if (!m) return studentName;
  const map = m[1] === 'encoder' ? encoderMap : decoderMap;
  const teacherLayer = map[Number(m[2])];
  if (teacherLayer === undefined)
    throw new Error(`internal: no layer map entry for ${studentName}`);
  return `model.${m[1]}.layers.${teacherLayer}.${m[3]}`;
}

/**
 * Every tensor of the student (the names transformers expects for `studentConfig`, plus
 * `proj_out.weight` when the teacher stores one), sorted by name, each with its teacher source.
 * The teacher must already have been checked against its config, so every source exists with the
 * same shape; a mismatch here is a bug and throws.
 */
export function planStudentTensors(
  studentConfig: WhisperConfig,
  teacher: ReadonlyMap<string, CheckpointTensorEntry>,
  encoderMap: readonly number[],
  decoderMap: readonly number[],
): StudentTensorSource[] {
  const spec = expectedTensors(studentConfig, 'encoder-decoder');
  const projOut = teacher.get(PROJ_OUT);
  if (projOut) spec.set(PROJ_OUT, projOut.shape);
  const plan: StudentTensorSource[] = [];
  for (const [name, shape] of spec) {
    const source = teacher.get(teacherTensorName(name, encoderMap, decoderMap));
    if (
      !source ||
      source.shape.length !== shape.length ||
      source.shape.some((d, i) => d !== shape[i])
    )
      throw new Error(`internal: no teacher tensor of shape [${shape.join(', ')}] for ${name}`);
    plan.push({ name, source });
  }
  return plan.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Parameter counts of a checkpoint, in elements, by part. */
export interface ParameterCounts {
  /** Every stored tensor (a tied output projection is not stored, so counted once). */
  total: number;
  /** `model.encoder.*`: conv stem, positions, layers, final layer norm. */
  encoder: number;
  /** `model.decoder.*`: token and position embeddings, layers, final layer norm. */
  decoder: number;
  /** Of `decoder`, the token and position embeddings alone (shared with the teacher's). */
  decoderEmbeddings: number;
  /** A separately stored `proj_out.weight` (0 when tied to the token embedding). */
  projOut: number;
}

/**
 * Counts parameters by part from tensor shapes.
 *
 * @example
 * ```ts
 * parameterCounts([{ name: 'model.encoder.conv1.bias', shape: [512] }]).encoder; // 512
 * ```
 */
export function parameterCounts(
  tensors: Iterable<{ name: string; shape: readonly number[] }>,
): ParameterCounts {
  const counts: ParameterCounts = {
    total: 0,
    encoder: 0,
    decoder: 0,
    decoderEmbeddings: 0,
    projOut: 0,
  };
  for (const { name, shape } of tensors) {
    const n = shape.reduce((a, b) => a * b, 1);
    counts.total += n;
    if (name.startsWith('model.encoder.')) counts.encoder += n;
    else if (name.startsWith('model.decoder.')) {
      counts.decoder += n;
      if (/^model\.decoder\.embed_(tokens|positions)\./.test(name)) counts.decoderEmbeddings += n;
    } else if (name === PROJ_OUT) counts.projOut += n;
  }
  return counts;
}
