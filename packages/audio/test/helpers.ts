import { readFileSync } from 'node:fs';
import { referencePath } from '../../../test-support/reference';

/** Reads a raw little-endian float32 file from the reference directory. */
export function readF32(...parts: string[]): Float32Array {
  const buf = readFileSync(referencePath(...parts));
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Float32Array(copy.buffer);
}

/** Max and mean absolute difference of two equally long arrays. */
export function diffStats(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): { max: number; mean: number } {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / a.length };
}

/** True when two float arrays hold bit-identical samples (fast; vitest's toEqual is slow on big typed arrays). */
export function sameSamples(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  return (
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}
