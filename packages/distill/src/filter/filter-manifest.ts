// The WER filter over a pseudo-label manifest file: reads the records pseudo-labelling wrote
// (`text` = the label, `reference` = the ground truth), writes the kept lines unchanged to a new
// manifest (atomically; an existing one only with `force`) and reports the figures.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { loadSpellingMapSync, type SpellingMap } from '@distil-whisper/metrics';
import { writeFileAtomic } from '@distil-whisper/model';

import { DistillError } from '../errors.js';
import {
  filterByWer,
  werThresholdSweep,
  type WerFilterResult,
  type WerGroupStats,
  type WerSweepRow,
} from './wer-filter.js';

/** Options of {@link filterManifest}. */
export interface FilterManifestOptions {
  /** Pseudo-label manifest (JSONL with `text` and `reference`). */
  readonly manifest: string;
  /** Output manifest: the kept lines, byte for byte. */
  readonly out: string;
  /** λ in percent (keep when 100 · WER < λ). Default 10. */
  readonly threshold?: number;
  /** Language of the data (unset or English: English normaliser; else the basic one). */
  readonly language?: string | null;
  /**
   * Where the English normaliser's spelling map is: a checkpoint directory holding
   * `normalizer.json`, or the JSON file itself. Default: none (spelling variants count as errors).
   */
  readonly spellingMap?: string;
  /** Replace an existing `out`. Default false. */
  readonly force?: boolean;
}

/** One line of the input that is not a record. */
export interface FilterLineProblem {
  /** 1-based line number. */
  readonly line: number;
  readonly reason: string;
}

/** One example as the filter saw it. */
export interface FilterManifestExample {
  readonly line: number;
  readonly id: string;
  readonly label: string | undefined;
  readonly reference: string | undefined;
}

/** Result of {@link filterManifest}. */
export interface FilterManifestSummary {
  readonly manifest: string;
  readonly out: string;
  readonly result: WerFilterResult<FilterManifestExample>;
  /** What each λ of the sweep (100, 80, 40, 20, 15, 10, 5) would keep. */
  readonly sweep: readonly WerSweepRow[];
  /** Lines that are not JSON objects (not copied). */
  readonly problems: readonly FilterLineProblem[];
  /** The summary: counts, the all/kept/dropped table, drop reasons. */
  readonly text: string;
}

const pct = (x: number): string => (Number.isNaN(x) ? '–' : `${x.toFixed(2)} %`);

function row(name: string, s: WerGroupStats, total: number): string {
  const share = total > 0 ? ((100 * s.examples) / total).toFixed(1) : '0.0';
  return `| ${name} | ${s.examples} | ${share} % | ${s.referenceWords} | ${pct(s.wer)} |`;
}

/** The all / kept / dropped table of a filter result (markdown). */
export function formatWerFilterTable<T>(result: WerFilterResult<T>): string {
  const n = result.stats.all.examples;
  return [
    '| examples | count | share | reference words | corpus WER |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('all', result.stats.all, n),
    row(`kept (WER < ${result.threshold} %)`, result.stats.kept, n),
    row('dropped', result.stats.dropped, n),
  ].join('\n');
}

/** The λ table of {@link werThresholdSweep} (markdown). */
export function formatWerSweep(rows: readonly WerSweepRow[]): string {
  return [
    '| λ (WER <) | kept | kept % | corpus WER of kept |',
    '| ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) => `| ${r.threshold} | ${r.kept} | ${r.keptPercent.toFixed(1)} % | ${pct(r.wer)} |`,
    ),
  ].join('\n');
}

function loadMap(path: string | undefined): SpellingMap | undefined {
  if (path === undefined) return undefined;
  try {
    return loadSpellingMapSync(path);
  } catch (err) {
    throw new DistillError(
      'INVALID_ARGUMENT',
      `cannot use the spelling map at ${path}: ${(err as Error).message}`,
      { path, cause: err },
    );
  }
}

