// CPU inference side by side: distil-whisper (ours, by compute type: f32, the checkpoint as stored
// (f16 for whisper base) and int8), faster-whisper (int8, f32), whisper.cpp (f16 ggml
// converted from the same Hugging Face checkpoint, built by tools/whisper-cpp/build.sh) and
// transformers (torch CPU, f32) on the same real weights and the same audio, each measurement in
// its own process, with the goals of the CPU-speed issue checked against the figures.
//
//   node --conditions=@distil-whisper/source --import tsx benchmarks/inference/side-by-side/bench.ts \
//     [--runs 5 | --quick] [--models base,tiny.en] [--threads 2] [--wer [--wer-limit N] [--wer-all]]
//     [--max-load 0.5] [--max-wait 120] [--skip 'ENGINE;ENGINE']
//
// Writes benchmarks/results/side-by-side.json and benchmarks/inference/side-by-side/RESULTS.md
// (both atomically) and prints the tables. README.md beside this file says what each column is.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assembleStudent, shippedStudentDir } from '@distil-whisper/distill';
import { corpusWer, createNormalizer, loadSpellingMapSync } from '@distil-whisper/metrics';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..', '..');
const cache = join(homedir(), '.cache', 'distil-whisper');
const ref = process.env.DW_REFERENCE_DIR ?? resolve(repo, '..', 'shared', 'reference');
const jfkWav = join(ref, 'assets', 'jfk.wav');
const JFK_TEXT =
  'And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';

// ---------------------------------------------------------------- arguments
const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const opt = (name: string, fallback: string): string => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
};
const quick = flag('quick');
const runs = quick ? 1 : Number(opt('runs', '5'));
const threads = Number(opt('threads', '2'));
const models = opt('models', 'base').split(',').filter(Boolean);
const withWer = flag('wer');
const werLimit = Number(opt('wer-limit', '0'));
const werAll = flag('wer-all');
const maxLoad = Number(opt('max-load', '0.5'));
const maxWaitS = Number(opt('max-wait', quick ? '10' : '120'));
const skip = new Set(
  opt('skip', '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean),
);
const python = process.env.DW_PYTHON ?? join(cache, 'pyref', 'bin', 'python');
const wcppDir = process.env.DW_WHISPER_CPP_DIR ?? join(cache, 'whisper.cpp');
const wcppBench = join(wcppDir, 'bin', 'dw-whisper-bench');
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
if (!existsSync(jfkWav)) throw new Error(`${jfkWav} not found (DW_REFERENCE_DIR)`);

// ---------------------------------------------------------------- machine load
interface Load {
  /** /proc/loadavg's 1-minute average when the measurement started. */
  avg1: number;
  /** Tasks runnable at that moment besides this one (/proc/loadavg's 4th field − 1), mean of 10 readings over 1 s. */
  others: number;
  /** Seconds waited for the machine to quieten. */
  waitedS: number;
  /** false when `others` was still above --max-load after --max-wait seconds. */
  quiet: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
function readLoadavg(): { avg1: number; running: number } {
  const f = readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/);
  return { avg1: Number(f[0]), running: Number((f[3] ?? '1/0').split('/')[0]) };
}
async function sampleLoad(): Promise<{ avg1: number; others: number }> {
  let sum = 0;
  let avg1 = 0;
  for (let i = 0; i < 10; i++) {
    const l = readLoadavg();
    avg1 = l.avg1;
    sum += Math.max(0, l.running - 1);
    await sleep(100);
  }
  return { avg1, others: sum / 10 };
}
/** Waits (up to --max-wait s) until no more than --max-load other tasks are runnable. */
async function waitQuiet(): Promise<Load> {
  const t0 = Date.now();
  for (;;) {
    const s = await sampleLoad();
    const waitedS = (Date.now() - t0) / 1000;
    if (s.others <= maxLoad) return { ...s, waitedS, quiet: true };
    if (waitedS >= maxWaitS) return { ...s, waitedS, quiet: false };
    await sleep(Math.min(5000, Math.max(0, maxWaitS * 1000 - (Date.now() - t0))));
  }
}

// ---------------------------------------------------------------- inputs
function cpuModel(): string {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'));
  return line ? line.split(':')[1]!.trim() : (cpus()[0]?.model ?? 'unknown CPU');
}

/** dtype of the first float tensor in a safetensors file (its header only). */
function storedDtype(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const header = Buffer.alloc(Number(len.readBigUInt64LE()));
    readSync(fd, header, 0, header.length, 8);
    const h = JSON.parse(header.toString('utf8')) as Record<string, { dtype?: string }>;
    const d = Object.entries(h).find(([k, v]) => k !== '__metadata__' && v.dtype)?.[1].dtype;
    return (d ?? 'unknown').toLowerCase();
  } finally {
    closeSync(fd);
  }
}

