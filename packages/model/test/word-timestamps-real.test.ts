// The `model` tier for word timestamps: real Whisper base weights (DW_TEST_MODEL_DIR, as in
// real-model.test.ts) against openai-whisper's word timings on jfk.wav, recorded by
// tools/reference/word-timestamps/make_fixtures.py on the same weights.
//
// Two checks:
// - the algorithm alone: fed exactly openai-whisper's encoder input (its window pads the mel with
//   0.0 after the audio, where our transformers-style features hold log-mel of silence) and with
//   its re-normalised attention, the raw alignment equals openai-whisper's word for word;
// - our defaults (transformers-style features and cropping): median |Δstart| and |Δend| ≤ 0.1 s.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';
import { WhisperModel } from '../src';
import { alignWindowWords, alignWords, runAlignmentPass } from '../src/alignment';
import { hasReference, referencePath } from '../../../test-support/reference';
import { whisperBaseDir } from '../../../test-support/real-weights';

interface ClipFixture {
  id: string;
  num_frames: number;
  segments: Array<{
    start: number;
    end: number;
    tokens: number[];
    words: Array<{ word: string; start: number; end: number; probability: number }>;
  }>;
  alignment: {
    text_tokens: number[];
    words: Array<{ word: string; start: number; end: number; probability: number }>;
  };
}

const FIXTURE = resolve(
  __dirname,
  '../../../tools/reference/word-timestamps/fixtures/openai-base-jfk.json',
);
// The fixture was recorded on whisper base.
const base = whisperBaseDir('word-timestamp model tier');
const runnable = base !== undefined && hasReference('word-timestamp model tier');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

describe.skipIf(!runnable)('word timestamps on real whisper base weights (jfk.wav)', () => {
  const clip = (JSON.parse(readFileSync(FIXTURE, 'utf8')) as { clips: ClipFixture[] }).clips[0]!;
  const SOT = [50258, 50259, 50359]; // <|startoftranscript|><|en|><|transcribe|>
  let model: WhisperModel;
  let tokenizer: WhisperTokenizer;
  let features: Float32Array;

  beforeAll(async () => {
    model = WhisperModel.load(base!);
    tokenizer = await WhisperTokenizer.fromPretrained(base!);
    const fe = await WhisperFeatureExtractor.fromPretrained(base!);
    const samples = await loadAudio(referencePath('assets', 'jfk.wav'), { sampleRate: 16000 });
    expect(Math.floor(samples.length / 160)).toBe(clip.num_frames);
    features = fe.extract(samples).data;
  });
  afterAll(() => model?.dispose());

  it("equals openai-whisper's raw alignment on its encoder input", () => {
    const owInput = Float32Array.from(features);
    const frames = 3000;
    for (let m = 0; m < model.config.numMelBins; m++)
      owInput.fill(0, m * frames + clip.num_frames, (m + 1) * frames);
    const enc = model.encode(owInput, 1);
    try {
      const text = clip.alignment.text_tokens;
      const pass = runAlignmentPass(model, enc, { sotSequence: SOT, textTokens: text });
      expect(pass.heads.source).toBe('generation-config');
      const words = alignWords({
        attention: pass.attention,
        firstTextRow: pass.firstTextRow,
        tokenProbabilities: pass.tokenProbabilities,
        split: tokenizer.splitToWordTokens(text, 'en'),
        numFrames: clip.num_frames,
        renormalize: true,
      });
      expect(words.map((w) => w.word)).toEqual(clip.alignment.words.map((w) => w.word));
      let maxProb = 0;
      words.forEach((w, i) => {
        const ref = clip.alignment.words[i]!;
        expect(w.start, w.word).toBeCloseTo(ref.start, 9);
        expect(w.end, w.word).toBeCloseTo(ref.end, 9);
        maxProb = Math.max(maxProb, Math.abs(w.probability - ref.probability));
      });
      console.log(
        `[word timestamps] jfk raw alignment: max |Δprobability| ${maxProb.toExponential(2)}`,
      );
      expect(maxProb).toBeLessThan(1e-4);
    } finally {
      enc.dispose();
    }
  });

  it('our defaults stay within 0.1 s (median) of openai-whisper', () => {
    const enc = model.encode(features, 1);
    try {
      const { segments } = alignWindowWords(model, enc, {
        sotSequence: SOT,
        segments: clip.segments,
        numFrames: clip.num_frames,
        splitWords: (t) => tokenizer.splitToWordTokens(t, 'en'),
      });
      const ours = segments.flatMap((s) => s.words);
      const ref = clip.segments.flatMap((s) => s.words);
      expect(ours.map((w) => w.word)).toEqual(ref.map((w) => w.word));
      const ds = ours.map((w, i) => Math.abs(w.start - ref[i]!.start));
      const de = ours.map((w, i) => Math.abs(w.end - ref[i]!.end));
      console.log(
        `[word timestamps] jfk, ${ours.length} words: median |Δstart| ${median(ds).toFixed(3)} s (max ${Math.max(...ds).toFixed(2)}), median |Δend| ${median(de).toFixed(3)} s (max ${Math.max(...de).toFixed(2)})`,
      );
      expect(median(ds)).toBeLessThanOrEqual(0.1);
      expect(median(de)).toBeLessThanOrEqual(0.1);
      // Probabilities come from the same pass: close, not equal (different encoder input).
      ours.forEach((w, i) =>
        expect(Math.abs(w.probability - ref[i]!.probability)).toBeLessThan(0.2),
      );
    } finally {
      enc.dispose();
    }
  });
});
