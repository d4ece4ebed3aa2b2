// Open-addressing hash table from an adjacent token pair (left id, right id) to the merge it allows:
// its priority (lower merges first) and the id it produces. Integer keys in typed arrays keep the
// BPE inner loop free of string building and Map hashing.
//
// A table can be filled up front (Hugging Face merges) or on demand through a resolver (tiktoken
// ranks, where any two tokens whose bytes concatenate to a token merge): then the first lookup of a
// pair asks the resolver and stores the answer, "no merge" included.

/** Priority of a pair that has no merge. */
export const NO_MERGE = 0x7fffffff;

/** Answers a pair not yet in the table: the id it merges into (which is also its priority), or -1. */
export type PairResolver = (left: number, right: number) => number;

const EMPTY = -1;

export class PairTable {
  private mask: number;
  private lefts: Int32Array;
  private rights: Int32Array;
  private priorities: Int32Array;
  private results: Int32Array;
  private count = 0;

  constructor(
    expectedPairs: number,
    private readonly resolver?: PairResolver,
  ) {
    let capacity = 1024;
    while (capacity < expectedPairs * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.lefts = new Int32Array(capacity).fill(EMPTY);
    this.rights = new Int32Array(capacity);
    this.priorities = new Int32Array(capacity);
    this.results = new Int32Array(capacity);
  }

  /** Number of pairs stored ("no merge" answers of the resolver included). */
  get size(): number {
    return this.count;
  }

  private slotOf(left: number, right: number): number {
    let h = (Math.imul(left, 0x9e3779b1) ^ Math.imul(right + 0x7f4a7c15, 0x85ebca77)) >>> 0;
    h ^= h >>> 15;
    let slot = h & this.mask;
    const lefts = this.lefts;
    const rights = this.rights;
    for (;;) {
      const l = lefts[slot]!;
      if (l === EMPTY || (l === left && rights[slot] === right)) return slot;
      slot = (slot + 1) & this.mask;
    }
  }

  private grow(): void {
    const { lefts, rights, priorities, results } = this;
    const capacity = lefts.length * 2;
    this.mask = capacity - 1;
    this.lefts = new Int32Array(capacity).fill(EMPTY);
    this.rights = new Int32Array(capacity);
    this.priorities = new Int32Array(capacity);
    this.results = new Int32Array(capacity);
    for (let i = 0; i < lefts.length; i++) {
      const l = lefts[i]!;
      if (l === EMPTY) continue;
      const slot = this.slotOf(l, rights[i]!);
      this.lefts[slot] = l;
      this.rights[slot] = rights[i]!;
      this.priorities[slot] = priorities[i]!;
      this.results[slot] = results[i]!;
    }
  }

  private insert(
    slot: number,
    left: number,
    right: number,
    priority: number,
    result: number,
  ): number {
    this.lefts[slot] = left;
    this.rights[slot] = right;
    this.priorities[slot] = priority;
    this.results[slot] = result;
    this.count++;
    if (this.count * 2 > this.mask) {
      this.grow();
      return this.slotOf(left, right);
    }
    return slot;
  }

  /** Adds a merge; a pair already present keeps its earlier (lower) priority. */
  add(left: number, right: number, priority: number, result: number): void {
    const slot = this.slotOf(left, right);
    if (this.lefts[slot] === EMPTY) this.insert(slot, left, right, priority, result);
  }

  /**
   * Slot of the pair, or -1 when it has no merge. Valid only until the next call: read
   * {@link priorityAt} / {@link resultAt} right away (a resolved pair may grow the table).
   */
  find(left: number, right: number): number {
    let slot = this.slotOf(left, right);
    if (this.lefts[slot] === EMPTY) {
      if (this.resolver === undefined) return -1;
      const merged = this.resolver(left, right);
      slot = this.insert(slot, left, right, merged < 0 ? NO_MERGE : merged, merged);
    }
    return this.priorities[slot] === NO_MERGE ? -1 : slot;
  }

  priorityAt(slot: number): number {
    return slot < 0 ? NO_MERGE : this.priorities[slot]!;
  }

  resultAt(slot: number): number {
    return this.results[slot]!;
  }
}
