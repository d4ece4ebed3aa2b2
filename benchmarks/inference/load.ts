// Load time and memory of a real checkpoint: how long WhisperModel.load() takes, and the peak RSS
// after loading and after transcribing one clip (jfk.wav), with the weights memory-mapped (the
// default) and streamed into native memory (`mmap: false`, the loader before mapping existed),
// each with and without the non-finite-weights check.
//
//   node --conditions=@distil-whisper/source --import tsx benchmarks/inference/load.ts \
//     [--model DIR] [--audio WAV] [--runs 5] [--threads 2] [--modes read,read-nocheck,mmap,mmap-nocheck,mmap-int8] [--tsx]
//
// Every run is a fresh child process (page cache warm after the first, process state cold), so
// peak RSS is that run's own and nothing a previous load left in the heap is reused. Load time is
// the median over runs; RSS figures are the median too. The child imports every module before the
// clock starts: the figure is the load call itself (native addon included).
//
// The child is this file bundled by esbuild into plain JavaScript (.cache/bench/load-child.mjs),
// run by plain `node`, as an application ships: under tsx every process carries tsx's loader
// thread and compiled sources, about 35 MB of RSS that no user pays. `--tsx` runs the children
// under tsx instead. The addon is DW_NATIVE_PATH when set, else native/build/Release.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus, homedir, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

/** What one child reports (one JSON line on stdout). */
interface ChildResult {
  mode: string;
  loadS: number;
  /** Resident set right after load: anonymous (heap, native tensors) and file-backed (mappings). */
  rssAfterLoadMb: number;
  anonAfterLoadMb: number;
  fileAfterLoadMb: number;
  peakAfterLoadMb: number;
  peakAfterTranscribeMb: number;
  anonAfterTranscribeMb: number;
  fileAfterTranscribeMb: number;
  transcribeS: number;
  text: string;
}

const MODES: Record<string, { mmap: boolean; checkFinite: boolean; computeType?: 'int8' }> = {
  mmap: { mmap: true, checkFinite: true },
  // int8 Linear weights quantised at load; the float originals' pages are released afterwards.
  'mmap-int8': { mmap: true, checkFinite: true, computeType: 'int8' },
  'mmap-nocheck': { mmap: true, checkFinite: false },
  read: { mmap: false, checkFinite: true },
  'read-nocheck': { mmap: false, checkFinite: false },
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** RssAnon / RssFile of this process in MB (Linux), 0 elsewhere. */
function rssParts(): { anon: number; file: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (key: string): number =>
      Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { anon: kb('RssAnon') / 1024, file: kb('RssFile') / 1024 };
  } catch {
    return { anon: 0, file: 0 };
  }
}