/** Our shipped student, assembled against the teacher (again when the shipped delta is newer). */
function student(teacherDir: string): string | undefined {
  let delta: string;
  try {
    delta = shippedStudentDir('whisper-base-2l');
  } catch {
    return undefined;
  }
  const out = join(cache, 'students', 'whisper-base-2l');
  const built = join(out, 'model.safetensors');
  const newest = Math.max(
    ...['student.json', 'student.safetensors'].map((f) => statSync(join(delta, f)).mtimeMs),
    statSync(join(teacherDir, 'model.safetensors')).mtimeMs,
  );
  if (!existsSync(built) || statSync(built).mtimeMs < newest) {
    assembleStudent({ teacherDir, deltaDir: delta, outDir: out, force: true });
    console.error(`assembled the shipped student into ${out}`);
  }
  return out;
}

/**
 * The compute types our CLI offers (`transcribe --help`: `--compute-type`'s choices), or [] when
 * it has no such option; a variant whose type is not listed is reported "not available".
 */
function computeTypes(): string[] {
  const r = spawnSync(
    process.execPath,
    [
      '--conditions=@distil-whisper/source',
      '--import',
      'tsx',
      join(repo, 'packages', 'distil-whisper', 'src', 'cli.ts'),
      'transcribe',
      '--help',
    ],
    { encoding: 'utf8', cwd: repo },
  );
  const help = `${r.stdout}${r.stderr}`.replace(/\s+/g, ' ');
  const choices = /--compute-type\b.*?\(choices: ((?:"[^"]+"(?:, )?)+)/.exec(help);
  return choices ? [...choices[1]!.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [];
}

interface Clip {
  wav: string;
  text: string;
}
function evalClips(): Clip[] | string {
  const dir = join(cache, 'eval-real');
  const manifest = join(dir, 'manifest.jsonl');
  if (!existsSync(manifest))
    return `${manifest} missing (tools/eval-data/README.md: gather.py rebuilds it)`;
  const clips = readFileSync(manifest, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { audio: string; text: string; source: string })
    .filter((c) => werAll || c.source !== 'mfa-disfluent')
    .map((c) => ({ wav: join(dir, c.audio), text: c.text }));
  return werLimit > 0 ? clips.slice(0, werLimit) : clips;
}

// ---------------------------------------------------------------- engines
interface Measure {
  load_s: number;
  e2e_s: number;
  text: string;
  max_rss_mb: number;
  encoder_s?: number;
  decoder_ms_per_token?: number;
  decoder_tokens?: number;
  logmel_30s_ms?: number;
  student_decoder_ms_per_token?: number;
  [k: string]: unknown;
}
interface Engine {
  id: string;
  model: string;
  ours?: { variant: string };
  /** Why it cannot run here, when it cannot. */
  unavailable?: string;
  bench: () => string[];
  wer: (list: string) => string[];
  parse: (stdout: string, stderr: string) => Measure;
  notes: string;
}

const node = (args: string[]): string[] => [
  process.execPath,
  '--conditions=@distil-whisper/source',
  '--import',
  'tsx',
  join(here, 'ours.ts'),
  ...args,
];
const lastJson = (stdout: string): Measure => {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as Measure;
};
const whisperCppInfo = ((): { commit?: string; cpu_compile_flags?: string } => {
  try {
    return JSON.parse(readFileSync(join(wcppDir, 'BUILD_INFO.json'), 'utf8')) as {
      commit?: string;
      cpu_compile_flags?: string;
    };
  } catch {
    return {};
  }
})();

function enginesFor(name: string, types: string[]): Engine[] {
  const hf = join(cache, 'real-weights', 'hf', name);
  const ct2 = join(cache, 'real-weights', 'ct2', name);
  if (!existsSync(join(hf, 'model.safetensors')))
    throw new Error(`${hf} missing: bash tools/real-weights/fetch.sh ${name}`);
  const stored = storedDtype(join(hf, 'model.safetensors'));
  const studentDir = name === 'base' ? student(hf) : undefined;
  const withStudent = studentDir ? ['--student', studentDir] : [];
  const common = ['--threads', String(threads)];
  const ours = (variant: string, computeType: string): Engine => {
    const ct = types.length ? ['--compute-type', computeType] : [];
    return {
      id: `distil-whisper ${variant}`,
      model: name,
      ours: { variant },
      ...(computeType !== 'default' && !types.includes(computeType)
        ? {
            unavailable: `not available (our CLI has no --compute-type ${computeType} yet)`,
          }
        : {}),
      bench: () =>
        node(['bench', '--model', hf, '--wav', jfkWav, ...ct, ...common, ...withStudent]),
      wer: (list) => node(['wer', '--model', hf, '--list', list, ...ct, ...common]),
      parse: (out) => lastJson(out),
      notes:
        'encoder = encode() + the decoder state (cross-attention K/V); decoder = each single-token decode() after the prompt',
    };
  };
  const py = (engine: string): Engine => ({
    id: engine
      .replace('faster-whisper-', 'faster-whisper ')
      .replace('transformers', 'transformers f32'),
    model: name,
    ...(engine.startsWith('faster') && !existsSync(join(ct2, 'model.bin'))
      ? { unavailable: `${ct2} missing (tools/real-weights/fetch.sh)` }
      : {}),
    bench: () => [
      python,
      join(here, 'engines.py'),
      engine,
      'bench',
      '--wav',
      jfkWav,
      '--ct2',
      ct2,
      '--hf',
      hf,
      ...common,
    ],
    wer: (list) => [
      python,
      join(here, 'engines.py'),
      engine,
      'wer',
      '--list',
      list,
      '--ct2',
      ct2,
      '--hf',
      hf,
      ...common,
    ],
    parse: (out) => lastJson(out),
    notes: engine.startsWith('faster')
      ? 'encoder = WhisperModel.encode(); decoder = (generate N tokens − 1 token) / (N − 1)'
      : 'encoder = model.model.encoder(); decoder = (generate() N tokens − 1 token) / (N − 1)',
  });
  const ggml = join(wcppDir, 'models', `ggml-${name}-f16.bin`);
  const cpp: Engine = {
    id: 'whisper.cpp f16',
    model: name,
    ...(!existsSync(wcppBench)
      ? { unavailable: `not built: bash tools/whisper-cpp/build.sh` }
      : !existsSync(ggml)
        ? {
            unavailable: `${ggml} missing: DW_WHISPER_CPP_MODELS="${name}" bash tools/whisper-cpp/build.sh`,
          }
        : {}),
    bench: () => [wcppBench, '-m', ggml, '-t', String(threads), '--warmup', '1', jfkWav],
    wer: (list) => [
      wcppBench,
      '-m',
      ggml,
      '-t',
      String(threads),
      '--warmup',
      '0',
      ...readFileSync(list, 'utf8').split('\n').filter(Boolean),
    ],
    parse: (out, err) => {
      const lines = out.trim().split('\n');
      const summary = JSON.parse(lines.pop()!) as Record<string, number>;
      const file = JSON.parse(lines.pop()!) as { text: string; wall_ms: number };
      const mel = /mel time =\s*([\d.]+) ms/.exec(err);
      const decodeRuns = /decode time =\s*[\d.]+ ms \/\s*(\d+) runs/.exec(err);
      return {
        load_s: summary.load_ms! / 1000,
        e2e_s: file.wall_ms / 1000,
        text: file.text.trim(),
        max_rss_mb: summary.max_rss_mb!,
        encoder_s: summary.encode_ms! / 1000,
        decoder_ms_per_token: summary.decode_ms!,
        ...(decodeRuns ? { decoder_tokens: Number(decodeRuns[1]) } : {}),
        ...(mel ? { whisper_cpp_mel_ms: Number(mel[1]) } : {}),
        whisper_cpp_timings: err
          .split('\n')
          .filter((l) => l.startsWith('whisper_print_timings'))
          .join('\n'),
        system_info: summary.system_info,
      };
    },
    notes:
      "whisper.cpp's own timings (whisper_print_timings): encoder = encode time per run (conv + encoder + cross K/V); decoder = decode time per run (one token)",
  };
  return [
    ours('f32', 'f32'),
    ours(`default (${stored} weights as stored)`, 'default'),
    ours('int8', 'int8'),
    py('faster-whisper-int8'),
    py('faster-whisper-f32'),
    cpp,
    py('transformers'),
  ].filter((e) => !skip.has(e.id));
}

interface Run extends Partial<Measure> {
  run: number;
  load: Load;
  error?: string;
}

function runChild(cmd: string[]): { stdout: string; stderr: string; error?: string } {
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    encoding: 'utf8',
    cwd: repo,
    maxBuffer: 64 << 20,
    timeout: 30 * 60 * 1000,
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
  });
  const error =
    r.error?.message ??
    (r.status !== 0
      ? `exit ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`
      : undefined);
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', ...(error ? { error } : {}) };
}

// ---------------------------------------------------------------- run
const median = (xs: number[]): number | undefined => {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1]! + s[m]!) / 2;
};
let spellingMap;
try {
  spellingMap = loadSpellingMapSync(join(ref, 'assets', 'english.json'));
} catch {
  spellingMap = undefined;
}
const normalizer = createNormalizer('english', { ...(spellingMap ? { spellingMap } : {}) });
const werOf = (refs: string[], hyps: string[]): number =>
  100 * corpusWer(refs, hyps, { normalizer });

