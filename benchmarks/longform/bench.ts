// Long-form benchmark: distil-whisper sequential and chunked (batch 1, 4, 8) beside faster-whisper
// (sequential int8 and f32, its batched pipeline) and transformers (sequential generate() and the
// chunked pipeline), same weights (whisper base: our HF directory and faster-whisper's CTranslate2
// folder it was converted from), same audio, same threads, in the same run. Every run is its own
// process, so its peak RSS is its own. Greedy decoding everywhere (beam 1, temperature 0, no
// conditioning on previous text), English.
//
// Audio: 11 copies of jfk.wav joined (126 s), and over 10 minutes of real speech (the clips of
// ~/.cache/distil-whisper/eval-real joined; jfk.wav repeated when that set is absent).
//
//   node --conditions=@distil-whisper/source --import tsx benchmarks/longform/bench.ts \
//     [--model HF_DIR] [--ct2 CT2_DIR] [--threads 2] [--only jfk|speech] [--skip 'ENGINE;ENGINE...']
//
// Writes benchmarks/results/longform.json and longform.md, prints the table.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAudio } from '@distil-whisper/audio';
import { createNormalizer, loadSpellingMapSync, wer } from '@distil-whisper/metrics';
import { jfkJoined, wavBytes } from '../../test-support/longform-audio';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const ref = process.env.DW_REFERENCE_DIR ?? resolve(repo, '..', 'shared', 'reference');
const cache = join(homedir(), '.cache', 'distil-whisper');
const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : fallback;
};
const modelDir = arg('--model', join(cache, 'real-weights', 'hf', 'base'));
const ct2Dir = arg('--ct2', join(cache, 'real-weights', 'ct2', 'base'));
const threads = Number(arg('--threads', '2'));
const only = arg('--only', '');
// Engine names hold commas ("chunked, batch 4"), so --skip separates them with semicolons.
const skip = new Set(
  arg('--skip', '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean),
);
const python = process.env.DW_PYTHON ?? join(cache, 'pyref', 'bin', 'python');
const JFK_TEXT =
  'And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';

interface Recording {
  name: string;
  path: string;
  seconds: number;
  reference: string;
}

async function recordings(): Promise<Recording[]> {
  const dir = join(cache, 'bench-longform');
  mkdirSync(dir, { recursive: true });
  const jfk = await loadAudio(join(ref, 'assets', 'jfk.wav'));
  const out: Recording[] = [];
  if (only !== 'speech') {
    const path = join(dir, 'jfk-x11.wav');
    const samples = jfkJoined(jfk);
    writeFileSync(path, wavBytes(samples));
    out.push({
      name: 'jfk.wav × 11 (126 s)',
      path,
      seconds: samples.length / 16000,
      reference: Array.from({ length: 11 }, () => JFK_TEXT).join(' '),
    });
  }
  if (only !== 'jfk') {
    const manifest = join(cache, 'eval-real', 'manifest.jsonl');
    const parts: Float32Array[] = [];
    const texts: string[] = [];
    const gap = new Float32Array(8000);
    let name: string;
    if (existsSync(manifest)) {
      for (const line of readFileSync(manifest, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const d = JSON.parse(line) as { audio: string; text: string };
        if (parts.length > 0) parts.push(gap);
        parts.push(await loadAudio(join(cache, 'eval-real', d.audio)));
        texts.push(d.text);
      }
      name = `real speech, ${texts.length} clips joined`;
    } else {
      for (let i = 0; i < 55; i++) {
        if (parts.length > 0) parts.push(gap);
        parts.push(jfk);
        texts.push(JFK_TEXT);
      }
      name = 'jfk.wav × 55';
    }
    const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      samples.set(p, at);
      at += p.length;
    }
    const path = join(dir, 'speech-long.wav');
    writeFileSync(path, wavBytes(samples));
    out.push({
      name: `${name} (${(samples.length / 16000 / 60).toFixed(1)} min)`,
      path,
      seconds: samples.length / 16000,
      reference: texts.join(' '),
    });
  }
  return out;
}

interface Engine {
  name: string;
  run: (wav: string) => string[];
}

const node = (mode: string, batch: number): string[] => [
  process.execPath,
  '--conditions=@distil-whisper/source',
  '--import',
  'tsx',
  join(here, 'ours.ts'),
  modelDir,
  '',
  mode,
  String(batch),
  String(threads),
];
const py = (engine: string): string[] => [
  python,
  join(here, 'python_engines.py'),
  engine,
  '',
  '--ct2',
  ct2Dir,
  '--hf',
  modelDir,
  '--threads',
  String(threads),
  '--batch',
  '8',
];
const withWav = (cmd: string[], wav: string): string[] => cmd.map((c) => (c === '' ? wav : c));

const ENGINES: Engine[] = [
  { name: 'distil-whisper sequential', run: (w) => withWav(node('sequential', 1), w) },
  { name: 'distil-whisper chunked, batch 1', run: (w) => withWav(node('chunked', 1), w) },
  { name: 'distil-whisper chunked, batch 4', run: (w) => withWav(node('chunked', 4), w) },
  { name: 'distil-whisper chunked, batch 8', run: (w) => withWav(node('chunked', 8), w) },
  { name: 'faster-whisper sequential int8', run: (w) => withWav(py('faster-whisper-int8'), w) },
  { name: 'faster-whisper sequential f32', run: (w) => withWav(py('faster-whisper-f32'), w) },
  {
    name: 'faster-whisper batched int8, batch 8',
    run: (w) => withWav(py('faster-whisper-batched'), w),
  },
  { name: 'transformers sequential', run: (w) => withWav(py('transformers-sequential'), w) },
  { name: 'transformers chunked, batch 8', run: (w) => withWav(py('transformers-chunked'), w) },
];

interface Row {
  recording: string;
  seconds: number;
  engine: string;
  wall_s: number;
  load_s: number;
  rtf: number;
  wer: number;
  max_rss_mb: number;
}

let spellingMap;
try {
  spellingMap = loadSpellingMapSync(join(ref, 'assets', 'english.json'));
} catch {
  spellingMap = undefined;
}
const normalize = createNormalizer('english', { ...(spellingMap ? { spellingMap } : {}) });
const rows: Row[] = [];
const startLoad = loadavg()[0] as number;
for (const rec of await recordings()) {
  for (const engine of ENGINES) {
    if (skip.has(engine.name)) continue;
    const [cmd, ...rest] = engine.run(rec.path);
    process.stderr.write(`${rec.name}: ${engine.name} ... `);
    const out = execFileSync(cmd as string, rest, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 64 << 20,
      env: { ...process.env, OMP_NUM_THREADS: String(threads) },
    });
    const r = JSON.parse(out.trim().split('\n').pop() as string) as {
      text: string;
      load_s: number;
      wall_s: number;
      max_rss_mb: number;
    };
    const row: Row = {
      recording: rec.name,
      seconds: rec.seconds,
      engine: engine.name,
      wall_s: r.wall_s,
      load_s: r.load_s,
      rtf: r.wall_s / rec.seconds,
      wer: 100 * wer(normalize(rec.reference), normalize(r.text)),
      max_rss_mb: r.max_rss_mb,
    };
    rows.push(row);
    process.stderr.write(
      `${row.wall_s.toFixed(1)} s, WER ${row.wer.toFixed(2)} %, ${row.max_rss_mb.toFixed(0)} MB\n`,
    );
  }
}

