// Word/character alignment by weighted edit distance. Every alignment minimises the number of edits
// (S + D + I) and, among those, maximises the number of hits. Both goals fold into one additive key
// per path: key = edits * M - hits with M > max possible hits, so plain DP over keys finds them, the
// counts-only pass and the alignment pass agree by construction, and the result does not depend on
// which of several equally good paths a backtrace happens to take.
//
// Speed: common prefix/suffix are stripped (always optimal), and the DP runs in a diagonal band that
// is widened by doubling (Ukkonen): a path with e edits never leaves the diagonals whose distance
// bound exceeds e, so once the banded optimum has e <= band budget it is the global optimum.
// Memory: counts need two band-wide rows (linear); the alignment stores one byte per band cell.

/** Raw counts of an alignment. */
export interface EditCounts {
  hits: number;
  substitutions: number;
  deletions: number;
  insertions: number;
}

/** Sequences of integer symbol ids, as produced by {@link encodePair}. */
export interface EncodedPair {
  ref: Int32Array;
  hyp: Int32Array;
}

/** Maps two token sequences onto shared integer ids so the DP compares numbers, not strings. */
export function encodePair<T>(ref: readonly T[], hyp: readonly T[]): EncodedPair {
  const ids = new Map<T, number>();
  const encode = (tokens: readonly T[]): Int32Array => {
    const out = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as T;
      let id = ids.get(t);
      if (id === undefined) {
        id = ids.size;
        ids.set(t, id);
      }
      out[i] = id;
    }
    return out;
  };
  return { ref: encode(ref), hyp: encode(hyp) };
}

interface Trimmed {
  a: Int32Array;
  b: Int32Array;
  prefix: number;
  suffix: number;
}

function trimCommon(a: Int32Array, b: Int32Array): Trimmed {
  let prefix = 0;
  const limit = Math.min(a.length, b.length);
  while (prefix < limit && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < limit - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) {
    suffix++;
  }
  return {
    a: a.subarray(prefix, a.length - suffix),
    b: b.subarray(prefix, b.length - suffix),
    prefix,
    suffix,
  };
}

/** Diagonal range [low, high] of j - i that a path with at most `budget` edits can touch. */
function bandFor(n: number, m: number, budget: number): { low: number; high: number } {
  const excess = Math.max(0, Math.floor((budget - Math.abs(m - n)) / 2));
  return { low: Math.min(0, m - n) - excess, high: Math.max(0, m - n) + excess };
}

function countsFromKey(key: number, M: number, n: number, m: number): EditCounts {
  const edits = Math.ceil(key / M);
  const hits = edits * M - key;
  // H + S + D = n, H + S + I = m, S + D + I = edits
  const substitutions = n + m - 2 * hits - edits;
  const del = n - hits - substitutions;
  const ins = m - hits - substitutions;
  return { hits, substitutions, deletions: del, insertions: ins };
}

/** Banded two-row DP; returns the optimal key within the band (Infinity if the band is empty). */
function bandedKey(a: Int32Array, b: Int32Array, low: number, high: number, M: number): number {
  const n = a.length;
  const m = b.length;
  const width = high - low + 1;
  // Row arrays are indexed by diagonal offset d = (j - i) - low, padded by one on each side so the
  // neighbours of the band edges read Infinity without branches.
  let prev = new Float64Array(width + 2).fill(Infinity);
  let cur = new Float64Array(width + 2).fill(Infinity);
  // row 0: key(0, j) = j * M for j in band
  for (let j = Math.max(0, low); j <= Math.min(m, high); j++) prev[j - low + 1] = j * M;
  for (let i = 1; i <= n; i++) {
    cur.fill(Infinity);
    const jFrom = Math.max(0, i + low);
    const jTo = Math.min(m, i + high);
    const ai = a[i - 1] as number;
    for (let j = jFrom; j <= jTo; j++) {
      const d = j - i - low + 1;
      let best: number;
      if (j === 0) best = i * M;
      else {
        best = (prev[d] as number) + (ai === b[j - 1] ? -1 : M); // hit or substitution
        const del = (prev[d + 1] as number) + M; // ref word i unmatched: (i-1, j)
        if (del < best) best = del;
        const ins = (cur[d - 1] as number) + M; // hyp word j unmatched: (i, j-1)
        if (ins < best) best = ins;
      }
      cur[d] = best;
    }
    const t = prev;
    prev = cur;
    cur = t;
  }
  return prev[m - n - low + 1] as number;
}

