import { describe, expectTypeOf, it } from 'vitest';
import * as audio from '../src/index';
import type {
  AudioErrorCode,
  AudioInfo,
  AudioSource,
  LoadAudioOptions,
  LogMelSpectrogram,
  WhisperFeatures,
} from '../src/index';

describe('public API types', () => {
  it('loadAudio / streamAudio', () => {
    expectTypeOf(audio.loadAudio).parameter(0).toEqualTypeOf<AudioSource>();
    expectTypeOf(audio.loadAudio).parameter(1).toEqualTypeOf<LoadAudioOptions | undefined>();
    expectTypeOf(audio.loadAudio).returns.toEqualTypeOf<Promise<Float32Array>>();
    expectTypeOf(audio.streamAudio).returns.toEqualTypeOf<
      AsyncGenerator<Float32Array, void, undefined>
    >();
    expectTypeOf<LoadAudioOptions['sampleRate']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<AudioInfo['format']>().toEqualTypeOf<
      'wav' | 'flac' | 'mp3' | 'ogg-vorbis' | 'ogg-opus' | 'raw'
    >();
    expectTypeOf<Buffer>().toMatchTypeOf<AudioSource>();
  });

  it('logMelSpectrogram and the extractor', () => {
    expectTypeOf(audio.logMelSpectrogram).returns.toEqualTypeOf<LogMelSpectrogram>();
    expectTypeOf<LogMelSpectrogram['data']>().toEqualTypeOf<Float32Array>();
    expectTypeOf(audio.WhisperFeatureExtractor.fromPretrained).returns.toEqualTypeOf<
      Promise<audio.WhisperFeatureExtractor>
    >();
    expectTypeOf<
      audio.WhisperFeatureExtractor['extract']
    >().returns.toEqualTypeOf<WhisperFeatures>();
    expectTypeOf<WhisperFeatures['shape']>().toEqualTypeOf<
      readonly [batchSize: number, nMels: number, nFrames: number]
    >();
  });

  it('errors carry a stable code union', () => {
    expectTypeOf<audio.AudioError['code']>().toEqualTypeOf<AudioErrorCode>();
    expectTypeOf<'TRUNCATED'>().toMatchTypeOf<AudioErrorCode>();
    expectTypeOf(new audio.AudioError('EMPTY_AUDIO', 'x')).toMatchTypeOf<Error>();
  });

  it('voice activity detection', () => {
    expectTypeOf(audio.SileroVad.load).returns.toEqualTypeOf<audio.SileroVad>();
    expectTypeOf<audio.SileroVad['speechProbabilities']>().returns.toEqualTypeOf<Float32Array>();
    expectTypeOf(audio.speechTimestamps).returns.toEqualTypeOf<audio.SpeechSegment[]>();
    expectTypeOf(audio.planSpeechWindows).returns.toEqualTypeOf<audio.SpeechWindow[]>();
    expectTypeOf<audio.VadError['code']>().toEqualTypeOf<audio.VadErrorCode>();
  });
});
