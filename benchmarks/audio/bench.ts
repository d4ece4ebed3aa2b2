// Benchmarks for @distil-whisper/audio with baselines side by side.
// Run: node --conditions=@distil-whisper/source --import tsx benchmarks/audio/bench.ts [--quick]
// Writes benchmarks/results/audio.json. Needs python3 with numpy (and scipy for the resampler
// baseline) for the Python columns; they are skipped, loudly, when missing.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  WhisperFeatureExtractor,
  loadAudio,
  logMelSpectrogram,
  resample,
} from '@distil-whisper/audio';
// The package's test hook (same module instance as the import above under the source condition).
import { setLogMelSimdEnabled } from '../../packages/audio/src/wasm/logmel-kernel';
import { naiveLogMel } from './naive-baseline';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');

interface Timing {
  best: number;
  median: number;
  /** CPU time (user + system) of the best run, ms: less sensitive to a busy machine than wall time. */
  cpu: number;
}

async function time(fn: () => unknown, runs: number): Promise<Timing> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    walls.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpus.push((c.user + c.system) / 1000);
  }
  const order = walls.map((_, i) => i).sort((a, b) => walls[a]! - walls[b]!);
  return {
    best: walls[order[0]!]!,
    median: walls[order[Math.floor(runs / 2)]!]!,
    cpu: Math.min(...cpus),
  };
}

function noise(n: number, seed: number): Float32Array {
  const x = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    x[i] = 0.2 * (s / 2 ** 32 - 0.5) + 0.3 * Math.sin(i * 0.05);
  }
  return x;
}

function wavBytes(channels: Float32Array[], rate: number): Uint8Array {
  const n = channels[0]!.length;
  const ch = channels.length;
  const out = new Uint8Array(44 + n * ch * 2);
  const v = new DataView(out.buffer);
  out.set(new TextEncoder().encode('RIFF'), 0);
  v.setUint32(4, 36 + n * ch * 2, true);
  out.set(new TextEncoder().encode('WAVEfmt '), 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, ch, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * ch * 2, true);
  v.setUint16(32, ch * 2, true);
  v.setUint16(34, 16, true);
  out.set(new TextEncoder().encode('data'), 36);
  v.setUint32(40, n * ch * 2, true);
  const pcm = new Int16Array(out.buffer, 44, n * ch);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < ch; c++) pcm[i * ch + c] = Math.round(channels[c]![i]! * 32767);
  return out;
}

/**
 * How busy the machine is: CPU time of a fixed integer loop (about 0.4 ns per iteration on an idle
 * core of this machine class). Printed with the results so figures from a loaded machine (other
 * jobs, vCPU steal) can be read in proportion.
 */
function calibrate(): number {
  const n = 2e8;
  const c0 = process.cpuUsage();
  let x = 0;
  for (let i = 0; i < n; i++) x = (x + i) | 0;
  const c = process.cpuUsage(c0);
  if (x === 42) console.log('');
  return ((c.user + c.system) * 1000) / n;
}

