// Token search over a decoder session: greedy / multinomial sampling (transformers' `_sample`) and
// beam search (transformers' vectorised `_beam_search`), with Whisper's processors applied per step.
import { GenerationError } from './errors';
import { processLogits, warpForSampling, type ProcessorSettings } from './logits-processors';
import { argmax, logSumExp, logSoftmax, topK } from './math';
import { sampleIndex, SeededRandom } from './rng';
import type { DecoderSession } from './types';
import { softmax } from './math';

/** One finished row of a search. */
export interface SearchOutput {
  /** Generated tokens, the final `<|endoftext|>` included when one was produced. */
  tokens: number[];
  /**
   * Per generated token, its log-probability under the processed (and, when sampling, warped and
   * re-scaled) distribution of its step: the terms of transformers' average log-probability.
   */
  logprobs: number[];
  /** Length-penalised beam score (beam search only). */
  score?: number;
}

/** Settings shared by every search. */
export interface SearchSettings {
  processors: ProcessorSettings;
  eosTokenId: number;
  /** Longest total sequence (prefix + generated), transformers' `max_length`. */
  maxLength: number;
  /** Prefix length (prompt + forced tokens) of every row. */
  prefixLength: number;
  signal?: AbortSignal | undefined;
  /** Called after every step with the number of tokens generated so far (longest row). */
  onStep?: ((generated: number) => void) | undefined;
}

/** Greedy (temperature 0) or sampling settings. */
export interface SampleSettings extends SearchSettings {
  /** 0 = greedy (argmax). */
  temperature: number;
  /** Top-k filter when sampling (transformers' default 50; 0 disables). */
  topK: number;
  rng: SeededRandom;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new GenerationError('ABORTED', 'generation was aborted', { cause: signal.reason });
}

/**
 * Greedy decoding or multinomial sampling, one token per row per step until end of text or
 * `maxLength`. Finished rows are dropped from the session so batches shrink as rows end.
 *
 * @param firstLogits the logits after each row's prefix (one per session row)
 */
export async function sampleSearch(
  session: DecoderSession,
  firstLogits: Float32Array[],
  s: SampleSettings,
): Promise<SearchOutput[]> {
  const rows = firstLogits.length;
  const out: SearchOutput[] = Array.from({ length: rows }, () => ({ tokens: [], logprobs: [] }));
  let active = Array.from({ length: rows }, (_, i) => i);
  let logits = firstLogits;
  const sampling = s.temperature > 0;
  for (let step = 0; active.length > 0; step++) {
    checkAbort(s.signal);
    const next: number[] = [];
    const keep: number[] = [];
    active.forEach((rowId, r) => {
      const row = logits[r] as Float32Array;
      const o = out[rowId] as SearchOutput;
      processLogits(row, o.tokens, s.processors);
      let token: number;
      let lp: number;
      if (sampling) {
        warpForSampling(row, s.temperature, s.topK);
        token = sampleIndex(softmax(row), s.rng);
        // transformers scores the warped row multiplied back by the temperature.
        const t = s.temperature;
        let m = -Infinity;
        for (let i = 0; i < row.length; i++) m = Math.max(m, (row[i] as number) * t);
        let sum = 0;
        for (let i = 0; i < row.length; i++) sum += Math.exp((row[i] as number) * t - m);
        lp = (row[token] as number) * t - (m + Math.log(sum));
      } else {
        token = argmax(row);
        lp = (row[token] as number) - logSumExp(row);
      }
      o.tokens.push(token);
      o.logprobs.push(lp);
      const done = token === s.eosTokenId || s.prefixLength + o.tokens.length >= s.maxLength;
      if (!done) {
        keep.push(r);
        next.push(token);
      }
    });
    s.onStep?.(step + 1);
    if (keep.length === 0) break;
    if (keep.length !== active.length) {
      await session.reorder(keep);
      active = keep.map((r) => active[r] as number);
    }
    logits = await session.decode(next.map((t) => [t]));
  }
  return out;
}

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
    checkAbort(s.signal);
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
