// int8 against f32 on the same real checkpoint: WER on real English recordings, logit drift along
// the f32 greedy path of jfk.wav, and speed (encoder per 30 s window, decoder ms per token).
//
//   node --conditions=@distil-whisper/source --import tsx benchmarks/inference/int8-accuracy.ts \
//     --model DIR --eval MANIFEST.jsonl [--exclude-source S ...] [--limit N] [--threads 2]
// MANIFEST: tools/eval-data's manifest.jsonl (id, audio relative to the manifest, text, source).
// Writes benchmarks/results/int8-accuracy.json and prints a markdown table.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { createPipeline } from 'distil-whisper';
import { setNumThreads } from '@distil-whisper/kernels';
import { corpusWer, createNormalizer, loadSpellingMapSync } from '@distil-whisper/metrics';
import { WhisperModel, type ComputeType } from '@distil-whisper/model';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const argv = process.argv.slice(2);
const all = (name: string): string[] =>
  argv.flatMap((a, i) => (a === `--${name}` && argv[i + 1] !== undefined ? [argv[i + 1]!] : []));
const one = (name: string, fallback?: string): string | undefined => all(name)[0] ?? fallback;

interface Clip {
  id: string;
  audio: string;
  text: string;
  source?: string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function werOf(
  modelDir: string,
  computeType: ComputeType,
  clips: Clip[],
): Promise<{ wer: number; seconds: number }> {
  const asr = await createPipeline(modelDir, { inline: true, computeType });
  const spelling = loadSpellingMapSync(
    join(repoRoot, '..', 'shared', 'reference', 'assets', 'english.json'),
  );
  const normalize = createNormalizer('english', { spellingMap: spelling });
  const refs: string[] = [];
  const hyps: string[] = [];
  const t0 = performance.now();
  try {
    for (const c of clips) {
      const out = await asr.transcribe(c.audio, { language: 'en', task: 'transcribe' });
      refs.push(normalize(c.text));
      hyps.push(normalize(out.text));
    }
  } finally {
    await asr.dispose();
  }
  return { wer: 100 * corpusWer(refs, hyps), seconds: (performance.now() - t0) / 1000 };
}

/** Encoder ms per window and decoder ms per token (median), plus the logits along `path`. */
function probe(model: WhisperModel, features: Float32Array, prompt: number[], path: number[]) {
  const encMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    model.encode(features, 1).dispose();
    encMs.push(performance.now() - t0);
  }
  const enc = model.encode(features, 1);
  const state = model.createDecoderState(enc);
  const logits: Float32Array[] = [];
  const stepMs: number[] = [];
  let out = model.decode(state, [prompt]);
  const V = out.vocabSize;
  logits.push(out.logits.slice(out.logits.length - V));
  for (const t of path) {
    const t0 = performance.now();
    out = model.decode(state, [[t]]);
    stepMs.push(performance.now() - t0);
    logits.push(out.logits.slice(0, V));
  }
  state.dispose();
  enc.dispose();
  return { encoderMs: median(encMs), msPerToken: median(stepMs), logits };
}

