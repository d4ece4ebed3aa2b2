// The VAD pre-pass of the facade: Silero VAD over a streamed recording, merged and padded speech
// regions. Needs the converted weights (`bash tools/vad/fetch.sh`); skipped with a notice without.
import { describe, expect, it } from 'vitest';
import { findSileroModel, loadAudio } from '@distil-whisper/audio';
import { hasReference, referencePath } from '../../../test-support/reference';
import { SpeechDetector } from '../src/speech-regions';

/** 16-bit PCM WAV bytes of mono 16 kHz samples. */
function wav(samples: Float32Array): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  const v = new DataView(out.buffer);
  const text = (o: number, s: string): void => {
    for (let i = 0; i < s.length; i++) out[o + i] = s.charCodeAt(i);
  };
  text(0, 'RIFF');
  v.setUint32(4, 36 + samples.length * 2, true);
  text(8, 'WAVEfmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, 16000, true);
  v.setUint32(28, 32000, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, samples.length * 2, true);
  samples.forEach((x, i) =>
    v.setInt16(44 + 2 * i, Math.max(-32768, Math.min(32767, Math.round(x * 32768))), true),
  );
  return out;
}

function noise(n: number, amplitude: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    out[i] = ((s / 4294967296) * 2 - 1) * amplitude;
  }
  return out;
}

const model = findSileroModel();
if (!model)
  console.warn(
    '[skip] facade VAD pre-pass: Silero VAD weights not found — run `bash tools/vad/fetch.sh` or set DW_VAD_MODEL_DIR',
  );
const runnable = model !== undefined && hasReference('facade VAD pre-pass');

describe.skipIf(!runnable)('SpeechDetector', () => {
  const detector = new SpeechDetector();

  it('finds the speech of jfk placed between silence and noise, and maps it in seconds', async () => {
    const jfk = await loadAudio(referencePath('assets', 'jfk.wav'), { sampleRate: 16000 });
    const x = new Float32Array(16000 * 5 + jfk.length + 16000 * 5);
    x.set(jfk, 16000 * 5);
    x.set(noise(16000 * 4, 0.05), 16000 * 5 + jfk.length + 8000);
    const r = await detector.detect(wav(x));
    expect(r.durationSeconds).toBeCloseTo(x.length / 16000, 3);
    expect(r.regions.length).toBeGreaterThan(0);
    const first = r.regions[0]!;
    const last = r.regions[r.regions.length - 1]!;
    // jfk speaks from about 0.3 s to 10.6 s of its 11 s: here 5.3 s to 15.6 s.
    expect(first.start).toBeGreaterThan(4.5);
    expect(first.start).toBeLessThan(5.6);
    expect(last.end).toBeGreaterThan(15);
    expect(last.end).toBeLessThan(16.5);
    expect(r.speechSeconds).toBeLessThan(11.5);
  });

  it('finds nothing in silence or white noise', async () => {
    expect((await detector.detect(wav(new Float32Array(16000 * 8)))).regions).toEqual([]);
    expect((await detector.detect(wav(noise(16000 * 8, 0.1)))).regions).toEqual([]);
  });

  it('merges speech across short pauses only', async () => {
    const jfk = await loadAudio(referencePath('assets', 'jfk.wav'), { sampleRate: 16000 });
    const merged = await detector.detect(wav(jfk), { mergeGapSeconds: 2 });
    const split = await detector.detect(wav(jfk), { mergeGapSeconds: 0 });
    expect(merged.regions.length).toBe(1);
    expect(split.regions.length).toBeGreaterThan(1);
  });
});
