// Helpers of the speculative-decoding tests: a rewindable hand-made decoder whose logits are a
// pure function of (audio, sequence) — so speculative and plain decoding must agree bit for bit —
// and students built in memory from a teacher checkpoint the way create-student builds them.
import type { Tensor } from '@distil-whisper/kernels';

import { loadCheckpoint, WhisperModel, type LoadCheckpointOptions } from '../src/index';
import type { GenerationModel } from '../src/generation';
import type { RewindableSession } from '../src/generation/speculative-types';

export type LogitsFn = (audio: number, sequence: readonly number[]) => Float32Array;

/** Call counts of a {@link RewindableFakeModel}. */
export interface FakeCalls {
  decode: number;
  decodeAll: number;
  /** Positions fed, summed over calls (one per row per token). */
  positions: number;
  rewinds: number;
}

/** A {@link GenerationModel} whose sessions are rewindable and whose logits come from `fn`. */
export class RewindableFakeModel implements GenerationModel {
  readonly calls: FakeCalls = { decode: 0, decodeAll: 0, positions: 0, rewinds: 0 };
  constructor(
    readonly vocabSize: number,
    readonly batchSize: number,
    private readonly fn: LogitsFn,
    readonly maxTargetPositions = 448,
  ) {}

  startSession(audioIndex: readonly number[]): RewindableSession {
    let rows = audioIndex.map((a) => ({ audio: a, seq: [] as number[] }));
    const feed = (tokens: readonly (readonly number[])[]): Float32Array[][] => {
      if (tokens.length !== rows.length)
        throw new Error(`decode got ${tokens.length} rows, session has ${rows.length}`);
      const n = tokens[0]!.length;
      if (n === 0 || tokens.some((t) => t.length !== n)) throw new Error('ragged or empty feed');
      this.calls.positions += n * rows.length;
      return rows.map((row, i) =>
        (tokens[i] as number[]).map((t) => {
          if (!Number.isInteger(t) || t < 0 || t >= this.vocabSize) throw new Error(`bad id ${t}`);
          row.seq.push(t);
          if (row.seq.length > this.maxTargetPositions)
            throw new Error('sequence beyond max_target_positions');
          return this.fn(row.audio, row.seq);
        }),
      );
    };
    return {
      get length() {
        return rows[0]?.seq.length ?? 0;
      },
      decode: (tokens) => {
        this.calls.decode++;
        return feed(tokens).map((r) => r[r.length - 1]!);
      },
      decodeAll: (tokens) => {
        this.calls.decodeAll++;
        return feed(tokens);
      },
      rewind: (length) => {
        this.calls.rewinds++;
        for (const r of rows) {
          if (length > r.seq.length) throw new Error('rewind beyond the cache');
          r.seq.length = length;
        }
      },
      reorder: (indices) => {
        rows = indices.map((i) => {
          const r = rows[i];
          if (!r) throw new Error(`reorder index ${i} out of range`);
          return { audio: r.audio, seq: [...r.seq] };
        });
      },
      dispose: () => {},
    };
  }
}

/** xorshift-style hash of a sequence into [0, 1) numbers: `hashUnit(seed, audio, seq, i)`. */
export function hashUnit(seed: number, audio: number, seq: readonly number[], i: number): number {
  let h = (seed * 0x9e3779b1) ^ (audio * 0x85ebca6b) ^ (i * 0xc2b2ae35);
  for (const t of seq) {
    h = Math.imul(h ^ (t + 0x27d4eb2f), 0x165667b1);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * Random but deterministic logits: each entry uniform in [0, spread), plus `bias` on chosen ids
 * (e.g. to make end of text likely enough).
 */
export function hashedLogits(
  seed: number,
  vocab: number,
  spread: number,
  bias: Record<number, number> = {},
): LogitsFn {
  return (audio, seq) => {
    const row = new Float32Array(vocab);
    for (let i = 0; i < vocab; i++)
      row[i] = hashUnit(seed, audio, seq, i) * spread + (bias[i] ?? 0);
    return row;
  };
}

/**
 * An assistant of `teacher`: where `hashUnit` says so (probability `agree`) it returns the
 * teacher's logits, elsewhere its own; so drafts are accepted in runs of random length.
 */
export function sometimesAgreeing(
  teacher: LogitsFn,
  own: LogitsFn,
  agree: number,
  seed: number,
): LogitsFn {
  return (audio, seq) =>
    hashUnit(seed + 1000, audio, seq, 0) < agree ? teacher(audio, seq) : own(audio, seq);
}

/**
 * A student of the checkpoint in `dir` built in memory as create-student does: the encoder
 * copied whole, decoder layer `i` taken from teacher layer `layerIds[i]`, embeddings and final
 * norms copied. `decoderOnly` drops the encoder (a WhisperForCausalLM assistant).
 */
export function studentOf(
  dir: string,
  layerIds: readonly number[],
  options: LoadCheckpointOptions & { decoderOnly?: boolean } = {},
): WhisperModel {
  const { decoderOnly, ...load } = options;
  const ckpt = loadCheckpoint(dir, load);
  const tensors = new Map<string, Tensor>();
  for (const [name, t] of ckpt.tensors) {
    const m = /^model\.decoder\.layers\.(\d+)\.(.*)$/.exec(name);
    let keep: string | null = name;
    if (m) {
      const to = layerIds.indexOf(Number(m[1]));
      keep = to >= 0 ? `model.decoder.layers.${to}.${m[2]}` : null;
    } else if (decoderOnly && name.startsWith('model.encoder.')) keep = null;
    if (keep === null) t.dispose();
    else tensors.set(keep, t);
  }
  return new WhisperModel({
    config: {
      ...ckpt.config,
      decoderLayers: layerIds.length,
      ...(decoderOnly ? { architectures: ['WhisperForCausalLM'] } : {}),
    },
    generationConfig: ckpt.generationConfig,
    kind: decoderOnly ? 'decoder-only' : ckpt.kind,
    tensors,
  });
}
