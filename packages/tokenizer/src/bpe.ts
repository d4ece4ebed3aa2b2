// Byte-level BPE over token ids. A piece (one pre-tokenisation match) is turned into its UTF-8
// bytes, each byte into its single-byte token, then the adjacent pair with the lowest merge priority
// is merged (leftmost first on ties) until no pair merges. This is the rule of both tiktoken (rank of
// the concatenated bytes) and Hugging Face tokenizers (rank of the merge), expressed as a pair table.

import { NO_MERGE, PairTable } from './pair-table.js';
import { TokenizerError } from './errors.js';

// Below this many bytes the quadratic scan beats a heap (pieces are almost always short); above it
// the heap keeps pathological pieces such as 100 000 repeated letters O(n log n).
const HEAP_THRESHOLD = 96;

/**
 * Merges `n` initial ids in `ids` in place and returns how many remain. Quadratic in `n`; meant for
 * short pieces. `prio` and `merged` are scratch arrays of at least `n` entries.
 */
function mergeShort(
  table: PairTable,
  ids: Int32Array,
  n: number,
  prio: Int32Array,
  merged: Int32Array,
): number {
  for (let i = 0; i + 1 < n; i++) {
    const slot = table.find(ids[i]!, ids[i + 1]!);
    prio[i] = table.priorityAt(slot);
    if (slot >= 0) merged[i] = table.resultAt(slot);
  }
  let len = n;
  while (len > 1) {
    let best = NO_MERGE;
    let at = -1;
    for (let i = 0; i + 1 < len; i++) {
      const p = prio[i]!;
      if (p < best) {
        best = p;
        at = i;
      }
    }
    if (at < 0) break;
    ids[at] = merged[at]!;
    ids.copyWithin(at + 1, at + 2, len);
    prio.copyWithin(at + 1, at + 2, len - 1);
    merged.copyWithin(at + 1, at + 2, len - 1);
    len--;
    if (at > 0) {
      const slot = table.find(ids[at - 1]!, ids[at]!);
      prio[at - 1] = table.priorityAt(slot);
      if (slot >= 0) merged[at - 1] = table.resultAt(slot);
    }
    if (at + 1 < len) {
      const slot = table.find(ids[at]!, ids[at + 1]!);
      prio[at] = table.priorityAt(slot);
      if (slot >= 0) merged[at] = table.resultAt(slot);
    }
  }
  return len;
}

/**
 * Same result as {@link mergeShort} in O(n log n): parts form a linked list keyed by their first
 * byte position; a binary heap orders candidate pairs by (priority, position). Stale heap entries are
 * recognised by re-reading the pair's current priority.
 */
