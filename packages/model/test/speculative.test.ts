// Speculative decoding on hand-made decoders whose logits are a pure function of the sequence, so
// the main model's plain greedy output is known exactly: with any assistant, any draft length,
// batches whose rows accept and finish at their own pace, timestamps, prompts, suppression and
// language detection, generate({ assistant }) must return the same results token for token.
// Speculative sampling is checked against the main model's exact sampling distribution.
import { describe, expect, it } from 'vitest';

import type { WhisperGenerationConfig } from '../src/generation-config';
import {
  DraftLength,
  generate,
  GenerationError,
  SeededRandom,
  speculativeSearch,
  type GenerateOptions,
  type SpeculativeRound,
} from '../src/generation';
import {
  acceptsDraft,
  residualDistribution,
  verifySampledDraft,
} from '../src/generation/speculative-sampling';
import { processLogits, warpForSampling } from '../src/generation/logits-processors';
import { softmax } from '../src/generation/math';
import { FakeModel, logitsRow } from './generation-fake-model';
import {
  hashedLogits,
  hashUnit,
  RewindableFakeModel,
  sometimesAgreeing,
  type LogitsFn,
} from './speculative-helpers';

// The toy vocabulary of generation.test.ts: text 0..19, specials, then 10 timestamps.
const V = 40;
const EOS = 20;
const SOT = 21;
const EN = 22;
const FR = 23;
const TRANSLATE = 24;
const TRANSCRIBE = 25;
const PREV = 27;
const NO_TS = 29;

function config(over: Partial<WhisperGenerationConfig> = {}): WhisperGenerationConfig {
  return {
    decoderStartTokenId: SOT,
    eosTokenId: EOS,
    padTokenId: EOS,
    bosTokenId: EOS,
    maxLength: 448,
    forcedDecoderIds: null,
    suppressTokens: [],
    beginSuppressTokens: [],
    langToId: { '<|en|>': EN, '<|fr|>': FR },
    taskToId: { translate: TRANSLATE, transcribe: TRANSCRIBE },
    noTimestampsTokenId: NO_TS,
    prevSotTokenId: PREV,
    isMultilingual: true,
    maxInitialTimestampIndex: 5,
    alignmentHeads: [],
    returnTimestamps: null,
    medianFilterWidth: null,
    extra: {},
    ...over,
  };
}

/** A deterministic stream of case parameters. */
function caseRandom(seed: number): (n: number) => number {
  const rng = new SeededRandom(seed);
  return (n) => Math.floor(rng.next() * n);
}

