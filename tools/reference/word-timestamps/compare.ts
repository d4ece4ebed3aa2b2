// Compares our word timings with openai-whisper's on the clips of a fixture written by
// make_fixtures.py (jfk, or the real clips of ~/.cache/distil-whisper/eval-real), and prints the
// median absolute start/end differences, three ways:
//
//   algorithm   openai-whisper's text tokens, its encoder input (mel padded with 0.0 after the
//               audio) and its re-normalised attention: the alignment code alone
//   defaults    openai-whisper's text tokens, our defaults (transformers' features and cropping)
//   end-to-end  our own decode (generate() with timestamps) + WordAligner; words matched to
//               openai-whisper's by their letters, in order (longest common subsequence)
//
// Run (from the repository root; torch is not needed):
//   node --conditions=@distil-whisper/source --import tsx tools/reference/word-timestamps/compare.ts \
//     MODEL_DIR FIXTURE.json[,MORE.jsonl…] [EVAL_REAL_DIR] [--json OUT.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { setNumThreads } from '@distil-whisper/kernels';
import {
  alignWindowWords,
  alignWords,
  generate,
  runAlignmentPass,
  whisperGenerationModel,
  WhisperModel,
} from '@distil-whisper/model';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';
import { WordAligner, type TimedWord } from '../../../packages/distil-whisper/src/word-timestamps';

interface OwWord {
  word: string;
  start: number;
  end: number;
}
interface Clip {
  id: string;
  num_frames: number;
  segments: Array<{ start: number; end: number; tokens: number[]; words: OwWord[] }>;
  alignment: { text_tokens: number[]; words: OwWord[] };
}

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonOut = jsonAt >= 0 ? args.splice(jsonAt, 2)[1] : undefined;
const [modelDir, fixturePath, evalDir] = args;
if (!modelDir || !fixturePath) {
  console.error('usage: compare.ts MODEL_DIR FIXTURE.json [EVAL_REAL_DIR] [--json OUT.json]');
  process.exit(2);
}
setNumThreads(Number(process.env.DW_THREADS ?? 2));

// One or more fixtures, comma-separated: .json ({ clips }) or .jsonl (one clip per line, as
// parallel make_fixtures.py runs write them).
const clips: Clip[] = fixturePath.split(',').flatMap((path) =>
  path.endsWith('.jsonl')
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as Clip)
    : (JSON.parse(readFileSync(path, 'utf8')) as { clips: Clip[] }).clips,
);
const audioPath = new Map<string, string>([
  ['jfk', resolve(process.env.DW_REFERENCE_DIR ?? '../shared/reference', 'assets', 'jfk.wav')],
]);
if (evalDir)
  for (const line of readFileSync(join(evalDir, 'manifest.jsonl'), 'utf8').split('\n'))
    if (line.trim()) {
      const r = JSON.parse(line) as { id: string; audio: string };
      audioPath.set(r.id, join(evalDir, r.audio));
    }