const types = computeTypes();
const engines = models.flatMap((m) => enginesFor(m, types));
const results = new Map<Engine, Run[]>(engines.map((e) => [e, []]));
const started = new Date();
console.error(
  `side-by-side: ${engines.length} engines × ${runs} run(s), ${threads} threads; quiet = ≤ ${maxLoad} other runnable tasks (wait ≤ ${maxWaitS} s)`,
);
for (let run = 1; run <= runs; run++) {
  for (const e of engines) {
    if (e.unavailable) continue;
    const load = await waitQuiet();
    process.stderr.write(
      `[run ${run}/${runs}] ${e.model} ${e.id} (load ${load.avg1.toFixed(2)}, ${load.others.toFixed(1)} runnable${load.quiet ? '' : ' — HIGH'}) ... `,
    );
    const r = runChild(e.bench());
    let row: Run;
    if (r.error) row = { run, load, error: r.error };
    else {
      try {
        row = { run, load, ...e.parse(r.stdout, r.stderr) };
      } catch (err) {
        row = { run, load, error: `unreadable output: ${(err as Error).message}` };
      }
    }
    results.get(e)!.push(row);
    process.stderr.write(
      row.error
        ? `FAILED: ${row.error}\n`
        : `e2e ${row.e2e_s!.toFixed(3)} s, load ${row.load_s!.toFixed(2)} s, ${row.max_rss_mb!.toFixed(0)} MB\n`,
    );
  }
}

