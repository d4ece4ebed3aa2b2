// A hand-made "decoder" for generation tests: logits are a pure function of (audio, sequence).
import type { DecoderSession, GenerationModel } from '../src/generation';

export type LogitsFn = (audio: number, sequence: readonly number[]) => Float32Array;

export class FakeModel implements GenerationModel {
  readonly maxTargetPositions: number;
  sessions = 0;
  decodeCalls = 0;
  constructor(
    readonly vocabSize: number,
    readonly batchSize: number,
    private readonly fn: LogitsFn,
    maxTargetPositions = 448,
  ) {
    this.maxTargetPositions = maxTargetPositions;
  }
  startSession(audioIndex: readonly number[]): DecoderSession {
    this.sessions++;
    let rows = audioIndex.map((a) => ({ audio: a, seq: [] as number[] }));
    return {
      decode: (tokens) => {
        this.decodeCalls++;
        if (tokens.length !== rows.length)
          throw new Error(`decode got ${tokens.length} rows, session has ${rows.length}`);
        return rows.map((row, i) => {
          row.seq.push(...(tokens[i] as number[]));
          if (row.seq.length > this.maxTargetPositions)
            throw new Error('sequence beyond max_target_positions');
          return this.fn(row.audio, row.seq);
        });
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

/** A row of `vocab` logits at `base`, with the given ids set. */
export function logitsRow(vocab: number, set: Record<number, number>, base = -10): Float32Array {
  const row = new Float32Array(vocab).fill(base);
  for (const [k, v] of Object.entries(set)) row[Number(k)] = v;
  return row;
}
