#!/usr/bin/env node
/* global Buffer, console */
// Regenerates packages/audio/test/fixtures: a synthetic two-tone clip (no third-party audio)
// encoded as Ogg Vorbis and Ogg Opus, for the decoder tests of @distil-whisper/audio.
// Needs oggenc (vorbis-tools) and opusenc (opus-tools): `apt-get install vorbis-tools opus-tools`.
// Usage: node tools/reference/audio/make-fixtures.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../packages/audio/test/fixtures',
);
const rate = 44100;
const seconds = 1.5;
const n = Math.round(rate * seconds);
// Two channels with different content, so a decoder that drops one is caught by the downmix check.
const tone = (i, ch) =>
  ch === 0
    ? 0.3 * Math.sin((2 * Math.PI * 440 * i) / rate)
    : 0.2 * Math.sin((2 * Math.PI * 1000 * i) / rate + 0.5);
const pcm = Buffer.alloc(44 + n * 4);
pcm.write('RIFF', 0);
pcm.writeUInt32LE(36 + n * 4, 4);
pcm.write('WAVEfmt ', 8);
pcm.writeUInt32LE(16, 16);
pcm.writeUInt16LE(1, 20);
pcm.writeUInt16LE(2, 22);
pcm.writeUInt32LE(rate, 24);
pcm.writeUInt32LE(rate * 4, 28);
pcm.writeUInt16LE(4, 32);
pcm.writeUInt16LE(16, 34);
pcm.write('data', 36);
pcm.writeUInt32LE(n * 4, 40);
for (let i = 0; i < n; i++) {
  for (let ch = 0; ch < 2; ch++)
    pcm.writeInt16LE(Math.round(tone(i, ch) * 32767), 44 + i * 4 + ch * 2);
}
const tmp = mkdtempSync(join(tmpdir(), 'dw-audio-'));
try {
  const wav = join(tmp, 'tones.wav');
  writeFileSync(wav, pcm);
  execFileSync('oggenc', [
    '-Q',
    '-q',
    '4',
    '--serial',
    '1',
    '-o',
    join(out, 'tones-44k-stereo.ogg'),
    wav,
  ]);
  execFileSync('opusenc', [
    '--quiet',
    '--bitrate',
    '64',
    '--serial',
    '1',
    wav,
    join(out, 'tones-44k-stereo.opus'),
  ]);
  console.log(`wrote ${out}/tones-44k-stereo.{ogg,opus}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
