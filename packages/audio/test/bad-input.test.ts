import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hasReference, referencePath } from '../../../test-support/reference';
import {
  AudioError,
  MAX_SAMPLE_RATE,
  loadAudio,
  logMelSpectrogram,
  resample,
  type AudioErrorCode,
} from '../src/index';
import { makeWav, testSignal } from './wav-builder';

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<AudioErrorCode | 'resolved'> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'resolved';
  } catch (err) {
    if (!(err instanceof AudioError)) throw err;
    expect(err.message).not.toBe('');
    return err.code;
  }
}

const te = new TextEncoder();

describe('bad input: containers and codecs', () => {
  it('unrecognised bytes → UNSUPPORTED_FORMAT', async () => {
    expect(await codeOf(loadAudio(te.encode('hello, this is not audio at all'.repeat(200))))).toBe(
      'UNSUPPORTED_FORMAT',
    );
    expect(await codeOf(loadAudio(new Uint8Array(10_000).fill(0)))).toBe('UNSUPPORTED_FORMAT');
  });

  it('known but unsupported containers/codecs → UNSUPPORTED_FORMAT / UNSUPPORTED_CODEC with a conversion hint', async () => {
    const mp4 = new Uint8Array(64);
    mp4.set(te.encode('ftypM4A '), 4);
    expect(await codeOf(loadAudio(mp4))).toBe('UNSUPPORTED_FORMAT');
    const webm = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(await codeOf(loadAudio(webm))).toBe('UNSUPPORTED_FORMAT');
    const aiff = te.encode('FORM\0\0\0\0AIFFCOMM');
    expect(await codeOf(loadAudio(aiff))).toBe('UNSUPPORTED_FORMAT');
    const adts = new Uint8Array([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc, 0, 0, 0, 0, 0, 0]);
    expect(await codeOf(loadAudio(adts))).toBe('UNSUPPORTED_CODEC');
    const oggFlac = new Uint8Array(300);
    oggFlac.set(te.encode('OggS'), 0);
    oggFlac.set(te.encode('\x7fFLAC'), 28);
    expect(await codeOf(loadAudio(oggFlac))).toBe('UNSUPPORTED_CODEC');
  });

  it('zero-length input → EMPTY_AUDIO for bytes, raw samples and streams', async () => {
    expect(await codeOf(loadAudio(new Uint8Array(0)))).toBe('EMPTY_AUDIO');
    expect(await codeOf(loadAudio({ samples: new Float32Array(0), sampleRate: 16000 }))).toBe(
      'EMPTY_AUDIO',
    );
    expect(await codeOf(loadAudio((async function* () {})()))).toBe('EMPTY_AUDIO');
  });

  it('a truncated ID3 tag with nothing after it → TRUNCATED', async () => {
    const id3 = new Uint8Array(20);
    id3.set(te.encode('ID3\x04\x00\x00\x00\x00\x10\x00'));
    expect(await codeOf(loadAudio(id3))).toBe('TRUNCATED');
  });

  it('missing files and directories → IO_ERROR naming the path', async () => {
    const err = await loadAudio('/no/such/file.wav').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'IO_ERROR' });
    expect((err as Error).message).toMatch(/\/no\/such\/file\.wav/);
    expect(await codeOf(loadAudio('/tmp'))).toBe('IO_ERROR');
  });

  it('wrong argument types → INVALID_ARGUMENT', async () => {
    expect(await codeOf(loadAudio(42 as unknown as Uint8Array))).toBe('INVALID_ARGUMENT');
    expect(
      await codeOf(loadAudio({ samples: [1, 2, 3], sampleRate: 16000 } as unknown as Uint8Array)),
    ).toBe('INVALID_ARGUMENT');
    const stream = (async function* () {
      yield 'text' as unknown as Uint8Array;
    })();
    expect(await codeOf(loadAudio(stream))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(loadAudio(new Uint8Array(10), { chunkBytes: 3 }))).toBe('INVALID_ARGUMENT');
  });

  it.skipIf(!hasReference('bad input on jfk.flac'))(
    'a corrupted byte stream never hangs: random damage anywhere ends in samples or an AudioError',
    async () => {
      const flac = readFileSync(referencePath('assets', 'jfk.flac')).subarray(0, 60_000);
      let seed = 1;
      const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let trial = 0; trial < 6; trial++) {
        const bytes = new Uint8Array(flac);
        for (let k = 0; k < 20; k++)
          bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
        const result = await loadAudio(bytes, { lenient: trial % 2 === 0 }).catch(
          (e: unknown) => e,
        );
        expect(result instanceof Float32Array || result instanceof AudioError).toBe(true);
      }
    },
  );
});

