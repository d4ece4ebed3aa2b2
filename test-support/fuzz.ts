// Mutation fuzzing for the file readers (audio containers, safetensors headers, tokenizer.json,
// config.json, CTranslate2 model.bin): a valid seed file is mutated (bit flips, boundary integers
// over header fields, truncation, deletion, insertion, duplication; for JSON also structural edits
// of values and keys) and the reader must either accept the result or throw its package's typed
// error. Anything else — a TypeError, a RangeError from a typed array, a WebAssembly trap, a hang
// — fails with the seed and the shrunk input that reproduce it.
//
// Runs: a few hundred per reader in the normal suite; `DW_FUZZ_RUNS=N` runs N per reader (the
// long run, on demand); `DW_FUZZ_SEED=S DW_FUZZ_PATH=P` replays a reported failure.
import fc from 'fast-check';

/** Inputs per reader: `DW_FUZZ_RUNS` when set, else `ci`. */
export function fuzzRuns(ci: number): number {
  const n = Number(process.env.DW_FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : ci;
}

/** Per-test timeout that grows with the run count (about `msPerInput` per input, at least 60 s). */
export function fuzzTimeout(ci: number, msPerInput: number): number {
  return Math.max(60_000, fuzzRuns(ci) * msPerInput * 2);
}

/** Values that break size and offset arithmetic when they land on a header field. */
const BOUNDARY_U32 = [
  0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
  0xfffffffe, 0xffffffff,
];

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number; bigEndian: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; at: number; length: number; to: number };

/** Positions: half in the first `head` bytes (where headers are), half anywhere. */
function position(head: number): fc.Arbitrary<number> {
  return fc.oneof(fc.nat({ max: head - 1 }), fc.nat({ max: 0x7fffffff }));
}

function mutation(head: number): fc.Arbitrary<Mutation> {
  const at = position(head);
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at, bit: fc.nat({ max: 7 }) }),
    fc.record({
      kind: fc.constant('byte' as const),
      at,
      value: fc.oneof(fc.constantFrom(0, 0xff, 0x7f, 0x80), fc.nat({ max: 255 })),
    }),
    fc.record({
      kind: fc.constant('u32' as const),
      at,
      value: fc.oneof(fc.constantFrom(...BOUNDARY_U32), fc.nat({ max: 0xffffffff })),
      bigEndian: fc.boolean(),
    }),
    fc.record({ kind: fc.constant('truncate' as const), at }),
    fc.record({
      kind: fc.constant('delete' as const),
      at,
      length: fc.integer({ min: 1, max: 64 }),
    }),
    fc.record({
      kind: fc.constant('insert' as const),
      at,
      bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }),
    }),
    fc.record({
      kind: fc.constant('duplicate' as const),
      at,
      length: fc.integer({ min: 1, max: 512 }),
      to: position(head),
    }),
  );
}

function apply(input: Uint8Array, m: Mutation): Uint8Array {
  const n = input.length;
  if (n === 0) return m.kind === 'insert' ? m.bytes.slice() : input;
  const at = m.at % n;
  switch (m.kind) {
    case 'flip': {
      const out = input.slice();
      out[at] = (out[at] as number) ^ (1 << m.bit);
      return out;
    }
    case 'byte': {
      const out = input.slice();
      out[at] = m.value;
      return out;
    }
    case 'u32': {
      const out = input.slice();
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
      const p = Math.min(at, Math.max(0, n - 4));
      if (n >= 4) view.setUint32(p, m.value, !m.bigEndian);
      return out;
    }
    case 'truncate':
      return input.slice(0, at);
    case 'delete': {
      const out = new Uint8Array(n - Math.min(m.length, n - at));
      out.set(input.subarray(0, at));
      out.set(input.subarray(at + m.length), at);
      return out;
    }
    case 'insert': {
      const out = new Uint8Array(n + m.bytes.length);
      out.set(input.subarray(0, at));
      out.set(m.bytes, at);
      out.set(input.subarray(at), at + m.bytes.length);
      return out;
    }
    case 'duplicate': {
      const piece = input.slice(at, at + m.length);
      const to = m.to % n;
      const out = new Uint8Array(n + piece.length);
      out.set(input.subarray(0, to));
      out.set(piece, to);
      out.set(input.subarray(to), to + piece.length);
      return out;
    }
  }
}

/**
 * `seed` with one to `max` byte-level mutations; positions favour the first `head` bytes.
 */
export function mutatedBytes(seed: Uint8Array, head = 256, max = 6): fc.Arbitrary<Uint8Array> {
  return fc
    .array(mutation(Math.max(1, Math.min(head, seed.length))), { minLength: 1, maxLength: max })
    .map((ms) => ms.reduce(apply, seed));
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path into `v` (keys and indices), the root included. */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(at);
  if (Array.isArray(v)) v.slice(0, 64).forEach((x, i) => paths(x, [...at, i], out));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) paths(x, [...at, k], out);
  return out;
}

/** Values that break readers expecting a size, a count, an id or a name. */
const NASTY: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(
    null,
    true,
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    2 ** 53,
    2 ** 31,
    '',
    '__proto__',
    'constructor',
    '\u0000',
    '\ud800',
    [],
    {},
    [[]],
    { __proto__: null } as unknown as Json,
  ),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