async function child(mode: string, dir: string, audio: string, threads: number): Promise<void> {
  const opts = MODES[mode];
  if (!opts) throw new Error(`unknown mode ${mode}`);
  // Every import happens before the clock starts.
  const { loadAudio, WhisperFeatureExtractor } = await import('@distil-whisper/audio');
  const { setNumThreads } = await import('@distil-whisper/kernels');
  const { generate, whisperGenerationModel, WhisperModel } = await import('@distil-whisper/model');
  const { WhisperTokenizer } = await import('@distil-whisper/tokenizer');
  const t0 = performance.now();
  const model = WhisperModel.load(dir, opts);
  const loadS = (performance.now() - t0) / 1000;
  const afterLoad = rssParts();
  const rssAfterLoadMb = process.memoryUsage().rss / 2 ** 20;
  const peakAfterLoadMb = process.resourceUsage().maxRSS / 1024;
  setNumThreads(threads);
  const t1 = performance.now();
  const tokenizer = await WhisperTokenizer.fromPretrained(dir);
  const extractor = await WhisperFeatureExtractor.fromPretrained(dir);
  const samples = await loadAudio(audio, { sampleRate: 16000 });
  const features = extractor.extract(samples);
  const encoded = model.encode(features.data, 1);
  let text: string;
  try {
    const multilingual = Object.keys(model.generationConfig.langToId).length > 0;
    const [result] = await generate(
      whisperGenerationModel(model, encoded),
      model.generationConfig,
      {
        ...(multilingual ? { language: 'en', task: 'transcribe' as const } : {}),
        returnTimestamps: true,
        windowFrames: features.attentionMask.reduce((n, m) => n + m, 0),
      },
    );
    text = tokenizer.decode(result!.tokens, { skipSpecialTokens: true }).trim();
  } finally {
    encoded.dispose();
  }
  const transcribeS = (performance.now() - t1) / 1000;
  const afterTranscribe = rssParts();
  const out: ChildResult = {
    mode,
    loadS,
    rssAfterLoadMb,
    anonAfterLoadMb: afterLoad.anon,
    fileAfterLoadMb: afterLoad.file,
    peakAfterLoadMb,
    peakAfterTranscribeMb: process.resourceUsage().maxRSS / 1024,
    anonAfterTranscribeMb: afterTranscribe.anon,
    fileAfterTranscribeMb: afterTranscribe.file,
    transcribeS,
    text,
  };
  model.dispose();
  console.log(JSON.stringify(out));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Bundles this file for plain node; returns the command line that runs a child. */
async function childCommand(): Promise<string[]> {
  const self = fileURLToPath(import.meta.url);
  if (process.argv.includes('--tsx'))
    return ['--conditions=@distil-whisper/source', '--import', 'tsx', self];
  const { buildSync } = await import('esbuild');
  const out = join(repoRoot, '.cache', 'bench', 'load-child.mjs');
  mkdirSync(dirname(out), { recursive: true });
  buildSync({
    entryPoints: [self],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['@distil-whisper/source'],
    outfile: out,
    logLevel: 'error',
    // CommonJS dependencies inside an ES module bundle call require().
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
  });
  return [out];
}

async function parent(): Promise<void> {
  const dir = arg('--model', join(homedir(), '.cache/distil-whisper/real-weights/hf/base'));
  const audio = arg('--audio', resolve(repoRoot, '..', 'shared/reference/assets/jfk.wav'));
  const runs = Number(arg('--runs', '5'));
  const threads = Number(arg('--threads', '2'));
  const modes = arg('--modes', 'read,read-nocheck,mmap,mmap-nocheck').split(',');
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`model ${dir}\naudio ${audio}\n${cpu}, ${cpus().length} cores, ${threads} threads`);
  console.log(
    `load average before: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  const rows: string[] = [];
  const texts = new Set<string>();
  // Modes interleaved run by run, so a burst of load from other processes hits every mode alike.
  const results = new Map<string, ChildResult[]>(modes.map((m) => [m, []]));
  const command = await childCommand();
  const env = {
    ...process.env,
    DW_NATIVE_PATH:
      process.env.DW_NATIVE_PATH ?? join(repoRoot, 'native', 'build', 'Release', 'dw_native.node'),
  };
  console.log(`child: node ${command.join(' ')}`);
  for (let r = 0; r < runs; r++)
    for (const mode of modes) {
      const stdout = execFileSync(
        process.execPath,
        [...command, '--child', mode, dir, audio, String(threads)],
        { cwd: repoRoot, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const line = stdout.trim().split('\n').pop()!;
      const res = JSON.parse(line) as ChildResult;
      results.get(mode)!.push(res);
      texts.add(res.text);
    }
  rows.push(
    '| mode | load s, median (min–max) | RSS after load MB (anon + file) | peak RSS after load MB | peak RSS after jfk.wav MB | RSS after jfk.wav MB (anon + file) | transcribe s |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [mode, rs] of results) {
    /** Median of one field over the runs, with `digits` decimals. */
    const m = (field: Exclude<keyof ChildResult, 'mode' | 'text'>, digits = 0): string =>
      median(rs.map((x) => x[field])).toFixed(digits);
    const load = rs.map((x) => x.loadS);
    const range = `${Math.min(...load).toFixed(3)}–${Math.max(...load).toFixed(3)}`;
    rows.push(
      `| ${mode} | ${m('loadS', 3)} (${range}) | ${m('rssAfterLoadMb')} (${m('anonAfterLoadMb')} + ${m('fileAfterLoadMb')}) | ` +
        `${m('peakAfterLoadMb')} | ${m('peakAfterTranscribeMb')} | ` +
        `${m('anonAfterTranscribeMb')} + ${m('fileAfterTranscribeMb')} | ${m('transcribeS', 2)} |`,
    );
  }
  console.log(rows.join('\n'));
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    texts.size === 1
      ? `every run: "${[...texts][0]}"`
      : `TEXTS DIFFER: ${JSON.stringify([...texts])}`,
  );
  if (texts.size !== 1) process.exitCode = 1;
}

if (process.argv[2] === '--child') {
  const [, , , mode, dir, audio, threads] = process.argv;
  await child(mode!, dir!, audio!, Number(threads));
} else {
  await parent();
}
