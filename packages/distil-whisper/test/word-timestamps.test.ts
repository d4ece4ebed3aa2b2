// Word timestamps in the facade: cue building and srt/vtt output (always), chunk word selection,
// and the window aligner on real whisper base weights against openai-whisper's word timings on
// jfk.wav (the `model` tier: DW_TEST_MODEL_DIR, skipped with a notice without it).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { generate, whisperGenerationModel, WhisperModel } from '@distil-whisper/model';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';
import { hasReference, referencePath } from '../../../test-support/reference';
import { whisperBaseDir } from '../../../test-support/real-weights';
import { formatTranscription } from '../src/formats';
import type { Transcription } from '../src/types';
import { cues } from '../src/word-cues';
import { ownWords, WordAligner, wordsBySegment, type TimedWord } from '../src/word-timestamps';

const w = (text: string, start: number, end: number): TimedWord => ({
  text,
  start,
  end,
  probability: 0.9,
});

const RESULT = {
  text: ' Ask not what your country can do.',
  segments: [
    {
      start: 0,
      end: 2,
      text: ' Ask not',
      tokens: [],
      words: [w(' Ask', 0.1, 0.5), w(' not', 0.5, 0.9)],
    },
    {
      start: 2,
      end: 4,
      text: ' what your country can do.',
      tokens: [],
      words: [
        w(' what', 2.0, 2.3),
        w(' your', 2.3, 2.5),
        w(' country', 2.5, 3.0),
        w(' can', 3.0, 3.2),
        w(' do.', 3.2, 3.6),
      ],
    },
  ],
  tokens: [],
  language: 'en',
  durationSeconds: 4,
  temperature: 0,
  avgLogprob: -0.2,
  noSpeechProb: 0.01,
} as unknown as Transcription;

describe('word cues', () => {
  it('one cue per segment by default, word-timed cues of at most N words on request', () => {
    expect(cues(RESULT.segments).map((c) => c.text)).toEqual([
      'Ask not',
      'what your country can do.',
    ]);
    expect(cues(RESULT.segments, 2)).toEqual([
      { start: 0.1, end: 0.9, text: 'Ask not' },
      { start: 2.0, end: 2.5, text: 'what your' },
      { start: 2.5, end: 3.2, text: 'country can' },
      { start: 3.2, end: 3.6, text: 'do.' },
    ]);
    expect(() => cues(RESULT.segments, 0)).toThrow(RangeError);
  });

  it('srt and vtt render word-level cues', () => {
    const srt = formatTranscription(RESULT, 'srt', { maxWordsPerCue: 1 });
    expect(srt.split('\n\n')).toHaveLength(7);
    expect(srt).toContain('3\n00:00:02,000 --> 00:00:02,300\nwhat\n');
    const vtt = formatTranscription(RESULT, 'vtt', { maxWordsPerCue: 3 });
    expect(vtt).toContain('00:00:02.000 --> 00:00:03.000\nwhat your country\n');
    expect(vtt.startsWith('WEBVTT\n\n00:00:00.100 --> 00:00:00.900\nAsk not\n')).toBe(true);
    const json = JSON.parse(formatTranscription(RESULT, 'json')) as Transcription;
    expect(json.segments[1]!.words![2]).toEqual(w(' country', 2.5, 3.0));
  });
});

describe('chunked words', () => {
  it('keeps the words a chunk owns (after its left stride, before its right stride)', () => {
    const words = [w(' a', 0.5, 1), w(' b', 4.9, 5.2), w(' c', 10, 11), w(' d', 24.9, 25.2)];
    expect(ownWords(words, 0, 30, 0, 5).map((x) => x.text)).toEqual([' a', ' b', ' c', ' d']);
    expect(ownWords(words, 0, 30, 5, 5).map((x) => x.text)).toEqual([' c', ' d']);
    expect(ownWords(words, 0, 25, 5, 0).map((x) => x.text)).toEqual([' c', ' d']);
  });

  it('hands words to the segment they start in', () => {
    const segs = wordsBySegment(
      [
        { start: 0, words: undefined as TimedWord[] | undefined },
        { start: 5, words: undefined as TimedWord[] | undefined },
      ],
      [w(' a', 0.2, 1), w(' b', 4.9, 5.5), w(' c', 5, 6)],
    );
    expect(segs.map((s) => s.words!.map((x) => x.text))).toEqual([[' a', ' b'], [' c']]);
  });
});

// --- real weights -------------------------------------------------------------------------------

interface OwWord {
  word: string;
  start: number;
  end: number;
}
const FIXTURE = resolve(
  __dirname,
  '../../../tools/reference/word-timestamps/fixtures/openai-base-jfk.json',
);
const base = whisperBaseDir('facade word timestamps on real weights');
const runnable = base !== undefined && hasReference('facade word timestamps');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

describe.skipIf(!runnable)('WordAligner on real whisper base weights (jfk.wav)', () => {
  let model: WhisperModel;
  let tokenizer: WhisperTokenizer;
  beforeAll(async () => {
    model = WhisperModel.load(base!);
    tokenizer = await WhisperTokenizer.fromPretrained(base!);
  });
  afterAll(() => model?.dispose());

  it('gives openai-whisper word times within 0.1 s (median) after a timestamped decode', async () => {
    const fe = await WhisperFeatureExtractor.fromPretrained(base!);
    const samples = await loadAudio(referencePath('assets', 'jfk.wav'), { sampleRate: 16000 });
    const frames = Math.floor(samples.length / 160);
    const enc = model.encode(fe.extract(samples).data, 1);
    try {
      const [r] = await generate(whisperGenerationModel(model, enc), model.generationConfig, {
        language: 'en',
        returnTimestamps: true,
        windowFrames: frames,
      });
      const window = {
        index: 0,
        frames,
        timeOffset: 0,
        prefix: r!.prefix,
        segments: r!.segments.map((s) => ({ ...s, words: undefined as TimedWord[] | undefined })),
        encoded: { encoderOutput: enc },
        row: 0,
      };
      new WordAligner(model, tokenizer).align(window);
      const ours = window.segments.flatMap((s) => s.words ?? []);
      const ref = (
        JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
          clips: Array<{ segments: Array<{ words: OwWord[] }> }>;
        }
      ).clips[0]!.segments.flatMap((s) => s.words);
      // Our decode (transformers' features) may punctuate differently from openai-whisper's.
      const bare = (t: string): string => t.replace(/[^\p{L}\p{N}']/gu, '').toLowerCase();
      expect(ours.map((x) => bare(x.text))).toEqual(ref.map((x) => bare(x.word)));
      const ds = ours.map((x, i) => Math.abs(x.start - ref[i]!.start));
      const de = ours.map((x, i) => Math.abs(x.end - ref[i]!.end));
      console.log(
        `[word timestamps] facade, jfk: median |Δstart| ${median(ds).toFixed(3)} s, median |Δend| ${median(de).toFixed(3)} s`,
      );
      expect(median(ds)).toBeLessThanOrEqual(0.1);
      expect(median(de)).toBeLessThanOrEqual(0.1);
      // Segment bounds follow the words (openai/whisper's rule).
      expect(window.segments[0]!.start).toBe(ours[0]!.start);
    } finally {
      enc.dispose();
    }
  });
});