// WER on the real eval clips: each engine once, its own process.
const wer = new Map<
  Engine,
  { wer?: number; clips?: number; wall_s?: number; load?: Load; error?: string; hyps?: string[] }
>();
let werNote = '';
let werSet: Clip[] = [];
if (withWer) {
  const clips = evalClips();
  if (typeof clips === 'string') werNote = clips;
  else {
    werSet = clips;
    werNote = `${clips.length} real English clips of tools/eval-data${werAll ? '' : ' (mfa-disfluent excluded)'}${werLimit ? `, first ${werLimit}` : ''}`;
    const list = join(cache, 'side-by-side', 'wer-clips.txt');
    mkdirSync(dirname(list), { recursive: true });
    writeFileSync(list, `${clips.map((c) => c.wav).join('\n')}\n`);
    const byWav = new Map(clips.map((c) => [c.wav, c.text]));
    for (const e of engines) {
      if (e.unavailable) continue;
      const load = await waitQuiet();
      process.stderr.write(`[wer] ${e.model} ${e.id} on ${clips.length} clips ... `);
      const r = runChild(e.wer(list));
      if (r.error) {
        wer.set(e, { error: r.error });
        process.stderr.write(`FAILED: ${r.error}\n`);
        continue;
      }
      const hyp = new Map<string, string>();
      let wall: number | undefined;
      for (const l of r.stdout.trim().split('\n')) {
        if (!l.startsWith('{')) continue;
        const o = JSON.parse(l) as {
          wav?: string;
          text?: string;
          wall_s?: number;
          wall_ms?: number;
        };
        if (o.wav !== undefined && o.text !== undefined) {
          hyp.set(o.wav, o.text);
          if (o.wall_ms !== undefined) wall = (wall ?? 0) + o.wall_ms / 1000;
        } else if (o.wall_s !== undefined) wall = o.wall_s;
      }
      const refs = clips.map((c) => c.text);
      const hyps = clips.map((c) => hyp.get(c.wav) ?? '');
      const w = werOf(refs, hyps);
      wer.set(e, {
        wer: w,
        clips: hyp.size,
        load,
        hyps,
        ...(wall !== undefined ? { wall_s: wall } : {}),
      });
      process.stderr.write(`WER ${w.toFixed(2)} % (${hyp.size}/${byWav.size} clips)\n`);
    }
  }
}