/**
 * Plain Levenshtein distance by Ukkonen's diagonal-transition algorithm: for e = 0, 1, ... it keeps
 * the furthest row reachable with e edits on every diagonal, sliding along runs of equal tokens.
 * Time O((n + m) + d^2) for typical inputs (d = distance), memory O(n + m).
 */
export function levenshteinDistance(a: Int32Array, b: Int32Array): number {
  const n = a.length;
  const m = b.length;
  const delta = m - n;
  const offset = n + 1; // diagonal k = j - i is stored at k + offset; one spare slot each side
  let prev = new Int32Array(n + m + 3).fill(-1);
  let cur = new Int32Array(n + m + 3).fill(-1);
  const slide = (i: number, k: number): number => {
    let r = i;
    while (r < n && r + k < m && a[r] === b[r + k]) r++;
    return r;
  };
  prev[offset] = slide(0, 0);
  if (delta === 0 && prev[offset] === n) return 0;
  for (let e = 1; ; e++) {
    const kLow = Math.max(-n, -e);
    const kHigh = Math.min(m, e);
    for (let k = kLow; k <= kHigh; k++) {
      const x = k + offset;
      // -1 marks "not reachable with e - 1 edits"; every move below keeps that impossible value < 0
      const sub = prev[x] as number;
      const del = prev[x + 1] as number; // from diagonal k + 1 by consuming a reference token
      const ins = prev[x - 1] as number; // from diagonal k - 1 by consuming a hypothesis token
      let i = -1;
      if (sub >= 0) i = sub + 1;
      if (del >= 0 && del + 1 > i) i = del + 1;
      if (ins >= 0 && ins > i) i = ins;
      if (i < 0) {
        cur[x] = -1;
        continue;
      }
      // clip to the matrix: row <= n and column i + k <= m
      if (i > n) i = n;
      if (i + k > m) i = m - k;
      if (i < 0 || i < -k) {
        cur[x] = -1;
        continue;
      }
      cur[x] = slide(i, k);
    }
    if ((cur[delta + offset] as number) === n) return e;
    const t = prev;
    prev = cur;
    cur = t;
    cur.fill(-1, Math.max(0, kLow - 1 + offset), Math.min(cur.length, kHigh + 2 + offset));
  }
}

const SMALL_MATRIX_CELLS = 4096;

function optimalBand(
  a: Int32Array,
  b: Int32Array,
  M: number,
): { low: number; high: number; key: number } {
  const n = a.length;
  const m = b.length;
  // Small matrices: the whole matrix costs less than finding the distance first.
  if (n * m <= SMALL_MATRIX_CELLS) return { low: -n, high: m, key: bandedKey(a, b, -n, m, M) };
  // Every path with at most d edits (d = the distance) lies in this band, so the banded optimum
  // of the (edits, hits) key is the global one.
  const { low, high } = bandFor(n, m, levenshteinDistance(a, b));
  return { low, high, key: bandedKey(a, b, low, high, M) };
}

/**
 * Edit counts of the best alignment of two id sequences, in memory linear in their length.
 *
 * @example
 * ```ts
 * const { ref, hyp } = encodePair(['a', 'b', 'c'], ['a', 'x', 'c']);
 * editCounts(ref, hyp); // { hits: 2, substitutions: 1, deletions: 0, insertions: 0 }
 * ```
 */
export function editCounts(ref: Int32Array, hyp: Int32Array): EditCounts {
  const { a, b, prefix, suffix } = trimCommon(ref, hyp);
  const common = prefix + suffix;
  if (a.length === 0 || b.length === 0) {
    return { hits: common, substitutions: 0, deletions: a.length, insertions: b.length };
  }
  const M = Math.min(a.length, b.length) + 1;
  const { key } = optimalBand(a, b, M);
  const c = countsFromKey(key, M, a.length, b.length);
  return { ...c, hits: c.hits + common };
}

/** One step of an alignment, as indices into the two sequences (-1 where a side has no token). */
export interface AlignmentStep {
  op: 'hit' | 'substitution' | 'deletion' | 'insertion';
  refIndex: number;
  hypIndex: number;
}

const DIAG = 0;
const DEL = 1;
const INS = 2;

/**
 * Upper bound on band cells (bytes) the alignment pass may allocate. Counts alone never need it;
 * a 50k-word transcript pair at 10 % WER needs about 50k x 10k cells.
 */
