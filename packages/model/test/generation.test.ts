// Generation rules on hand-made logits, where the right answer is known by construction.
import { describe, expect, it } from 'vitest';
import type { WhisperGenerationConfig } from '../src/generation-config';
import {
  applyTimestampRules,
  beamSearch,
  generate,
  GenerationError,
  needsFallback,
  planPrefix,
  processLogits,
  resolveMaxLength,
  SeededRandom,
  splitSegments,
  tokenCompressionRatio,
} from '../src/generation';
import { FakeModel, logitsRow } from './generation-fake-model';

// A toy vocabulary laid out like Whisper's: text 0..19, then the special tokens, then 10 timestamps.
const V = 40;
const TEXT_A = 5;
const TEXT_B = 6;
const EOS = 20;
const SOT = 21;
const EN = 22;
const FR = 23;
const TRANSLATE = 24;
const TRANSCRIBE = 25;
const PREV = 27;
const NO_SPEECH = 28;
const NO_TS = 29;
const TS0 = 30;

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

describe('planPrefix (forced decoder prefix)', () => {
  it('uses language and task, then <|notimestamps|>', () => {
    expect(
      planPrefix(config(), { language: 'fr', task: 'translate', returnTimestamps: false }).tokens,
    ).toEqual([SOT, FR, TRANSLATE, NO_TS]);
    expect(planPrefix(config(), { language: '<|en|>', returnTimestamps: true }).tokens).toEqual([
      SOT,
      EN,
      TRANSCRIBE,
    ]);
  });
  it('follows legacy forced_decoder_ids and leaves a language slot when it holds null', () => {
    const plan = planPrefix(
      config({
        forcedDecoderIds: [
          [1, null],
          [2, TRANSCRIBE],
        ],
      }),
      { returnTimestamps: false },
    );
    expect(plan.tokens).toEqual([SOT, -1, TRANSCRIBE, NO_TS]);
    expect(plan.languageSlot).toBe(1);
    const fixed = planPrefix(
      config({
        forcedDecoderIds: [
          [1, EN],
          [2, TRANSCRIBE],
          [3, NO_TS],
        ],
      }),
      { returnTimestamps: true },
    );
    expect(fixed.tokens).toEqual([SOT, EN, TRANSCRIBE]);
  });
  it('asks for detection on a multilingual config without forced ids', () => {
    expect(planPrefix(config(), { returnTimestamps: false }).tokens).toEqual([SOT, -1, NO_TS]);
  });
  it('English-only configs take no language and refuse one', () => {
    const en = config({
      langToId: {},
      taskToId: {},
      isMultilingual: false,
      forcedDecoderIds: [[1, NO_TS]],
    });
    expect(planPrefix(en, { returnTimestamps: false }).tokens).toEqual([SOT, NO_TS]);
    expect(planPrefix(en, { returnTimestamps: true }).tokens).toEqual([SOT]);
    expect(() => planPrefix(en, { language: 'en', returnTimestamps: false })).toThrow(
      GenerationError,
    );
  });
  it('rejects unknown languages with the supported list', () => {
    expect(() => planPrefix(config(), { language: 'de', returnTimestamps: false })).toThrow(
      /en, fr/,
    );
  });
});

