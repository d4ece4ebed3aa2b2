// Speculative decoding of a batch of rows (transformers' assisted decoding, `_assisted_decoding`
// with AssistedCandidateGenerator, extended to batches): per round the assistant drafts tokens
// for every row from its own KV cache, with the same logits processors; the main model scores
// all rows' positions in one forward; each row keeps its longest verified prefix plus the main
// model's own next token; both caches are rewound.
//
// Batches: the caches hold one common length for all rows (the attention kernel has no padding
// mask), so after a round both are rewound to the shortest row's verified length. Any row that is
// further ahead re-feeds its committed tokens past that length in the next round, ahead of its
// drafts: every cached position below the common length holds a committed token, and causal
// attention never sees a stale slot. A row therefore verifies and finishes at its own pace while
// the batch shares every forward call.
import { GenerationError, throwIfAborted } from './errors';
import { processLogits } from './logits-processors';
import { argmax } from './math';
import { sampleIndex, type SeededRandom } from './rng';
import { DraftLength } from './speculative-draft-length';
import {
  samplingDistribution,
  sampledLogprob,
  verifySampledDraft,
  type SamplingWarp,
} from './speculative-sampling';
import {
  isRewindable,
  type DraftSchedule,
  type RewindableSession,
  type SpeculativeRound,
} from './speculative-types';
import { argmaxChoice } from './token-choice';
import type { DecoderSession, SearchOutput, SearchSettings } from './types';

/** Settings of {@link speculativeSearch}. */
export interface SpeculativeSearchSettings extends SearchSettings {
  /**
   * Every row's decoder input so far, prompt and forced prefix (what the main model's session was
   * fed; `prefixLength` tokens each). The assistant's session is fed the same.
   */
  prefixes: readonly (readonly number[])[];
  /** Sampling (speculative sampling) with these warpers and this generator; null/absent = greedy. */
  sampling?: (SamplingWarp & { rng: SeededRandom }) | null | undefined;
  /** Initial draft length per row (one number for all rows, or one per row). Default 5. */
  numAssistantTokens?: number | readonly number[] | undefined;
  /** Draft-length schedule. Default `'heuristic'`. */
  schedule?: DraftSchedule | undefined;
  /** Called after every round. */
  onRound?: ((round: SpeculativeRound) => void) | undefined;
}

/** One row of the search: its committed tokens and draft schedule. */
interface Row {
  /** Prefix + generated tokens (committed: decided by the main model). */
  seq: number[];
  out: SearchOutput;
  draft: DraftLength;
}

/** What one row does in a round. */
interface Plan {
  /** `seq.length` when the round starts: the first position a draft may take. */
  n: number;
  /** Most tokens this row drafts this round. */
  budget: number;
  drafts: number[];
  /** The assistant's sampling distribution of each draft (speculative sampling only). */
  q: Float64Array[];
  drafting: boolean;
}

function asRewindable(session: DecoderSession, who: string): RewindableSession {
  if (!isRewindable(session))
    throw new GenerationError(
      'INVALID_OPTION',
      `speculative decoding needs ${who} sessions that score several positions and rewind (decodeAll, rewind, length), as whisperGenerationModel's do`,
    );
  return session;
}

function draftLengths(init: number | readonly number[] | undefined, rows: number): number[] {
  if (init === undefined || typeof init === 'number')
    return new Array<number>(rows).fill(init ?? 5);
  if (init.length !== rows)
    throw new GenerationError(
      'INVALID_OPTION',
      `numAssistantTokens lists ${init.length} lengths for ${rows} rows`,
    );
  return [...init];
}

/**
 * Greedy decoding or sampling with an assistant, over a batch of rows: speculative decoding.
 *
 * Greedy (`settings.sampling` absent): every row's tokens are the main model's greedy tokens —
 * the same as {@link tokenSearch} with the argmax choice, up to the float rounding of scoring
 * several positions in one call. Sampling: every row's tokens follow the main model's sampling
 * distribution (same processors, temperature and top-k) through speculative sampling; the draws
 * themselves differ from plain sampling with the same seed.
 *
 * Log-probabilities are the main model's, as {@link tokenSearch} records them, so the temperature
 * fallback decides the same way.
 *
 * @param teacherSession the main model's session, every row fed its prefix (length = `prefixLength`)
 * @param assistantSession the assistant's session on the same windows and rows, nothing fed yet
 * @param firstLogits the main model's logits after each row's prefix (processed in place)
 * @throws {@link GenerationError} `INVALID_OPTION` when a session cannot rewind or the rows disagree
 *
 * @example
 * ```ts
 * const teacher = teacherModel.startSession([0]);
 * const first = teacher.decode([prefix]);
 * const [out] = await speculativeSearch(teacher, assistantModel.startSession([0]), first, {
 *   prefixes: [prefix], prefixLength: prefix.length, maxLength: 448, eosTokenId: 50257,
 *   processors: { suppressTokens: [], beginSuppressTokens: [], timestamps: null },
 * });
 * ```
 */