const lines: string[] = [];
lines.push(
  `whisper base, ${threads} threads each, greedy, English; wall = transcription after loading; RTF = wall / audio; ` +
    `speed = faster-whisper int8 wall / this wall (same recording); machine load average ${startLoad.toFixed(1)} at the start.`,
  '',
  '| recording | engine | wall s | RTF | speed vs faster-whisper int8 | WER % | peak RSS MB |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
);
for (const r of rows) {
  const base = rows.find(
    (x) => x.recording === r.recording && x.engine === 'faster-whisper sequential int8',
  );
  lines.push(
    `| ${r.recording} | ${r.engine} | ${r.wall_s.toFixed(1)} | ${r.rtf.toFixed(3)} | ${base ? `${(base.wall_s / r.wall_s).toFixed(2)}×` : '–'} | ${r.wer.toFixed(2)} | ${r.max_rss_mb.toFixed(0)} |`,
  );
}
const table = lines.join('\n');
console.log(table);
mkdirSync(join(repo, 'benchmarks', 'results'), { recursive: true });
writeFileSync(
  join(repo, 'benchmarks', 'results', 'longform.json'),
  `${JSON.stringify({ date: new Date().toISOString(), threads, load_average: startLoad, rows }, null, 2)}\n`,
);
writeFileSync(join(repo, 'benchmarks', 'results', 'longform.md'), `${table}\n`);
