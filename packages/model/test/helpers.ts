// Small random checkpoints shared by the tests (written once per test file to a temp dir).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createRandomCheckpoint, type CreateRandomCheckpointOptions } from '../src/index';

/** d_model 64, 2+2 layers, 4 heads, 80 mels, a 600-token vocabulary: fast to write and run. */
export const SMALL_DIMS = {
  dModel: 64,
  encoderLayers: 2,
  decoderLayers: 2,
  encoderAttentionHeads: 4,
  decoderAttentionHeads: 4,
  encoderFfnDim: 128,
  decoderFfnDim: 128,
  vocabSize: 600,
  numMelBins: 80,
  maxSourcePositions: 1500,
  maxTargetPositions: 448,
};

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `dw-model-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function smallCheckpoint(
  dir: string,
  extra: Partial<CreateRandomCheckpointOptions> = {},
): string {
  createRandomCheckpoint({
    outDir: dir,
    dims: SMALL_DIMS,
    dtype: 'f32',
    seed: 7,
    tokenizerDir: false,
    ...extra,
  });
  return dir;
}

/** Deterministic pseudo log-mel features in [-1, 1]. */
export function features(batch: number, mels: number, frames: number, seed = 1): Float32Array {
  const out = new Float32Array(batch * mels * frames);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