// ---------------------------------------------------------------- summarise
interface Summary {
  model: string;
  engine: string;
  unavailable?: string;
  errors: string[];
  runs: number;
  e2e_s?: number;
  load_s?: number;
  max_rss_mb?: number;
  encoder_s?: number;
  decoder_ms_per_token?: number;
  decoder_tokens?: number;
  logmel_30s_ms?: number;
  student_decoder_ms_per_token?: number;
  student_speedup?: number;
  whisper_cpp_mel_ms?: number;
  jfk_wer?: number;
  jfk_text?: string;
  wer?: number;
  wer_clips?: number;
  wer_wall_s?: number;
  load_avg1: [number, number] | null;
  load_others: [number, number] | null;
  high_load: boolean;
  notes: string;
}
const range = (xs: number[]): [number, number] | null =>
  xs.length ? [Math.min(...xs), Math.max(...xs)] : null;
const summaries: Summary[] = engines.map((e) => {
  const rs = results.get(e)!;
  const ok = rs.filter((r) => !r.error);
  const med = (k: keyof Measure): number | undefined =>
    median(ok.map((r) => r[k]).filter((x): x is number => typeof x === 'number'));
  const w = wer.get(e);
  const s: Summary = {
    model: e.model,
    engine: e.id,
    ...(e.unavailable ? { unavailable: e.unavailable } : {}),
    errors: [
      ...rs.filter((r) => r.error).map((r) => `run ${r.run}: ${r.error}`),
      ...rs
        .filter((r) => Array.isArray(r.parts_errors))
        .map((r) => `run ${r.run}, component figures: ${(r.parts_errors as string[]).join('; ')}`),
    ],
    runs: ok.length,
    load_avg1: range(rs.map((r) => r.load.avg1)),
    load_others: range(rs.map((r) => r.load.others)),
    high_load: rs.some((r) => !r.load.quiet),
    notes: e.notes,
  };
  for (const k of [
    'e2e_s',
    'load_s',
    'max_rss_mb',
    'encoder_s',
    'decoder_ms_per_token',
    'decoder_tokens',
    'logmel_30s_ms',
    'student_decoder_ms_per_token',
    'whisper_cpp_mel_ms',
  ] as const) {
    const v = med(k);
    if (v !== undefined) s[k] = v;
  }
  if (s.student_decoder_ms_per_token && s.decoder_ms_per_token)
    s.student_speedup = s.decoder_ms_per_token / s.student_decoder_ms_per_token;
  if (ok[0]?.text !== undefined) {
    s.jfk_text = ok[0].text;
    s.jfk_wer = werOf([JFK_TEXT], [ok[0].text]);
  }
  if (w?.wer !== undefined) {
    s.wer = w.wer;
    s.wer_clips = w.clips!;
    if (w.wall_s !== undefined) s.wer_wall_s = w.wall_s;
  }
  if (w?.error) s.errors.push(`wer: ${w.error}`);
  return s;
});

