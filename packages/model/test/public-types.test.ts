// The public surface, checked at the type level (tsc) and for presence at run time.
import { describe, expectTypeOf, it, expect } from 'vitest';

import * as api from '../src/index';
import type {
  CheckpointErrorCode,
  DecoderOutput,
  DecodeOptions,
  EncoderOutput,
  WhisperConfig,
  WhisperGenerationConfig,
} from '../src/index';

describe('public API', () => {
  it('exports the documented entry points', () => {
    for (const name of [
      'WhisperModel',
      'EncoderOutput',
      'DecoderState',
      'greedyDecode',
      'loadCheckpoint',
      'saveCheckpoint',
      'createRandomCheckpoint',
      'readSafetensorsHeader',
      'writeSafetensors',
      'parseWhisperConfig',
      'parseGenerationConfig',
      'CheckpointError',
      'ModelError',
      'PRESETS',
    ])
      expect(api).toHaveProperty(name);
  });
  it('has the documented types', () => {
    expectTypeOf(api.WhisperModel.load).returns.toEqualTypeOf<api.WhisperModel>();
    expectTypeOf<api.WhisperModel['encode']>().returns.toEqualTypeOf<EncoderOutput>();
    expectTypeOf<api.WhisperModel['decode']>()
      .parameter(1)
      .toEqualTypeOf<ReadonlyArray<ArrayLike<number>>>();
    expectTypeOf<api.WhisperModel['decode']>().returns.toEqualTypeOf<DecoderOutput>();
    expectTypeOf<DecoderOutput['logits']>().toEqualTypeOf<Float32Array>();
    expectTypeOf<DecodeOptions['logits']>().toEqualTypeOf<'last' | 'all' | undefined>();
    expectTypeOf<api.DecoderState['reorder']>().parameter(0).toEqualTypeOf<ArrayLike<number>>();
    expectTypeOf<WhisperConfig['dModel']>().toEqualTypeOf<number>();
    expectTypeOf<WhisperGenerationConfig['alignmentHeads']>().toEqualTypeOf<
      Array<[number, number]>
    >();
    expectTypeOf<WhisperGenerationConfig['langToId']>().toEqualTypeOf<Record<string, number>>();
    expectTypeOf<api.CheckpointError['code']>().toEqualTypeOf<CheckpointErrorCode>();
    expectTypeOf(api.createRandomCheckpoint).returns.toEqualTypeOf<api.RandomCheckpoint>();
  });
});
