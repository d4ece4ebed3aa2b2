/**
 * @distil-whisper/distill — Distil-Whisper distillation on the project's own kernels: student
 * creation from a teacher, the KL + pseudo-label CE objective, training-data collation with an
 * on-disk cache of frozen encoder states, the AdamW trainer with resumable checkpoints,
 * pseudo-labelling and the WER filter. Semantics follow distil-whisper's training scripts
 * (see ../../../shared/spec/WAVE2.md part A).
 * @packageDocumentation
 */
// --- exports (one block per module; keep each helper's lines together) ---

// Errors shared by every module of the package.
export { DistillError } from './errors.js';
export type { DistillErrorCode } from './errors.js';

// Training data (src/data): manifest → targets (A4) → shuffled batches → collated labels (A5),
// and the on-disk cache of frozen encoder states.
export { readTrainingManifest } from './data/manifest.js';
export type {
  ManifestExample,
  ManifestProblem,
  ManifestProblemCode,
  LabelTextKind,
  ReadManifestOptions,
  TrainingManifest,
} from './data/manifest.js';
export { encodeLabelText } from './data/label-text.js';
export { buildLabels, drawTargets, targetLayout } from './data/targets.js';
export type {
  BuildLabelsOptions,
  TargetDraws,
  TargetLayout,
  TargetLayoutOptions,
  TargetProbabilities,
  TargetSpecialIds,
} from './data/targets.js';
export { prepareTrainingExamples } from './data/examples.js';
export type {
  DroppedExample,
  DroppedExampleCode,
  PrepareExamplesOptions,
  PreparedExamples,
  TrainingExample,
} from './data/examples.js';
export { collateLabels, IGNORE_INDEX } from './data/collate.js';
export type { CollateIds, CollatedLabels } from './data/collate.js';
export { TrainingBatches } from './data/batches.js';
export type {
  AudioLoader,
  AudioProblem,
  AudioProblemCode,
  BatchPosition,
  TrainingBatch,
  TrainingBatchesOptions,
} from './data/batches.js';
export { EncoderStateCache, encoderWeightsHash, ENCODER_CACHE_ENV } from './data/encoder-cache.js';
export type {
  EncodeWindows,
  EncoderCacheClip,
  EncoderCacheStats,
  EncoderStateCacheOptions,
  GetOrComputeOptions,
} from './data/encoder-cache.js';
export { SeededRandom, randomPermutation } from './data/prng.js';

// Student creation (create_student_model.py): layer maps, config rules, byte-exact tensor copy.
export { createStudent, STUDENT_SIDE_FILES } from './student/create-student.js';
export type { CreateStudentOptions, CreateStudentResult } from './student/create-student.js';
export { maxSpacedLayerMap, resolveLayerMap } from './student/layer-map.js';
export type { LayerMapRequest } from './student/layer-map.js';
export { studentConfigJson, studentGenerationConfigJson } from './student/student-config.js';
export { parameterCounts } from './student/tensor-plan.js';
export type { ParameterCounts } from './student/tensor-plan.js';

// The objective (WAVE2 A6), usable alone on logits.
export { distillationLoss, distillationLossFromArrays } from './losses.js';
export type {
  DistillationLossOptions,
  DistillationLossResult,
  DistillationLossValues,
} from './losses.js';

// The trainer: one step, the schedule, checkpoints, evaluation and the whole run.
export { learningRateAt } from './train/schedule.js';
export type { LrSchedule, LrSchedulerKind } from './train/schedule.js';
export { trainingStep, accumulateMicroBatch } from './train/step.js';
export type { MicroBatch, StepOptions, StepResult } from './train/step.js';
export {
  saveTrainingCheckpoint,
  listCheckpoints,
  readTrainerState,
  loadOptimizerMoments,
  checkpointName,
  OPTIMIZER_FILE,
  TRAINER_STATE_FILE,
} from './train/checkpoints.js';
export type { TrainerState } from './train/checkpoints.js';
export { evaluateGreedyWer, werNormalizer } from './train/evaluate.js';
export type { EvalClip, EvalOptions, EvalResult } from './train/evaluate.js';
export { distill } from './train/distill.js';
export type { DistillOptions, DistillProgress, DistillSummary, StepLog } from './train/distill.js';

// Pseudo-labelling (run_pseudo_labelling.py, WAVE2 A2): the teacher's labels appended to a
// resumable, shardable training manifest, with optional same-speaker packing.
export { pseudoLabel } from './pseudo-label/pseudo-label.js';
export type { PseudoLabelOptions } from './pseudo-label/options.js';
export type {
  PseudoLabelProblem,
  PseudoLabelProblemCode,
  PseudoLabelProgress,
  PseudoLabelSummary,
} from './pseudo-label/summary.js';
export type { InputProblemCode } from './pseudo-label/input-manifest.js';
export type { LabelRecord } from './pseudo-label/output-file.js';
export { parseShard, shardLineRange } from './pseudo-label/shard.js';
export type { Shard } from './pseudo-label/shard.js';
export { labelIds, previousTextPrompt, timestampPosition } from './pseudo-label/label-ids.js';
export { metaPath as pseudoLabelMetaPath } from './pseudo-label/run-meta.js';
export type { LabelsMeta } from './pseudo-label/run-meta.js';

// The WER filter (WAVE2 A3): keep a pseudo-label iff its WER against the ground truth is below λ.
export {
  filterByWer,
  isAllUpperCase,
  labelWithoutSpecialTokens,
  werFilterNormalizer,
  werGroupStats,
  werThresholdSweep,
  WER_SWEEP_THRESHOLDS,
} from './filter/wer-filter.js';
export type {
  FilterByWerOptions,
  WerDropReason,
  WerFilterExample,
  WerFilterNormalizer,
  WerFilterResult,
  WerGroupStats,
  WerSweepRow,
  WerVerdict,
} from './filter/wer-filter.js';
export { filterManifest, formatWerFilterTable, formatWerSweep } from './filter/filter-manifest.js';
export type {
  FilterLineProblem,
  FilterManifestExample,
  FilterManifestOptions,
  FilterManifestSummary,
} from './filter/filter-manifest.js';

// Shipped students: the difference from the teacher, rebuilt against a fetched teacher.
export {
  exportStudentDelta,
  assembleStudent,
  readStudentDelta,
  shippedStudentDir,
  SHIPPED_STUDENTS,
  STUDENT_DELTA_FILES,
} from './student/student-delta.js';
export type {
  AssembleStudentOptions,
  ExportStudentDeltaOptions,
  ShippedStudentName,
  StudentDeltaMeta,
  StudentTensorRecord,
} from './student/student-delta.js';
