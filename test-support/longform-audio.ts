// Long test recordings built from jfk.wav by fixed recipes. tools/reference/longform/make_fixtures.py
// builds the same samples for the transformers fixtures, so parity tests need only jfk.wav (which CI
// has) — no long audio is stored anywhere.
import { closeSync, openSync, writeSync } from 'node:fs';

const RATE = 16000;

/** 11 copies of jfk.wav joined by 0.5 s of digital silence: 126.0 s (the fixtures' `jfk_joined`). */
export function jfkJoined(jfk: Float32Array): Float32Array {
  const gap = RATE / 2;
  const out = new Float32Array(11 * jfk.length + 10 * gap);
  for (let i = 0; i < 11; i++) out.set(jfk, i * (jfk.length + gap));
  return out;
}

/**
 * 5 copies at gains 1, 0.5, 0.8, 0.35, 1 (float32 products), 1.3 s of silence between: 60.2 s
 * (the fixtures' `jfk_varied`).
 */
export function jfkVaried(jfk: Float32Array): Float32Array {
  const gains = [1, 0.5, 0.8, 0.35, 1];
  const gap = Math.trunc(RATE * 1.3);
  const out = new Float32Array(gains.length * jfk.length + (gains.length - 1) * gap);
  gains.forEach((g, i) => {
    const at = i * (jfk.length + gap);
    const gf = Math.fround(g);
    for (let k = 0; k < jfk.length; k++) out[at + k] = Math.fround((jfk[k] as number) * gf);
  });
  return out;
}

/** The recipe a fixture names. */
export function buildRecipe(recipe: string, jfk: Float32Array): Float32Array {
  if (recipe === 'jfk_joined') return jfkJoined(jfk);
  if (recipe === 'jfk_varied') return jfkVaried(jfk);
  throw new Error(`unknown long-form audio recipe '${recipe}'`);
}

function wavHeader(frames: number, rate: number): Uint8Array {
  const h = new Uint8Array(44);
  const v = new DataView(h.buffer);
  const bytes = frames * 4;
  h.set(new TextEncoder().encode('RIFF'), 0);
  v.setUint32(4, 36 + bytes, true);
  h.set(new TextEncoder().encode('WAVEfmt '), 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, 3, true); // IEEE float: the samples round-trip exactly
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 4, true);
  v.setUint16(32, 4, true);
  v.setUint16(34, 32, true);
  h.set(new TextEncoder().encode('data'), 36);
  v.setUint32(40, bytes, true);
  return h;
}

/** A 32-bit float mono WAV of `samples` (exact round trip through the decoder). */
export function wavBytes(samples: Float32Array, rate = RATE): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 4);
  out.set(wavHeader(samples.length, rate));
  out.set(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength), 44);
  return out;
}

/**
 * Writes a long float WAV to `path` without holding it: `clip` repeated with `gapSeconds` of
 * silence after each copy until `seconds` are written. Returns the sample count.
 */
export function writeRepeatedWav(
  path: string,
  clip: Float32Array,
  seconds: number,
  gapSeconds = 1,
  rate = RATE,
): number {
  const total = Math.round(seconds * rate);
  const gap = new Float32Array(Math.round(gapSeconds * rate));
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, wavHeader(total, rate));
    let written = 0;
    const put = (x: Float32Array): void => {
      const n = Math.min(x.length, total - written);
      if (n <= 0) return;
      writeSync(fd, new Uint8Array(x.buffer, x.byteOffset, n * 4));
      written += n;
    };
    while (written < total) {
      put(clip);
      put(gap);
    }
    return total;
  } finally {
    closeSync(fd);
  }
}
