import { createReadStream, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasReference, referencePath } from '../../../test-support/reference';
import {
  AudioError,
  loadAudio,
  logMelSpectrogram,
  streamAudio,
  type AudioInfo,
  type AudioWarning,
} from '../src/index';
import { diffStats, readF32, sameSamples } from './helpers';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

function snrDb(got: Float32Array, want: Float32Array): number {
  let s = 0;
  let e = 0;
  for (let i = 0; i < want.length; i++) {
    s += want[i]! ** 2;
    e += (got[i]! - want[i]!) ** 2;
  }
  return 10 * Math.log10(s / e);
}

/** Lag (in samples, within ±maxLag) maximising the cross-correlation of a against b. */
function bestLag(a: Float32Array, b: Float32Array, maxLag: number): number {
  let best = 0;
  let bestVal = -Infinity;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let acc = 0;
    for (let i = Math.max(0, -lag); i < Math.min(a.length, b.length - lag); i++)
      acc += a[i]! * b[i + lag]!;
    if (acc > bestVal) {
      bestVal = acc;
      best = lag;
    }
  }
  return best;
}

const present = hasReference('audio decoding of jfk.wav/.flac/.mp3 (shared/reference/assets)');

describe.skipIf(!present)('jfk.wav / .flac / .mp3 decode to the same speech', () => {
  const wavRef = present ? readF32('mel', 'samples', 'jfk.f32') : new Float32Array(0);

  it('jfk.wav is exactly int16 / 32768 (the reference samples) and its log-mel matches jfk.80.pad30', async () => {
    let info: AudioInfo | undefined;
    const x = await loadAudio(referencePath('assets', 'jfk.wav'), { onInfo: (i) => (info = i) });
    expect(info).toEqual({ format: 'wav', sampleRate: 16000, channels: 1 });
    expect(sameSamples(x, wavRef)).toBe(true);
    const mel = logMelSpectrogram(x, { padOrTrim: 480000 });
    const { max, mean } = diffStats(mel.data, readF32('mel', 'logmel', 'jfk.80.pad30.f32'));
    expect(max).toBeLessThanOrEqual(1e-6);
    expect(mean).toBeLessThanOrEqual(2e-7);
  });

  it('jfk.flac (44.1 kHz stereo 24-bit) → 16 kHz mono: same length, no lag, ≥ 70 dB SNR against jfk.wav', async () => {
    let info: AudioInfo | undefined;
    const x = await loadAudio(referencePath('assets', 'jfk.flac'), { onInfo: (i) => (info = i) });
    expect(info).toEqual({ format: 'flac', sampleRate: 44100, channels: 2 });
    expect(x.length).toBe(176000);
    expect(bestLag(x.subarray(20000, 60000), wavRef.subarray(20000, 60000), 20)).toBe(0);
    const snr = snrDb(x, wavRef);
    const mel = diffStats(
      logMelSpectrogram(x, { padOrTrim: 480000 }).data,
      readF32('mel', 'logmel', 'jfk.80.pad30.f32'),
    );
    console.log(
      `jfk.flac vs jfk.wav: SNR ${snr.toFixed(1)} dB, log-mel max ${mel.max.toExponential(2)} mean ${mel.mean.toExponential(2)}`,
    );
    expect(snr).toBeGreaterThan(70);
    expect(mel.mean).toBeLessThan(2e-4);
  });

  it('jfk.mp3 (MPEG-2 layer III, gapless) → 176000 samples, no lag, ≥ 35 dB SNR against jfk.wav', async () => {
    const x = await loadAudio(referencePath('assets', 'jfk.mp3'));
    expect(x.length).toBe(176000);
    expect(bestLag(x.subarray(20000, 60000), wavRef.subarray(20000, 60000), 600)).toBe(0);
    const snr = snrDb(x, wavRef);
    const mel = diffStats(
      logMelSpectrogram(x, { padOrTrim: 480000 }).data,
      readF32('mel', 'logmel', 'jfk.80.pad30.f32'),
    );
    console.log(
      `jfk.mp3 vs jfk.wav: SNR ${snr.toFixed(1)} dB, log-mel max ${mel.max.toExponential(2)} mean ${mel.mean.toExponential(2)}`,
    );
    expect(snr).toBeGreaterThan(35);
    expect(mel.mean).toBeLessThan(1e-2);
  });

  it('accepts a Buffer, an ArrayBuffer, a file: URL and a Node stream with identical results', async () => {
    const path = referencePath('assets', 'jfk.mp3');
    const fromPath = await loadAudio(path);
    const buf = readFileSync(path);
    expect(sameSamples(await loadAudio(buf), fromPath)).toBe(true);
    expect(
      sameSamples(
        await loadAudio(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)),
        fromPath,
      ),
    ).toBe(true);
    expect(sameSamples(await loadAudio(pathToFileURL(path)), fromPath)).toBe(true);
    expect(
      sameSamples(await loadAudio(createReadStream(path, { highWaterMark: 7000 })), fromPath),
    ).toBe(true);
    const parts: Float32Array[] = [];
    for await (const chunk of streamAudio(path, { chunkBytes: 20_000 })) parts.push(chunk);
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.reduce((n, p) => n + p.length, 0)).toBe(176000);
  });

  it('truncated FLAC → TRUNCATED (lenient keeps what decodes, with a warning naming both durations)', async () => {
    const flac = readFileSync(referencePath('assets', 'jfk.flac'));
    const cut = flac.subarray(0, Math.floor(flac.length / 2));
    const err = await loadAudio(cut).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AudioError', code: 'TRUNCATED' });
    expect((err as Error).message).toMatch(
      /declares 485100 samples \(11\.00 s\) but only \d+ decode/,
    );
    expect((err as Error).message).toContain('lenient: true (CLI: --lenient)');
    const warnings: AudioWarning[] = [];
    const partial = await loadAudio(cut, { lenient: true, onWarning: (w) => warnings.push(w) });
    expect(partial.length).toBeGreaterThan(50_000);
    expect(partial.length).toBeLessThan(176_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ code: 'TRUNCATED', expectedSeconds: 11 });
    expect(warnings[0]!.decodedSeconds).toBeCloseTo(partial.length / 16000, 1);
    await expect(loadAudio(flac.subarray(0, 1000))).rejects.toMatchObject({ code: 'TRUNCATED' });
  });

  it('truncated MP3 (Xing/Info frame count) → a warning with decoded vs declared duration; TRUNCATED when strict', async () => {
    const mp3 = readFileSync(referencePath('assets', 'jfk.mp3'));
    const whole: AudioWarning[] = [];
    expect((await loadAudio(mp3, { onWarning: (w) => whole.push(w) })).length).toBe(176000);
    expect(whole).toEqual([]);
    const half = mp3.subarray(0, Math.floor(mp3.length / 2));
    const warnings: AudioWarning[] = [];
    const x = await loadAudio(half, { onWarning: (w) => warnings.push(w) });
    expect(x.length).toBeGreaterThan(40_000);
    expect(x.length).toBeLessThan(176_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(
      /^MP3 stream looks truncated: its Xing\/Info header declares 11\.00 s but only 5\.\d\d s decode/,
    );
    expect(warnings[0]).toMatchObject({ code: 'TRUNCATED', expectedSeconds: 11 });
    expect(warnings[0]!.decodedSeconds).toBeCloseTo(x.length / 16000, 2);
    const strict = await loadAudio(half, { strict: true }).catch((e: unknown) => e);
    expect(strict).toMatchObject({ name: 'AudioError', code: 'TRUNCATED' });
    expect((strict as Error).message).toContain('declares 11.00 s');
    // Streamed in small chunks, behind a 300 kB ID3 tag (cover art): the header is still found.
    const tag = new Uint8Array(10 + 300_000);
    tag.set([0x49, 0x44, 0x33, 4, 0, 0]);
    const size = 300_000;
    tag.set([(size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f], 6);
    const tagged = Buffer.concat([tag, half.subarray(55)]); // jfk.mp3's own tag is 55 bytes
    const late: AudioWarning[] = [];
    await loadAudio(tagged, { chunkBytes: 4096, onWarning: (w) => late.push(w) });
    expect(late.map((w) => w.expectedSeconds)).toEqual([11]);
    expect(
      await loadAudio(Buffer.concat([tag, mp3.subarray(55)]), {
        onWarning: (w) => late.push(w),
      }).then((a) => a.length),
    ).toBe(176000);
    expect(late).toHaveLength(1);
  });

  it('maxDurationSeconds → TOO_LONG from the FLAC and MP3 headers, before anything is decoded', async () => {
    for (const file of ['jfk.flac', 'jfk.mp3']) {
      const err = await loadAudio(referencePath('assets', file), { maxDurationSeconds: 10 }).catch(
        (e: unknown) => e,
      );
      expect(err, file).toMatchObject({ code: 'TOO_LONG' });
      expect((err as Error).message).toBe(
        'Audio is 11.0 s long (its header says so; nothing was decoded), over maxDurationSeconds 10',
      );
      expect(
        (await loadAudio(referencePath('assets', file), { maxDurationSeconds: 11.5 })).length,
      ).toBe(176000);
    }
  });

  it('corrupt FLAC frames (bad CRCs are dropped by the decoder) → an AudioError, not partial audio', async () => {
    const flac = new Uint8Array(readFileSync(referencePath('assets', 'jfk.flac')));
    for (let i = 20_000; i < flac.length; i += 997) flac[i] = flac[i]! ^ 0x5a;
    const err = await loadAudio(flac).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioError);
    expect(['CORRUPT_DATA', 'TRUNCATED']).toContain((err as AudioError).code);
    expect((err as AudioError).message).toMatch(/corrupt/);
  });

  it('corrupt MP3 data after the ID3 tag → CORRUPT_DATA or UNSUPPORTED_FORMAT, never a hang', async () => {
    const mp3 = new Uint8Array(readFileSync(referencePath('assets', 'jfk.mp3')));
    mp3.fill(0x33, 55);
    const err = await loadAudio(mp3).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioError);
  });
});

