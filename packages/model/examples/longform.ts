// transcribeLong() end to end on a recording longer than 30 s: transformers' sequential
// long-form algorithm (generate() on more than 3000 frames) with the Distil-Whisper fallback
// recipe, then the chunked pipeline (overlapping chunks, batched, merged) on the same audio.
//
//   node --conditions=@distil-whisper/source --import tsx packages/model/examples/longform.ts \
//     <checkpoint dir> <audio file>
//
// This holds the whole spectrogram in memory (fine for minutes); the `distil-whisper` pipeline
// streams it instead, for any length.
import { loadAudio, logMelSpectrogram, WhisperFeatureExtractor } from '@distil-whisper/audio';
import {
  ChunkMerger,
  chunkSpans,
  melArraySource,
  planChunks,
  transcribeLong,
  whisperWindowEncoder,
  WhisperModel,
} from '@distil-whisper/model';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';

const [dir, audioPath] = process.argv.slice(2);
if (!dir || !audioPath) throw new Error('usage: longform.ts <checkpoint dir> <audio file>');

const model = WhisperModel.load(dir);
const tokenizer = await WhisperTokenizer.fromPretrained(dir);
const extractor = await WhisperFeatureExtractor.fromPretrained(dir);
const samples = await loadAudio(audioPath, { sampleRate: 16000 });
const encoder = whisperWindowEncoder(model);
const gen = model.generationConfig;
const english = Object.keys(gen.langToId).length > 0 ? { language: 'en' } : {};

try {
  // Sequential: the whole recording's log-mel (no padding, one dynamic-range floor).
  const mel = logMelSpectrogram(samples, { nMels: model.config.numMelBins });
  const [result] = await transcribeLong(
    encoder,
    gen,
    [melArraySource(mel.data, mel.nMels, mel.nFrames)],
    {
      ...english,
      temperature: [0, 0.2, 0.4, 0.6, 0.8, 1],
      compressionRatioThreshold: 1.35,
      logprobThreshold: -1,
      noSpeechThreshold: 0.6,
      onProgress: (p) => console.error(`sequential: ${p.frames}/${p.totalFrames} frames`),
    },
  );
  for (const s of result!.segments)
    console.log(
      `[${s.start.toFixed(2)} → ${s.end.toFixed(2)}]${tokenizer.decode(s.tokens, { skipSpecialTokens: true })}`,
    );

  // Chunked: 30 s chunks every 20 s, four to a batch, merged at the overlaps.
  const plan = planChunks({ chunkLengthSeconds: 30 });
  const spans = [...chunkSpans(plan, samples.length)];
  const chunks = await transcribeLong(
    encoder,
    gen,
    spans.map((s) =>
      melArraySource(
        extractor.extract(samples.subarray(s.start, s.end)).data,
        extractor.config.featureSize,
        extractor.config.nbMaxFrames,
      ),
    ),
    { ...english, batchSize: 4 },
  );
  const merger = new ChunkMerger({
    timestampBegin: (gen.noTimestampsTokenId ?? 0) + 1,
    eot: tokenizer.special.eot,
    languages: new Map(),
    returnTimestamps: true,
  });
  const merged = chunks.flatMap((c, i) => {
    const [len, left, right] = spans[i]!.stride;
    return merger.push({ tokens: c.tokens, stride: [len / 16000, left / 16000, right / 16000] });
  });
  merged.push(...merger.finish());
  for (const s of merged)
    console.log(`chunked [${s.start} → ${s.end}]${tokenizer.decode(s.tokens)}`);
} finally {
  model.dispose();
}
