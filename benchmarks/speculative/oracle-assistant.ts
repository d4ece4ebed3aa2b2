// A stand-in assistant for the benchmark's ceiling rows: it "drafts" the teacher's own greedy
// output (recorded by the plain run on the same windows) at no cost, right with probability
// `agreement` per position (deterministic), so the rows show what verification alone costs and
// gains at a given acceptance rate, whatever a real assistant's step costs.
import type { GenerationModel, GenerationResult, RewindableSession } from '@distil-whisper/model';

/** Deterministic uniform number in [0, 1) for (window, position). */
function unit(window: number, position: number): number {
  let h = Math.imul(window + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(position + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return ((h ^ (h >>> 15)) >>> 0) / 4294967296;
}

/**
 * A {@link GenerationModel} whose logits at position `p` of window `w` are one-hot on the
 * teacher's token at `p` (its recorded prefix, tokens, then end of text), or on another text token
 * where `unit(w, p) ≥ agreement`.
 */
export function oracleAssistant(
  vocabSize: number,
  teacher: readonly GenerationResult[],
  eos: number,
  agreement: number,
): GenerationModel {
  const sequences = teacher.map((r) => [...r.prefix, ...r.tokens, eos]);
  const logitsAt = (window: number, position: number): Float32Array => {
    const row = new Float32Array(vocabSize).fill(-10);
    const right = sequences[window]![position] ?? eos;
    // A wrong draft: the next text id (never a special token, so no rule forbids it outright).
    const token = unit(window, position) < agreement ? right : (right + 1) % eos;
    row[token] = 10;
    return row;
  };
  return {
    vocabSize,
    maxTargetPositions: 448,
    batchSize: teacher.length,
    startSession(audioIndex): RewindableSession {
      let rows = audioIndex.map((w) => ({ w, length: 0 }));
      const feed = (tokens: readonly (readonly number[])[]): Float32Array[][] =>
        rows.map((r, i) => {
          const n = tokens[i]!.length;
          const out = Array.from({ length: n }, (_, k) => logitsAt(r.w, r.length + k + 1));
          r.length += n;
          return out;
        });
      return {
        get length() {
          return rows[0]?.length ?? 0;
        },
        decode: (tokens) => feed(tokens).map((r) => r[r.length - 1]!),
        decodeAll: feed,
        rewind: (length) => {
          for (const r of rows) r.length = length;
        },
        reorder: (indices) => {
          rows = indices.map((i) => ({ ...rows[i]! }));
        },
        dispose: () => {},
      };
    },
  };
}
