// Training-step benchmark: one distillation step of a 2-layer student of real whisper base
// (teacher decoder forward, student forward + backward, 0.8·CE + 1.0·T²·KL, clip 1.0, AdamW with
// weight decay 0.01), ours beside PyTorch CPU doing the same step (torch_step.py), in the same
// run on the same machine, with the same shapes: batch 8 × 64 decoder positions, shared frozen
// encoder states [8, 1500, 512] (the encoder is not run per step: both sides cache it).
//
// Run: node --conditions=@distil-whisper/source --import tsx benchmarks/distill/bench.ts
//        [--teacher DIR] [--batch-size 8] [--seq-len 64] [--steps 5] [--threads 2] [--no-torch]
// Teacher default: ~/.cache/distil-whisper/real-weights/hf/base (tools/real-weights/fetch.sh base).
// PyTorch: $PYTHON, else ~/.cache/distil-whisper/pyref/bin/python (pip install torch transformers).
// Each side runs in its own process so its peak RSS is its own. Writes
// benchmarks/results/distill.json and prints a markdown table with the ratio.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createStudent, trainingStep, type MicroBatch } from '@distil-whisper/distill';
import { setNumThreads, Tensor } from '@distil-whisper/kernels';
import { TrainableDecoder, WhisperModel } from '@distil-whisper/model';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}
const teacherDir = arg('teacher', join(homedir(), '.cache/distil-whisper/real-weights/hf/base'));
const B = Number(arg('batch-size', '8'));
const N = Number(arg('seq-len', '64'));
const steps = Number(arg('steps', '5'));
const threads = Number(arg('threads', '2'));

interface Measure {
  step_seconds_median: number;
  step_seconds_min: number;
  tokens_per_second: number;
  peak_rss_mb: number;
}

function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Our side (runs in a child process: `--child`). */
function child(): void {
  setNumThreads(threads);
  const work = mkdtempSync(join(tmpdir(), 'dw-bench-distill-'));
  try {
    createStudent({ teacherDir, outDir: join(work, 'student'), decoderLayers: 2 });
    const teacher = WhisperModel.load(teacherDir);
    const studentModel = WhisperModel.load(join(work, 'student'));
    const student = new TrainableDecoder(studentModel, { freezeEmbedPositions: true });
    const d = teacher.config.dModel;
    const S = teacher.config.maxSourcePositions;
    const r = xorshift(1);
    const enc = Tensor.from(
      Float32Array.from({ length: B * S * d }, () => r() * 2 - 1),
      [B, S, d],
    );
    // SOT, <|en|>, <|transcribe|>, <|notimestamps|> then text, EOT, padding (-100 in labels).
    const prefix = [50258, 50259, 50359, 50363];
    const ids = new Int32Array(B * N).fill(50257);
    const labels = new Int32Array(B * N).fill(-100);
    for (let b = 0; b < B; b++) {
      const len = b === 0 ? N : Math.floor(N / 2 + r() * (N / 2 + 1));
      const row = [...prefix];
      while (row.length < len) row.push(Math.floor(r() * 50000));
      row[len - 1] = 50257;
      // decoder inputs = row[:-1], labels = row[1:] (no prompt: nothing masked but padding).
      for (let i = 0; i < len - 1; i++) {
        ids[b * N + i] = row[i]!;
        labels[b * N + i] = row[i + 1]!;
      }
    }
    const mb: MicroBatch = {
      decoderInputIds: ids,
      labels,
      batchSize: B,
      length: N,
      encoderStates: enc,
    };
    const times: number[] = [];
    for (let s = 0; s <= steps; s++) {
      const t0 = performance.now();
      trainingStep(teacher, student, [mb], {
        learningRate: 1e-4,
        step: s + 1,
        maxGradNorm: 1,
        weightDecay: 0.01,
      });
      if (s > 0) times.push((performance.now() - t0) / 1000);
    }
    const med = median(times);
    const out: Measure = {
      step_seconds_median: med,
      step_seconds_min: Math.min(...times),
      tokens_per_second: (B * N) / med,
      peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function python(): string | undefined {
  const candidates = [
    process.env.PYTHON,
    join(homedir(), '.cache/distil-whisper/pyref/bin/python'),
  ];
  for (const p of candidates) {
    if (!p) continue;
    try {
      execFileSync(p, ['-c', 'import torch, transformers'], { stdio: 'ignore' });
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function main(): void {
  if (!existsSync(join(teacherDir, 'config.json'))) {
    console.error(`no teacher at ${teacherDir}: run bash tools/real-weights/fetch.sh base`);
    process.exitCode = 1;
    return;
  }
  const load = loadavg()[0]!;
  if (load > 0.5)
    console.warn(
      `[warn] load average ${load.toFixed(2)}: other work is running; figures will be noisy`,
    );
  const ours = JSON.parse(
    execFileSync(
      process.execPath,
      [
        '--conditions=@distil-whisper/source',
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--child',
        ...process.argv.slice(2),
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    )
      .trim()
      .split('\n')
      .pop()!,
  ) as Measure;
  let torch: (Measure & { torch_version?: string }) | undefined;
  const py = process.argv.includes('--no-torch') ? undefined : python();
  if (py) {
    const line = execFileSync(
      py,
      [
        join(here, 'torch_step.py'),
        '--teacher',
        teacherDir,
        '--batch-size',
        String(B),
        '--seq-len',
        String(N),
        '--steps',
        String(steps),
        '--threads',
        String(threads),
        '--json',
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    )
      .trim()
      .split('\n')
      .pop()!;
    torch = JSON.parse(line) as Measure & { torch_version?: string };
  } else console.warn('[skip] PyTorch baseline: no python with torch + transformers ($PYTHON)');
  const rows = [
    ['ours (C++ AVX2 kernels)', ours],
    ...(torch ? [[`PyTorch ${torch.torch_version ?? ''} CPU`, torch] as const] : []),
  ] as Array<readonly [string, Measure]>;
  const lines = [
    `Distillation training step — whisper base teacher (6 decoder layers), 2-layer student, batch ${B} × ${N} positions, ${threads} threads, ${cpus()[0]?.model ?? 'cpu'}`,
    '',
    '| implementation | step (median) | step (min) | tokens/s | peak RSS |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map(
      ([name, m]) =>
        `| ${name} | ${m.step_seconds_median.toFixed(3)} s | ${m.step_seconds_min.toFixed(3)} s | ${m.tokens_per_second.toFixed(0)} | ${m.peak_rss_mb.toFixed(0)} MB |`,
    ),
  ];
  if (torch)
    lines.push(
      '',
      `ours / PyTorch step time: ${(ours.step_seconds_median / torch.step_seconds_median).toFixed(2)}× (median), ${(ours.step_seconds_min / torch.step_seconds_min).toFixed(2)}× (min); < 1 means faster`,
    );
  console.log(lines.join('\n'));
  const outDir = join(repoRoot, 'benchmarks', 'results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'distill.json'),
    `${JSON.stringify({ batch: B, seqLen: N, threads, loadAverage: load, ours, torch: torch ?? null }, null, 2)}\n`,
  );
}

if (process.argv.includes('--child')) child();
else main();
