// Encode / decode throughput of @distil-whisper/tokenizer against js-tiktoken on the same ranks,
// special tokens and pre-tokenisation pattern, in the same process.
//
//   node --conditions=@distil-whisper/source --import tsx benchmarks/tokenizer/encode.ts [--mb 4] [--runs 5]
//
// The text is generated deterministically from the vocabularies themselves: English sentences
// (words of the GPT-2 vocabulary, numbers, contractions, punctuation) mixed with sentences in other
// scripts (multilingual tokens that are whole words of CJK, Cyrillic, Arabic, Devanagari, …).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Tiktoken } from 'js-tiktoken/lite';
import {
  parseTiktoken,
  whisperSpecialTokenNames,
  WhisperTokenizer,
} from '@distil-whisper/tokenizer';

const here = dirname(fileURLToPath(import.meta.url));
const reference =
  process.env.DW_REFERENCE_DIR ?? join(here, '..', '..', '..', 'shared', 'reference');
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TARGET_MB = arg('mb', 4);
const RUNS = arg('runs', 5);
const PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function wordsOf(rankFile: string, keep: RegExp): string[] {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const words = new Set<string>();
  for (const line of readFileSync(rankFile, 'utf8').split('\n')) {
    const b64 = line.split(' ')[0];
    if (!b64) continue;
    try {
      const text = decoder.decode(Buffer.from(b64, 'base64')).trim();
      if (keep.test(text)) words.add(text);
    } catch {
      // not a whole UTF-8 string
    }
  }
  return [...words];
}

function makeText(targetBytes: number): string {
  const rnd = random(2024);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const english = wordsOf(join(reference, 'assets', 'gpt2.tiktoken'), /^[a-z]{2,12}$/);
  const scripts = wordsOf(
    join(reference, 'assets', 'multilingual.tiktoken'),
    /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Cyrillic}\p{Script=Arabic}\p{Script=Devanagari}\p{Script=Greek}\p{Script=Hebrew}\p{Script=Thai}]{2,}$/u,
  );
  const latin = wordsOf(join(reference, 'assets', 'multilingual.tiktoken'), /^\p{L}*[À-ž]\p{L}*$/u);
  const noSpaces = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u;
  const parts: string[] = [];
  let bytes = 0;
  while (bytes < targetBytes) {
    let sentence: string;
    const kind = rnd();
    if (kind < 0.6) {
      const n = 5 + Math.floor(rnd() * 15);
      const ws: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = rnd();
        if (r < 0.04) ws.push(String(Math.floor(rnd() * 10000)));
        else if (r < 0.07)
          ws.push(pick(["don't", "it's", "we're", "they've", "I'm", "you'll", "he'd"]));
        else ws.push(pick(english) + (rnd() < 0.08 ? ',' : ''));
      }
      sentence = ws.join(' ');
      sentence = sentence[0]!.toUpperCase() + sentence.slice(1) + pick(['.', '.', '?', '!', '...']);
    } else if (kind < 0.75) {
      sentence =
        Array.from({ length: 4 + Math.floor(rnd() * 10) }, () => pick(latin)).join(' ') + '.';
    } else {
      const first = pick(scripts);
      const sameScript = scripts.filter(
        (w, i) => i % 50 === 0 && noSpaces.test(w) === noSpaces.test(first),
      );
      const ws = [
        first,
        ...Array.from({ length: 3 + Math.floor(rnd() * 12) }, () => pick(sameScript)),
      ];
      sentence = noSpaces.test(first) ? ws.join('') + '。' : ws.join(' ') + '.';
    }
    parts.push(sentence);
    bytes += Buffer.byteLength(sentence) + 1;
    if (rnd() < 0.1) {
      parts.push('\n');
      bytes++;
    }
  }
  return parts.join(' ');
}

function jsTiktoken(rankFile: string, numLanguages: number): Tiktoken {
  const lines = readFileSync(rankFile, 'utf8').split('\n').filter(Boolean);
  // js-tiktoken's compact rank format: "! <offset> <base64> ..."; one token per line keeps it exact.
  // The empty token of multilingual.tiktoken ("=") is left out: base64-js rejects it, and it never
  // occurs in an encoding.
  const bpeRanks = lines
    .filter((l) => !l.startsWith('= '))
    .map((l) => {
      const [b64, rank] = l.split(' ');
      return `! ${rank} ${b64}`;
    });
  const special: Record<string, number> = {};
  whisperSpecialTokenNames(numLanguages).forEach((name, k) => (special[name] = lines.length + k));
  return new Tiktoken({
    pat_str: PATTERN,
    special_tokens: special,
    bpe_ranks: bpeRanks.join('\n'),
  });
}

