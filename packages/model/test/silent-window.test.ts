// The silent-window gate of long-form decoding: constant log-mel windows are skipped without any
// encoder or decoder work; anything audible is decoded as before.
import { describe, expect, it } from 'vitest';
import type { WhisperGenerationConfig } from '../src/generation-config';
import { melArraySource, transcribeLong, type WindowEncoder } from '../src/longform';
import { isSilentWindow } from '../src/vad/silent-window';

describe('isSilentWindow', () => {
  it('is true for constant frames only', () => {
    const f = new Float32Array(2 * 3 * 10).fill(-1.5);
    expect(isSilentWindow(f, 0, 3, 10, 10)).toBe(true);
    f[1 * 30 + 2 * 10 + 4] = -1.2; // window 1, bin 2, frame 4
    expect(isSilentWindow(f, 0, 3, 10, 10)).toBe(true);
    expect(isSilentWindow(f, 1, 3, 10, 10)).toBe(false);
    expect(isSilentWindow(f, 1, 3, 10, 4)).toBe(true); // the changed frame is padding here
    expect(isSilentWindow(f, 0, 1, 10, 1)).toBe(false); // one value says nothing
  });
});

describe('long-form loop with silent windows', () => {
  const gen = {
    decoderStartTokenId: 21,
    eosTokenId: 20,
    padTokenId: 20,
    bosTokenId: 20,
    maxLength: 448,
    forcedDecoderIds: null,
    suppressTokens: [],
    beginSuppressTokens: [],
    langToId: {},
    taskToId: {},
    noTimestampsTokenId: 29,
    prevSotTokenId: 27,
    isMultilingual: false,
    maxInitialTimestampIndex: 50,
    alignmentHeads: [],
    returnTimestamps: null,
    medianFilterWidth: null,
    extra: {},
  } satisfies WhisperGenerationConfig;

  it('skips a silent recording without encoding anything', async () => {
    let encodes = 0;
    const encoder: WindowEncoder = {
      numMelBins: 2,
      framesPerWindow: 100,
      encode: () => {
        encodes++;
        throw new Error('nothing should be encoded');
      },
    };
    const windows: boolean[] = [];
    const [r] = await transcribeLong(
      encoder,
      gen,
      [melArraySource(new Float32Array(2 * 250).fill(-1.5), 2, 250)],
      {
        onWindow: (w) => void windows.push(w.skipped),
      },
    );
    expect(encodes).toBe(0);
    expect(r!.segments).toEqual([]);
    expect(r!.tokens).toEqual([]);
    expect(windows).toEqual([true, true, true]);
  });
});