describe('timestamp rules', () => {
  const ids = { noTimestamps: NO_TS, eos: EOS, maxInitialTimestampIndex: 3 };
  const finite = (row: Float32Array): number[] =>
    [...row].flatMap((v, i) => (v > -Infinity ? [i] : []));

  it('first step: only timestamps up to max_initial_timestamp_index', () => {
    const row = new Float32Array(V).fill(0);
    applyTimestampRules(row, [], ids);
    expect(finite(row)).toEqual([TS0, TS0 + 1, TS0 + 2, TS0 + 3]);
  });
  it('after an opening timestamp: no text (eos and specials allowed), timestamps >= the last', () => {
    const row = new Float32Array(V).fill(0);
    row.fill(-5, TS0); // keep the timestamp mass below the specials so they stay allowed
    row[TEXT_A] = 50; // a huge text logit must not matter
    applyTimestampRules(row, [TS0 + 2, TEXT_A, TS0 + 4], ids);
    expect(finite(row)).toEqual([
      EOS,
      SOT,
      EN,
      FR,
      TRANSLATE,
      TRANSCRIBE,
      26,
      PREV,
      NO_SPEECH,
      ...[4, 5, 6, 7, 8, 9].map((i) => TS0 + i),
    ]);
  });
  it('after a closed pair: no timestamp at all', () => {
    const row = new Float32Array(V).fill(0);
    applyTimestampRules(row, [TS0, TEXT_A, TS0 + 4, TS0 + 4], ids);
    expect(finite(row).every((i) => i < TS0)).toBe(true);
    expect(row[NO_TS]).toBe(-Infinity);
  });
  it('inside text: timestamps must be strictly later than the last one', () => {
    const row = new Float32Array(V).fill(0);
    row[TEXT_A] = 10; // text wins over the timestamp mass, so text stays allowed
    applyTimestampRules(row, [TS0 + 3, TEXT_A], ids);
    expect(finite(row).filter((i) => i >= TS0)).toEqual([4, 5, 6, 7, 8, 9].map((i) => TS0 + i));
    expect(row[TEXT_A]).toBe(10);
  });
  it('forces a timestamp when the timestamp mass beats every text token', () => {
    // 10 timestamps at 0 → log mass = log 10 ≈ 2.30 > 2.0, the best text logit.
    const row = new Float32Array(V).fill(-5);
    row.fill(0, TS0);
    row[TEXT_A] = 2;
    applyTimestampRules(row, [TS0, TEXT_B], ids);
    expect(row[TEXT_A]).toBe(-Infinity);
    expect(row[EOS]).toBe(-Infinity);
    const row2 = new Float32Array(V).fill(-5);
    row2.fill(0, TS0);
    row2[TEXT_A] = 2.4; // now text wins: nothing masked
    applyTimestampRules(row2, [TS0, TEXT_B], ids);
    expect(row2[TEXT_A]).toBeCloseTo(2.4);
  });
});

describe('suppression', () => {
  it('begin-suppress applies at the first step only; suppress always', () => {
    const s = { suppressTokens: [1], beginSuppressTokens: [EOS, 2], timestamps: null };
    const first = new Float32Array(V).fill(0);
    processLogits(first, [], s);
    expect([first[1], first[2], first[EOS], first[3]]).toEqual([
      -Infinity,
      -Infinity,
      -Infinity,
      0,
    ]);
    const later = new Float32Array(V).fill(0);
    processLogits(later, [3], s);
    expect([later[1], later[2], later[EOS]]).toEqual([-Infinity, 0, 0]);
  });
});

