// The sequential long-form loop on a scripted fake model: windows of 100 frames (1 s), a toy
// vocabulary with 51 timestamps, and per-seek scripts of what the "model" says. Seeking, segment
// times, the no-speech skip, fallback, conditioning, prompts, language detection and batching are
// checked against values worked out by hand from transformers' rules.
import { describe, expect, it } from 'vitest';
import type { WhisperGenerationConfig } from '../src/generation-config';
import {
  cutWindow,
  melArraySource,
  transcribeLong,
  windowPrompt,
  type EncodedWindows,
  type LongFormOptions,
  type MelWindowSource,
  type WindowEncoder,
} from '../src/longform';
import { FakeModel } from './generation-fake-model';

const TEXT = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const [A, B, C, D] = TEXT as [number, number, number, number];
const EOS = 20;
const SOT = 21;
const EN = 22;
const FR = 23;
const TRANSCRIBE = 25;
const PREV = 27;
const NO_SPEECH = 28;
const NO_TS = 29;
const TS0 = 30;
const V = TS0 + 51; // <|0.00|> .. <|1.00|>
const T = (seconds: number): number => TS0 + Math.round(seconds / 0.02);
const FPW = 100;
const round = (x: number): number => Math.round(x * 1000) / 1000;

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
    langToId: {},
    taskToId: {},
    noTimestampsTokenId: NO_TS,
    prevSotTokenId: PREV,
    isMultilingual: false,
    maxInitialTimestampIndex: 50,
    alignmentHeads: [],
    returnTimestamps: null,
    medianFilterWidth: null,
    extra: {},
    ...over,
  };
}

/** What the fake says in the window starting at a seek: tokens, or `'silence'`. */
type Script = Record<number, number[] | 'silence'>;

interface Call {
  seek: number;
  frames: number;
  /** Everything fed to the decoder for the row, prompt and prefix included. */
  input: number[];
}

/**
 * A fake encoder: frame t of a source holds the value t + 1 (one mel bin), so a window tells its
 * seek (first value − 1) and real length (non-zero values). The decoder follows `script[seek]`.
 */
class ScriptedEncoder implements WindowEncoder {
  readonly numMelBins = 1;
  readonly framesPerWindow = FPW;
  calls: Call[] = [];
  batches: number[] = [];
  constructor(
    private readonly scripts: Script[],
    private readonly language: number[] = [],
  ) {}

  encode(features: Float32Array, batch: number): EncodedWindows {
    this.batches.push(batch);
    const windows = Array.from({ length: batch }, (_, b) => {
      const w = features.subarray(b * FPW, (b + 1) * FPW);
      const seek = (w[0] as number) - 1;
      let frames = 0;
      while (frames < FPW && (w[frames] as number) > 0) frames++;
      // The source is told by the offset stored in the window's value: see sourceOf().
      return { seek: seek % 10_000, source: Math.floor(seek / 10_000), frames };
    });
    const calls = this.calls;
    const model = new FakeModel(V, batch, (audio, seq) => {
      const w = windows[audio] as { seek: number; source: number; frames: number };
      const script = (this.scripts[w.source] as Script)[w.seek];
      if (script === undefined) throw new Error(`no script for source ${w.source} seek ${w.seek}`);
      const sot = seq.lastIndexOf(SOT);
      const atSot = sot === seq.length - 1;
      if (atSot) calls.push({ seek: w.seek, frames: w.frames, input: [...seq] });
      let row: Float32Array;
      if (script === 'silence') {
        // p(no speech) high after <|startoftranscript|>, then flat logits: low log-probability.
        row = new Float32Array(V).fill(atSot ? -10 : 0);
        if (atSot) row[NO_SPEECH] = 10;
      } else {
        let generated = seq.length - sot - 1;
        for (
          let i = sot + 1;
          i < seq.length && [EN, FR, TRANSCRIBE, NO_TS].includes(seq[i] as number);
          i++
        )
          generated--;
        row = new Float32Array(V).fill(-10);
        row[script[generated] ?? EOS] = 10;
      }
      // Only a source's first window carries its language; later ones sound English.
      if (atSot) row[w.seek === 0 ? (this.language[w.source] ?? EN) : EN] = 5;
      return row;
    });
    return { model, encoderOutput: null, dispose: () => {} };
  }
}

/** Source `s` of `frames` frames: frame t holds s·10000 + t + 1 (one mel bin). */
function sourceOf(s: number, frames: number): MelWindowSource {
  const data = new Float32Array(frames).map((_, t) => s * 10_000 + t + 1);
  return melArraySource(data, 1, frames);
}

const run = (
  enc: ScriptedEncoder,
  sources: MelWindowSource[],
  options: LongFormOptions = {},
  gen = config(),
) => transcribeLong(enc, gen, sources, options);