const model = WhisperModel.load(modelDir);
const tokenizer = await WhisperTokenizer.fromPretrained(modelDir);
const fe = await WhisperFeatureExtractor.fromPretrained(modelDir);
const SOT = [
  model.generationConfig.decoderStartTokenId!,
  ...(Object.keys(model.generationConfig.langToId).length > 0
    ? [model.generationConfig.langToId['<|en|>']!, model.generationConfig.taskToId.transcribe!]
    : []),
];
const split = (t: readonly number[]) => tokenizer.splitToWordTokens(t, 'en');
const bare = (t: string): string => t.replace(/[^\p{L}\p{N}']/gu, '').toLowerCase();

type Diffs = { start: number[]; end: number[] };
const diffs: Record<'algorithm' | 'defaults' | 'endToEnd', Diffs> = {
  algorithm: { start: [], end: [] },
  defaults: { start: [], end: [] },
  endToEnd: { start: [], end: [] },
};
let exactAlgorithm = 0;
let words = 0;
let endToEndMatched = 0;
let endToEndReference = 0;

/** Pairs of indices of equal words, in order (longest common subsequence). */
function matchWords(a: string[], b: string[]): Array<[number, number]> {
  const n = a.length;
  const m = b.length;
  const dp = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      dp[i]![j] = a[i] === b[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const out: Array<[number, number]> = [];
  for (let i = 0, j = 0; i < n && j < m;)
    if (a[i] === b[j]) out.push([i++, j++]);
    else if (dp[i + 1]![j]! >= dp[i]![j + 1]!) i++;
    else j++;
  return out;
}

const t0 = Date.now();
for (const [k, clip] of clips.entries()) {
  const path = audioPath.get(clip.id);
  if (!path) throw new Error(`no audio for clip ${clip.id} (pass the eval-real folder)`);
  const samples = await loadAudio(path, { sampleRate: 16000 });
  const features = fe.extract(samples).data;
  const text = clip.alignment.text_tokens;
  const ref = clip.segments.flatMap((s) => s.words);
  if (text.length === 0) continue;

  // 1. The algorithm on openai-whisper's input.
  const owInput = Float32Array.from(features);
  for (let m = 0; m < model.config.numMelBins; m++)
    owInput.fill(0, m * 3000 + Math.min(3000, clip.num_frames), (m + 1) * 3000);
  let enc = model.encode(owInput, 1);
  try {
    const pass = runAlignmentPass(model, enc, { sotSequence: SOT, textTokens: text });
    const raw = alignWords({
      ...pass,
      split: split(text),
      numFrames: clip.num_frames,
      renormalize: true,
    });
    raw.forEach((w, i) => {
      const r = clip.alignment.words[i]!;
      const ds = Math.abs(w.start - r.start);
      const de = Math.abs(w.end - r.end);
      diffs.algorithm.start.push(ds);
      diffs.algorithm.end.push(de);
      if (ds < 1e-9 && de < 1e-9) exactAlgorithm++;
      words++;
    });
  } finally {
    enc.dispose();
  }

  // 2 and 3 on our own features.
  enc = model.encode(features, 1);
  try {
    const ours = alignWindowWords(model, enc, {
      sotSequence: SOT,
      segments: clip.segments,
      numFrames: clip.num_frames,
      splitWords: split,
    }).segments.flatMap((s) => s.words);
    ours.forEach((w, i) => {
      diffs.defaults.start.push(Math.abs(w.start - ref[i]!.start));
      diffs.defaults.end.push(Math.abs(w.end - ref[i]!.end));
    });

    const frames = Math.min(3000, Math.floor(samples.length / 160));
    const [r] = await generate(whisperGenerationModel(model, enc), model.generationConfig, {
      language: 'en',
      returnTimestamps: true,
      windowFrames: frames,
    });
    const window = {
      index: k,
      frames,
      timeOffset: 0,
      prefix: r!.prefix,
      segments: r!.segments.map((s) => ({ ...s, words: undefined as TimedWord[] | undefined })),
      encoded: { encoderOutput: enc },
      row: 0,
    };
    new WordAligner(model, tokenizer).align(window);
    const e2e = window.segments.flatMap((s) => s.words ?? []);
    const pairs = matchWords(
      e2e.map((w) => bare(w.text)),
      ref.map((w) => bare(w.word)),
    );
    for (const [i, j] of pairs) {
      diffs.endToEnd.start.push(Math.abs(e2e[i]!.start - ref[j]!.start));
      diffs.endToEnd.end.push(Math.abs(e2e[i]!.end - ref[j]!.end));
    }
    endToEndMatched += pairs.length;
    endToEndReference += ref.length;
  } finally {
    enc.dispose();
  }
  process.stderr.write(`\r${k + 1}/${clips.length} ${clip.id}`.padEnd(60));
}
process.stderr.write('\n');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const p90 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)]!;
const rows = Object.entries(diffs).map(([name, d]) => ({
  name,
  words: d.start.length,
  medianStart: median(d.start),
  medianEnd: median(d.end),
  meanStart: mean(d.start),
  meanEnd: mean(d.end),
  p90Start: p90(d.start),
  p90End: p90(d.end),
}));
console.log(`${clips.length} clips, ${words} words; ${((Date.now() - t0) / 1000).toFixed(0)} s`);
console.log(
  '| comparison | words | median Δstart | median Δend | mean Δstart | mean Δend | p90 Δstart | p90 Δend |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows)
  console.log(
    `| ${r.name} | ${r.words} | ${r.medianStart.toFixed(3)} | ${r.medianEnd.toFixed(3)} | ${r.meanStart.toFixed(3)} | ${r.meanEnd.toFixed(3)} | ${r.p90Start.toFixed(2)} | ${r.p90End.toFixed(2)} |`,
  );
console.log(
  `algorithm: ${exactAlgorithm}/${words} words with identical start and end; end-to-end: ${endToEndMatched} of openai-whisper's ${endToEndReference} words matched by text`,
);
if (jsonOut)
  writeFileSync(
    jsonOut,
    `${JSON.stringify({ clips: clips.length, words, exactAlgorithm, endToEndMatched, endToEndReference, rows }, null, 2)}\n`,
  );
model.dispose();