describe('speculative greedy decoding equals plain greedy decoding (hand-made decoders)', () => {
  const cases = Array.from({ length: 80 }, (_, c) => c);
  it.each(cases)('random case %i', async (c) => {
    const pick = caseRandom(c + 1);
    const batch = 1 + pick(5);
    const timestamps = pick(2) === 1;
    const agree = [0, 0.3, 0.7, 0.95, 1][pick(5)] as number;
    const teacherFn = hashedLogits(c, V, 6, { [EOS]: 1 + pick(3) });
    const assistantFn = sometimesAgreeing(
      teacherFn,
      hashedLogits(c + 500, V, 6, { [EOS]: 2 }),
      agree,
      c,
    );
    const gen = config({
      suppressTokens: pick(2) ? [3, 4] : [],
      beginSuppressTokens: pick(2) ? [EOS, 7] : [],
    });
    const options: GenerateOptions = {
      returnTimestamps: timestamps,
      maxNewTokens: 1 + pick(40),
      ...(pick(3) > 0 ? { language: pick(2) ? 'en' : 'fr' } : {}),
      ...(pick(3) === 0 ? { promptIds: [PREV, 1 + pick(10), 1 + pick(10)] } : {}),
    };
    const teacher = new RewindableFakeModel(V, batch, teacherFn);
    const plain = await generate(teacher, gen, options);
    const rounds: SpeculativeRound[] = [];
    const spec = await generate(new RewindableFakeModel(V, batch, teacherFn), gen, {
      ...options,
      assistant: {
        model: new RewindableFakeModel(V, batch, assistantFn),
        numAssistantTokens: 1 + pick(7),
        schedule: pick(2) ? 'heuristic' : 'constant',
        onRound: (r) => rounds.push(r),
      },
    });
    expect(spec).toEqual(plain);
    for (const r of rounds) {
      r.accepted.forEach((a, i) => expect(a).toBeLessThanOrEqual(r.drafted[i]!));
      r.committed.forEach((k, i) => expect(k).toBeLessThanOrEqual(r.accepted[i]! + 1));
    }
    if (agree === 1) {
      // A perfect assistant drafting under the same processors: every draft is accepted.
      const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
      expect(sum(rounds.map((r) => sum(r.accepted)))).toBe(sum(rounds.map((r) => sum(r.drafted))));
    }
  });

  it('the assistant drafts under the same processors (timestamps, suppression, prompt): a perfect one is always right', async () => {
    // Text a little favoured over timestamps, end of text unlikely.
    const bias: Record<number, number> = { [EOS]: -2 };
    for (let t = 0; t < EOS; t++) bias[t] = 0.5;
    const fn = hashedLogits(8, V, 6, bias);
    const gen = config({ suppressTokens: [3, 4], beginSuppressTokens: [EOS, 7] });
    const options: GenerateOptions = {
      returnTimestamps: true,
      maxNewTokens: 40,
      promptIds: [PREV, 5, 6],
    };
    const plain = await generate(new RewindableFakeModel(V, 3, fn), gen, options);
    const rounds: SpeculativeRound[] = [];
    const spec = await generate(new RewindableFakeModel(V, 3, fn), gen, {
      ...options,
      assistant: { model: new RewindableFakeModel(V, 3, fn), onRound: (r) => rounds.push(r) },
    });
    expect(spec).toEqual(plain);
    // Timestamps inside the text, not only the forced first one: the rules were exercised.
    expect(plain.every((r) => r.tokens.filter((t) => t > NO_TS).length >= 2)).toBe(true);
    const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
    expect(sum(rounds.map((r) => sum(r.drafted)))).toBeGreaterThan(20);
    expect(sum(rounds.map((r) => sum(r.accepted)))).toBe(sum(rounds.map((r) => sum(r.drafted))));
  });

  it('a perfect assistant needs about tokens / (k + 1) main-model forwards', async () => {
    const fn = hashedLogits(3, V, 6); // no eos bias: runs to maxNewTokens
    const teacher = new RewindableFakeModel(V, 1, fn);
    const [r] = await generate(teacher, config({ suppressTokens: [EOS] }), {
      language: 'en',
      maxNewTokens: 60,
      assistant: {
        model: new RewindableFakeModel(V, 1, fn),
        numAssistantTokens: 5,
        schedule: 'constant',
      },
    });
    expect(r!.tokens.length).toBe(60);
    // 1 prefill feed + the first token from it, then rounds of 5 drafts + 1 own token.
    expect(teacher.calls.decodeAll).toBe(Math.ceil(59 / 6));
  });

  it('an assistant that is always wrong still gives the exact output, one token per round', async () => {
    const fn = hashedLogits(4, V, 6);
    const gen = config({ suppressTokens: [EOS] });
    const plain = await generate(new RewindableFakeModel(V, 1, fn), gen, {
      language: 'en',
      maxNewTokens: 20,
    });
    // The assistant drafts the token the main model ranks last.
    const worst: LogitsFn = (a, s) => Float32Array.from(fn(a, s), (v) => -v);
    const teacher = new RewindableFakeModel(V, 1, fn);
    const rounds: SpeculativeRound[] = [];
    const spec = await generate(teacher, gen, {
      language: 'en',
      maxNewTokens: 20,
      assistant: { model: new RewindableFakeModel(V, 1, worst), onRound: (r) => rounds.push(r) },
    });
    expect(spec).toEqual(plain);
    expect(rounds.every((r) => r.accepted[0] === 0 && r.committed[0] === 1)).toBe(true);
    // The heuristic shrinks the draft to 1 and keeps it there.
    expect(rounds.map((r) => r.nextDraftLengths[0])).toEqual(
      rounds.map((_, i) => Math.max(1, 4 - i)),
    );
  });

  it('rows of a batch accept their own prefixes and finish independently', async () => {
    // Row 0 stops after 3 tokens, row 1 after 25; the assistant agrees on row 0 only.
    const teacherFn: LogitsFn = (a, seq) => {
      const gen = seq.length - 4;
      const stop = a === 0 ? 3 : 25;
      return gen >= stop
        ? logitsRow(V, { [EOS]: 5 })
        : logitsRow(V, { [1 + ((gen * 7 + a) % 15)]: 5 });
    };
    const assistantFn: LogitsFn = (a, seq) =>
      a === 0 || hashUnit(9, a, seq, 0) < 0.5 ? teacherFn(a, seq) : logitsRow(V, { 19: 5 });
    const gen = config();
    const plain = await generate(new RewindableFakeModel(V, 2, teacherFn), gen, { language: 'en' });
    const teacher = new RewindableFakeModel(V, 2, teacherFn);
    const rounds: SpeculativeRound[] = [];
    const spec = await generate(teacher, gen, {
      language: 'en',
      assistant: {
        model: new RewindableFakeModel(V, 2, assistantFn),
        onRound: (r) => rounds.push(r),
      },
    });
    expect(spec).toEqual(plain);
    expect(spec.map((r) => r.tokens.length)).toEqual([3, 25]);
    // Row 0 leaves after its first round; row 1 goes on alone.
    expect(rounds[0]!.rows).toBe(2);
    expect(rounds.slice(1).every((r) => r.rows === 1)).toBe(true);
    expect(rounds[0]!.accepted[0]).toBe(3); // tokens 2, 3 and end of text drafted right
  });

  it('a row ahead of the shared cache re-feeds its committed tokens before drafting', async () => {
    // Row 0's assistant is perfect, row 1's never right: row 0 races ahead of the common
    // cache length and must catch up by re-feeding; both outputs stay exact.
    const fn = hashedLogits(11, V, 6);
    const gen = config({ suppressTokens: [EOS] });
    const plain = await generate(new RewindableFakeModel(V, 2, fn), gen, {
      language: 'en',
      maxNewTokens: 40,
    });
    const assistantFn: LogitsFn = (a, s) =>
      a === 0 ? fn(a, s) : Float32Array.from(fn(a, s), (v) => -v);
    const rounds: SpeculativeRound[] = [];
    const spec = await generate(new RewindableFakeModel(V, 2, fn), gen, {
      language: 'en',
      maxNewTokens: 40,
      assistant: {
        model: new RewindableFakeModel(V, 2, assistantFn),
        schedule: 'constant',
        numAssistantTokens: 4,
        onRound: (r) => rounds.push(r),
      },
    });
    expect(spec).toEqual(plain);
    // Some round found row 0 too far ahead to draft at all (catching up).
    expect(rounds.some((r) => r.rows === 2 && r.drafted[0] === 0)).toBe(true);
    expect(rounds.every((r) => r.rows < 2 || r.accepted[1] === 0)).toBe(true);
  });

  it('beam search ignores the assistant', async () => {
    const fn = hashedLogits(5, V, 6, { [EOS]: 2 });
    const plain = await generate(new FakeModel(V, 1, fn), config(), {
      language: 'en',
      numBeams: 3,
    });
    const spec = await generate(new RewindableFakeModel(V, 1, fn), config(), {
      language: 'en',
      numBeams: 3,
      assistant: { model: new RewindableFakeModel(V, 1, () => logitsRow(V, { 1: 1 })) },
    });
    expect(spec).toEqual(plain);
  });

  it('refuses an assistant of another vocabulary or without rewindable sessions', async () => {
    const fn = hashedLogits(6, V, 6);
    const run = (
      assistant: RewindableFakeModel | FakeModel,
      main = new RewindableFakeModel(V, 1, fn),
    ) =>
      generate(main, config(), {
        language: 'en',
        maxNewTokens: 3,
        assistant: { model: assistant },
      });
    await expect(run(new RewindableFakeModel(V + 1, 1, fn))).rejects.toMatchObject({
      code: 'ASSISTANT_INCOMPATIBLE',
    });
    await expect(run(new RewindableFakeModel(V, 2, fn))).rejects.toMatchObject({
      code: 'ASSISTANT_INCOMPATIBLE',
    });
    await expect(run(new FakeModel(V, 1, fn))).rejects.toBeInstanceOf(GenerationError);
    await expect(
      run(new RewindableFakeModel(V, 1, fn), new FakeModel(V, 1, fn) as never),
    ).rejects.toMatchObject({
      code: 'INVALID_OPTION',
    });
    await expect(
      generate(new RewindableFakeModel(V, 1, fn), config(), {
        language: 'en',
        assistant: { model: new RewindableFakeModel(V, 1, fn), numAssistantTokens: 0 },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('draft length: +2 after a fully accepted round, −1 otherwise, never below 1', () => {
    const d = new DraftLength(5, 'heuristic');
    const seen: number[] = [];
    for (const ok of [true, true, false, false, false, false, false, false, true]) {
      d.update(ok);
      seen.push(d.current);
    }
    expect(seen).toEqual([7, 9, 8, 7, 6, 5, 4, 3, 5]);
    const c = new DraftLength(3, 'constant');
    c.update(true);
    c.update(false);
    expect(c.current).toBe(3);
    expect(() => new DraftLength(0, 'heuristic')).toThrow(GenerationError);
  });
});

describe('speculative sampling', () => {
  it('the accept / resample rule yields p exactly (in expectation), whatever q is', () => {
    const rng = new SeededRandom(3);
    for (let trial = 0; trial < 50; trial++) {
      const n = 2 + Math.floor(rng.next() * 8);
      const norm = (xs: number[]): number[] => {
        const s = xs.reduce((a, b) => a + b, 0);
        return xs.map((x) => x / s);
      };
      // Some zeros in both, as top-k leaves them.
      const p = norm(
        Array.from({ length: n }, () => (rng.next() < 0.2 ? 0 : rng.next())).map((x, i) =>
          i === 0 ? x + 0.1 : x,
        ),
      );
      const q = norm(
        Array.from({ length: n }, () => (rng.next() < 0.2 ? 0 : rng.next())).map((x, i) =>
          i === 1 % n ? x + 0.1 : x,
        ),
      );
      const r = residualDistribution(p, q);
      let rejectMass = 0;
      for (let y = 0; y < n; y++)
        rejectMass += q[y]! * (1 - Math.min(1, q[y]! > 0 ? p[y]! / q[y]! : 0));
      for (let x = 0; x < n; x++) {
        const keep = q[x]! > 0 ? q[x]! * Math.min(1, p[x]! / q[x]!) : 0;
        expect(keep + rejectMass * r[x]!).toBeCloseTo(p[x]!, 12);
      }
    }
    expect(acceptsDraft([0.5, 0.5], [0.25, 0.75], 0, 0.999)).toBe(true); // p/q = 2 ≥ 1
    expect(acceptsDraft([0.5, 0.5], [0.25, 0.75], 1, 0.7)).toBe(false); // 0.7 ≥ 2/3
    expect(verifySampledDraft([0, 1], [1, 0], 0, new SeededRandom(1))).toEqual({
      token: 1,
      accepted: false,
    });
  });

  // The first three generated tokens of many rows: their empirical distribution under speculative
  // sampling against the main model's exact distribution (enumerated), by a chi-square test.
  it("first-3-token distribution equals the main model's sampling distribution (chi-square)", async () => {
    const vocab = 6; // 0..3 text, 4 suppressed, 5 eos
    const eos = 5;
    const temperature = 0.8;
    const topK = 3;
    const teacherFn = hashedLogits(21, vocab, 3);
    const assistantFn = hashedLogits(77, vocab, 3); // an unrelated distribution
    const processors = { suppressTokens: [4], beginSuppressTokens: [], timestamps: null };
    const prefix = [0];
    // Exact probabilities of every 3-token continuation (shorter when eos comes first).
    const dist = (fn: LogitsFn, seq: number[], generated: number[]): Float64Array => {
      const row = Float32Array.from(fn(0, seq));
      processLogits(row, generated, processors);
      warpForSampling(row, temperature, topK);
      return softmax(row);
    };
    const exact = new Map<string, number>();
    const assistantExact = new Map<string, number>();
    const walk = (fn: LogitsFn, into: Map<string, number>, gen: number[], prob: number): void => {
      if (gen.length === 3 || gen[gen.length - 1] === eos) {
        into.set(gen.join(','), (into.get(gen.join(',')) ?? 0) + prob);
        return;
      }
      const p = dist(fn, [...prefix, ...gen], gen);
      p.forEach((pt, t) => {
        if (pt > 0) walk(fn, into, [...gen, t], prob * pt);
      });
    };
    walk(teacherFn, exact, [], 1);
    walk(assistantFn, assistantExact, [], 1);

    const rows = 3000;
    const seeds = 4;
    const counts = new Map<string, number>();
    let drafted = 0;
    let accepted = 0;
    for (let seed = 0; seed < seeds; seed++) {
      const teacher = new RewindableFakeModel(vocab, 1, teacherFn).startSession(
        new Array<number>(rows).fill(0),
      );
      const assistant = new RewindableFakeModel(vocab, 1, assistantFn).startSession(
        new Array<number>(rows).fill(0),
      );
      const fed = (await teacher.decode(
        Array.from({ length: rows }, () => prefix),
      )) as Float32Array[];
      const first = fed.map((r) => Float32Array.from(r));
      const outs = await speculativeSearch(teacher, assistant, first, {
        prefixes: Array.from({ length: rows }, () => prefix),
        prefixLength: prefix.length,
        maxLength: prefix.length + 3,
        eosTokenId: eos,
        processors,
        sampling: { temperature, topK, rng: new SeededRandom(seed) },
        numAssistantTokens: 2,
        schedule: 'constant',
        onRound: (r) => {
          drafted += r.drafted.reduce((a, b) => a + b, 0);
          accepted += r.accepted.reduce((a, b) => a + b, 0);
        },
      });
      for (const o of outs)
        counts.set(o.tokens.join(','), (counts.get(o.tokens.join(',')) ?? 0) + 1);
    }
    const n = rows * seeds;
    let chi2 = 0;
    let chi2IfAssistant = 0;
    let tv = 0;
    for (const [key, p] of exact) {
      const observed = counts.get(key) ?? 0;
      chi2 += (observed - n * p) ** 2 / (n * p);
      chi2IfAssistant += (n * ((assistantExact.get(key) ?? 0) - p) ** 2) / p;
      tv += Math.abs(observed / n - p) / 2;
    }
    for (const key of counts.keys())
      expect(exact.has(key), `impossible sequence ${key}`).toBe(true);
    const df = exact.size - 1;
    // Wilson–Hilferty upper 0.1 % point of chi-square(df).
    const critical = df * (1 - 2 / (9 * df) + 3.09 * Math.sqrt(2 / (9 * df))) ** 3;
    console.log(
      `[speculative sampling] ${n} samples, ${exact.size} sequences: chi2 ${chi2.toFixed(1)} (df ${df}, 0.1 % critical ${critical.toFixed(1)}), TV ${tv.toFixed(4)}; drafts accepted ${accepted}/${drafted}; sampling the assistant instead would give chi2 ≈ ${chi2IfAssistant.toFixed(0)}`,
    );
    expect(chi2).toBeLessThan(critical);
    // The test has power: the assistant's own distribution would fail it by far.
    expect(chi2IfAssistant).toBeGreaterThan(10 * critical);
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(drafted);
  });
});