const f = (x: number | undefined, d = 2): string => (x === undefined ? '–' : x.toFixed(d));
const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a !== undefined && b !== undefined && b > 0 ? a / b : undefined;
const find = (model: string, id: string): Summary | undefined =>
  summaries.find((s) => s.model === model && s.engine === id && !s.unavailable && s.runs > 0);

interface Goal {
  goal: string;
  target: string;
  value: (s: Summary) => number | undefined;
  unit: string;
  met: (v: number) => boolean;
  /** The engine the figure is compared with (its load counts too). */
  reference?: string;
}
const GOALS: Goal[] = [
  {
    goal: 'jfk.wav end to end vs faster-whisper int8',
    target: '≤ 0.8×',
    value: (s) => ratio(s.e2e_s, find(s.model, 'faster-whisper int8')?.e2e_s),
    unit: '×',
    met: (v) => v <= 0.8,
    reference: 'faster-whisper int8',
  },
  {
    goal: 'encoder per 30 s window vs whisper.cpp',
    target: '≤ 0.5×',
    value: (s) => ratio(s.encoder_s, find(s.model, 'whisper.cpp f16')?.encoder_s),
    unit: '×',
    met: (v) => v <= 0.5,
    reference: 'whisper.cpp f16',
  },
  {
    goal: 'decoder per token vs whisper.cpp',
    target: '≤ 0.7×',
    value: (s) =>
      ratio(s.decoder_ms_per_token, find(s.model, 'whisper.cpp f16')?.decoder_ms_per_token),
    unit: '×',
    met: (v) => v <= 0.7,
    reference: 'whisper.cpp f16',
  },
  {
    goal: 'log-mel of 30 s',
    target: '≤ 15 ms',
    value: (s) => s.logmel_30s_ms,
    unit: ' ms',
    met: (v) => v <= 15,
  },
  {
    goal: 'shipped student (whisper-base-2l) per-token speed-up vs its teacher',
    target: '≥ 4×',
    value: (s) => s.student_speedup,
    unit: '×',
    met: (v) => v >= 4,
  },
];