describe('bad input: samples and sample rates', () => {
  it('NaN / ±Infinity in raw samples → NON_FINITE_SAMPLES (loadAudio, logMelSpectrogram, resample path)', async () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const x = testSignal(8000, 0);
      x[4321] = bad;
      expect(await codeOf(loadAudio({ samples: x, sampleRate: 16000 }))).toBe('NON_FINITE_SAMPLES');
      expect(
        await codeOf(loadAudio({ samples: [testSignal(8000, 1), x], sampleRate: 44100 })),
      ).toBe('NON_FINITE_SAMPLES');
      expect(await codeOf(() => logMelSpectrogram(x))).toBe('NON_FINITE_SAMPLES');
    }
  });

  it('absurd sample rates → INVALID_SAMPLE_RATE everywhere', async () => {
    for (const rate of [0, -1, 0.5, 44100.5, Number.NaN, Infinity, MAX_SAMPLE_RATE + 1, 1e15]) {
      expect(await codeOf(loadAudio({ samples: new Float32Array(100), sampleRate: rate }))).toBe(
        'INVALID_SAMPLE_RATE',
      );
      expect(await codeOf(loadAudio(new Uint8Array(100), { sampleRate: rate }))).toBe(
        'INVALID_SAMPLE_RATE',
      );
      expect(await codeOf(() => resample(new Float32Array(10), rate, 16000))).toBe(
        'INVALID_SAMPLE_RATE',
      );
    }
  });

  it('logMelSpectrogram: empty → EMPTY_AUDIO; ≤ n_fft/2 samples without padding → TOO_SHORT; bad options → INVALID_ARGUMENT', async () => {
    expect(await codeOf(() => logMelSpectrogram(new Float32Array(0)))).toBe('EMPTY_AUDIO');
    expect(await codeOf(() => logMelSpectrogram(new Float32Array(200)))).toBe('TOO_SHORT');
    expect(
      await codeOf(() => logMelSpectrogram(new Float32Array(200), { padOrTrim: 480000 })),
    ).toBe('resolved');
    expect(await codeOf(() => logMelSpectrogram(new Float32Array(1000), { nMels: 0 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(() => logMelSpectrogram(new Float32Array(1000), { hopLength: 1.5 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(() => logMelSpectrogram([0.1, 0.2] as unknown as Float32Array))).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('maxDurationSeconds → TOO_LONG before decoding everything (from the WAV header)', async () => {
    const wav = makeWav({ channels: [testSignal(16000 * 5, 0)], sampleRate: 16000 });
    expect(await codeOf(loadAudio(wav, { maxDurationSeconds: 2 }))).toBe('TOO_LONG');
    expect((await loadAudio(wav, { maxDurationSeconds: 6 })).length).toBe(80000);
  });

  it('an aborted signal → ABORTED', async () => {
    const ctrl = new AbortController();
    ctrl.abort();
    const wav = makeWav({ channels: [testSignal(1000, 0)], sampleRate: 16000 });
    expect(await codeOf(loadAudio(wav, { signal: ctrl.signal }))).toBe('ABORTED');
  });
});
