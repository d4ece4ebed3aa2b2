// Which teacher layer initialises each student layer. Mirrors distil-whisper's
// training/create_student_model.py: `np.linspace(0, L-1, N, dtype=int)` with the last entry forced
// to L-1, or a list of layer numbers given by the user.
import { DistillError } from '../errors.js';

/**
 * The maximally spaced teacher layers for a student of `studentLayers` layers:
 * `floor(linspace(0, teacherLayers − 1, studentLayers))`, the last forced to `teacherLayers − 1`
 * (so the first and last teacher layers are always kept). Entries are strictly increasing.
 *
 * Worked values: 32→2 `[0, 31]`; 4→2 `[0, 3]`; 6→2 `[0, 5]`; 12→4 `[0, 3, 7, 11]`;
 * 32→4 `[0, 10, 20, 31]`; N→N is the identity; N→1 is `[N − 1]`.
 *
 * @param teacherLayers layers of the teacher stack (≥ 1)
 * @param studentLayers layers of the student stack, 1 ≤ `studentLayers` ≤ `teacherLayers`
 * @returns `map` with `map[i]` = the teacher layer copied into student layer `i`
 * @throws {@link DistillError} `LAYERS_INVALID` when the counts are not integers in range.
 * @example
 * ```ts
 * maxSpacedLayerMap(32, 2); // [0, 31]
 * maxSpacedLayerMap(12, 4); // [0, 3, 7, 11]
 * ```
 */
export function maxSpacedLayerMap(teacherLayers: number, studentLayers: number): number[] {
  const problems = countProblems(teacherLayers, studentLayers);
  if (problems.length > 0)
    throw new DistillError('LAYERS_INVALID', problems.join('; '), { problems });
  const last = teacherLayers - 1;
  // numpy computes linspace as i · step with step = (stop − start) / (num − 1), then overwrites
  // the endpoint; dtype=int truncates toward zero. The same float64 operations here give the
  // same integers.
  const step = studentLayers > 1 ? last / (studentLayers - 1) : 0;
  const map = Array.from({ length: studentLayers }, (_, i) => Math.trunc(i * step));
  map[studentLayers - 1] = last;
  return map;
}

function countProblems(
  teacherLayers: number,
  studentLayers: number,
  stack?: 'encoder' | 'decoder',
): string[] {
  const what = stack === undefined ? 'layers' : `${stack} layers`;
  if (!Number.isInteger(teacherLayers) || teacherLayers < 1)
    return [`the teacher has ${teacherLayers} ${what}; it needs at least 1`];
  if (!Number.isInteger(studentLayers) || studentLayers < 1)
    return [`the student's ${what} must be a positive integer, got ${studentLayers}`];
  if (studentLayers > teacherLayers)
    return [
      `the student cannot have more ${what} (${studentLayers}) than the teacher (${teacherLayers})`,
    ];
  return [];
}

/** How one stack (encoder or decoder) of the student is initialised. */
export interface LayerMapRequest {
  /** Which stack, for messages. */
  stack: 'encoder' | 'decoder';
  /** Layers of the teacher's stack. */
  teacherLayers: number;
  /** Requested student layer count, if given. */
  layers?: number | undefined;
  /** Requested teacher layer ids, if given (one per student layer, in student order). */
  layerIds?: readonly number[] | undefined;
  /** Student layer count when neither `layers` nor `layerIds` is given. */
  defaultLayers: number;
}

/**
 * Resolves the layer map of one stack: explicit `layerIds` (validated: as many as `layers` when
 * both are given, integers in `[0, teacherLayers)`, no repeats) or else
 * {@link maxSpacedLayerMap} of `layers ?? defaultLayers`.
 *
 * Repeated ids are refused: distil-whisper's script keys its copy by teacher layer, so a repeat
 * would silently leave a student layer with the teacher layer of the same index instead.
 *
 * @throws {@link DistillError} `LAYERS_INVALID`, every problem listed in `problems`.
 * @example
 * ```ts
 * resolveLayerMap({ stack: 'decoder', teacherLayers: 32, layerIds: [0, 15, 31], defaultLayers: 2 }); // [0, 15, 31]
 * ```
 */
export function resolveLayerMap(request: LayerMapRequest): number[] {
  const { stack, teacherLayers, layers, layerIds } = request;
  if (layerIds === undefined) {
    const n = layers ?? request.defaultLayers;
    const problems = countProblems(teacherLayers, n, stack);
    if (problems.length > 0)
      throw new DistillError('LAYERS_INVALID', problems.join('; '), { problems });
    return maxSpacedLayerMap(teacherLayers, n);
  }
  const problems: string[] = [];
  if (!Array.isArray(layerIds) || layerIds.length === 0)
    problems.push(`${stack} layer ids must be a non-empty list of teacher layer numbers`);
  else {
    if (layers !== undefined && layers !== layerIds.length)
      problems.push(
        `got ${layerIds.length} ${stack} layer ids for ${layers} ${stack} layers; give one id per student layer`,
      );
    if (layerIds.length > teacherLayers)
      problems.push(
        `${layerIds.length} ${stack} layer ids exceed the teacher's ${teacherLayers} layers`,
      );
    const seen = new Set<number>();
    for (const id of layerIds) {
      if (!Number.isInteger(id) || id < 0 || id >= teacherLayers)
        problems.push(
          `${stack} layer id ${id} is not a teacher layer (valid: 0 to ${teacherLayers - 1})`,
        );
      else if (seen.has(id)) problems.push(`${stack} layer id ${id} is given twice`);
      seen.add(id);
    }
  }
  if (problems.length > 0)
    throw new DistillError('LAYERS_INVALID', `invalid ${stack} layer ids: ${problems.join('; ')}`, {
      problems,
    });
  return [...layerIds];
}
