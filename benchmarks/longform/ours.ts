// One run of distil-whisper on one recording, in its own process (so its peak RSS is its own):
// prints { text, load_s, wall_s, windows, max_rss_mb } as the last line.
//
//   node --conditions=@distil-whisper/source --import tsx benchmarks/longform/ours.ts \
//     MODEL_DIR WAV sequential|chunked BATCH THREADS
import { createPipeline } from 'distil-whisper';

const [dir, wav, mode, batch, threads] = process.argv.slice(2);
if (!dir || !wav || (mode !== 'sequential' && mode !== 'chunked'))
  throw new Error('usage: ours.ts MODEL_DIR WAV sequential|chunked BATCH THREADS');
const t0 = performance.now();
const asr = await createPipeline(dir, { inline: true, threads: Number(threads ?? 2) });
const load = (performance.now() - t0) / 1000;
const t1 = performance.now();
const r = await asr.transcribe(wav, {
  language: 'en',
  longForm: mode,
  batchSize: Number(batch ?? 1),
  // Timestamps everywhere, as faster-whisper decodes: without them whisper base loops on the
  // joined jfk.wav chunks (transformers' pipeline prints the same loop).
  returnTimestamps: true,
});
const wall = (performance.now() - t1) / 1000;
await asr.dispose();
console.log(
  JSON.stringify({
    text: r.text,
    load_s: load,
    wall_s: wall,
    windows: r.windows,
    max_rss_mb: process.resourceUsage().maxRSS / 1024,
  }),
);