describe('Ogg Vorbis and Ogg Opus (synthetic fixtures from tools/reference/audio/make-fixtures.mjs)', () => {
  // Fixture content: left 0.3·sin(2π·440t), right 0.2·sin(2π·1000t + 0.5), 1.5 s, 44.1 kHz.
  const expected = (n: number): Float32Array => {
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const t = i / 16000;
      y[i] =
        (0.3 * Math.sin(2 * Math.PI * 440 * t) + 0.2 * Math.sin(2 * Math.PI * 1000 * t + 0.5)) / 2;
    }
    return y;
  };
  for (const [file, format, rate] of [
    ['tones-44k-stereo.ogg', 'ogg-vorbis', 44100],
    ['tones-44k-stereo.opus', 'ogg-opus', 48000],
  ] as const) {
    it(`${file}: ${format} at ${rate} Hz → 16 kHz mono, both channels mixed, ≥ 25 dB SNR`, async () => {
      let info: AudioInfo | undefined;
      const x = await loadAudio(join(fixtures, file), { onInfo: (i) => (info = i) });
      expect(info?.format).toBe(format);
      expect(info?.sampleRate).toBe(rate);
      expect(info?.channels).toBe(2);
      expect(Math.abs(x.length - 24000)).toBeLessThan(200);
      const want = expected(x.length);
      const lag = bestLag(x.subarray(2000, 20000), want.subarray(2000, 20000), 100);
      expect(Math.abs(lag)).toBeLessThanOrEqual(1);
      const snr = snrDb(x.subarray(1600, 22000), want.subarray(1600, 22000));
      console.log(`${file}: lag ${lag}, SNR ${snr.toFixed(1)} dB`);
      expect(snr).toBeGreaterThan(25);
    });
  }

  it('truncated Ogg Vorbis / Opus decode their complete pages with a warning (TRUNCATED when strict); garbage after OggS → error, not a hang', async () => {
    for (const file of ['tones-44k-stereo.ogg', 'tones-44k-stereo.opus']) {
      const bytes = readFileSync(join(fixtures, file));
      const none: AudioWarning[] = [];
      await loadAudio(bytes, { onWarning: (w) => none.push(w) });
      expect(none, file).toEqual([]);
      const warnings: AudioWarning[] = [];
      const half = await loadAudio(bytes.subarray(0, Math.floor(bytes.length / 2)), {
        onWarning: (w) => warnings.push(w),
      });
      expect(half.length, file).toBeGreaterThan(3000);
      expect(warnings, file).toHaveLength(1);
      expect(warnings[0]!.message).toMatch(
        /^Ogg (Vorbis|Opus) stream looks truncated: the data ends inside an Ogg page; \d\.\d\d s decoded/,
      );
      expect(warnings[0]!.expectedSeconds).toBeUndefined();
      await expect(
        loadAudio(bytes.subarray(0, Math.floor(bytes.length / 2)), { strict: true }),
      ).rejects.toMatchObject({ code: 'TRUNCATED' });
    }
    const junk = new Uint8Array(5000);
    junk.set(new TextEncoder().encode('OggS'));
    await expect(loadAudio(junk)).rejects.toBeInstanceOf(AudioError);
    await expect(loadAudio(junk, { strict: true, lenient: true })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