const md: string[] = [];
const cpu = cpuModel();
md.push('# CPU inference side by side');
md.push('');
md.push(
  `Generated by \`benchmarks/inference/side-by-side/bench.ts${argv.length ? ' ' + argv.join(' ') : ''}\` on ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC. ` +
    `CPU: ${cpu} (${cpus().length} logical cores), ${threads} threads per engine; median of ${runs} run(s), one process each, one warm-up transcription before the timed one; greedy, temperature 0 without fallback, no timestamps, English; jfk.wav (11 s).` +
    (quick ? ' **--quick: one run, not figures to quote.**' : ''),
);
md.push('');
md.push(
  `whisper.cpp ${whisperCppInfo.commit ?? '(not built)'}${whisperCppInfo.cpu_compile_flags ? ` (${whisperCppInfo.cpu_compile_flags})` : ''}; ` +
    `versions of the Python engines in side-by-side.json.`,
);
md.push('');
md.push(
  `| model | engine | jfk e2e s | load s | peak RSS MB | encoder s / 30 s | decoder ms / token | jfk WER % |${withWer ? ' WER % (real clips) |' : ''} load: 1-min avg / runnable others |`,
);
md.push(`| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |${withWer ? ' ---: |' : ''} --- |`);
for (const s of summaries) {
  const warn = s.high_load ? ' ⚠' : '';
  if (s.unavailable || s.runs === 0) {
    const why = s.unavailable ?? `failed: ${s.errors[0] ?? '?'}`;
    md.push(`| ${s.model} | ${s.engine} | ${why} | | | | | |${withWer ? ' |' : ''} |`);
    continue;
  }
  const lr = (r: [number, number] | null, d: number): string =>
    r ? (r[0] === r[1] ? r[0].toFixed(d) : `${r[0].toFixed(d)}–${r[1].toFixed(d)}`) : '–';
  md.push(
    `| ${s.model} | ${s.engine}${warn} | ${f(s.e2e_s, 3)} | ${f(s.load_s)} | ${f(s.max_rss_mb, 0)} | ${f(s.encoder_s, 3)} | ${f(s.decoder_ms_per_token, 1)} | ${f(s.jfk_wer, 1)} |${withWer ? ` ${f(s.wer)} |` : ''} ${lr(s.load_avg1, 2)} / ${lr(s.load_others, 1)} |`,
  );
}
md.push('');
md.push(
  'Ratios (this engine / the reference; below 1 = faster than the reference):',
  '',
  '| model | engine | e2e vs faster-whisper int8 | e2e vs whisper.cpp | encoder vs whisper.cpp | decoder / token vs whisper.cpp |',
  '| --- | --- | ---: | ---: | ---: | ---: |',
);
for (const s of summaries) {
  if (s.unavailable || s.runs === 0) continue;
  const fw = find(s.model, 'faster-whisper int8');
  const wc = find(s.model, 'whisper.cpp f16');
  const r = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(2)}×`);
  md.push(
    `| ${s.model} | ${s.engine} | ${r(ratio(s.e2e_s, fw?.e2e_s))} | ${r(ratio(s.e2e_s, wc?.e2e_s))} | ${r(ratio(s.encoder_s, wc?.encoder_s))} | ${r(ratio(s.decoder_ms_per_token, wc?.decoder_ms_per_token))} |`,
  );
}
md.push('');
const oursRows = summaries.filter((s) => engines.find((e) => e.id === s.engine)?.ours);
const byModel = [...new Set(oursRows.map((s) => s.model))];
md.push('Goals (the CPU-speed issue), for each of our variants:', '');
md.push(
  `| model | goal | target | ${[...new Set(oursRows.map((s) => s.engine))].join(' | ')} |`,
  `| --- | --- | --- |${' --- |'.repeat(new Set(oursRows.map((s) => s.engine)).size)}`,
);
const goalResults: Array<{
  model: string;
  goal: string;
  target: string;
  engine: string;
  value?: number;
  met?: boolean;
  why?: string;
}> = [];
for (const m of byModel) {
  for (const g of GOALS) {
    const cells: string[] = [];
    for (const s of oursRows.filter((x) => x.model === m)) {
      if (s.unavailable || s.runs === 0) {
        cells.push(s.unavailable ? 'not available' : 'failed');
        goalResults.push({
          model: m,
          goal: g.goal,
          target: g.target,
          engine: s.engine,
          why: s.unavailable ?? 'failed',
        });
        continue;
      }
      const v = g.value(s);
      if (v === undefined) {
        cells.push('– (no reference)');
        goalResults.push({
          model: m,
          goal: g.goal,
          target: g.target,
          engine: s.engine,
          why: 'no figure',
        });
        continue;
      }
      const met = g.met(v);
      const busy = s.high_load || (g.reference ? find(m, g.reference)?.high_load : false);
      cells.push(`${v.toFixed(2)}${g.unit}: **${met ? 'met' : 'not met'}**${busy ? ' ⚠' : ''}`);
      goalResults.push({
        model: m,
        goal: g.goal,
        target: g.target,
        engine: s.engine,
        value: v,
        met,
      });
    }
    md.push(`| ${m} | ${g.goal} | ${g.target} | ${cells.join(' | ')} |`);
  }
}
md.push('');
const extras: string[] = [];
for (const s of oursRows) {
  if (s.student_decoder_ms_per_token !== undefined)
    extras.push(
      `- ${s.model} ${s.engine}: shipped student whisper-base-2l ${f(s.student_decoder_ms_per_token, 1)} ms / token vs teacher ${f(s.decoder_ms_per_token, 1)} → ${f(s.student_speedup)}× per token; log-mel of 30 s ${f(s.logmel_30s_ms, 1)} ms.`,
    );
  else if (s.logmel_30s_ms !== undefined)
    extras.push(`- ${s.model} ${s.engine}: log-mel of 30 s ${f(s.logmel_30s_ms, 1)} ms.`);
}
for (const s of summaries)
  if (s.whisper_cpp_mel_ms !== undefined)
    extras.push(
      `- ${s.model} whisper.cpp: its own "mel time" ${f(s.whisper_cpp_mel_ms, 1)} ms (jfk.wav as it pads it: the 11 s plus 30 s of zeros).`,
    );
if (extras.length) md.push(...extras, '');
if (withWer) md.push(`WER: ${werNote}; corpus WER after Whisper's English normaliser.`, '');
const high = summaries.filter((s) => s.high_load);
if (high.length)
  md.push(
    `⚠ **High load**: more than ${maxLoad} other runnable tasks after waiting ${maxWaitS} s during some runs of ${high.map((s) => `${s.model} ${s.engine}`).join(', ')}: those figures are not quiet-machine figures.`,
    '',
  );