const rows: Array<{ task: string; ours: Timing; baseline?: string; base?: Timing }> = [];
const calibrationBefore = calibrate();
const tmp = mkdtempSync(join(tmpdir(), 'dw-audio-bench-'));
try {
  // 1. Log-mel of 30 s of non-silent audio (no zero tail to skip).
  const clip = noise(480000, 1);
  for (let i = 0; i < 30; i++) logMelSpectrogram(clip);
  const mel80 = await time(() => logMelSpectrogram(clip), quick ? 20 : 60);
  const mel128 = await time(() => logMelSpectrogram(clip, { nMels: 128 }), quick ? 10 : 30);
  // The JavaScript fallback (where WebAssembly SIMD is missing): same output, bit for bit.
  setLogMelSimdEnabled(false);
  let mel80js: Timing;
  try {
    for (let i = 0; i < 30; i++) logMelSpectrogram(clip);
    mel80js = await time(() => logMelSpectrogram(clip), quick ? 20 : 60);
  } finally {
    setLogMelSimdEnabled(true);
  }
  naiveLogMel(clip.subarray(0, 16000));
  const naive = await time(() => naiveLogMel(clip), quick ? 1 : 2);
  rows.push({
    task: 'log-mel 30 s, 80 bins',
    ours: mel80,
    baseline: 'naive O(N²) DFT, TS',
    base: naive,
  });
  rows.push({
    task: 'log-mel 30 s, 80 bins',
    ours: mel80,
    baseline: 'JS fallback (no WebAssembly SIMD)',
    base: mel80js,
  });

  // 2. Resampling and the whole path on 10 minutes of 44.1 kHz stereo 16-bit WAV.
  const minutes = quick ? 2 : 10;
  const n44 = 44100 * 60 * minutes;
  const left = noise(n44, 2);
  const right = noise(n44, 3);
  const wavPath = join(tmp, 'long.wav');
  writeFileSync(wavPath, wavBytes([left, right], 44100));
  const mono = new Float32Array(n44);
  for (let i = 0; i < n44; i++) mono[i] = (left[i]! + right[i]!) / 2;
  resample(mono.subarray(0, 441000), 44100, 16000);
  const rs = await time(() => resample(mono, 44100, 16000), 3);
  const fe = WhisperFeatureExtractor.fromConfig({});
  const windows = (a: Float32Array): Float32Array[] => {
    const out: Float32Array[] = [];
    for (let i = 0; i < a.length; i += 480000) out.push(a.subarray(i, i + 480000));
    return out;
  };
  let decoded: Float32Array = new Float32Array(0);
  const decode = await time(async () => {
    decoded = await loadAudio(wavPath);
  }, 3);
  const feats = await time(() => fe.extract(windows(decoded)), 3);
  const whole = await time(async () => fe.extract(windows(await loadAudio(wavPath))), 3);
  rows.push({ task: `resample ${minutes} min 44.1k → 16k`, ours: rs });
  rows.push({ task: `decode + resample, ${minutes} min 44.1k stereo WAV`, ours: decode });
  rows.push({ task: `features (${windows(decoded).length} × 30 s windows)`, ours: feats });
  rows.push({ task: `whole path, ${minutes} min 44.1k stereo WAV`, ours: whole });
  rows.push({ task: 'log-mel 30 s, 128 bins', ours: mel128 });

  // 3. Compressed decoders on the reference clips.
  const assets = resolve(here, '../../../shared/reference/assets');
  for (const f of ['jfk.flac', 'jfk.mp3']) {
    try {
      await loadAudio(join(assets, f));
      rows.push({
        task: `loadAudio ${f} (11 s) → 16 kHz`,
        ours: await time(() => loadAudio(join(assets, f)), 5),
      });
    } catch {
      console.warn(`[skip] ${f}: reference assets not found at ${assets}`);
    }
  }

  // 4. Python baselines.
  const clipPath = join(tmp, 'clip.f32');
  const monoPath = join(tmp, 'mono44k.f32');
  writeFileSync(clipPath, clip);
  writeFileSync(monoPath, mono);
  try {
    const py = JSON.parse(
      execFileSync(
        'python3',
        [join(here, 'numpy_baseline.py'), clipPath, '30', monoPath, '44100'],
        { encoding: 'utf8' },
      ),
    ) as {
      numpy: string;
      scipy?: string;
      log_mel_30s: { best_ms: number; median_ms: number };
      resample_poly: { best_ms: number; median_ms: number } | null;
    };
    const asTiming = (t: { best_ms: number; median_ms: number }): Timing => ({
      best: t.best_ms,
      median: t.median_ms,
      cpu: NaN,
    });
    rows.push({
      task: 'log-mel 30 s, 80 bins',
      ours: mel80,
      baseline: `numpy ${py.numpy} rfft (float64)`,
      base: asTiming(py.log_mel_30s),
    });
    if (py.resample_poly) {
      rows.push({
        task: `resample ${minutes} min 44.1k → 16k`,
        ours: rs,
        baseline: `scipy ${py.scipy} resample_poly`,
        base: asTiming(py.resample_poly),
      });
    } else console.warn('[skip] scipy not installed: no resample_poly baseline');
  } catch (err) {
    console.warn(`[skip] python3/numpy baseline unavailable: ${String(err).split('\n')[0]}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const calibrationAfter = calibrate();
const fmt = (x: number): string => (Number.isNaN(x) ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(2));
console.log(
  `\n@distil-whisper/audio benchmarks (node ${process.version}, wall ms: best / median, cpu ms of best)\n`,
);
console.log(
  `machine load check: integer loop ${calibrationBefore.toFixed(2)} ns/iter before, ${calibrationAfter.toFixed(2)} after ` +
    `(≈0.4 expected on an idle core: one cycle at 2.45 GHz); load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
);
console.log(
  '| task | ours best | ours median | ours cpu | baseline | baseline best | ratio (baseline / ours) |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  const ratio = r.base ? `${(r.base.best / r.ours.best).toFixed(1)}×` : '';
  console.log(
    `| ${r.task} | ${fmt(r.ours.best)} | ${fmt(r.ours.median)} | ${fmt(r.ours.cpu)} | ${r.baseline ?? ''} | ${r.base ? fmt(r.base.best) : ''} | ${ratio} |`,
  );
}
const resultsDir = resolve(here, '../results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(
  join(resultsDir, 'audio.json'),
  JSON.stringify(
    {
      node: process.version,
      quick,
      date: new Date().toISOString(),
      calibrationNsPerIter: [calibrationBefore, calibrationAfter],
      rows,
    },
    null,
    2,
  ),
);
console.log(`\nwrote ${join(resultsDir, 'audio.json')}`);
