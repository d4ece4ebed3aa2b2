import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasReference } from '../../../test-support/reference';
import { AudioError, WhisperFeatureExtractor, logMelSpectrogram } from '../src/index';
import { diffStats, readF32 } from './helpers';

// A real checkpoint's file (openai/whisper-large-v3 preprocessor_config.json, values only).
const LARGE_V3 = {
  chunk_length: 30,
  feature_extractor_type: 'WhisperFeatureExtractor',
  feature_size: 128,
  hop_length: 160,
  n_fft: 400,
  n_samples: 480000,
  nb_max_frames: 3000,
  padding_side: 'right',
  padding_value: 0.0,
  processor_class: 'WhisperProcessor',
  return_attention_mask: false,
  sampling_rate: 16000,
};

const present = hasReference('WhisperFeatureExtractor parity (shared/reference/mel)');

describe('WhisperFeatureExtractor', () => {
  it('fromConfig derives n_samples / nb_max_frames from chunk_length (15 s window)', () => {
    const fe = WhisperFeatureExtractor.fromConfig({
      ...LARGE_V3,
      feature_size: 80,
      chunk_length: 15,
    });
    expect(fe.config).toMatchObject({
      featureSize: 80,
      nSamples: 240000,
      nbMaxFrames: 1500,
      chunkLength: 15,
    });
  });

  it('defaults to Whisper settings for an empty config', () => {
    expect(WhisperFeatureExtractor.fromConfig({}).config).toMatchObject({
      featureSize: 80,
      nSamples: 480000,
      nbMaxFrames: 3000,
    });
  });

  it('fromPretrained reads preprocessor_config.json; missing or invalid files → typed errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-fe-'));
    writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify(LARGE_V3));
    const fe = await WhisperFeatureExtractor.fromPretrained(dir);
    expect(fe.config.featureSize).toBe(128);
    await expect(WhisperFeatureExtractor.fromPretrained(join(dir, 'nope'))).rejects.toMatchObject({
      code: 'IO_ERROR',
    });
    const bad = mkdtempSync(join(tmpdir(), 'dw-fe-'));
    writeFileSync(join(bad, 'preprocessor_config.json'), '{ not json');
    await expect(WhisperFeatureExtractor.fromPretrained(bad)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });

  it.each([
    [{ feature_extractor_type: 'Wav2Vec2FeatureExtractor' }],
    [{ feature_size: 0 }],
    [{ hop_length: 1.5 }],
    [{ n_fft: -400 }],
    [{ sampling_rate: 1e12 }],
    [{ dither: 1e-5 }],
    [{ padding_side: 'left' }],
    [{ padding_value: Number.NaN }],
  ])('rejects bad config %j with an AudioError', (cfg) => {
    expect(() => WhisperFeatureExtractor.fromConfig(cfg)).toThrowError(AudioError);
  });

  describe.skipIf(!present)('parity with the reference vectors', () => {
    it('80 bins / 30 s: jfk, short clip and a truncated 45 s input, as one batch', () => {
      const fe = WhisperFeatureExtractor.fromConfig({ ...LARGE_V3, feature_size: 80 });
      const clips = ['jfk', 'short_0p1s', 'long_45s'].map((s) =>
        readF32('mel', 'samples', `${s}.f32`),
      );
      const out = fe.extract(clips);
      expect(out.shape).toEqual([3, 80, 3000]);
      ['jfk', 'short_0p1s', 'long_45s'].forEach((s, b) => {
        const ref = readF32('mel', 'logmel', `${s}.80.pad30.f32`);
        const { max } = diffStats(out.data.subarray(b * 240000, (b + 1) * 240000), ref);
        expect(max).toBeLessThanOrEqual(1e-6);
      });
      // Attention mask: frames with real samples (jfk 1100, short 10, long all 3000).
      const ones = (b: number): number =>
        out.attentionMask.subarray(b * 3000, (b + 1) * 3000).reduce((a, v) => a + v, 0);
      expect([ones(0), ones(1), ones(2)]).toEqual([1100, 10, 3000]);
    });

    it('128 bins (large-v3) from a real config', () => {
      const fe = WhisperFeatureExtractor.fromConfig(LARGE_V3);
      const out = fe.extract(readF32('mel', 'samples', 'jfk.f32'));
      expect(out.shape).toEqual([1, 128, 3000]);
      expect(
        diffStats(out.data, readF32('mel', 'logmel', 'jfk.128.pad30.f32')).max,
      ).toBeLessThanOrEqual(1e-6);
    });

    it('chunk_length 15 → [80, 1500] equal to long_45s.80.pad15', () => {
      const fe = WhisperFeatureExtractor.fromConfig({
        ...LARGE_V3,
        feature_size: 80,
        chunk_length: 15,
      });
      const out = fe.extract(readF32('mel', 'samples', 'long_45s.f32'));
      expect(out.shape).toEqual([1, 80, 1500]);
      expect(
        diffStats(out.data, readF32('mel', 'logmel', 'long_45s.80.pad15.f32')).max,
      ).toBeLessThanOrEqual(1e-6);
    });
  });

  it('a non-zero padding_value pads with that value', () => {
    const fe = WhisperFeatureExtractor.fromConfig({ padding_value: 0.5 });
    const clip = new Float32Array(1000).fill(0.5);
    const direct = logMelSpectrogram(new Float32Array(480000).fill(0.5));
    expect(diffStats(fe.extract(clip).data, direct.data).max).toBe(0);
  });

  it('bad batches → typed errors naming the item', () => {
    const fe = WhisperFeatureExtractor.fromConfig({});
    expect(() => fe.extract([])).toThrowError(
      expect.objectContaining({ code: 'EMPTY_AUDIO' }) as unknown as Error,
    );
    const nan = new Float32Array(100);
    nan[7] = Number.NaN;
    expect(() => fe.extract([new Float32Array(100), nan])).toThrowError(/Batch item 1/);
    expect(() => fe.extract([new Float32Array(0)])).toThrowError(AudioError);
    expect(() => fe.extract('audio.wav' as unknown as Float32Array)).toThrowError(AudioError);
  });
});
