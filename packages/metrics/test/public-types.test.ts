import { describe, expectTypeOf, it } from 'vitest';
import type { AlignedPair, ErrorMeasures, TextNormalizer, WerFilterDecision } from '../src/index';
import { alignTokens, createNormalizer, measureCorpus, werFilter } from '../src/index';

describe('public types', () => {
  it('have the documented shapes', () => {
    expectTypeOf(createNormalizer).returns.toEqualTypeOf<TextNormalizer>();
    expectTypeOf(werFilter).returns.returns.toEqualTypeOf<WerFilterDecision>();
    expectTypeOf(measureCorpus).returns.toMatchTypeOf<ErrorMeasures>();
    expectTypeOf(alignTokens<number>)
      .returns.toHaveProperty('pairs')
      .toEqualTypeOf<AlignedPair<number>[]>();
  });
});
