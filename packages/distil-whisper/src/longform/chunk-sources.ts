// The chunks of transformers' ASR pipeline, produced one at a time from a forward read of the
// recording: each chunk's features are computed on its own, padded to the model window.
import type { WhisperFeatureExtractor } from '@distil-whisper/audio';
import {
  chunkSpans,
  melArraySource,
  type ChunkPlan,
  type MelWindowSource,
} from '@distil-whisper/model';
import { SampleReader } from './sample-reader';
import type { Recording } from './recording';

/** One chunk ready for the long-form loop, with its place for the merge. */
export interface ChunkSource {
  source: MelWindowSource;
  /** transformers' stride in seconds: (chunk length, left overlap, right overlap). */
  stride: [number, number, number];
  /** Seconds of the recording done once this chunk is (its end, less the right overlap). */
  doneSeconds: number;
  isLast: boolean;
}

/**
 * Yields the chunks of a recording of `samples` samples (transformers' `chunk_iter`): each is
 * read forward from one decoding pass and turned into features like the pipeline's feature
 * extractor call on the chunk alone (zero-padded to the window, its own dynamic-range floor).
 */
export async function* chunkSources(
  recording: Recording,
  samples: number,
  plan: ChunkPlan,
  features: WhisperFeatureExtractor,
  signal?: AbortSignal,
): AsyncGenerator<ChunkSource> {
  const rate = features.config.samplingRate;
  const { featureSize, nbMaxFrames } = features.config;
  const reader = new SampleReader(recording.open(signal));
  try {
    for (const span of chunkSpans(plan, samples)) {
      const got = await reader.read(span.start, span.end);
      const feats = features.extract(got.data.slice(0, span.end - span.start));
      const [length, left, right] = span.stride;
      yield {
        source: melArraySource(feats.data, featureSize, nbMaxFrames),
        stride: [length / rate, left / rate, right / rate],
        doneSeconds: (span.end - right) / rate,
        isLast: span.isLast,
      };
    }
  } finally {
    await reader.close();
  }
}
