// Distil-Whisper's Table 5 in miniature, for our own student: the teacher (real whisper base),
// the student before training (create-student's 2-layer copy) and the distilled student(s) —
// parameters, decoder layers, WER on the held-out synthetic split and on real English recordings
// (never used for training), per-token decode time, 30 s window latency and the speed-up over the
// teacher, measured side by side in one run; plus the WER filter's λ table on the pseudo-labels.
// Writes benchmarks/distill/RESULTS.md and results.json.
//
// Run: node --conditions=@distil-whisper/source --import tsx benchmarks/distill/results.ts \
//        --teacher DIR --student NAME=DIR [--student NAME=DIR ...] \
//        --synthetic-eval FILE.jsonl --real-eval FILE.jsonl [--labels FILE.jsonl] [--threads 2]
//        [--exclude-source mfa-disfluent] [--limit N] [--out DIR] [--note TEXT]
// The student before training is created from the teacher when no `init=` student is given.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { createStudent, filterByWer, werThresholdSweep } from '@distil-whisper/distill';
import { setNumThreads } from '@distil-whisper/kernels';
import {
  corpusWer,
  createNormalizer,
  loadSpellingMapSync,
  type SpellingMap,
} from '@distil-whisper/metrics';
import {
  EncoderOutput,
  generate,
  whisperGenerationModel,
  WhisperModel,
} from '@distil-whisper/model';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');

function args(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => {
    if (a === `--${name}` && process.argv[i + 1]) out.push(process.argv[i + 1]!);
  });
  return out;
}
const one = (name: string, def?: string): string | undefined => args(name)[0] ?? def;

interface Clip {
  id: string;
  audio: string;
  text: string;
  source?: string;
}

function readManifest(path: string, exclude: readonly string[], limit?: number): Clip[] {
  const dir = dirname(resolve(path));
  const clips = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Clip & { reference?: string })
    .filter((c) => !exclude.includes(c.source ?? ''))
    .map((c) => ({ ...c, audio: resolve(dir, c.audio), text: c.reference ?? c.text }));
  return limit ? clips.slice(0, limit) : clips;
}

interface ModelRow {
  name: string;
  dir: string;
  params: number;
  decoderParams: number;
  encoderLayers: number;
  decoderLayers: number;
  wer: Record<string, number>;
  perSource: Record<string, number>;
  msPerToken: number;
  encoderMs: number;
  windowMs: number;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function transcribeAll(
  model: WhisperModel,
  extractor: WhisperFeatureExtractor,
  tokenizer: WhisperTokenizer,
  clips: readonly Clip[],
): Promise<string[]> {
  const out: string[] = [];
  const batch = 8;
  for (let i = 0; i < clips.length; i += batch) {
    const part = clips.slice(i, i + batch);
    const feats: Float32Array[] = [];
    for (const c of part) feats.push(extractor.extract(await loadAudio(c.audio)).data);
    const all = new Float32Array(feats.reduce((n, f) => n + f.length, 0));
    let off = 0;
    for (const f of feats) {
      all.set(f, off);
      off += f.length;
    }
    const enc = model.encode(all, part.length);
    try {
      const res = await generate(whisperGenerationModel(model, enc), model.generationConfig, {
        language: 'en',
        task: 'transcribe',
        maxNewTokens: 128,
      });
      for (const r of res) out.push(tokenizer.decode(r.tokens, { skipSpecialTokens: true }));
    } finally {
      enc.dispose();
    }
  }
  return out;
}

/** Decoder time per token at batch 1 with the KV cache (64 tokens after the 4-token prompt). */
function timeDecoder(
  model: WhisperModel,
  features: Float32Array,
): { msPerToken: number; encoderMs: number } {
  const encTimes: number[] = [];
  let enc: EncoderOutput | undefined;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    enc?.dispose();
    enc = model.encode(features, 1);
    encTimes.push(performance.now() - t0);
  }
  const perToken: number[] = [];
  for (let rep = 0; rep < 3; rep++) {
    const state = model.createDecoderState(enc!);
    model.decode(state, [[50258, 50259, 50359, 50363]]);
    const t0 = performance.now();
    for (let i = 0; i < 64; i++) model.decode(state, [[400 + i]]);
    perToken.push((performance.now() - t0) / 64);
    state.dispose();
  }
  enc!.dispose();
  return { msPerToken: median(perToken), encoderMs: median(encTimes) };
}