type JsonEdit =
  | { kind: 'replace'; path: number; value: Json }
  | { kind: 'delete'; path: number }
  | { kind: 'rename'; path: number; key: string }
  | { kind: 'add'; path: number; key: string; value: Json };

function edit(doc: Json, e: JsonEdit): Json {
  const all = paths(doc);
  const path = all[e.path % all.length] as (string | number)[];
  if (path.length === 0) return e.kind === 'replace' ? e.value : doc;
  const copy = structuredClone(doc);
  let parent = copy as Record<string | number, Json>;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (e.kind === 'replace') parent[last] = e.value;
  else if (e.kind === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (e.kind === 'rename') {
    if (!Array.isArray(parent)) {
      parent[e.key] = parent[last] as Json;
      delete parent[last];
    }
  } else {
    const target = parent[last];
    if (target !== null && typeof target === 'object' && !Array.isArray(target))
      (target as Record<string, Json>)[e.key] = e.value;
    else if (Array.isArray(target)) target.push(e.value);
  }
  return copy;
}

/**
 * The JSON text of `seed` after one to `max` structural edits (values replaced by nasty ones,
 * keys deleted, renamed or added), and in a quarter of the cases byte mutations of the text too.
 */
export function mutatedJson(seed: unknown, max = 4): fc.Arbitrary<Uint8Array> {
  const key = fc.oneof(
    fc.constantFrom('__proto__', 'constructor', ''),
    fc.string({ maxLength: 8 }),
  );
  const e: fc.Arbitrary<JsonEdit> = fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), path: fc.nat(), value: NASTY }),
    fc.record({ kind: fc.constant('delete' as const), path: fc.nat() }),
    fc.record({ kind: fc.constant('rename' as const), path: fc.nat(), key }),
    fc.record({ kind: fc.constant('add' as const), path: fc.nat(), key, value: NASTY }),
  );
  const enc = new TextEncoder();
  const structural = fc
    .array(e, { minLength: 1, maxLength: max })
    .map((es) => enc.encode(JSON.stringify(es.reduce(edit, seed as Json))));
  return fc.oneof(
    { arbitrary: structural, weight: 3 },
    { arbitrary: structural.chain((text) => mutatedBytes(text, 1 << 16, 3)), weight: 1 },
  );
}

function describeInput(x: unknown): string {
  if (x instanceof Uint8Array) {
    const hex = Buffer.from(x.subarray(0, 48)).toString('hex');
    return `${x.length} bytes (${hex}${x.length > 48 ? '…' : ''})`;
  }
  if (Array.isArray(x)) return `[${x.map(describeInput).join(', ')}]`;
  return JSON.stringify(x)?.slice(0, 200) ?? String(x);
}

/** What one fuzz run saw. */
export interface FuzzReport {
  target: string;
  inputs: number;
  accepted: number;
  /** Typed errors by code. */
  rejected: Record<string, number>;
}

/**
 * Feeds `runs` inputs from `inputs` to `target`; passes when every input is accepted or rejected
 * with an error `typed` recognises (its `code` is tallied). Prints and returns the tally.
 */
export async function fuzz<T>(
  name: string,
  inputs: fc.Arbitrary<T>,
  target: (input: T) => unknown,
  typed: (e: unknown) => e is { code: string },
  runs: number,
): Promise<FuzzReport> {
  const report: FuzzReport = { target: name, inputs: 0, accepted: 0, rejected: {} };
  const seed = Number(process.env.DW_FUZZ_SEED);
  const details = await fc.check(
    fc.asyncProperty(inputs, async (input) => {
      report.inputs++;
      try {
        await target(input);
        report.accepted++;
      } catch (e) {
        if (!typed(e)) throw e;
        report.rejected[e.code] = (report.rejected[e.code] ?? 0) + 1;
      }
    }),
    {
      numRuns: runs,
      ...(Number.isInteger(seed) ? { seed } : {}),
      ...(process.env.DW_FUZZ_PATH ? { path: process.env.DW_FUZZ_PATH } : {}),
    },
  );
  if (details.failed) {
    // A short report (the counterexample of a binary reader is kilobytes of numbers): the seed
    // and path replay it exactly (DW_FUZZ_SEED), the error says what broke.
    const err = details.errorInstance as Error | undefined;
    const shown = (details.counterexample ?? []).map(describeInput).join(', ');
    throw new Error(
      `fuzz ${name}: an input crashed the reader after ${details.numRuns} inputs ` +
        `(replay: DW_FUZZ_SEED=${details.seed} DW_FUZZ_PATH=${details.counterexamplePath ?? '?'}): ` +
        `${err?.name ?? 'Error'}: ${err?.message ?? String(details.errorInstance)}\n` +
        `input: ${shown}\n${err?.stack ?? ''}`,
      { cause: err },
    );
  }
  const codes = Object.entries(report.rejected)
    .map(([c, k]) => `${c} ${k}`)
    .join(', ');
  console.log(
    `fuzz ${name}: ${report.inputs} inputs, 0 crashes — ${report.accepted} accepted, rejected: ${codes || 'none'}`,
  );
  return report;
}
