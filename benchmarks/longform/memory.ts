// The slow tier of the bounded-memory claim: a recording of HOURS hours (jfk.wav repeated with
// 1.5 s of silence, written to disk without holding it) transcribed from its file by the pipeline
// in a fresh process, sequential and chunked; prints the peak RSS beside the model's weight bytes.
// The goal: peak RSS ≤ weights + 300 MB whatever the length.
//
//   node --conditions=@distil-whisper/source --import tsx benchmarks/longform/memory.ts \
//     [--hours 3] [--model DIR | --dims base|tiny] [--modes sequential,chunked] [--max-new-tokens N]
//
// Without --model a random checkpoint of whisper base's (or tiny's) dims (f16) is written to a
// temporary folder: the memory does not depend on what the weights say, and it runs fast. --max-new-tokens
// (default 8 with random weights, none otherwise) bounds each window's decoding.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAudio } from '@distil-whisper/audio';
import { createRandomCheckpoint } from '@distil-whisper/model';
import { writeRepeatedWav } from '../../test-support/longform-audio';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const ref = process.env.DW_REFERENCE_DIR ?? resolve(repo, '..', 'shared', 'reference');
const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
};
const hours = Number(arg('--hours', '3'));
const modes = arg('--modes', 'sequential,chunked').split(',');
const work = mkdtempSync(join(tmpdir(), 'dw-longform-memory-'));
try {
  let model = arg('--model', '');
  if (!model) {
    // Random weights: whisper base's dims, or tiny's (--dims tiny) where the machine is slow.
    const base = {
      dModel: 512,
      encoderLayers: 6,
      decoderLayers: 6,
      encoderAttentionHeads: 8,
      decoderAttentionHeads: 8,
      encoderFfnDim: 2048,
      decoderFfnDim: 2048,
    };
    model = join(work, 'random');
    createRandomCheckpoint({
      outDir: model,
      preset: 'tiny',
      ...(arg('--dims', 'base') === 'base' ? { dims: base } : {}),
      dtype: 'f16',
      seed: 1,
    });
  }
  const maxNew = arg('--max-new-tokens', args.includes('--model') ? '' : '8');
  const weights = statSync(join(model, 'model.safetensors')).size / 2 ** 20;
  const wav = join(work, 'long.wav');
  const jfk = await loadAudio(join(ref, 'assets', 'jfk.wav'));
  const samples = writeRepeatedWav(wav, jfk, hours * 3600, 1.5);
  console.log(
    `${hours} h recording (${samples} samples, ${(statSync(wav).size / 2 ** 20).toFixed(0)} MB on disk), weights ${weights.toFixed(0)} MB`,
  );
  for (const mode of modes) {
    const script = `
      const { createPipeline } = await import(${JSON.stringify(join(repo, 'packages', 'distil-whisper', 'src', 'index.ts'))});
      const asr = await createPipeline(${JSON.stringify(model)}, { inline: true, threads: 2 });
      const t0 = performance.now();
      let last = 0;
      const r = await asr.transcribe(${JSON.stringify(wav)}, {
        language: 'en', longForm: ${JSON.stringify(mode)}, batchSize: 8,
        ${maxNew ? `maxNewTokens: ${Number(maxNew)},` : ''}
        onProgress: (p) => { if (p.seconds !== undefined && p.seconds - last > 600) { last = p.seconds;
          console.error(\`  \${(p.seconds / 60).toFixed(0)} min, RSS \${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB\`); } },
      });
      console.log(JSON.stringify({ windows: r.windows, segments: r.segments.length, wall_s: (performance.now() - t0) / 1000,
        max_rss_mb: process.resourceUsage().maxRSS / 1024 }));`;
    const out = execFileSync(
      process.execPath,
      [
        '--conditions=@distil-whisper/source',
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 },
    );
    const r = JSON.parse(out.trim().split('\n').pop() as string) as {
      windows: number;
      segments: number;
      wall_s: number;
      max_rss_mb: number;
    };
    console.log(
      `${mode}: ${r.windows} windows, ${r.segments} segments in ${(r.wall_s / 60).toFixed(1)} min; peak RSS ${r.max_rss_mb.toFixed(0)} MB = weights ${weights.toFixed(0)} MB + ${(r.max_rss_mb - weights).toFixed(0)} MB (goal: + 300 MB)`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