/**
 * Applies {@link filterByWer} to a pseudo-label manifest and writes the kept lines, unchanged,
 * to `out` (atomically). Lines that are not JSON objects are named and not copied; records
 * without `text` or `reference` are dropped (`no-label`, `no-reference`).
 *
 * @throws {@link DistillError} `MANIFEST_UNREADABLE`, `INVALID_ARGUMENT` (threshold, spelling
 *   map, `out` equal to the input); `WriteError` `OUTPUT_EXISTS` when `out` exists without `force`.
 * @example
 * ```ts
 * const s = await filterManifest({ manifest: 'labels.jsonl', out: 'train.jsonl', threshold: 10 });
 * console.log(s.text);
 * ```
 */
export async function filterManifest(
  options: FilterManifestOptions,
): Promise<FilterManifestSummary> {
  const manifest = resolve(options.manifest);
  const out = resolve(options.out);
  if (manifest === out)
    throw new DistillError(
      'INVALID_ARGUMENT',
      `--out must differ from the input manifest (${out})`,
    );
  const spellingMap = loadMap(options.spellingMap);
  let text: string;
  try {
    text = await readFile(manifest, 'utf8');
  } catch (err) {
    throw new DistillError(
      'MANIFEST_UNREADABLE',
      `cannot read the manifest ${manifest}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err)}`,
      { path: manifest, cause: err },
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split('\n');
  const examples: FilterManifestExample[] = [];
  const raw = new Map<FilterManifestExample, string>();
  const problems: FilterLineProblem[] = [];
  lines.forEach((l, i) => {
    if (l.trim().length === 0) return;
    let r: unknown;
    try {
      r = JSON.parse(l);
    } catch (err) {
      problems.push({ line: i + 1, reason: `not valid JSON: ${(err as Error).message}` });
      return;
    }
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      problems.push({ line: i + 1, reason: 'not a JSON object' });
      return;
    }
    const o = r as Record<string, unknown>;
    const ex: FilterManifestExample = {
      line: i + 1,
      id: typeof o.id === 'string' || typeof o.id === 'number' ? String(o.id) : String(i + 1),
      label: typeof o.text === 'string' ? o.text : undefined,
      reference: typeof o.reference === 'string' ? o.reference : undefined,
    };
    examples.push(ex);
    raw.set(ex, l.endsWith('\r') ? l.slice(0, -1) : l);
  });
  const result = filterByWer(examples, {
    ...(options.threshold !== undefined ? { threshold: options.threshold } : {}),
    ...(options.language !== undefined ? { language: options.language } : {}),
    ...(spellingMap ? { spellingMap } : {}),
  });
  const body = result.kept.map((v) => `${raw.get(v.example)!}\n`).join('');
  writeFileAtomic(out, body, { force: options.force ?? false });
  const sweep = werThresholdSweep(result.verdicts);

  const normalizer =
    result.normalizer === 'basic'
      ? 'basic normaliser'
      : result.normalizer === 'english+spelling-map'
        ? 'English normaliser with the spelling map'
        : 'English normaliser without a spelling map (pass --spelling-map DIR for British/American unification)';
  const reasons = Object.entries(result.dropCounts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const summary = [
    `kept ${result.kept.length} of ${examples.length} examples (${examples.length > 0 ? ((100 * result.kept.length) / examples.length).toFixed(1) : '0.0'} %) with WER < ${result.threshold} %; wrote ${out}`,
    `normaliser: ${normalizer}`,
    ...(reasons ? [`dropped: ${reasons}`] : []),
    ...(problems.length > 0
      ? [
          `${problems.length} line${problems.length === 1 ? '' : 's'} not read:`,
          ...problems.slice(0, 20).map((p) => `  line ${p.line}: ${p.reason}`),
        ]
      : []),
    '',
    formatWerFilterTable(result),
  ].join('\n');
  return { manifest, out, result, sweep, problems, text: summary };
}