describe('greedy generate', () => {
  it('stops at eos, strips it, and never emits suppressed or begin-suppressed tokens', async () => {
    // Preferred order: EOS (begin-suppressed at step 1), then token 1 (suppressed), then TEXT_A.
    const model = new FakeModel(V, 1, (_a, seq) => {
      const gen = seq.length - 4;
      if (gen >= 2) return logitsRow(V, { [EOS]: 5 });
      return logitsRow(V, { [EOS]: 9, 1: 8, [TEXT_A + gen]: 7 });
    });
    const [r] = await generate(model, config({ suppressTokens: [1], beginSuppressTokens: [EOS] }), {
      language: 'en',
    });
    expect(r?.prefix).toEqual([SOT, EN, TRANSCRIBE, NO_TS]);
    expect(r?.tokens).toEqual([TEXT_A]); // step 2: eos is no longer begin-suppressed and wins
  });
  it('respects maxNewTokens and max_length (generated + prefix)', async () => {
    const model = new FakeModel(V, 1, () => logitsRow(V, { [TEXT_A]: 1 }));
    const [a] = await generate(model, config(), { language: 'en', maxNewTokens: 3 });
    expect(a?.tokens).toEqual([TEXT_A, TEXT_A, TEXT_A]);
    // max_length 5 → 5 + min(223, 4) = 9 total → 5 generated.
    const [b] = await generate(model, config({ maxLength: 5 }), { language: 'en' });
    expect(b?.tokens.length).toBe(5);
    expect(() => resolveMaxLength(4, 448, { maxNewTokens: 445 }, 448)).toThrow(/exceed/);
    expect(resolveMaxLength(4, 448, {}, 448)).toBe(448);
  });
  it('detects the language from the logits after <|startoftranscript|>', async () => {
    const model = new FakeModel(V, 2, (audio, seq) => {
      if (seq.length === 1)
        return logitsRow(V, { [EN]: audio === 0 ? 3 : 1, [FR]: audio === 0 ? 1 : 3, [TEXT_A]: 9 });
      return logitsRow(V, { [EOS]: 1 });
    });
    const rs = await generate(model, config(), {});
    expect(rs.map((r) => r.prefix)).toEqual([
      [SOT, EN, NO_TS],
      [SOT, FR, NO_TS],
    ]);
    expect(rs.map((r) => r.language)).toEqual(['en', 'fr']);
  });
  it('prepends the prompt and detects language without it', async () => {
    const seen: number[][] = [];
    const model = new FakeModel(V, 1, (_a, seq) => {
      seen.push([...seq]);
      if (seq.length === 1) return logitsRow(V, { [FR]: 3 });
      return logitsRow(V, { [EOS]: 1 });
    });
    const [r] = await generate(model, config(), { promptIds: [PREV, TEXT_B] });
    expect(r?.prefix).toEqual([PREV, TEXT_B, SOT, FR, NO_TS]);
    expect(seen[0]).toEqual([SOT]);
  });
});

describe('beam search', () => {
  // Step 1: A (0.6) beats B (0.4). After A everything is flat (p ≤ 0.25); after B, eos is 0.9.
  // Greedy picks A…; beam search finds "B eos" with log p = log .4 + log .9 ≈ −1.02.
  const probs = (seq: readonly number[]): Record<number, number> => {
    const gen = seq.slice(4);
    if (gen.length === 0) return { [TEXT_A]: 0.6, [TEXT_B]: 0.4 };
    if (gen[0] === TEXT_B) return { [EOS]: 0.9, [TEXT_A]: 0.1 };
    return { [TEXT_A]: 0.25, [TEXT_B]: 0.25, 7: 0.25, [EOS]: 0.25 };
  };
  const logFn = (_a: number, seq: readonly number[]): Float32Array => {
    const row = new Float32Array(V).fill(-1e4);
    for (const [k, p] of Object.entries(probs(seq))) row[Number(k)] = Math.log(p);
    return row;
  };
  it('finds the more probable sequence greedy misses', async () => {
    const model = new FakeModel(V, 1, logFn);
    const [greedy] = await generate(model, config(), { language: 'en', maxNewTokens: 4 });
    expect(greedy?.tokens[0]).toBe(TEXT_A);
    const [beam] = await generate(model, config(), { language: 'en', numBeams: 2 });
    expect(beam?.tokens).toEqual([TEXT_B]);
    // Score = (log .4 + log .9) / 2 generated tokens.
    expect(beam?.beamScore).toBeCloseTo((Math.log(0.4) + Math.log(0.9)) / 2, 5);
  });
  it('length penalty decides between a short and a long hypothesis', async () => {
    // "A eos": log .6 = −0.511 over 2 tokens; "B C eos": log .4 = −0.916 over 3 tokens.
    // lp=1: −0.255 vs −0.305 → short wins; lp=3: −0.064 vs −0.034 → long wins.
    const fn = (_a: number, seq: readonly number[]): Float32Array => {
      const gen = seq.slice(4);
      const row = new Float32Array(V).fill(-1e4);
      const set = (p: Record<number, number>): Float32Array => {
        for (const [k, v] of Object.entries(p)) row[Number(k)] = Math.log(v);
        return row;
      };
      if (gen.length === 0) return set({ [TEXT_A]: 0.6, [TEXT_B]: 0.4 });
      if (gen[0] === TEXT_A) return set({ [EOS]: 1 });
      if (gen.length === 1) return set({ 10: 1 });
      return set({ [EOS]: 1 });
    };
    const model = new FakeModel(V, 1, fn);
    const short = await beamSearchRun(model, fn, 1);
    expect(short).toEqual([TEXT_A, EOS]);
    const long = await beamSearchRun(model, fn, 3);
    expect(long).toEqual([TEXT_B, 10, EOS]);
  });
  it('batch items keep independent beams', async () => {
    const model = new FakeModel(V, 2, (audio, seq) =>
      audio === 0
        ? logFn(audio, seq)
        : logitsRow(V, { [TEXT_A]: 0, [EOS]: seq.length > 5 ? 5 : -5 }),
    );
    const rs = await generate(model, config(), { language: 'en', numBeams: 2 });
    expect(rs[0]?.tokens).toEqual([TEXT_B]);
    expect(rs[1]?.tokens).toEqual([TEXT_A, TEXT_A]);
  });
});

