// Evaluation during training (WAVE2 A8): the student's greedy transcripts of an evaluation
// manifest, normalised with Whisper's English normaliser (or the basic one for other
// languages), scored by corpus WER against the manifest's texts.
import type { WhisperFeatureExtractor } from '@distil-whisper/audio';
import { corpusWer, createNormalizer, loadSpellingMapSync } from '@distil-whisper/metrics';
import {
  EncoderOutput,
  generate,
  whisperGenerationModel,
  type WhisperModel,
} from '@distil-whisper/model';
import type { WhisperTokenizer } from '@distil-whisper/tokenizer';

import type { EncoderStateCache } from '../data/encoder-cache.js';

/** One evaluation clip. */
export interface EvalClip {
  id: string;
  /** 16 kHz mono PCM, shorter than 30 s. */
  audio: Float32Array;
  /** Ground-truth (or pseudo-label) text; special tokens are ignored by the normaliser. */
  reference: string;
}

/** Result of {@link evaluateGreedyWer}. */
export interface EvalResult {
  /** Corpus WER in percent (100 · edits / reference words). */
  wer: number;
  clips: number;
  /** Normalised hypotheses by clip id (for inspection). */
  hypotheses: Array<{ id: string; reference: string; hypothesis: string }>;
  seconds: number;
}

/** Options of {@link evaluateGreedyWer}. */
export interface EvalOptions {
  /** Language for the prefix and the normaliser choice (`'en'` or unset: English normaliser). */
  language?: string | null;
  /** Windows decoded together. Default 8. */
  batchSize?: number;
  /** Directory holding `normalizer.json` (the spelling map), if any. */
  spellingMapDir?: string;
  /** Most tokens per clip. Default 128. */
  maxNewTokens?: number;
}

/** Text normaliser of the WER filter and evaluation (WAVE2 A3). */
export function werNormalizer(
  language: string | null | undefined,
  spellingMapDir?: string,
): (text: string) => string {
  if (language && language !== 'en' && language !== 'english') return createNormalizer('basic');
  let spellingMap;
  try {
    spellingMap = spellingMapDir ? loadSpellingMapSync(spellingMapDir) : undefined;
  } catch {
    spellingMap = undefined;
  }
  return createNormalizer('english', {
    ...(spellingMap ? { spellingMap } : {}),
    onWarning: () => {},
  });
}

/**
 * Greedy-decodes every clip with `model` and returns the corpus WER.
 *
 * @example
 * ```ts
 * const r = await evaluateGreedyWer(model, tokenizer, extractor, cache, clips, { language: 'en' });
 * console.log(r.wer.toFixed(2));
 * ```
 */
export async function evaluateGreedyWer(
  model: WhisperModel,
  tokenizer: WhisperTokenizer,
  extractor: WhisperFeatureExtractor,
  cache: EncoderStateCache,
  clips: readonly EvalClip[],
  options: EvalOptions = {},
): Promise<EvalResult> {
  const started = performance.now();
  const normalize = werNormalizer(options.language, options.spellingMapDir);
  const batchSize = options.batchSize ?? 8;
  const hypotheses: EvalResult['hypotheses'] = [];
  for (let i = 0; i < clips.length; i += batchSize) {
    const part = clips.slice(i, i + batchSize);
    const states = await cache.encodeAudio(
      part.map((c) => c.audio),
      extractor,
      model,
    );
    const enc = new EncoderOutput(states);
    try {
      const results = await generate(whisperGenerationModel(model, enc), model.generationConfig, {
        ...(options.language ? { language: options.language } : {}),
        ...(model.generationConfig.isMultilingual ? { task: 'transcribe' as const } : {}),
        returnTimestamps: false,
        maxNewTokens: options.maxNewTokens ?? 128,
      });
      results.forEach((r, k) => {
        const clip = part[k]!;
        hypotheses.push({
          id: clip.id,
          reference: normalize(clip.reference),
          hypothesis: normalize(tokenizer.decode(r.tokens, { skipSpecialTokens: true })),
        });
      });
    } finally {
      enc.dispose();
    }
  }
  const wer =
    100 *
    corpusWer(
      hypotheses.map((h) => h.reference),
      hypotheses.map((h) => h.hypothesis),
    );
  return {
    wer,
    clips: clips.length,
    hypotheses,
    seconds: (performance.now() - started) / 1000,
  };
}