export const MAX_ALIGNMENT_CELLS = 1 << 30;

/**
 * The best alignment of two id sequences, as steps in order. Ties between equally good paths are
 * broken during the backtrace from the end by preferring a diagonal step (hit/substitution), then a
 * deletion, then an insertion, which puts unavoidable insertions/deletions as early as possible.
 *
 * @throws RangeError when the band would exceed {@link MAX_ALIGNMENT_CELLS} cells.
 */
export function alignEncoded(
  ref: Int32Array,
  hyp: Int32Array,
): { steps: AlignmentStep[]; counts: EditCounts } {
  const { a, b, prefix, suffix } = trimCommon(ref, hyp);
  const n = a.length;
  const m = b.length;
  const steps: AlignmentStep[] = [];
  for (let k = 0; k < prefix; k++) steps.push({ op: 'hit', refIndex: k, hypIndex: k });
  const counts: EditCounts = {
    hits: prefix + suffix,
    substitutions: 0,
    deletions: 0,
    insertions: 0,
  };

  if (n === 0 || m === 0) {
    for (let i = 0; i < n; i++) steps.push({ op: 'deletion', refIndex: prefix + i, hypIndex: -1 });
    for (let j = 0; j < m; j++) steps.push({ op: 'insertion', refIndex: -1, hypIndex: prefix + j });
    counts.deletions = n;
    counts.insertions = m;
  } else {
    const M = Math.min(n, m) + 1;
    const { low, high } = optimalBand(a, b, M);
    const width = high - low + 1;
    if ((n + 1) * width > MAX_ALIGNMENT_CELLS) {
      throw new RangeError(
        `Alignment of ${n} x ${m} tokens needs ${(n + 1) * width} cells (limit ${MAX_ALIGNMENT_CELLS}); ` +
          'use the counts-only functions, which need linear memory, or align shorter segments.',
      );
    }
    const moves = new Uint8Array((n + 1) * width);
    let prev = new Float64Array(width + 2).fill(Infinity);
    let cur = new Float64Array(width + 2).fill(Infinity);
    for (let j = Math.max(0, low); j <= Math.min(m, high); j++) {
      prev[j - low + 1] = j * M;
      moves[j - low] = INS;
    }
    for (let i = 1; i <= n; i++) {
      cur.fill(Infinity);
      const jFrom = Math.max(0, i + low);
      const jTo = Math.min(m, i + high);
      const ai = a[i - 1] as number;
      const rowBase = i * width;
      for (let j = jFrom; j <= jTo; j++) {
        const d = j - i - low + 1;
        let best: number;
        let move = DIAG;
        if (j === 0) {
          best = i * M;
          move = DEL;
        } else {
          best = (prev[d] as number) + (ai === b[j - 1] ? -1 : M);
          const del = (prev[d + 1] as number) + M;
          if (del < best) {
            best = del;
            move = DEL;
          }
          const ins = (cur[d - 1] as number) + M;
          if (ins < best) {
            best = ins;
            move = INS;
          }
        }
        cur[d] = best;
        moves[rowBase + d - 1] = move;
      }
      const t = prev;
      prev = cur;
      cur = t;
    }
    const middle: AlignmentStep[] = [];
    let i = n;
    let j = m;
    while (i > 0 || j > 0) {
      const move = moves[i * width + (j - i - low)];
      if (move === DIAG) {
        const hit = a[i - 1] === b[j - 1];
        middle.push({
          op: hit ? 'hit' : 'substitution',
          refIndex: prefix + i - 1,
          hypIndex: prefix + j - 1,
        });
        if (hit) counts.hits++;
        else counts.substitutions++;
        i--;
        j--;
      } else if (move === DEL) {
        middle.push({ op: 'deletion', refIndex: prefix + i - 1, hypIndex: -1 });
        counts.deletions++;
        i--;
      } else {
        middle.push({ op: 'insertion', refIndex: -1, hypIndex: prefix + j - 1 });
        counts.insertions++;
        j--;
      }
    }
    for (let k = middle.length - 1; k >= 0; k--) steps.push(middle[k] as AlignmentStep);
  }
  const refEnd = ref.length - suffix;
  const hypEnd = hyp.length - suffix;
  for (let k = 0; k < suffix; k++)
    steps.push({ op: 'hit', refIndex: refEnd + k, hypIndex: hypEnd + k });
  return { steps, counts };
}