async function main(): Promise<void> {
  const modelDir = one('model');
  const manifest = one('eval');
  if (!modelDir || !manifest) {
    console.error(
      'usage: int8-accuracy.ts --model DIR --eval MANIFEST.jsonl [--exclude-source S] [--limit N]',
    );
    process.exitCode = 2;
    return;
  }
  setNumThreads(Number(one('threads', '2')));
  const exclude = all('exclude-source');
  const base = dirname(resolve(manifest));
  let clips = readFileSync(manifest, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Clip)
    .filter((c) => !exclude.includes(c.source ?? ''))
    .map((c) => ({ ...c, audio: resolve(base, c.audio) }));
  if (one('limit')) clips = clips.slice(0, Number(one('limit')));

  // Logit drift along f32's own greedy path on jfk.wav: both models see the same tokens.
  const extractor = await WhisperFeatureExtractor.fromPretrained(modelDir);
  const features = extractor.extract(
    await loadAudio(join(repoRoot, '..', 'shared', 'reference', 'assets', 'jfk.wav')),
  ).data;
  // The float baseline is the checkpoint as stored (whisper base's Hugging Face weights are f16,
  // multiplied with f32 activations).
  const f32 = WhisperModel.load(modelDir);
  const stored = f32.weightDtype;
  const prompt = [50258, 50259, 50359, 50363].filter((t) => t < f32.vocabSize);
  const greedy: number[] = [];
  {
    const enc = f32.encode(features, 1);
    const state = f32.createDecoderState(enc);
    let out = f32.decode(state, [prompt]);
    const V = out.vocabSize;
    for (let i = 0; i < 64; i++) {
      const row = out.logits.subarray(out.logits.length - V);
      let best = 0;
      for (let v = 1; v < V; v++) if (row[v]! > row[best]!) best = v;
      if (best === f32.generationConfig.eosTokenId) break;
      greedy.push(best);
      out = f32.decode(state, [[best]]);
    }
    state.dispose();
    enc.dispose();
  }
  const a = probe(f32, features, prompt, greedy);
  f32.dispose();
  const i8model = WhisperModel.load(modelDir, { computeType: 'int8' });
  const b = probe(i8model, features, prompt, greedy);
  i8model.dispose();
  let maxAbs = 0;
  let rel = 0;
  let agree = 0;
  for (let s = 0; s < a.logits.length; s++) {
    const x = a.logits[s]!;
    const y = b.logits[s]!;
    let num = 0;
    let den = 0;
    let ax = 0;
    let ay = 0;
    for (let v = 0; v < x.length; v++) {
      maxAbs = Math.max(maxAbs, Math.abs(x[v]! - y[v]!));
      num += (x[v]! - y[v]!) ** 2;
      den += x[v]! ** 2;
      if (x[v]! > x[ax]!) ax = v;
      if (y[v]! > y[ay]!) ay = v;
    }
    rel = Math.max(rel, Math.sqrt(num / den));
    if (ax === ay) agree++;
  }

  const werF32 = await werOf(modelDir, 'default', clips);
  const werI8 = await werOf(modelDir, 'int8', clips);
  const result = {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    threads: Number(one('threads', '2')),
    loadAverage: loadavg()[0]!,
    model: modelDir,
    clips: clips.length,
    excluded: exclude,
    storedDtype: stored,
    f32: {
      wer: werF32.wer,
      evalSeconds: werF32.seconds,
      encoderMs: a.encoderMs,
      msPerToken: a.msPerToken,
    },
    int8: {
      wer: werI8.wer,
      evalSeconds: werI8.seconds,
      encoderMs: b.encoderMs,
      msPerToken: b.msPerToken,
    },
    logits: {
      steps: a.logits.length,
      maxAbsDiff: maxAbs,
      maxRelL2: rel,
      argmaxAgreement: agree / a.logits.length,
    },
  };
  const out = join(repoRoot, 'benchmarks', 'results', 'int8-accuracy.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, JSON.stringify(result, null, 2));
  renameSync(`${out}.tmp`, out);
  const f = (x: number, d = 2): string => x.toFixed(d);
  console.log(
    `${result.cpu}, ${result.threads} threads, load ${f(result.loadAverage)}; ${clips.length} real clips`,
  );
  console.log('| compute | WER real | Δ WER | encoder ms / 30 s | ms / token | eval s |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  console.log(
    `| as stored (${stored} weights) | ${f(werF32.wer)} | | ${f(a.encoderMs, 0)} | ${f(a.msPerToken, 1)} | ${f(werF32.seconds, 1)} |`,
  );
  console.log(
    `| int8 | ${f(werI8.wer)} | ${f(werI8.wer - werF32.wer)} | ${f(b.encoderMs, 0)} | ${f(b.msPerToken, 1)} | ${f(werI8.seconds, 1)} |`,
  );
  console.log(
    `logits along f32's greedy path of jfk.wav (${result.logits.steps} steps): max |Δ| ${f(maxAbs, 3)}, max relative L2 ${f(rel, 4)}, same argmax ${f(100 * result.logits.argmaxAgreement, 1)} %`,
  );
}

void main();
