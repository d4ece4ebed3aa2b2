// Real-weights benchmark: jfk.wav (11 s) through real Whisper checkpoints (Hugging Face directories
// made by tools/real-weights/fetch.sh), our CPU graph next to transformers (torch CPU) run in the
// same session by transformers_jfk.py. Prints a table and writes benchmarks/results/real-jfk.json.
//
//   node --conditions=@distil-whisper/source --import tsx benchmarks/real/jfk.ts [HF_DIR...]
//   (default: the dirs in DW_TEST_MODEL_DIR, ':'-separated; env DW_BENCH_THREADS, default 2)
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { setNumThreads } from '@distil-whisper/kernels';
import { generate, whisperGenerationModel, WhisperModel } from '@distil-whisper/model';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const ref = process.env.DW_REFERENCE_DIR ?? resolve(repo, '..', 'shared', 'reference');
const wav = join(ref, 'assets', 'jfk.wav');
const threads = Number(process.env.DW_BENCH_THREADS ?? 2);
const repeats = 3;
const dirs = process.argv.slice(2).length
  ? process.argv.slice(2)
  : (process.env.DW_TEST_MODEL_DIR ?? '').split(delimiter).filter(Boolean);
if (dirs.length === 0) {
  console.error(
    'usage: jfk.ts HF_DIR... (or set DW_TEST_MODEL_DIR); see tools/real-weights/fetch.sh',
  );
  process.exit(2);
}
setNumThreads(threads);

interface Measures {
  engine: string;
  load_s: number;
  audio_s: number;
  features_s: number;
  encoder_s: number;
  generate_s: number;
  tokens: number;
  ms_per_token: number;
  rtf: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
const now = (): number => performance.now() / 1000;

async function ours(dir: string): Promise<Measures> {
  const t0 = now();
  const model = WhisperModel.load(dir, { dtype: 'f32' });
  const load = now() - t0;
  const fe = await WhisperFeatureExtractor.fromPretrained(dir);
  const multilingual = Object.keys(model.generationConfig.langToId).length > 0;
  const feats: number[] = [];
  const enc: number[] = [];
  const gen: number[] = [];
  let tokens = 0;
  let audio = 0;
  try {
    for (let i = 0; i <= repeats; i++) {
      let t = now();
      const samples = await loadAudio(wav, { sampleRate: 16000 });
      const f = fe.extract(samples).data;
      const ft = now() - t;
      audio = samples.length / 16000;
      t = now();
      const e = model.encode(f, 1);
      const et = now() - t;
      t = now();
      const [r] = await generate(whisperGenerationModel(model, e), model.generationConfig, {
        ...(multilingual ? { language: 'en' } : {}),
      });
      const gt = now() - t;
      e.dispose();
      tokens = r!.tokens.length;
      if (i > 0) {
        feats.push(ft);
        enc.push(et);
        gen.push(gt);
      }
    }
  } finally {
    model.dispose();
  }
  // Our generate() starts from an encoder output, so the decode part is its whole time.
  return {
    engine: `distil-whisper (CPU kernels, ${threads} threads, f32 compute, f32 weights)`,
    load_s: load,
    audio_s: audio,
    features_s: median(feats),
    encoder_s: median(enc),
    generate_s: median(enc) + median(gen),
    tokens,
    ms_per_token: (1000 * median(gen)) / Math.max(1, tokens),
    rtf: (median(feats) + median(enc) + median(gen)) / audio,
  };
}

function transformers(dir: string): Measures {
  const out = execFileSync(
    'python3',
    [
      join(here, 'transformers_jfk.py'),
      dir,
      wav,
      '--threads',
      String(threads),
      '--repeats',
      String(repeats),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
  );
  return JSON.parse(out.trim().split('\n').pop()!) as Measures;
}

const rows: Array<{ model: string; ours: Measures; baseline: Measures }> = [];
for (const dir of dirs) {
  const a = await ours(dir);
  const b = transformers(dir);
  rows.push({ model: basename(dir), ours: a, baseline: b });
}
const f = (x: number, d = 3): string => x.toFixed(d);
console.log(`jfk.wav (11.0 s), ${threads} threads, median of ${repeats} after a warm-up\n`);
console.log('| model | engine | features s | encoder s | ms/token | tokens | RTF | load s |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  for (const [name, m] of [
    ['distil-whisper', r.ours],
    ['transformers', r.baseline],
  ] as const)
    console.log(
      `| ${r.model} | ${name} | ${f(m.features_s)} | ${f(m.encoder_s)} | ${f(m.ms_per_token, 1)} | ${m.tokens} | ${f(m.rtf)} | ${f(m.load_s, 2)} |`,
    );
  console.log(
    `| ${r.model} | ratio (transformers / ours) | ${f(r.baseline.features_s / r.ours.features_s, 2)}× | ${f(r.baseline.encoder_s / r.ours.encoder_s, 2)}× | ${f(r.baseline.ms_per_token / r.ours.ms_per_token, 2)}× | | ${f(r.baseline.rtf / r.ours.rtf, 2)}× | |`,
  );
}
mkdirSync(join(repo, 'benchmarks', 'results'), { recursive: true });
writeFileSync(
  join(repo, 'benchmarks', 'results', 'real-jfk.json'),
  JSON.stringify({ date: new Date().toISOString(), threads, repeats, rows }, null, 2) + '\n',
);
console.log('\nwrote benchmarks/results/real-jfk.json');
