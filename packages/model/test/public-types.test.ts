// The public surface, checked at the type level (tsc) and at run time: exactly these values are
// exported, so an internal helper cannot leak into the API unnoticed.
import { describe, expectTypeOf, it, expect } from 'vitest';

import * as api from '../src/index';
import type {
  CheckpointErrorCode,
  DecoderForwardResult,
  DecoderOutput,
  DecodeOptions,
  EncoderOutput,
  GenerateOptions,
  GenerationResult,
  TimedSegment,
  WhisperConfig,
  WhisperGenerationConfig,
} from '../src/index';

/** Public runtime exports, by area (types are checked below). */
const PUBLIC = {
  model: ['WhisperModel', 'EncoderOutput', 'DecoderState'],
  checkpoints: [
    'loadCheckpoint',
    'saveCheckpoint',
    'readCheckpointConfigs',
    'readCheckpointHeaders',
    'TOKENIZER_FILES',
  ],
  configs: [
    'parseWhisperConfig',
    'whisperConfigToJson',
    'parseGenerationConfig',
    'generationConfigToJson',
    'generationConfigFromModelConfig',
  ],
  generation: ['generate', 'detectLanguage', 'whisperGenerationModel', 'greedyDecode'],
  speculative: ['encodeWithAssistant', 'sharesEncoder', 'checkAssistantModel'],
  alignment: [
    'alignWindowWords',
    'alignWords',
    'runAlignmentPass',
    'assignWordsToSegments',
    'resolveAlignmentHeads',
    'AlignmentError',
  ],
  longform: [
    'transcribeLong',
    'transcribeLongStream',
    'selectWindows',
    'whisperWindowEncoder',
    'melArraySource',
    'planChunks',
    'chunkSpans',
    'ChunkMerger',
    'longestCommonSequence',
  ],
  random: ['createRandomCheckpoint', 'PRESETS'],
  ct2: ['convertCt2ToHf'],
  writing: ['writeFileAtomic', 'writeDirectoryAtomic', 'assertOutputOutside'],
  errors: ['CheckpointError', 'ModelError', 'WriteError', 'GenerationError', 'Ct2Error'],
  training: [
    'declareParameters',
    'decaysWeight',
    'ParameterStore',
    'TrainableDecoder',
    'teacherLogits',
    'trainableDecoderParameters',
    'DecoderActivations',
  ],
};

/** Exported for @distil-whisper/distill only (`@internal`). */
const INTERNAL = [
  'expectedTensors',
  'tensorProblems',
  'checkpointKind',
  'PROJ_OUT',
  'readSafetensorsHeader',
  'readSafetensorsTensor',
  'writeSafetensors',
];

describe('public API', () => {
  it('exports exactly the documented values (and the internal ones distill needs)', () => {
    const expected = [...Object.values(PUBLIC).flat(), ...INTERNAL].sort();
    expect(Object.keys(api).sort()).toEqual(expected);
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
    expectTypeOf(api.generate).returns.toEqualTypeOf<Promise<GenerationResult[]>>();
    expectTypeOf(api.generate).parameter(2).toEqualTypeOf<GenerateOptions | undefined>();
    expectTypeOf<GenerationResult['segments']>().toEqualTypeOf<TimedSegment[]>();
    expectTypeOf(api.greedyDecode).returns.toEqualTypeOf<number[]>();
    expectTypeOf<GenerateOptions['assistant']>().toEqualTypeOf<api.AssistantOptions | undefined>();
    expectTypeOf<api.AssistantOptions['model']>().toEqualTypeOf<api.GenerationModel>();
    expectTypeOf<api.AssistantOptions['schedule']>().toEqualTypeOf<api.DraftSchedule | undefined>();
    expectTypeOf(api.encodeWithAssistant).returns.toEqualTypeOf<api.AssistedEncoding>();
    expectTypeOf<api.SpeculativeRound['accepted']>().toEqualTypeOf<number[]>();
    expectTypeOf<api.TrainableDecoder['forward']>().returns.toEqualTypeOf<DecoderForwardResult>();
    expectTypeOf(api.declareParameters).returns.toEqualTypeOf<api.ParameterDecl[]>();
    expectTypeOf(api.alignWindowWords).returns.toEqualTypeOf<api.WindowWords>();
    expectTypeOf<api.WordTiming['start']>().toEqualTypeOf<number>();
    expectTypeOf<api.AlignmentError['code']>().toEqualTypeOf<api.AlignmentErrorCode>();
    expectTypeOf(api.transcribeLong).returns.toEqualTypeOf<Promise<api.LongFormResult[]>>();
    expectTypeOf(api.transcribeLong).parameter(0).toEqualTypeOf<api.WindowEncoder>();
    expectTypeOf<api.LongFormOptions['numBeams']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<api.LongFormOptions['assistant']>().toEqualTypeOf<
      api.AssistantOptions | undefined
    >();
    expectTypeOf<api.LongFormSegment['words']>().toEqualTypeOf<api.SegmentWord[] | undefined>();
    expectTypeOf<api.MelWindowSource['read']>().returns.toEqualTypeOf<void | Promise<void>>();
    expectTypeOf<api.MergedSegment['start']>().toEqualTypeOf<number | null>();
    expectTypeOf(api.planChunks).returns.toEqualTypeOf<api.ChunkPlan>();
  });
});