/** Wall time of one greedy transcription of a 30 s window (encoder + every generated token). */
async function timeWindow(model: WhisperModel, features: Float32Array): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const enc = model.encode(features, 1);
    await generate(whisperGenerationModel(model, enc), model.generationConfig, {
      language: 'en',
      task: 'transcribe',
      maxNewTokens: 128,
    });
    enc.dispose();
    times.push(performance.now() - t0);
  }
  return median(times);
}

async function main(): Promise<void> {
  const teacherDir = one('teacher');
  const synthetic = one('synthetic-eval');
  const real = one('real-eval');
  if (!teacherDir || !synthetic || !real) {
    console.error(
      'usage: results.ts --teacher DIR --student NAME=DIR ... --synthetic-eval F --real-eval F',
    );
    process.exitCode = 2;
    return;
  }
  setNumThreads(Number(one('threads', '2')));
  const exclude = args('exclude-source');
  const limit = one('limit') ? Number(one('limit')) : undefined;
  const sets: Record<string, Clip[]> = {
    synthetic: readManifest(synthetic, [], limit),
    real: readManifest(real, exclude, limit),
  };
  const work = mkdtempSync(join(tmpdir(), 'dw-results-'));
  const students = args('student').map((s) => {
    const i = s.indexOf('=');
    return { name: s.slice(0, i), dir: s.slice(i + 1) };
  });
  if (!students.some((s) => s.name === 'init')) {
    createStudent({ teacherDir, outDir: join(work, 'init'), decoderLayers: 2 });
    students.unshift({ name: 'init', dir: join(work, 'init') });
  }
  const models = [{ name: 'teacher', dir: teacherDir }, ...students];
  const extractor = await WhisperFeatureExtractor.fromPretrained(teacherDir);
  const tokenizer = await WhisperTokenizer.fromPretrained(teacherDir);
  let spellingMap: SpellingMap | undefined;
  try {
    spellingMap = loadSpellingMapSync(
      join(repoRoot, '..', 'shared', 'reference', 'assets', 'english.json'),
    );
  } catch {
    spellingMap = undefined;
  }
  const normalize = createNormalizer('english', { ...(spellingMap ? { spellingMap } : {}) });
  // A 30 s window of speech: the longest synthetic eval clip, padded by the extractor.
  const window = extractor.extract(await loadAudio(sets.synthetic![0]!.audio)).data;
  const rows: ModelRow[] = [];
  const hyps: Record<string, Record<string, string[]>> = {};
  for (const m of models) {
    const model = WhisperModel.load(m.dir);
    try {
      let params = 0;
      let decoderParams = 0;
      for (const [name, t] of model.tensors) {
        params += t.size;
        if (name.startsWith('model.decoder.') && !name.includes('embed_')) decoderParams += t.size;
      }
      const wer: Record<string, number> = {};
      const perSource: Record<string, number> = {};
      hyps[m.name] = {};
      for (const [setName, clips] of Object.entries(sets)) {
        const t0 = performance.now();
        const h = await transcribeAll(model, extractor, tokenizer, clips);
        hyps[m.name]![setName] = h;
        wer[setName] =
          100 *
          corpusWer(
            clips.map((c) => c.text),
            h,
            { normalizer: normalize },
          );
        if (setName === 'real') {
          const bySource = new Map<string, number[]>();
          clips.forEach((c, i) => {
            const k = c.source ?? 'unknown';
            bySource.set(k, [...(bySource.get(k) ?? []), i]);
          });
          for (const [k, idx] of bySource)
            perSource[k] =
              100 *
              corpusWer(
                idx.map((i) => clips[i]!.text),
                idx.map((i) => h[i]!),
                { normalizer: normalize },
              );
        }
        console.error(
          `${m.name}: ${setName} WER ${wer[setName]!.toFixed(2)} % on ${clips.length} clips (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
        );
      }
      const { msPerToken, encoderMs } = timeDecoder(model, window);
      const windowMs = await timeWindow(model, window);
      rows.push({
        name: m.name,
        dir: m.dir,
        params,
        decoderParams,
        encoderLayers: model.config.encoderLayers,
        decoderLayers: model.config.decoderLayers,
        wer,
        perSource,
        msPerToken,
        encoderMs,
        windowMs,
      });
    } finally {
      model.dispose();
    }
  }
  // λ table on the pseudo-labels (the data side of the paper's Table 10).
  let lambda: ReturnType<typeof werThresholdSweep> | undefined;
  const labels = one('labels');
  if (labels) {
    const examples = readFileSync(labels, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { text: string; reference?: string })
      .map((e) => ({ label: e.text, reference: e.reference ?? null }));
    lambda = werThresholdSweep(
      filterByWer(examples, { ...(spellingMap ? { spellingMap } : {}) }).verdicts,
    );
  }
  rmSync(work, { recursive: true, force: true });

  const teacher = rows[0]!;
  const fmt = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
  const md: string[] = [
    '# Our distilled student — Distil-Whisper Table 5 in miniature',
    '',
    `Generated by \`benchmarks/distill/results.ts\` on ${new Date().toISOString().slice(0, 10)}; ${cpus()[0]?.model ?? 'cpu'}, ${one('threads', '2')} threads, load average ${loadavg()[0]!.toFixed(2)} at the end. Greedy decoding, English, no timestamps; WER after Whisper's English normaliser (with its spelling map).`,
    '',
    `Evaluation sets: **synthetic** = ${sets.synthetic!.length} held-out clips of the synthetic corpus (voices/texts not trained on, see tools/corpus); **real** = ${sets.real!.length} real English recordings from public projects' test data (tools/eval-data; never used for training${exclude.length ? `; excluded sources: ${exclude.join(', ')}` : ''}).`,
    '',
    '| model | params (M) | decoder params (M) | enc / dec layers | WER synthetic | WER real | ms / token | encoder ms / 30 s | 30 s window ms | speed-up per token | speed-up window |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${fmt(r.params / 1e6, 1)} | ${fmt(r.decoderParams / 1e6, 1)} | ${r.encoderLayers} / ${r.decoderLayers} | ${fmt(r.wer.synthetic!)} | ${fmt(r.wer.real!)} | ${fmt(r.msPerToken)} | ${fmt(r.encoderMs, 0)} | ${fmt(r.windowMs, 0)} | ${fmt(teacher.msPerToken / r.msPerToken)}× | ${fmt(teacher.windowMs / r.windowMs)}× |`,
    ),
    '',
    '## Real recordings by source (WER %)',
    '',
    `| source | ${rows.map((r) => r.name).join(' | ')} |`,
    `| --- | ${rows.map(() => '---').join(' | ')} |`,
    ...Object.keys(teacher.perSource)
      .sort()
      .map((k) => `| ${k} | ${rows.map((r) => fmt(r.perSource[k]!)).join(' | ')} |`),
  ];
  if (lambda)
    md.push(
      '',
      "## WER filter on the pseudo-labels (λ table, the data side of the paper's Table 10)",
      '',
      '| λ | kept | kept % | WER of kept pseudo-labels vs ground truth |',
      '| --- | --- | --- | --- |',
      ...lambda.map(
        (r) => `| ${r.threshold} | ${r.kept} | ${fmt(r.keptPercent, 1)} | ${fmt(r.wer)} |`,
      ),
    );
  const note = one('note');
  if (note) md.push('', note);
  const outDir = one('out', here)!;
  writeFileSync(join(outDir, 'RESULTS.md'), `${md.join('\n')}\n`);
  writeFileSync(
    join(outDir, 'results.json'),
    `${JSON.stringify({ date: new Date().toISOString(), rows, lambda: lambda ?? null, sets: Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, v.length])) }, null, 2)}\n`,
  );
  console.log(md.join('\n'));
}

void main();