// Source 0: 250 frames. Window 0 ends in a closed pair at 0.60 s (seek → 60); window 60 ends with
// a single timestamp (seek → 160); window 160 has 90 real frames.
const SCRIPT_0: Script = {
  0: [T(0), A, T(0.4), T(0.4), B, T(0.6), T(0.6)],
  60: [T(0), C, T(1)],
  160: [T(0), D, T(0.9)],
};

describe('sequential long-form loop (scripted model)', () => {
  it('seeks to the last closed pair, cuts segments and times them from each window', async () => {
    const enc = new ScriptedEncoder([SCRIPT_0]);
    const [r] = await run(enc, [sourceOf(0, 250)]);
    expect(enc.calls.map((c) => [c.seek, c.frames])).toEqual([
      [0, 100],
      [60, 100],
      [160, 90],
    ]);
    expect(r!.segments.map((s) => [round(s.start), round(s.end), s.tokens])).toEqual([
      [0, 0.4, [T(0), A, T(0.4)]],
      [0.4, 0.6, [T(0.4), B, T(0.6), T(0.6)]],
      [0.6, 1.6, [T(0), C, T(1)]],
      [1.6, 2.5, [T(0), D, T(0.9)]],
    ]);
    expect(r!.tokens).toEqual(r!.segments.flatMap((s) => s.tokens));
    expect(r!.windows).toBe(3);
    expect(r!.frames).toBe(250);
  });

  it('skips a window judged silent (low log-probability and p(no speech) above the threshold)', async () => {
    const enc = new ScriptedEncoder([{ 0: 'silence', 100: [T(0), A, T(0.5)] }]);
    const [r] = await run(enc, [sourceOf(0, 180)], {
      logprobThreshold: -1,
      noSpeechThreshold: 0.6,
    });
    expect(enc.calls.map((c) => c.seek)).toEqual([0, 100]);
    expect(r!.segments.map((s) => [round(s.start), round(s.end)])).toEqual([[1, 1.5]]);
    expect(r!.windows).toBe(2);
  });

  it('conditions on the previous text: <|startofprev|> + history without the final timestamp of a pair', async () => {
    const enc = new ScriptedEncoder([SCRIPT_0]);
    await run(enc, [sourceOf(0, 250)], { conditionOnPrevTokens: true });
    expect(enc.calls[0]!.input).toEqual([SOT]);
    expect(enc.calls[1]!.input).toEqual([PREV, T(0), A, T(0.4), T(0.4), B, T(0.6), SOT]);
    expect(enc.calls[2]!.input).toEqual([
      PREV,
      ...[T(0), A, T(0.4), T(0.4), B, T(0.6)],
      ...[T(0), C, T(1)],
      SOT,
    ]);
  });

  it('keeps the last 223 previous tokens (max_target_positions / 2 − 1)', () => {
    const history = [Array.from({ length: 300 }, (_, i) => i % 10)];
    const p = windowPrompt(history, true, {
      initialPrompt: null,
      promptConditionType: 'first-segment',
      prevSot: PREV,
      timestampBegin: TS0,
      cutOff: 223,
    });
    expect(p).toHaveLength(224);
    expect(p.slice(1)).toEqual(history[0]!.slice(77));
  });

  it('an initial prompt conditions the first window and is not part of the output', async () => {
    const enc = new ScriptedEncoder([SCRIPT_0]);
    const [r] = await run(enc, [sourceOf(0, 250)], {
      promptIds: [PREV, B, C],
      conditionOnPrevTokens: true,
    });
    expect(enc.calls[0]!.input).toEqual([PREV, B, C, SOT]);
    expect(enc.calls[1]!.input.slice(0, 4)).toEqual([PREV, B, C, T(0)]);
    expect(r!.tokens[0]).toBe(T(0));
    // Without conditioning the prompt heads every window (transformers' `prompt_ids` branch).
    const plain = new ScriptedEncoder([SCRIPT_0]);
    await run(plain, [sourceOf(0, 250)], { promptIds: [PREV, B, C] });
    expect(plain.calls.map((c) => c.input)).toEqual([
      [PREV, B, C, SOT],
      [PREV, B, C, SOT],
      [PREV, B, C, SOT],
    ]);
  });

  it("'all-segments' puts the whole prompt before the previous text of every window", async () => {
    const enc = new ScriptedEncoder([SCRIPT_0]);
    await run(enc, [sourceOf(0, 250)], {
      promptIds: [PREV, B, C],
      conditionOnPrevTokens: true,
      promptConditionType: 'all-segments',
    });
    expect(enc.calls[1]!.input).toEqual([PREV, B, C, T(0), A, T(0.4), T(0.4), B, T(0.6), SOT]);
    await expect(
      run(new ScriptedEncoder([SCRIPT_0]), [sourceOf(0, 250)], {
        promptConditionType: 'all-segments',
      }),
    ).rejects.toThrow(/conditionOnPrevTokens/);
  });

  it('drops conditioning for the window after one kept at temperature >= 0.5', async () => {
    // Window 0 repeats itself at every temperature (compression ratio > 1.5): the last attempt is kept.
    const loop = [T(0), ...new Array<number>(40).fill(A), T(0.5)];
    const enc = new ScriptedEncoder([{ 0: loop, 100: [T(0), A, T(0.5)] }]);
    const [r] = await run(enc, [sourceOf(0, 150)], {
      conditionOnPrevTokens: true,
      temperature: [0, 0.6],
      compressionRatioThreshold: 1.5,
    });
    expect(r!.segments[0]!.tokens).toEqual(loop);
    expect(r!.segments[0]!.temperature).toBe(0.6);
    const second = enc.calls.filter((c) => c.seek === 100);
    expect(second[0]!.input).toEqual([SOT]);
  });

  it('detects the language once per source, on its first window', async () => {
    const gen = config({ langToId: { '<|en|>': EN, '<|fr|>': FR }, isMultilingual: true });
    // Source 1 "speaks" French on its first window only; its later windows keep <|fr|>.
    const enc = new ScriptedEncoder([SCRIPT_0, SCRIPT_0], [EN, FR]);
    const prefixes: number[][] = [];
    const rs = await run(
      enc,
      [sourceOf(0, 250), sourceOf(1, 250)],
      { batchSize: 2, onWindow: (w) => void (w.index === 1 && prefixes.push([...w.prefix])) },
      gen,
    );
    expect(rs.map((r) => r.language)).toEqual(['en', 'fr']);
    expect(rs[1]!.segments).toHaveLength(4);
    expect(prefixes).toEqual([
      [SOT, FR],
      [SOT, FR],
      [SOT, FR],
    ]);
  });

  it('batches sources (finished ones leave, the next enters) with results equal to one at a time', async () => {
    const scripts: Script[] = [SCRIPT_0, { 0: [T(0), B, T(0.3)] }, SCRIPT_0];
    const sources = () => [sourceOf(0, 250), sourceOf(1, 30), sourceOf(2, 250)];
    const one = new ScriptedEncoder(scripts);
    const alone = await run(one, sources());
    const two = new ScriptedEncoder(scripts);
    const batched = await run(two, sources(), { batchSize: 2 });
    expect(batched.map((r) => r.index)).toEqual([0, 1, 2]);
    expect(batched.map((r) => r.segments)).toEqual(alone.map((r) => r.segments));
    expect(two.batches).toEqual([2, 2, 2, 1]);
    expect(alone[1]!.segments.map((s) => [round(s.start), round(s.end)])).toEqual([[0, 0.3]]);
  });

  it('reports progress and hands every window to onWindow before releasing it', async () => {
    const progress: number[] = [];
    const windows: Array<[number, number, boolean]> = [];
    await run(new ScriptedEncoder([SCRIPT_0]), [sourceOf(0, 250)], {
      onProgress: (p) => progress.push(p.frames),
      onWindow: (w) => {
        windows.push([w.seek, w.segments.length, w.prefix[w.prefix.length - 1] === SOT]);
      },
    });
    expect(progress).toEqual([60, 160, 250]);
    expect(windows).toEqual([
      [0, 2, true],
      [60, 1, true],
      [160, 1, true],
    ]);
  });

  it('without timestamps each window is one segment and the seek moves by whole windows', async () => {
    const enc = new ScriptedEncoder([{ 0: [A, B], 100: [C] }]);
    const [r] = await run(enc, [sourceOf(0, 130)], { returnTimestamps: false });
    expect(r!.segments.map((s) => [round(s.start), round(s.end), s.tokens])).toEqual([
      [0, 1, [A, B]],
      [1, 1.3, [C]],
    ]);
  });

  it('an empty source gives an empty result; aborting stops between windows', async () => {
    const [r] = await run(new ScriptedEncoder([]), [sourceOf(0, 0)]);
    expect(r).toMatchObject({ tokens: [], segments: [], windows: 0 });
    const ac = new AbortController();
    ac.abort();
    await expect(
      run(new ScriptedEncoder([SCRIPT_0]), [sourceOf(0, 250)], { signal: ac.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

describe('cutWindow', () => {
  const m = { temperature: 0, avgLogprob: -0.1, compressionRatio: 1, noSpeechProb: 0 };
  it('a text with no timestamp pair is one segment up to its last timestamp', () => {
    const cut = cutWindow([T(0), A, T(0.7)], TS0, 300, 100, m);
    expect(cut.advance).toBe(100);
    expect(cut.segments.map((s) => [round(s.start), round(s.end), s.seek])).toEqual([
      [3, 3.7, 300],
    ]);
  });
  it('never stalls: a last pair at <|0.00|> consumes the whole window', () => {
    const cut = cutWindow([T(0), T(0), A], TS0, 0, 100, m);
    expect(cut.advance).toBe(100);
  });
});