function mergeLong(table: PairTable, ids: Int32Array, n: number): number {
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  let cap = n * 2 + 16;
  let heapPrio = new Int32Array(cap);
  let heapPos = new Int32Array(cap);
  let size = 0;

  const push = (p: number, pos: number): void => {
    if (size === cap) {
      cap *= 2;
      const np = new Int32Array(cap);
      np.set(heapPrio);
      heapPrio = np;
      const nq = new Int32Array(cap);
      nq.set(heapPos);
      heapPos = nq;
    }
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pp = heapPrio[parent]!;
      if (pp < p || (pp === p && heapPos[parent]! < pos)) break;
      heapPrio[i] = pp;
      heapPos[i] = heapPos[parent]!;
      i = parent;
    }
    heapPrio[i] = p;
    heapPos[i] = pos;
  };

  const popInto = (): void => {
    size--;
    const p = heapPrio[size]!;
    const pos = heapPos[size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (
        right < size &&
        (heapPrio[right]! < heapPrio[child]! ||
          (heapPrio[right] === heapPrio[child] && heapPos[right]! < heapPos[child]!))
      ) {
        child = right;
      }
      const cp = heapPrio[child]!;
      if (p < cp || (p === cp && pos < heapPos[child]!)) break;
      heapPrio[i] = cp;
      heapPos[i] = heapPos[child]!;
      i = child;
    }
    heapPrio[i] = p;
    heapPos[i] = pos;
  };

  for (let i = 0; i + 1 < n; i++) {
    const p = table.priorityAt(table.find(ids[i]!, ids[i + 1]!));
    if (p !== NO_MERGE) push(p, i);
  }
  const alive = new Uint8Array(n).fill(1);
  let remaining = n;
  while (size > 0) {
    const p = heapPrio[0]!;
    const pos = heapPos[0]!;
    popInto();
    if (!alive[pos]) continue;
    const right = next[pos]!;
    if (right < 0) continue;
    const slot = table.find(ids[pos]!, ids[right]!);
    if (table.priorityAt(slot) !== p) continue;
    ids[pos] = table.resultAt(slot);
    alive[right] = 0;
    const after = next[right]!;
    next[pos] = after;
    if (after >= 0) prev[after] = pos;
    remaining--;
    const before = prev[pos]!;
    if (before >= 0) {
      const bp = table.priorityAt(table.find(ids[before]!, ids[pos]!));
      if (bp !== NO_MERGE) push(bp, before);
    }
    if (after >= 0) {
      const ap = table.priorityAt(table.find(ids[pos]!, ids[after]!));
      if (ap !== NO_MERGE) push(ap, pos);
    }
  }
  let out = 0;
  for (let i = 0; i >= 0; i = next[i]!) ids[out++] = ids[i]!;
  if (out !== remaining) throw new Error('BPE linked list corrupted');
  return out;
}

/**
 * The BPE engine for one vocabulary: merges the bytes of one piece into token ids.
 * Not part of the public API; {@link WhisperTokenizer} drives it.
 */
export class BytePairMerger {
  private readonly byteToId = new Int32Array(256);
  private ids = new Int32Array(256);
  private prio = new Int32Array(256);
  private merged = new Int32Array(256);

  constructor(
    private readonly table: PairTable,
    singleByteIds: ArrayLike<number | undefined>,
  ) {
    for (let b = 0; b < 256; b++) {
      const id = singleByteIds[b];
      if (id === undefined) {
        throw new TokenizerError(
          'UNSUPPORTED_TOKENIZER',
          `the vocabulary has no token for the single byte 0x${b.toString(16).padStart(2, '0')}; ` +
            'a byte-level BPE vocabulary must contain all 256 bytes',
        );
      }
      this.byteToId[b] = id;
    }
  }

  /** Appends the ids of `bytes[0..n)` to `out`. */
  encodeBytes(bytes: Uint8Array, n: number, out: number[]): void {
    if (n === 0) return;
    if (n > this.ids.length) {
      const size = Math.max(n, this.ids.length * 2);
      this.ids = new Int32Array(size);
      this.prio = new Int32Array(size);
      this.merged = new Int32Array(size);
    }
    const ids = this.ids;
    const byteToId = this.byteToId;
    for (let i = 0; i < n; i++) ids[i] = byteToId[bytes[i]!]!;
    const len =
      n <= HEAP_THRESHOLD
        ? mergeShort(this.table, ids, n, this.prio, this.merged)
        : mergeLong(this.table, ids, n);
    for (let i = 0; i < len; i++) out.push(ids[i]!);
  }

  /** Test hook: forces one of the two merge strategies. */
  encodeBytesWith(strategy: 'short' | 'long', bytes: Uint8Array, out: number[]): void {
    const n = bytes.length;
    const ids = new Int32Array(Math.max(n, 1));
    for (let i = 0; i < n; i++) ids[i] = this.byteToId[bytes[i]!]!;
    const len =
      n === 0
        ? 0
        : strategy === 'short'
          ? mergeShort(this.table, ids, n, new Int32Array(n), new Int32Array(n))
          : mergeLong(this.table, ids, n);
    for (let i = 0; i < len; i++) out.push(ids[i]!);
  }
}