const failed = summaries.filter((s) => s.errors.length);
if (failed.length) {
  md.push('Failures:', '');
  for (const s of failed) md.push(`- ${s.model} ${s.engine}: ${s.errors.join('; ')}`);
  md.push('');
}
const table = md.join('\n');
console.log(table);

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
const versions = ((): Record<string, string> => {
  const r = spawnSync(
    python,
    [
      '-c',
      'import json, importlib.metadata as m; print(json.dumps({p: m.version(p) for p in ["faster-whisper", "ctranslate2", "transformers", "torch"]}))',
    ],
    { encoding: 'utf8' },
  );
  try {
    return JSON.parse(r.stdout) as Record<string, string>;
  } catch {
    return {};
  }
})();
const jsonPath = join(repo, 'benchmarks', 'results', 'side-by-side.json');
writeAtomic(
  jsonPath,
  `${JSON.stringify(
    {
      date: started.toISOString(),
      args: argv,
      quick,
      cpu,
      cores: cpus().length,
      threads,
      runs,
      quiet: { max_load: maxLoad, max_wait_s: maxWaitS },
      node: process.version,
      python_versions: versions,
      whisper_cpp: whisperCppInfo,
      our_compute_types: types,
      wer_set: withWer ? werNote : null,
      summaries,
      goals: goalResults,
      runs_raw: engines.map((e) => ({ model: e.model, engine: e.id, runs: results.get(e) })),
      // The WER clips (WAV and reference) and each engine's transcripts of them, in that order.
      wer_clips: werSet,
      wer_raw: engines
        .filter((e) => wer.has(e))
        .map((e) => ({ model: e.model, engine: e.id, ...wer.get(e) })),
    },
    null,
    2,
  )}\n`,
);
writeAtomic(join(here, 'RESULTS.md'), `${table}\n`);
console.error(`wrote ${jsonPath} and ${join(here, 'RESULTS.md')}`);
