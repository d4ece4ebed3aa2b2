import { describe, expect, it } from 'vitest';
import { loadAudio, streamAudio } from '../src/index';

/** A WAV header for a stream of `frames` frames (or unknown length), then synthetic PCM16 in 1 MiB chunks. */
async function* wavStream(
  rate: number,
  channels: number,
  frames: number,
  headerFrames: number | 'unknown',
): AsyncGenerator<Uint8Array> {
  const header = new Uint8Array(44);
  const v = new DataView(header.buffer);
  header.set(new TextEncoder().encode('RIFF'), 0);
  v.setUint32(4, 0xffffffff, true);
  header.set(new TextEncoder().encode('WAVEfmt '), 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2 * channels, true);
  v.setUint16(32, 2 * channels, true);
  v.setUint16(34, 16, true);
  header.set(new TextEncoder().encode('data'), 36);
  v.setUint32(
    40,
    headerFrames === 'unknown' ? 0xffffffff : Math.min(0xfffffffe, headerFrames * 2 * channels),
    true,
  );
  yield header;
  const chunkFrames = (1 << 20) / (2 * channels);
  const template = new Int16Array(chunkFrames * channels);
  for (let i = 0; i < template.length; i++) template[i] = Math.round(8000 * Math.sin(i * 0.01));
  for (let done = 0; done < frames; done += chunkFrames) {
    const n = Math.min(chunkFrames, frames - done);
    yield new Uint8Array(template.buffer.slice(0, n * 2 * channels));
  }
}

describe('hours-long input', () => {
  it('streams 3 hours of 16 kHz audio with bounded memory (no copy of the input is kept)', async () => {
    const frames = 3 * 3600 * 16000; // 172.8 M samples, 345.6 MB of PCM
    const before = process.memoryUsage();
    let total = 0;
    let peak = 0;
    let n = 0;
    for await (const chunk of streamAudio(wavStream(16000, 1, frames, 'unknown'))) {
      total += chunk.length;
      if (++n % 50 === 0) {
        const m = process.memoryUsage();
        peak = Math.max(peak, m.arrayBuffers + m.heapUsed - before.arrayBuffers - before.heapUsed);
      }
    }
    expect(total).toBe(frames);
    console.log(`3 h stream: peak growth ${(peak / 2 ** 20).toFixed(1)} MiB over ${n} chunks`);
    expect(peak).toBeLessThan(128 * 2 ** 20); // the input alone is 345 MB
  }, 120_000);

  it('rejects a 2-hour 44.1 kHz stereo stream at the header with maxDurationSeconds, before decoding', async () => {
    const frames = 2 * 3600 * 44100;
    const start = performance.now();
    await expect(
      loadAudio(wavStream(44100, 2, frames, frames), { maxDurationSeconds: 3600 }),
    ).rejects.toMatchObject({ code: 'TOO_LONG' });
    expect(performance.now() - start).toBeLessThan(2000);
  });

  it('a stream whose header claims 2 GB but carries 1 s does not allocate for the claim (TRUNCATED, or 1 s when lenient)', async () => {
    const claim = 2 ** 30;
    await expect(loadAudio(wavStream(16000, 1, 16000, claim))).rejects.toMatchObject({
      code: 'TRUNCATED',
    });
    const before = process.memoryUsage().arrayBuffers;
    const x = await loadAudio(wavStream(16000, 1, 16000, claim), { lenient: true });
    expect(x.length).toBe(16000);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });
});
