// The one pseudo-random generator of the training-data side: xoshiro128** (Blackman & Vigna,
// 2018), 128-bit state, 32-bit outputs, seeded from a SHA-256 of a purpose tag and the caller's
// key. Keying every stream by (purpose, seed, key) rather than drawing from one global stream is
// what makes per-example draws independent of the order, sharding or subset of the data.
import { createHash } from 'node:crypto';

import { DistillError } from '../errors.js';

const TWO_POW_32 = 4294967296;

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * A seeded xoshiro128** generator. The state is the first 16 bytes (four little-endian uint32) of
 * `SHA-256("distil-whisper/" + purpose + "\0" + key parts joined by "\0")`, so equal keys give
 * equal streams on every platform and any change of a key part gives an unrelated stream.
 *
 * @example
 * ```ts
 * const rng = SeededRandom.fromKey('shuffle', 42, 0); // purpose, seed, epoch
 * rng.nextFloat(); // uniform in [0, 1), 32 bits of resolution
 * rng.nextInt(10); // uniform integer in [0, 10), unbiased
 * ```
 */
export class SeededRandom {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** A generator from four 32-bit state words (not all zero; an all-zero state is replaced by 1, 0, 0, 0). */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.#s0 = s0 >>> 0;
    this.#s1 = s1 >>> 0;
    this.#s2 = s2 >>> 0;
    this.#s3 = s3 >>> 0;
    // xoshiro's only fixed point; SHA-256 never yields it in practice, a hand-written state might.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /**
   * A generator keyed by a purpose tag (e.g. `'targets'`, `'shuffle'`) and key parts (seed,
   * example id, epoch, ...). Numbers are written in decimal, so `1` and `'1'` are the same key.
   */
  static fromKey(purpose: string, ...parts: readonly (string | number)[]): SeededRandom {
    const h = createHash('sha256').update(`distil-whisper/${purpose}`);
    for (const p of parts) h.update('\0').update(String(p));
    const d = h.digest();
    return new SeededRandom(
      d.readUInt32LE(0),
      d.readUInt32LE(4),
      d.readUInt32LE(8),
      d.readUInt32LE(12),
    );
  }

  /** Next 32-bit output as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.#s1 << 9) >>> 0;
    this.#s2 = (this.#s2 ^ this.#s0) >>> 0;
    this.#s3 = (this.#s3 ^ this.#s1) >>> 0;
    this.#s1 = (this.#s1 ^ this.#s2) >>> 0;
    this.#s0 = (this.#s0 ^ this.#s3) >>> 0;
    this.#s2 = (this.#s2 ^ t) >>> 0;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Uniform float in [0, 1): one 32-bit output divided by 2^32. */
  nextFloat(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /**
   * Uniform integer in [0, n), without modulo bias (outputs at or above the largest multiple of n
   * below 2^32 are rejected and redrawn).
   *
   * @throws {@link DistillError} `INVALID_ARGUMENT` unless n is an integer in 1 … 2^32.
   */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32)
      throw new DistillError('INVALID_ARGUMENT', `nextInt expects an integer in 1..2^32, got ${n}`);
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }
}

/**
 * A uniformly random permutation of `0 … n − 1` (Fisher–Yates, drawing from high index down) from
 * the given generator.
 */
export function randomPermutation(n: number, rng: SeededRandom): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
