// generate() end to end on one ≤ 30 s clip: load a checkpoint, compute log-mel features, encode,
// generate (language, task, timestamps, beams, temperature fallback), decode the tokens.
//
//   node --conditions=@distil-whisper/source --import tsx packages/model/examples/generate.ts \
//     <checkpoint dir> <audio file>
//
// The checkpoint is any Hugging Face Whisper directory with tokenizer.json (e.g. the one
// `bash tools/real-weights/fetch.sh base` prints).
import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { generate, whisperGenerationModel, WhisperModel } from '@distil-whisper/model';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';

const [dir, audioPath] = process.argv.slice(2);
if (!dir || !audioPath) throw new Error('usage: generate.ts <checkpoint dir> <audio file>');

const model = WhisperModel.load(dir);
const tokenizer = await WhisperTokenizer.fromPretrained(dir);
const extractor = await WhisperFeatureExtractor.fromPretrained(dir);

// 16 kHz mono, padded (or cut) to one 30 s window of log-mel frames: [1, numMelBins, 3000].
const samples = await loadAudio(audioPath, { sampleRate: 16000 });
const features = extractor.extract(samples);
const realFrames = features.attentionMask.reduce((n, m) => n + m, 0);

const encoded = model.encode(features.data, 1);
try {
  const multilingual = Object.keys(model.generationConfig.langToId).length > 0;
  const [result] = await generate(whisperGenerationModel(model, encoded), model.generationConfig, {
    // English-only checkpoints take neither language nor task; multilingual ones detect the
    // language when none is given.
    ...(multilingual ? { language: 'en', task: 'transcribe' as const } : {}),
    returnTimestamps: true,
    numBeams: 3, // beam search at temperature 0 ...
    temperature: [0, 0.2, 0.4, 0.6, 0.8, 1], // ... then sampling if the result looks wrong
    // Thresholds as in transformers' Whisper examples (its compression ratio is over token ids,
    // hence 1.35 where openai/whisper's text-based ratio uses 2.4).
    compressionRatioThreshold: 1.35,
    logprobThreshold: -1,
    noSpeechThreshold: 0.6,
    windowFrames: realFrames, // where the audio ends, for a final segment without timestamp
  });
  if (!result) throw new Error('no result');
  console.log(`language: ${result.language ?? '(English-only model)'}`);
  console.log(`text: ${tokenizer.decode(result.tokens, { skipSpecialTokens: true }).trim()}`);
  for (const s of result.segments)
    console.log(
      `[${s.start.toFixed(2)} → ${s.end.toFixed(2)}] ${tokenizer.decode(s.tokens, { skipSpecialTokens: true }).trim()}`,
    );
  console.log(
    `temperature ${result.temperature}, avg logprob ${result.avgLogprob.toFixed(3)}, ` +
      `compression ${result.compressionRatio.toFixed(2)}, p(no speech) ${result.noSpeechProb.toFixed(3)}`,
  );
} finally {
  encoded.dispose();
  model.dispose();
}
