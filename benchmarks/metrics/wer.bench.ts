// Corpus WER speed: 10k utterance pairs and a 1-hour transcript pair (~10k words a side), ours vs
// a plain O(n·m) dynamic programme (every cell of the matrix, same (edits, hits) objective) in the
// same run, plus jiwer 4 (Python, rapidfuzz C++) when python3 can import it.
//   node --conditions=@distil-whisper/source --import tsx benchmarks/metrics/wer.bench.ts
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alignTexts, measureCorpus, splitWords } from '@distil-whisper/metrics';

const here = dirname(fileURLToPath(import.meta.url));

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const r = rng(2024);
const syllables = [
  'ka',
  'lo',
  'mi',
  'ne',
  'su',
  'ta',
  'ri',
  'po',
  'de',
  'gu',
  'an',
  'er',
  'is',
  'ol',
];
// Zipf-like vocabulary: frequent short words, a long tail of rarer ones, like transcripts
const vocab = Array.from({ length: 5000 }, (_, i) => {
  let w = '';
  for (let k = 0, x = i + 1; k < 1 + (i % 4) || x > 0; k++, x = Math.floor(x / syllables.length)) {
    w += syllables[x % syllables.length];
  }
  return w;
});
const word = (): string => vocab[Math.floor(vocab.length * r() ** 3)] as string;
function transcriptPair(words: number, errorRate: number): [string, string] {
  const ref: string[] = [];
  const hyp: string[] = [];
  for (let k = 0; k < words; k++) {
    const w = word();
    ref.push(w);
    const x = r();
    if (x < errorRate * 0.5)
      hyp.push(word()); // substitution
    else if (x < errorRate * 0.75)
      continue; // deletion
    else if (x < errorRate)
      hyp.push(w, word()); // insertion
    else hyp.push(w);
  }
  return [ref.join(' '), hyp.join(' ')];
}

const utterances = Array.from({ length: 10_000 }, () =>
  transcriptPair(8 + Math.floor(r() * 25), 0.1),
);
const utteranceRefs = utterances.map((p) => p[0]);
const utteranceHyps = utterances.map((p) => p[1]);
const [longRef, longHyp] = transcriptPair(10_000, 0.1); // ~1 hour of speech at ~165 words/min

/** The baseline: textbook DP over all (n+1)(m+1) cells, minimising edits then maximising hits. */
function plainDp(ref: string[], hyp: string[]): { edits: number; hits: number } {
  const m = hyp.length;
  let pe = new Int32Array(m + 1);
  let ph = new Int32Array(m + 1);
  let ce = new Int32Array(m + 1);
  let ch = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) pe[j] = j;
  for (let i = 1; i <= ref.length; i++) {
    ce[0] = i;
    ch[0] = 0;
    const w = ref[i - 1];
    for (let j = 1; j <= m; j++) {
      const same = w === hyp[j - 1];
      let e = pe[j - 1]! + (same ? 0 : 1);
      let h = ph[j - 1]! + (same ? 1 : 0);
      if (pe[j]! + 1 < e || (pe[j]! + 1 === e && ph[j]! > h)) {
        e = pe[j]! + 1;
        h = ph[j]!;
      }
      if (ce[j - 1]! + 1 < e || (ce[j - 1]! + 1 === e && ch[j - 1]! > h)) {
        e = ce[j - 1]! + 1;
        h = ch[j - 1]!;
      }
      ce[j] = e;
      ch[j] = h;
    }
    [pe, ce] = [ce, pe];
    [ph, ch] = [ch, ph];
  }
  return { edits: pe[m]!, hits: ph[m]! };
}

function plainCorpus(refs: string[], hyps: string[]): { wer: number; hits: number } {
  let edits = 0;
  let hits = 0;
  let words = 0;
  refs.forEach((ref, k) => {
    const a = splitWords(ref);
    const c = plainDp(a, splitWords(hyps[k] as string));
    edits += c.edits;
    hits += c.hits;
    words += a.length;
  });
  return { wer: edits / words, hits };
}

function best<T>(reps: number, fn: () => T): { seconds: number; result: T } {
  let seconds = Infinity;
  let result!: T;
  for (let k = 0; k < reps; k++) {
    const t0 = performance.now();
    result = fn();
    seconds = Math.min(seconds, (performance.now() - t0) / 1000);
  }
  return { seconds, result };
}

const rows: Array<Record<string, string | number>> = [];
function compare(name: string, refs: string[], hyps: string[], reps: number): void {
  const ours = best(reps, () => measureCorpus(refs, hyps));
  const base = best(Math.max(1, reps - 2), () => plainCorpus(refs, hyps));
  if (
    Math.abs(ours.result.errorRate - base.result.wer) > 1e-12 ||
    ours.result.hits !== base.result.hits
  ) {
    throw new Error(
      `${name}: results differ (ours ${ours.result.errorRate}/${ours.result.hits}, baseline ${base.result.wer}/${base.result.hits})`,
    );
  }
  rows.push({
    case: name,
    words: ours.result.referenceLength,
    wer: Number(ours.result.errorRate.toFixed(4)),
    ours_s: Number(ours.seconds.toFixed(4)),
    plain_dp_s: Number(base.seconds.toFixed(4)),
    speedup: Number((base.seconds / ours.seconds).toFixed(1)),
  });
}

compare('10k utterance pairs', utteranceRefs, utteranceHyps, 5);
compare('1-hour transcript pair', [longRef], [longHyp], 5);
const align = best(3, () => alignTexts(longRef, longHyp));
rows.push({
  case: '1-hour pair, full alignment (pairs)',
  words: align.result.referenceLength,
  wer: Number(align.result.errorRate.toFixed(4)),
  ours_s: Number(align.seconds.toFixed(4)),
  plain_dp_s: '',
  speedup: '',
});

let jiwer: Record<string, unknown> | string = 'not run';
try {
  const dir = mkdtempSync(join(tmpdir(), 'dw-wer-bench-'));
  const data = join(dir, 'data.json');
  writeFileSync(
    data,
    JSON.stringify({
      utterances: { refs: utteranceRefs, hyps: utteranceHyps },
      longform: { refs: [longRef], hyps: [longHyp] },
    }),
  );
  jiwer = JSON.parse(
    execFileSync('python3', [join(here, 'jiwer_baseline.py'), data], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as Record<string, unknown>;
  const j = jiwer as Record<string, { seconds: number }>;
  for (const [row, key] of [
    [0, 'utterances'],
    [1, 'longform'],
  ] as const) {
    const s = j[key]?.seconds;
    if (s !== undefined && rows[row]) {
      rows[row]!.jiwer_s = Number(s.toFixed(4));
      rows[row]!.vs_jiwer = Number((s / (rows[row]!.ours_s as number)).toFixed(2));
    }
  }
} catch {
  jiwer = 'python3 with jiwer not available; skipped';
}

console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
console.table(rows);
if (typeof jiwer === 'string') console.log(`jiwer baseline: ${jiwer}`);
const outDir = resolve(here, '..', 'results');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'metrics-wer.json'),
  JSON.stringify({ node: process.version, date: new Date().toISOString(), rows, jiwer }, null, 2),
);
console.log(`wrote ${join(outDir, 'metrics-wer.json')}`);
