import { describe, expect, it } from 'vitest';
import { AudioError, loadAudio } from '../src/index';
import { sameSamples } from './helpers';
import { makeWav, quantize, testSignal } from './wav-builder';

async function decode(bytes: Uint8Array, sampleRate = 16000): Promise<Float32Array> {
  return loadAudio(bytes, { sampleRate });
}

function expectedMono(channels: Float32Array[], map: (x: number) => number): Float32Array {
  const n = channels[0]!.length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    for (const c of channels) acc += map(c[i]!);
    out[i] = acc / channels.length;
  }
  return out;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<AudioError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AudioError);
    expect((err as AudioError).code).toBe(code);
    expect((err as AudioError).message.length).toBeGreaterThan(20);
    return err as AudioError;
  }
  throw new Error(`expected AudioError ${code}, but it resolved`);
}

describe('WAV decoding: every common form', () => {
  const n = 4001; // odd, so 8-bit mono data needs a pad byte
  const cases: Array<{
    name: string;
    bits: 8 | 16 | 24 | 32 | 64;
    encoding: 'pcm' | 'float';
    ch: number;
    extensible?: boolean;
  }> = [
    { name: 'PCM u8 mono', bits: 8, encoding: 'pcm', ch: 1 },
    { name: 'PCM s16 mono', bits: 16, encoding: 'pcm', ch: 1 },
    { name: 'PCM s16 stereo', bits: 16, encoding: 'pcm', ch: 2 },
    { name: 'PCM s24 stereo', bits: 24, encoding: 'pcm', ch: 2 },
    { name: 'PCM s32 mono', bits: 32, encoding: 'pcm', ch: 1 },
    { name: 'float32 stereo', bits: 32, encoding: 'float', ch: 2 },
    { name: 'float64 mono', bits: 64, encoding: 'float', ch: 1 },
    { name: 'extensible PCM s16, 6 channels', bits: 16, encoding: 'pcm', ch: 6, extensible: true },
    { name: 'extensible float32 stereo', bits: 32, encoding: 'float', ch: 2, extensible: true },
    { name: 'extensible PCM s24, 3 channels', bits: 24, encoding: 'pcm', ch: 3, extensible: true },
  ];
  for (const c of cases) {
    it(`${c.name}: exact mean-of-channels downmix`, async () => {
      const channels = Array.from({ length: c.ch }, (_, k) => testSignal(n, k));
      const bytes = makeWav({
        channels,
        sampleRate: 16000,
        bits: c.bits,
        encoding: c.encoding,
        extensible: c.extensible ?? false,
      });
      const got = await decode(bytes);
      const scale = 2 ** (c.bits - 1);
      const want = expectedMono(channels, (x) =>
        c.encoding === 'float' ? (c.bits === 32 ? Math.fround(x) : x) : quantize(x, c.bits) / scale,
      );
      expect(got.length).toBe(n);
      let max = 0;
      for (let i = 0; i < n; i++) max = Math.max(max, Math.abs(got[i]! - want[i]!));
      expect(max).toBeLessThan(1e-7);
    });
  }

  it('PCM16 is int16 / 32768 exactly (Whisper convention), including -32768 and 32767', async () => {
    const x = new Float32Array([-1, 32767 / 32768, 0, -0.5, 0.25]);
    const got = await decode(makeWav({ channels: [x], sampleRate: 16000 }));
    expect(Array.from(got)).toEqual([-1, 32767 / 32768, 0, -0.5, 0.25]);
  });

  it('skips LIST/odd-sized chunks before data and honours word alignment', async () => {
    const x = testSignal(1000, 3);
    const bytes = makeWav({
      channels: [x],
      sampleRate: 16000,
      extraChunks: [
        { id: 'LIST', body: new Uint8Array(26).fill(65) },
        { id: 'junk', body: new Uint8Array(7).fill(1) },
        { id: 'bext', body: new Uint8Array(3) },
      ],
    });
    const got = await decode(bytes);
    expect(got.length).toBe(1000);
    expect(got[500]).toBe(quantize(x[500]!, 16) / 32768);
  });

  it('reads RF64 (64-bit sizes in ds64)', async () => {
    const x = testSignal(2000, 1);
    const got = await decode(makeWav({ channels: [x], sampleRate: 16000, rf64: true }));
    expect(got.length).toBe(2000);
  });

  it('treats a 0xFFFFFFFF / 0 data size (streamed WAV) as "until end of file"', async () => {
    const x = testSignal(3000, 2);
    for (const size of [0xffffffff, 0]) {
      const got = await decode(makeWav({ channels: [x], sampleRate: 16000, dataSizeField: size }));
      expect(got.length).toBe(3000);
    }
  });

  it('ignores bytes after a data chunk that is shorter than the file (trailing chunks)', async () => {
    const x = testSignal(100, 2);
    const wav = makeWav({ channels: [x], sampleRate: 16000 });
    const withTail = new Uint8Array(wav.length + 20);
    withTail.set(wav);
    withTail.set(new TextEncoder().encode('LIST'), wav.length);
    expect((await decode(withTail)).length).toBe(100);
  });

  it('decodes identically for any read chunk size', async () => {
    const channels = [testSignal(20000, 0), testSignal(20000, 1), testSignal(20000, 2)];
    const bytes = makeWav({
      channels,
      sampleRate: 44100,
      bits: 24,
      extraChunks: [{ id: 'LIST', body: new Uint8Array(5) }],
    });
    const whole = await loadAudio(bytes, { chunkBytes: 1 << 20 });
    const small = await loadAudio(bytes, { chunkBytes: 1031 });
    expect(sameSamples(small, whole)).toBe(true);
  });
});