function time<T>(fn: () => T): [T, number] {
  const start = process.hrtime.bigint();
  const value = fn();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  vocabulary: string;
  operation: string;
  ours_mb_s: number;
  js_tiktoken_mb_s: number;
  ratio: number;
}

const text = makeText(TARGET_MB * 1024 * 1024);
const mb = Buffer.byteLength(text) / (1024 * 1024);
const rows: Row[] = [];
const loads: Record<string, { ours_ms: number; js_tiktoken_ms: number }> = {};

for (const [vocabulary, file] of [
  ['gpt2 (English-only)', 'gpt2.tiktoken'],
  ['multilingual', 'multilingual.tiktoken'],
] as const) {
  const rankFile = join(reference, 'assets', file);
  const rankText = readFileSync(rankFile, 'utf8');
  // Same \s semantics as js-tiktoken, so that the two must agree id for id.
  const [ours, oursLoad] = time(
    () => new WhisperTokenizer(parseTiktoken(rankText), { whitespace: 'javascript' }),
  );
  const [theirs, theirsLoad] = time(() => jsTiktoken(rankFile, 99));
  loads[vocabulary] = { ours_ms: oursLoad, js_tiktoken_ms: theirsLoad };

  // First pass on a fresh tokenizer: nothing cached yet.
  const [oursIds, oursCold] = time(() => ours.encode(text));
  const [theirIds, theirsCold] = time(() => theirs.encode(text));
  if (oursIds.length !== theirIds.length || oursIds.some((id, i) => id !== theirIds[i])) {
    throw new Error(`${vocabulary}: ids differ from js-tiktoken`);
  }
  rows.push({
    vocabulary,
    operation: 'encode, first pass',
    ours_mb_s: mb / (oursCold / 1000),
    js_tiktoken_mb_s: mb / (theirsCold / 1000),
    ratio: theirsCold / oursCold,
  });

  const oursTimes: number[] = [];
  const theirTimes: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    oursTimes.push(time(() => ours.encode(text))[1]);
    theirTimes.push(time(() => theirs.encode(text))[1]);
  }
  const [o, t] = [median(oursTimes), median(theirTimes)];
  rows.push({
    vocabulary,
    operation: `encode, median of ${RUNS}`,
    ours_mb_s: mb / (o / 1000),
    js_tiktoken_mb_s: mb / (t / 1000),
    ratio: t / o,
  });

  const decodeOurs: number[] = [];
  const decodeTheirs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const [a, ta] = time(() => ours.decode(oursIds));
    const [b, tb] = time(() => theirs.decode(theirIds));
    if (a !== text || b !== text) throw new Error(`${vocabulary}: decode does not round-trip`);
    decodeOurs.push(ta);
    decodeTheirs.push(tb);
  }
  const [da, db] = [median(decodeOurs), median(decodeTheirs)];
  rows.push({
    vocabulary,
    operation: `decode, median of ${RUNS}`,
    ours_mb_s: mb / (da / 1000),
    js_tiktoken_mb_s: mb / (db / 1000),
    ratio: db / da,
  });
  console.error(
    `${vocabulary}: ${oursIds.length} ids for ${mb.toFixed(2)} MB; ids identical to js-tiktoken`,
  );
}

const fmt = (x: number): string => x.toFixed(x < 10 ? 2 : 1);
console.log(
  `\nText: ${mb.toFixed(2)} MB mixed English / multilingual; Node ${process.version}; ${os.cpus()[0]?.model ?? 'cpu'}; load avg ${os.loadavg()[0]!.toFixed(1)}\n`,
);
console.log(
  '| vocabulary | operation | ours MB/s | js-tiktoken MB/s | ratio (ours / js-tiktoken speed) |',
);
console.log('| --- | --- | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.vocabulary} | ${r.operation} | ${fmt(r.ours_mb_s)} | ${fmt(r.js_tiktoken_mb_s)} | ${r.ratio.toFixed(2)}x |`,
  );
console.log('\n| vocabulary | load ours (ms) | load js-tiktoken (ms) |');
console.log('| --- | ---: | ---: |');
for (const [v, l] of Object.entries(loads))
  console.log(`| ${v} | ${l.ours_ms.toFixed(0)} | ${l.js_tiktoken_ms.toFixed(0)} |`);

const out = join(here, '..', 'results');
mkdirSync(out, { recursive: true });
writeFileSync(
  join(out, 'tokenizer-encode.json'),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      load_average: os.loadavg()[0],
      text_mb: mb,
      runs: RUNS,
      rows,
      loads,
    },
    null,
    2,
  ),
);