export async function speculativeSearch(
  teacherSession: DecoderSession,
  assistantSession: DecoderSession,
  firstLogits: Float32Array[],
  settings: SpeculativeSearchSettings,
): Promise<SearchOutput[]> {
  const teacher = asRewindable(teacherSession, 'main-model');
  const assistant = asRewindable(assistantSession, 'assistant');
  const s = settings;
  const prefixLength = s.prefixLength;
  const n0 = firstLogits.length;
  if (s.prefixes.length !== n0 || s.prefixes.some((p) => p.length !== prefixLength))
    throw new GenerationError(
      'INVALID_OPTION',
      `speculative decoding needs one prefix of ${prefixLength} tokens per row (${n0} rows)`,
    );
  if (teacher.length !== prefixLength || assistant.length !== 0)
    throw new GenerationError(
      'INVALID_OPTION',
      `speculative decoding starts from a main-model session fed the prefix (${prefixLength} tokens; it holds ${teacher.length}) and an empty assistant session (it holds ${assistant.length})`,
    );
  const schedule = s.schedule ?? 'heuristic';
  const lengths = draftLengths(s.numAssistantTokens, n0);
  const sampling = s.sampling ?? null;
  const rows: Row[] = s.prefixes.map((p, i) => ({
    seq: [...p],
    out: { tokens: [], logprobs: [] },
    draft: new DraftLength(lengths[i] as number, schedule),
  }));
  const finished = (r: Row): boolean => {
    const last = r.out.tokens[r.out.tokens.length - 1];
    return last === s.eosTokenId || r.seq.length >= s.maxLength;
  };
  const commit = (r: Row, token: number, logprob: number): void => {
    r.seq.push(token);
    r.out.tokens.push(token);
    r.out.logprobs.push(logprob);
  };
  // The main model's choice where no draft is on trial (its first token, and the token after
  // the last accepted draft): exactly the plain token loop's choice.
  const choose = (row: Float32Array): { token: number; logprob: number } => {
    if (!sampling) return argmaxChoice(row);
    const p = samplingDistribution(row, sampling);
    const token = sampleIndex(p, sampling.rng);
    return { token, logprob: sampledLogprob(row, token, sampling.temperature) };
  };

  let active: Row[] = [];
  rows.forEach((r, i) => {
    const row = firstLogits[i] as Float32Array;
    processLogits(row, r.out.tokens, s.processors);
    const { token, logprob } = choose(row);
    commit(r, token, logprob);
    if (!finished(r)) active.push(r);
  });
  s.onStep?.(1);
  if (active.length === 0) return rows.map((r) => r.out);
  if (active.length !== n0) {
    const keep = rows.flatMap((r, i) => (active.includes(r) ? [i] : []));
    await teacher.reorder(keep);
    await assistant.reorder(keep);
  }

  while (active.length > 0) {
    throwIfAborted(s.signal);
    const tStart = teacher.length;
    const aStart = assistant.length;
    // Each row drafts up to its draft length, never past the last position the main model's own
    // token can still fill; no row feeds beyond the furthest drafting row needs.
    const plans: Plan[] = active.map((r) => ({
      n: r.seq.length,
      budget: Math.max(0, Math.min(r.draft.current, s.maxLength - r.seq.length - 1)),
      drafts: [],
      q: [],
      drafting: false,
    }));
    const end = Math.min(
      Math.max(...plans.map((p) => p.n + p.budget)),
      tStart + 1 + Math.max(...plans.map((p) => p.budget)),
    );
    for (const p of plans) {
      p.budget = Math.max(0, Math.min(p.budget, end - p.n));
      p.drafting = p.budget > 0;
    }
    const tokenAt = (i: number, j: number): number => {
      const r = active[i] as Row;
      const p = plans[i] as Plan;
      if (j < p.n) return r.seq[j] as number;
      // Past a row's drafts any id will do: those slots lie beyond its verified length.
      return p.drafts[j - p.n] ?? p.drafts[p.drafts.length - 1] ?? (r.seq[p.n - 1] as number);
    };
    const feed = (from: number, to: number): number[][] =>
      active.map((_, i) => Array.from({ length: to - from }, (_, k) => tokenAt(i, from + k)));

    // Drafting: the assistant catches up on committed tokens, then extends every drafting row
    // by one token per call.
    let fed = aStart;
    let assistantCalls = 0;
    while (plans.some((p) => p.drafting)) {
      const upTo = Math.min(...plans.filter((p) => p.drafting).map((p) => p.n + p.drafts.length));
      const logits = await assistant.decode(feed(fed, upTo));
      assistantCalls++;
      fed = upTo;
      plans.forEach((p, i) => {
        if (!p.drafting || p.n + p.drafts.length !== upTo) return;
        const r = active[i] as Row;
        const row = logits[i] as Float32Array;
        processLogits(row, [...r.out.tokens, ...p.drafts], s.processors);
        let d: number;
        if (sampling) {
          const q = samplingDistribution(row, sampling);
          d = sampleIndex(q, sampling.rng);
          p.q.push(q);
        } else d = argmax(row);
        p.drafts.push(d);
        if (d === s.eosTokenId || p.drafts.length >= p.budget) p.drafting = false;
      });
    }

    // Verification: one forward of the main model over every row's committed tail and drafts.
    const tEnd = Math.max(...plans.map((p) => Math.min(end, p.n + p.drafts.length)));
    const scored = await teacher.decodeAll(feed(tStart, tEnd));
    const width = tEnd - tStart;
    const accepted: number[] = [];
    const committed: number[] = [];
    active.forEach((r, i) => {
      const p = plans[i] as Plan;
      const before = r.seq.length;
      let kept = 0;
      // Logits at index `idx` follow position tStart + idx and decide position tStart + idx + 1.
      for (let idx = p.n - 1 - tStart; idx < width; idx++) {
        const di = tStart + idx + 1 - p.n;
        const draft = di < p.drafts.length ? (p.drafts[di] as number) : -1;
        const row = (scored[i] as Float32Array[])[idx] as Float32Array;
        processLogits(row, r.out.tokens, s.processors);
        let token: number;
        let logprob: number;
        if (draft < 0) ({ token, logprob } = choose(row));
        else if (!sampling) ({ token, logprob } = argmaxChoice(row));
        else {
          const pDist = samplingDistribution(row, sampling);
          token = verifySampledDraft(pDist, p.q[di] as Float64Array, draft, sampling.rng).token;
          logprob = sampledLogprob(row, token, sampling.temperature);
        }
        commit(r, token, logprob);
        if (token !== draft) break;
        kept++;
        if (finished(r)) break;
      }
      if (p.drafts.length > 0) r.draft.update(kept === p.drafts.length);
      accepted.push(kept);
      committed.push(r.seq.length - before);
    });

    // Both caches keep what every row has verified: a row's cache is right up to its last
    // committed token but one (that token's logits are needed next round).
    const still = active.flatMap((r, i) => (finished(r) ? [] : [i]));
    if (still.length > 0) {
      const verified = (i: number, cached: number): number =>
        Math.min(cached, (active[i] as Row).seq.length - 1);
      teacher.rewind(Math.min(...still.map((i) => verified(i, tEnd))));
      assistant.rewind(Math.min(...still.map((i) => verified(i, fed))));
    }
    s.onRound?.({
      rows: active.length,
      drafted: plans.map((p) => p.drafts.length),
      accepted,
      committed,
      verifiedPositions: width,
      assistantCalls,
      nextDraftLengths: active.map((r) => r.draft.current),
    });
    s.onStep?.(Math.max(...rows.map((r) => r.out.tokens.length)));
    if (still.length === 0) break;
    if (still.length !== active.length) {
      await teacher.reorder(still);
      await assistant.reorder(still);
      active = still.map((i) => active[i] as Row);
    }
  }
  return rows.map((r) => r.out);
}
