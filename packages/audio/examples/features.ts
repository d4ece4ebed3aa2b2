// Prints the Whisper features of an audio file.
// Run: node --conditions=@distil-whisper/source --import tsx packages/audio/examples/features.ts <file> [nMels]
import { WhisperFeatureExtractor, loadAudio, type AudioInfo } from '@distil-whisper/audio';

const file = process.argv[2];
if (!file) {
  console.error('usage: features.ts <audio file> [80|128]');
  process.exit(2);
}
let info: AudioInfo | undefined;
const t0 = performance.now();
const audio = await loadAudio(file, { onInfo: (i) => (info = i) });
const t1 = performance.now();
const fe = WhisperFeatureExtractor.fromConfig({ feature_size: Number(process.argv[3] ?? 80) });
const { data, shape } = fe.extract(audio);
const t2 = performance.now();
console.log(
  `${file}: ${info?.format}, ${info?.sampleRate} Hz, ${info?.channels} ch → ${audio.length} samples at 16 kHz (${(audio.length / 16000).toFixed(2)} s)`,
);
let min = Infinity;
let max = -Infinity;
for (const v of data) {
  min = Math.min(min, v);
  max = Math.max(max, v);
}
console.log(`features [${shape.join(', ')}], min ${min.toFixed(3)}, max ${max.toFixed(3)}`);
console.log(`decode ${(t1 - t0).toFixed(1)} ms, features ${(t2 - t1).toFixed(1)} ms`);