async function beamSearchRun(
  model: FakeModel,
  _fn: unknown,
  lengthPenalty: number,
): Promise<number[]> {
  const session = model.startSession([0]);
  const first = session.decode([[SOT, EN, TRANSCRIBE, NO_TS]]) as Float32Array[];
  session.reorder([0, 0]);
  const rows = [
    Float32Array.from(first[0] as Float32Array),
    Float32Array.from(first[0] as Float32Array),
  ];
  const [out] = await beamSearch(session, rows, {
    processors: { suppressTokens: [], beginSuppressTokens: [], timestamps: null },
    eosTokenId: EOS,
    maxLength: 20,
    prefixLength: 4,
    numBeams: 2,
    lengthPenalty,
    earlyStopping: 'never',
  });
  return out?.tokens ?? [];
}

describe('temperature fallback', () => {
  it('falls back when the compression ratio is too high, and keeps the sampled attempt', async () => {
    // Temperature 0 repeats TEXT_A forever (compresses well); sampling hits eos quickly.
    const model = new FakeModel(V, 1, (_a, seq) =>
      logitsRow(V, { [TEXT_A]: 2, [EOS]: seq.length > 6 ? 1.9 : -9 }, -9),
    );
    const [r] = await generate(model, config(), {
      language: 'en',
      temperature: [0, 1],
      compressionRatioThreshold: 2.4,
      maxNewTokens: 60,
      topK: 2,
      seed: 3,
    });
    expect(r?.temperature).toBe(1);
    expect(model.sessions).toBe(2);
    const [g] = await generate(model, config(), {
      language: 'en',
      temperature: [0],
      compressionRatioThreshold: 2.4,
      maxNewTokens: 60,
    });
    expect(g?.compressionRatio).toBeGreaterThan(2.4);
  });
  it('does not fall back when every threshold is met', async () => {
    const model = new FakeModel(V, 1, () => logitsRow(V, { [EOS]: 5 }));
    const [r] = await generate(model, config(), {
      language: 'en',
      temperature: [0, 0.2, 0.4],
      compressionRatioThreshold: 2.4,
      logprobThreshold: -1,
    });
    expect(r?.temperature).toBe(0);
    expect(model.sessions).toBe(1);
  });
  it('skips a silent window: low logprob and high no-speech probability', async () => {
    const model = new FakeModel(
      V,
      1,
      (_a, seq) => (seq.length === 1 ? logitsRow(V, { [NO_SPEECH]: 8 }, 0) : logitsRow(V, {}, 0)), // flat → low logprob
    );
    const [r] = await generate(model, config(), {
      language: 'en',
      temperature: [0, 0.5],
      logprobThreshold: -1,
      noSpeechThreshold: 0.6,
      maxNewTokens: 3,
    });
    expect(r?.skipped).toBe(true);
    expect(r?.tokens).toEqual([]);
    expect(r?.noSpeechProb).toBeGreaterThan(0.6);
    expect(model.sessions).toBe(1);
  });
  it('decision table', () => {
    const t = { compressionRatioThreshold: 2.4, logprobThreshold: -1, noSpeechThreshold: 0.6 };
    expect(needsFallback({ compressionRatio: 3, avgLogprob: 0, noSpeechProb: 0 }, t)).toEqual({
      fallback: true,
      skip: false,
    });
    expect(needsFallback({ compressionRatio: 1, avgLogprob: -2, noSpeechProb: 0.1 }, t)).toEqual({
      fallback: true,
      skip: false,
    });
    expect(needsFallback({ compressionRatio: 3, avgLogprob: -2, noSpeechProb: 0.9 }, t)).toEqual({
      fallback: false,
      skip: true,
    });
    expect(needsFallback({ compressionRatio: 1, avgLogprob: -0.5, noSpeechProb: 0.9 }, t)).toEqual({
      fallback: false,
      skip: false,
    });
  });
  it('token compression ratio uses 2-byte little-endian ids for a Whisper-sized vocabulary', () => {
    expect(tokenCompressionRatio(new Array(200).fill(50257), 51865)).toBeGreaterThan(10);
    const distinct = Array.from({ length: 50 }, (_, i) => (i * 7919) % 51865);
    expect(tokenCompressionRatio(distinct, 51865)).toBeLessThan(1);
  });
  it('sampling is reproducible for a seed', async () => {
    const model = new FakeModel(V, 1, () =>
      logitsRow(V, { [TEXT_A]: 1, [TEXT_B]: 1, 7: 1, [EOS]: 0 }, -9),
    );
    const a = await generate(model, config(), {
      language: 'en',
      temperature: 1,
      seed: 42,
      maxNewTokens: 20,
    });
    const b = await generate(model, config(), {
      language: 'en',
      temperature: 1,
      seed: 42,
      maxNewTokens: 20,
    });
    expect(a[0]?.tokens).toEqual(b[0]?.tokens);
    const rng = new SeededRandom(1);
    const xs = Array.from({ length: 1000 }, () => rng.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });
});

describe('timestamps and segments', () => {
  it('generates paired timestamps and splits them into segments', async () => {
    // Wants: <0.00> A <0.04><0.04> B <0.08> eos
    const script = [TS0, TEXT_A, TS0 + 2, TS0 + 2, TEXT_B, TS0 + 4, EOS];
    const model = new FakeModel(V, 1, (_a, seq) => {
      const gen = seq.length - 3;
      return logitsRow(V, { [script[gen] as number]: 5, [TEXT_A]: 4.9 }, -20);
    });
    const [r] = await generate(model, config(), {
      language: 'en',
      returnTimestamps: true,
      windowFrames: 3000,
    });
    expect(r?.prefix).toEqual([SOT, EN, TRANSCRIBE]);
    expect(r?.tokens).toEqual(script.slice(0, -1));
    expect(r?.segments.map((s) => [s.start, s.end])).toEqual([
      [0, 0.04],
      [0.04, 0.08],
    ]);
  });
  it('splitSegments follows transformers for each ending', () => {
    const T = (i: number): number => TS0 + i;
    // Single timestamp ending: the last segment runs to it.
    expect(
      splitSegments([T(0), 1, T(2), T(2), 2, T(5)], TS0, 3000).segments.map((s) => s.tokens),
    ).toEqual([
      [T(0), 1, T(2)],
      [T(2), 2, T(5)],
    ]);
    // Ends in text after a pair: the tail is dropped; consumed = last pair's time.
    const cut = splitSegments([T(0), 1, T(3), T(3), 2], TS0, 3000);
    expect(cut.segments.map((s) => s.tokens)).toEqual([[T(0), 1, T(3), T(3)]]);
    expect(cut.segments[0]?.end).toBeCloseTo(0.06);
    expect(cut.consumedFrames).toBe(6);
    // No pair: one segment to the last timestamp, or to the window end.
    expect(splitSegments([T(0), 1, T(4)], TS0, 3000).segments[0]?.end).toBeCloseTo(0.08);
    expect(splitSegments([T(0), 1, 2], TS0, 1100).segments[0]?.end).toBeCloseTo(11);
  });
});
