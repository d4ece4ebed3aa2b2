/**
 * Stable codes of {@link DistillError}. Match on these, never on messages. Each module of the
 * package adds the codes it throws here (one line each, with what the caller should do).
 *
 * - `INVALID_ARGUMENT`: an option or argument has the wrong type or is out of range; the message
 *   names it and the accepted values.
 * - `MANIFEST_UNREADABLE`: the training manifest file cannot be read (missing, a directory, no
 *   permission, not UTF-8 text); fix the path or the file.
 * - `MANIFEST_EMPTY`: the manifest holds no usable example once bad lines are skipped; the error's
 *   `problems` name the first skipped lines and why.
 * - `NO_USABLE_EXAMPLES`: every example was dropped by the target-length filters.
 * - `CACHE_IO`: the encoder-state cache directory cannot be created or written (a read problem is
 *   never an error: the entry is recomputed).
 * - `TEACHER_UNSUPPORTED`: the teacher cannot seed a student or label audio (a decoder-only
 *   WhisperForCausalLM checkpoint has no encoder); pass the WhisperForConditionalGeneration
 *   checkpoint.
 * - `LAYERS_INVALID`: a student layer count or layer-id list is impossible for the teacher (more
 *   layers than it has, ids out of range, repeated, or not one per layer); `problems` lists each.
 * - `NO_LABEL_TOKENS`: a batch has no scored label token (every label is −100); the collator
 *   should never produce one — check the manifest's texts.
 * - `NON_FINITE_LOSS`: the loss became NaN or infinite; training stops before the update, the
 *   last checkpoint is intact. Lower the learning rate, or look for corrupt inputs.
 * - `OUTPUT_EXISTS`: the training output directory is not empty; pass `resume` (`--resume`) to
 *   continue its run or `force` (`--force`) to start over in it.
 * - `CHECKPOINT_INVALID`: a checkpoint to resume from is incomplete or belongs to another student.
 * - `RESUME_MISMATCH`: resuming with options that change the data or the optimisation (batch
 *   size, seed, manifest, ...); use the original options or start a new run.
 * - `INCOMPATIBLE_MODELS`: teacher and student cannot be distilled together (different
 *   vocabularies or widths); the message names both values.
 * - `ABORTED`: the run was cancelled through its AbortSignal; checkpoints already written stay.
 * - `LABELS_MISMATCH`: a pseudo-label output exists but another job wrote it (teacher, manifest,
 *   shard or an option differs, or its `<out>.meta.json` is missing); rerun with that job's
 *   options, choose another output, or pass `force` (`--force`) to start it over.
 * - `LABELS_CORRUPT`: a complete line of a pseudo-label output is not a record (a torn last
 *   line is repaired silently); fix or delete that line, or pass `force` to start over.
 * - `TEACHER_MISMATCH`: assembling a shipped student: the teacher directory is not the one it was
 *   distilled from (tensors missing or with other bytes); `problems` names each — fetch the right
 *   teacher.
 * - `STUDENT_DELTA_INVALID`: a student delta directory is unreadable or inconsistent.
 */
export type DistillErrorCode =
  | 'INVALID_ARGUMENT'
  | 'MANIFEST_UNREADABLE'
  | 'MANIFEST_EMPTY'
  | 'NO_USABLE_EXAMPLES'
  | 'CACHE_IO'
  | 'TEACHER_UNSUPPORTED'
  | 'LAYERS_INVALID'
  | 'NO_LABEL_TOKENS'
  | 'NON_FINITE_LOSS'
  | 'OUTPUT_EXISTS'
  | 'CHECKPOINT_INVALID'
  | 'RESUME_MISMATCH'
  | 'INCOMPATIBLE_MODELS'
  | 'ABORTED'
  | 'TEACHER_MISMATCH'
  | 'STUDENT_DELTA_INVALID'
  | 'LABELS_MISMATCH'
  | 'LABELS_CORRUPT';

/**
 * The error class of `@distil-whisper/distill`: a stable {@link DistillErrorCode}, an actionable
 * message, every individual finding in `problems`, the file concerned in `path` and the underlying
 * error in `cause` when there is one.
 *
 * @example
 * ```ts
 * try {
 *   await readTrainingManifest('train.jsonl', { tokenizer });
 * } catch (err) {
 *   if (err instanceof DistillError && err.code === 'MANIFEST_EMPTY') console.error(err.problems);
 *   else throw err;
 * }
 * ```
 */
export class DistillError extends Error {
  override readonly name = 'DistillError';
  /** Stable machine-readable reason; see {@link DistillErrorCode}. */
  readonly code: DistillErrorCode;
  /** Every individual problem found (at least the message itself). */
  readonly problems: readonly string[];
  /** File or directory the error is about, when there is one. */
  readonly path: string | undefined;

  constructor(
    code: DistillErrorCode,
    message: string,
    options: { problems?: readonly string[]; path?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.problems = options.problems && options.problems.length > 0 ? options.problems : [message];
    this.path = options.path;
  }
}
