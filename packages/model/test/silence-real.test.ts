// The `model` tier: pure silence and pure white noise give no text on real whisper base weights
// (DW_TEST_MODEL_DIR), short (one window) and long (several windows), where Whisper left alone
// writes " you" on silence and invents sentences on noise.
//
// - Silence: the silent-window gate (constant log-mel) skips it without decoding, with or without
//   thresholds.
// - Noise: the no-speech rule with openai/whisper's and Distil-Whisper's thresholds (p(no speech)
//   > 0.6 with an average log-probability < −1) skips it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logMelSpectrogram } from '@distil-whisper/audio';
import { WhisperModel } from '../src';
import { melArraySource, transcribeLong, whisperWindowEncoder } from '../src/longform';
import type { LongFormOptions } from '../src/longform';
import { whisperBaseDir } from '../../../test-support/real-weights';

const base = whisperBaseDir('silence/noise model tier');

/** xorshift32 white noise in [-1, 1) × amplitude. */
function noise(n: number, amplitude: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * amplitude;
  }
  return out;
}

const THRESHOLDS: LongFormOptions = {
  temperature: [0, 0.2, 0.4, 0.6, 0.8, 1],
  compressionRatioThreshold: 1.35,
  logprobThreshold: -1,
  noSpeechThreshold: 0.6,
};

describe.skipIf(!base)('silence and noise on real whisper base weights', () => {
  let model: WhisperModel;
  beforeAll(() => {
    model = WhisperModel.load(base!);
  });
  afterAll(() => model?.dispose());

  const transcribe = async (samples: Float32Array, options: LongFormOptions) => {
    const mel = logMelSpectrogram(samples, { nMels: model.config.numMelBins });
    const windows: Array<{ skipped: boolean; noSpeech: number }> = [];
    const [r] = await transcribeLong(
      whisperWindowEncoder(model),
      model.generationConfig,
      [melArraySource(mel.data, mel.nMels, mel.nFrames)],
      {
        language: 'en',
        ...options,
        onWindow: (w) =>
          void windows.push({ skipped: w.skipped, noSpeech: w.measures.noSpeechProb }),
      },
    );
    return { tokens: r!.tokens, segments: r!.segments, windows };
  };

  it.each([
    ['10 s', 10],
    ['45 s', 45],
  ])('%s of silence: no text, nothing decoded', async (_, seconds) => {
    for (const options of [{}, THRESHOLDS]) {
      const r = await transcribe(new Float32Array(16000 * seconds), options);
      expect(r.tokens).toEqual([]);
      expect(r.segments).toEqual([]);
      expect(r.windows.every((w) => w.skipped)).toBe(true);
    }
  });

  it('without the gate or thresholds, whisper base writes text on silence (why the gate exists)', async () => {
    const r = await transcribe(new Float32Array(16000 * 10), { skipSilentWindows: false });
    expect(r.tokens.length).toBeGreaterThan(0);
  });

  it.each([
    ['10 s of white noise at 0.1', 10, 0.1],
    ['10 s of white noise at 0.01', 10, 0.01],
    ['45 s of white noise at 0.3', 45, 0.3],
  ])('%s: no text with the no-speech rule', async (_, seconds, amplitude) => {
    const r = await transcribe(noise(16000 * seconds, amplitude, 7), THRESHOLDS);
    expect(r.tokens).toEqual([]);
    expect(r.windows.length).toBeGreaterThan(0);
    expect(r.windows.every((w) => w.skipped && w.noSpeech > 0.6)).toBe(true);
  });
});
