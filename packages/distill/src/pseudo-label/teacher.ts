// The teacher side of pseudo-labelling: load a checkpoint with its tokenizer and feature
// extractor, and label a batch of windows with greedy decoding, as run_pseudo_labelling.py calls
// `generate` (WAVE2 A2): `max_length` = max_label_length, one beam, language/task only for
// multilingual teachers, `forced_decoder_ids` cleared, no temperature fallback.
//
// `max_length` counts the whole decoder sequence, forced prefix included, as generate() counted
// it when the reference was written (the prefix was forced inside the sequence): a label holds
// at most max_label_length tokens before the one `<|endoftext|>` appended to a cut-off label.
// Current transformers extends max_length by the prefix length − 1 for Whisper; that would allow
// 3 more tokens (multilingual), which no 30-s window needs.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { WhisperFeatureExtractor } from '@distil-whisper/audio';
import { setNumThreads } from '@distil-whisper/kernels';
import {
  generate,
  whisperGenerationModel,
  WhisperModel,
  type WhisperGenerationConfig,
} from '@distil-whisper/model';
import { WhisperTokenizer, type WhisperTask } from '@distil-whisper/tokenizer';

import { DistillError } from '../errors.js';
import { labelIds } from './label-ids.js';

/** A loaded teacher. */
export interface LabellingTeacher {
  readonly model: WhisperModel;
  readonly tokenizer: WhisperTokenizer;
  readonly extractor: WhisperFeatureExtractor;
  /** Whether language and task tokens are passed (the generation config's `is_multilingual`). */
  readonly multilingual: boolean;
}

/** Options of {@link loadTeacher}. */
export interface LoadTeacherOptions {
  readonly threads?: number;
  readonly device?: 'cpu' | 'cuda';
  readonly activationDtype?: 'f32' | 'f16';
}

/** Loads model, tokenizer and feature extractor from a Hugging Face checkpoint directory. */
export async function loadTeacher(
  dir: string,
  options: LoadTeacherOptions = {},
): Promise<LabellingTeacher> {
  if (options.threads !== undefined) setNumThreads(options.threads);
  const model = WhisperModel.load(dir, {
    ...(options.device ? { device: options.device } : {}),
    ...(options.activationDtype ? { activationDtype: options.activationDtype } : {}),
  });
  try {
    if (model.kind === 'decoder-only')
      throw new DistillError(
        'TEACHER_UNSUPPORTED',
        `${dir} is a decoder-only (WhisperForCausalLM) checkpoint without an encoder; label with the full WhisperForConditionalGeneration teacher`,
        { path: dir },
      );
    const tokenizer = await WhisperTokenizer.fromPretrained(dir);
    tokenizer.checkModel({ vocabSize: model.vocabSize, ...model.generationConfig });
    const extractor = existsSync(join(dir, 'preprocessor_config.json'))
      ? await WhisperFeatureExtractor.fromPretrained(dir)
      : WhisperFeatureExtractor.fromConfig({ feature_size: model.config.numMelBins });
    const multilingual = model.generationConfig.isMultilingual ?? tokenizer.isMultilingual;
    return { model, tokenizer, extractor, multilingual };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * Tokens of the forced prefix: `<|startoftranscript|>`, language and task on multilingual
 * teachers, `<|notimestamps|>` without timestamps.
 */
export function labelPrefixLength(teacher: LabellingTeacher, timestamps: boolean): number {
  return (teacher.multilingual ? 3 : 1) + (timestamps ? 0 : 1);
}

/** What a batch is labelled with. */
export interface LabelBatchOptions {
  /** Language of multilingual teachers; null: detected per window. */
  readonly language: string | null;
  readonly task: WhisperTask;
  readonly timestamps: boolean;
  /** Longest decoder sequence, forced prefix included (the reference's `max_length`). */
  readonly maxLabelLength: number;
  readonly signal?: AbortSignal;
}

/**
 * Labels windows (16 kHz PCM, each at most one window long) in one encoder call and one batched
 * greedy search. Returns per window the label ids: forced prefix + generated tokens + one
 * `<|endoftext|>` ({@link labelIds}).
 */
export async function labelWindows(
  teacher: LabellingTeacher,
  windows: readonly Float32Array[],
  options: LabelBatchOptions,
): Promise<number[][]> {
  const { model, tokenizer, extractor } = teacher;
  const features = extractor.extract(windows);
  // The reference sets forced_decoder_ids to None so that only language/task decide the prefix.
  const gen: WhisperGenerationConfig = { ...model.generationConfig, forcedDecoderIds: null };
  const prefixLength = labelPrefixLength(teacher, options.timestamps);
  const maxNewTokens = options.maxLabelLength - prefixLength;
  if (maxNewTokens < 1)
    throw new DistillError(
      'INVALID_ARGUMENT',
      `maxLabelLength ${options.maxLabelLength} leaves no room after the ${prefixLength}-token prefix; use at least ${prefixLength + 1}`,
    );
  const enc = model.encode(features.data, windows.length);
  try {
    const results = await generate(whisperGenerationModel(model, enc), gen, {
      ...(teacher.multilingual
        ? {
            ...(options.language !== null ? { language: options.language } : {}),
            task: options.task,
          }
        : {}),
      returnTimestamps: options.timestamps,
      maxNewTokens,
      numBeams: 1,
      temperature: 0,
      compressionRatioThreshold: null,
      logprobThreshold: null,
      noSpeechThreshold: null,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return results.map((r) => labelIds(r.prefix, r.tokens, tokenizer.special.eot));
  } finally {
    enc.dispose();
  }
}