describe('WAV bad input → typed AudioError', () => {
  const x = testSignal(1000, 0);
  const good = makeWav({ channels: [x], sampleRate: 16000 });

  it('data size larger than the file (lying header) → TRUNCATED, or the samples present when lenient', async () => {
    const lying = makeWav({ channels: [x], sampleRate: 16000, dataSizeField: 10_000_000 });
    const err = await expectCode(decode(lying), 'TRUNCATED');
    expect(err.message).toMatch(/10000000/);
    expect((await loadAudio(lying, { lenient: true })).length).toBe(1000);
  });

  it('truncated file (cut inside data) → TRUNCATED; lenient returns the whole frames present', async () => {
    const cut = good.subarray(0, good.length - 301);
    await expectCode(decode(cut), 'TRUNCATED');
    expect((await loadAudio(cut, { lenient: true })).length).toBe(1000 - 151);
  });

  it('truncated inside the header → TRUNCATED', async () => {
    await expectCode(decode(good.subarray(0, 30)), 'TRUNCATED');
    await expectCode(decode(good.subarray(0, 12)), 'TRUNCATED');
  });

  it('a chunk before data claiming more bytes than the file → CORRUPT_DATA (no huge allocation)', async () => {
    const bytes = makeWav({
      channels: [x],
      sampleRate: 16000,
      extraChunks: [{ id: 'LIST', body: new Uint8Array(4) }],
    });
    new DataView(bytes.buffer).setUint32(36 + 4, 0x7ffffff0, true); // LIST size field
    await expectCode(decode(bytes), 'CORRUPT_DATA');
  });

  it('block align inconsistent with channels × bits → CORRUPT_DATA', async () => {
    await expectCode(
      decode(makeWav({ channels: [x], sampleRate: 16000, blockAlignField: 3 })),
      'CORRUPT_DATA',
    );
  });

  it('unsupported codecs inside WAV (ADPCM, MP3-in-WAV) → UNSUPPORTED_CODEC', async () => {
    const e = await expectCode(
      decode(makeWav({ channels: [x], sampleRate: 16000, formatTagField: 2 })),
      'UNSUPPORTED_CODEC',
    );
    expect(e.message).toMatch(/ADPCM/);
    await expectCode(
      decode(makeWav({ channels: [x], sampleRate: 16000, formatTagField: 0x55 })),
      'UNSUPPORTED_CODEC',
    );
    await expectCode(
      decode(makeWav({ channels: [x], sampleRate: 16000, bits: 64 })),
      'UNSUPPORTED_CODEC',
    );
  });

  it('absurd sample rates in the header → INVALID_SAMPLE_RATE', async () => {
    for (const rate of [0, 1, 999, 4_000_000_000]) {
      await expectCode(decode(makeWav({ channels: [x], sampleRate: rate })), 'INVALID_SAMPLE_RATE');
    }
  });

  it('zero channels → CORRUPT_DATA', async () => {
    const bytes = good.slice();
    new DataView(bytes.buffer).setUint16(22, 0, true);
    await expectCode(decode(bytes), 'CORRUPT_DATA');
  });

  it('zero-length data → EMPTY_AUDIO', async () => {
    await expectCode(
      decode(makeWav({ channels: [new Float32Array(0)], sampleRate: 16000 })),
      'EMPTY_AUDIO',
    );
  });

  it('NaN or Infinity in float data → NON_FINITE_SAMPLES', async () => {
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const y = testSignal(500, 1);
      y[123] = bad;
      const e = await expectCode(
        decode(makeWav({ channels: [y], sampleRate: 16000, encoding: 'float', bits: 32 })),
        'NON_FINITE_SAMPLES',
      );
      expect(e.message).toMatch(/123/);
    }
  });

  it('data before fmt → CORRUPT_DATA; fmt too small → CORRUPT_DATA', async () => {
    const bytes = new Uint8Array(12 + 8 + 4);
    bytes.set(new TextEncoder().encode('RIFF'), 0);
    bytes.set(new TextEncoder().encode('WAVEdata'), 8);
    new DataView(bytes.buffer).setUint32(16, 4, true);
    await expectCode(decode(bytes), 'CORRUPT_DATA');
    const small = good.slice();
    new DataView(small.buffer).setUint32(16, 8, true);
    await expectCode(decode(small), 'CORRUPT_DATA');
  });

  it('big-endian RIFX → UNSUPPORTED_FORMAT', async () => {
    const bytes = good.slice();
    bytes.set(new TextEncoder().encode('RIFX'), 0);
    await expectCode(decode(bytes), 'UNSUPPORTED_FORMAT');
  });
});
