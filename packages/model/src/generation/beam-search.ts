// Beam search over a decoder session (transformers' vectorised `_beam_search`), with Whisper's
// processors applied per step. Greedy decoding and sampling are the token loop (token-loop.ts).
import { GenerationError, throwIfAborted } from './errors';
import { processLogits } from './logits-processors';
import { logSumExp, logSoftmax, topK } from './math';
import type { DecoderSession, SearchOutput, SearchSettings } from './types';

/** Beam search settings (transformers' defaults: length penalty 1, early stopping false). */
export interface BeamSettings extends SearchSettings {
  numBeams: number;
  lengthPenalty: number;
  earlyStopping: boolean | 'never';
}

interface Beam {
  tokens: number[];
  logprobs: number[];
  score: number;
}

interface FinishedSlot extends Beam {
  finished: boolean;
}

const f32 = Math.fround;
const NEG = -1.0e9;

/**
 * Beam search with transformers' semantics: running beams start at score 0 / −1e9; each step
 * keeps the best 2·numBeams continuations of all beams, moves those among the first numBeams that
 * end (eos or max length) into the finished set with score `sum_logprobs / generated_len ** lengthPenalty`,
 * and continues with the best numBeams unfinished ones. The search stops when no running beam can
 * beat the worst finished one (heuristic of `early_stopping=false`), when all finished with
 * `early_stopping=true`, or when every continuation ends.
 *
 * The session must hold `numBeams` rows per batch item, beam-major per item (item 0's beams first).
 * Returns the best hypothesis of each item.
 */
export async function beamSearch(
  session: DecoderSession,
  firstLogits: Float32Array[],
  s: BeamSettings,
): Promise<SearchOutput[]> {
  const N = s.numBeams;
  const items = firstLogits.length / N;
  if (!Number.isInteger(items) || items < 1)
    throw new GenerationError(
      'INVALID_OPTION',
      `beam search needs ${N} rows per item, got ${firstLogits.length}`,
    );
  const keepCount = 2 * N;
  const running: Beam[][] = Array.from({ length: items }, () =>
    Array.from({ length: N }, (_, j) => ({ tokens: [], logprobs: [], score: j === 0 ? 0 : NEG })),
  );
  const finished: FinishedSlot[][] = Array.from({ length: items }, () =>
    Array.from({ length: N }, () => ({ tokens: [], logprobs: [], score: NEG, finished: false })),
  );
  const unsatisfied = new Array<boolean>(items).fill(true);
  let curLen = s.prefixLength;
  let logits = firstLogits;
  for (;;) {
    throwIfAborted(s.signal);
    const reorder: number[] = [];
    const nextTokens: number[] = [];
    let allHitStop = true;
    let anyUnsatisfied = false;
    let allFinishedEverywhere = true;
    for (let b = 0; b < items; b++) {
      const beams = running[b] as Beam[];
      // Per beam: processed log-probs (for the candidates) and their normaliser (for avg logprob).
      const processed: Float32Array[] = [];
      const lse: number[] = [];
      const cand: Float32Array[] = [];
      for (let j = 0; j < N; j++) {
        const row = logSoftmax(logits[b * N + j] as Float32Array);
        processLogits(row, (beams[j] as Beam).tokens, s.processors);
        processed.push(row);
        lse.push(logSumExp(row));
        const acc = new Float32Array(row.length);
        const base = (beams[j] as Beam).score;
        for (let v = 0; v < row.length; v++) acc[v] = f32((row[v] as number) + base);
        cand.push(acc);
      }
      const vocab = (cand[0] as Float32Array).length;
      // Top 2N over all beams' candidates: per-beam top-k then merge (beam-major order breaks ties).
      const pool: Array<{ beam: number; token: number; value: number }> = [];
      for (let j = 0; j < N; j++) {
        const t = topK(cand[j] as Float32Array, keepCount);
        t.indices.forEach((token, k) =>
          pool.push({ beam: j, token, value: t.values[k] as number }),
        );
      }
      pool.sort(
        (x, y) => y.value - x.value || x.beam * vocab + x.token - (y.beam * vocab + y.token),
      );
      const top = pool.slice(0, keepCount);
      const hits = top.map((c) => c.token === s.eosTokenId || curLen + 1 >= s.maxLength);
      if (!hits.every(Boolean)) allHitStop = false;
      const make = (c: { beam: number; token: number }): Beam => {
        const parent = beams[c.beam] as Beam;
        const row = processed[c.beam] as Float32Array;
        return {
          tokens: [...parent.tokens, c.token],
          logprobs: [...parent.logprobs, (row[c.token] as number) - (lse[c.beam] as number)],
          score: 0,
        };
      };
      // Next running beams: best N that did not stop.
      const runningOrder = top
        .map((c, k) => ({ k, value: f32(c.value + (hits[k] ? NEG : 0)) }))
        .sort((x, y) => y.value - x.value || x.k - y.k)
        .slice(0, N);
      const newRunning = runningOrder.map(({ k, value }) => {
        const c = top[k] as { beam: number; token: number; value: number };
        reorder.push(b * N + c.beam);
        nextTokens.push(c.token);
        return { ...make(c), score: value };
      });
      // Finished set update.
      const fin = finished[b] as FinishedSlot[];
      const allFin = fin.every((f) => f.finished);
      const denom = Math.pow(curLen + 1 - s.prefixLength, s.lengthPenalty);
      const merged: Array<FinishedSlot & { order: number }> = fin.map((f, i) => ({
        ...f,
        order: i,
      }));
      top.forEach((c, k) => {
        const justFinished = (hits[k] as boolean) && k < N;
        let v = f32(c.value / denom);
        if (allFin && s.earlyStopping === true) v = f32(v + NEG);
        if (!unsatisfied[b]) v = f32(v + NEG);
        if (!justFinished) v = f32(v + NEG);
        merged.push({ ...make(c), score: v, finished: justFinished, order: N + k });
      });
      merged.sort((x, y) => y.score - x.score || x.order - y.order);
      finished[b] = merged.slice(0, N).map(({ order: _o, ...f }) => f);
      running[b] = newRunning;
      // Early-stop heuristic, evaluated at the new length.
      const nextLen = curLen + 1;
      const bestLen =
        s.earlyStopping === 'never' && s.lengthPenalty > 0
          ? s.maxLength - s.prefixLength
          : nextLen - s.prefixLength;
      const bestPossible = f32((newRunning[0] as Beam).score / Math.pow(bestLen, s.lengthPenalty));
      const slots = finished[b] as FinishedSlot[];
      const minScore = Math.min(...slots.map((f) => f.score));
      const improvable = slots.some((f) => bestPossible > (f.finished ? minScore : NEG));
      unsatisfied[b] = (unsatisfied[b] as boolean) && improvable;
      if (unsatisfied[b]) anyUnsatisfied = true;
      if (!slots.every((f) => f.finished)) allFinishedEverywhere = false;
    }
    curLen++;
    s.onStep?.(curLen - s.prefixLength);
    const openBeam = !(allFinishedEverywhere && s.earlyStopping === true);
    if (!(anyUnsatisfied && openBeam && !allHitStop)) break;
    await session.reorder(reorder);
    logits = await session.decode(nextTokens.map((t) => [t]));
  }
  return finished.map((slots) => {
    const best = slots[0] as FinishedSlot;
    return { tokens: best.tokens, logprobs: best.logprobs, score: best.score };
  });
}
