// Mutation fuzzing of the WAV, FLAC, MP3 and Ogg (Vorbis, Opus) readers through loadAudio: every
// mutated file decodes or throws AudioError, nothing else (test-support/fuzz.ts). A few hundred
// inputs per format here; DW_FUZZ_RUNS=N for the long run.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { fuzz, fuzzRuns, fuzzTimeout, mutatedBytes } from '../../../test-support/fuzz';
import { hasReference, referencePath } from '../../../test-support/reference';
import { AudioError, loadAudio } from '../src/index';
import { makeWav, testSignal } from './wav-builder';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const isAudioError = (e: unknown): e is AudioError => e instanceof AudioError;

/** Decodes `bytes` strictly or leniently, capped at 10 minutes (a lying header must not allocate more). */
function decoder(bytes: Uint8Array, lenient: boolean): Promise<unknown> {
  return loadAudio(bytes, { lenient, maxDurationSeconds: 600 });
}

const withMode = (seed: Uint8Array, head?: number) =>
  fc.tuple(mutatedBytes(seed, head), fc.boolean());

const wavs: Record<string, Uint8Array> = {
  'WAV 16-bit stereo': makeWav({
    channels: [testSignal(1600, 1), testSignal(1600, 2)],
    sampleRate: 8000,
  }),
  'WAV float extensible': makeWav({
    channels: [testSignal(800, 3)],
    sampleRate: 22050,
    encoding: 'float',
    bits: 32,
    extensible: true,
    extraChunks: [{ id: 'LIST', body: new Uint8Array(7).fill(65) }],
  }),
  'WAV 24-bit RF64': makeWav({
    channels: [testSignal(800, 4)],
    sampleRate: 16000,
    bits: 24,
    rf64: true,
  }),
};

describe('fuzz: audio readers', () => {
  const runs = fuzzRuns(300);
  for (const [name, seed] of Object.entries(wavs))
    it(
      name,
      async () => {
        await fuzz(name, withMode(seed, 128), ([b, l]) => decoder(b, l), isAudioError, runs);
      },
      fuzzTimeout(300, 5),
    );

  for (const file of ['tones-44k-stereo.ogg', 'tones-44k-stereo.opus'])
    it(
      `Ogg ${file.endsWith('.opus') ? 'Opus' : 'Vorbis'}`,
      async () => {
        const seed = new Uint8Array(readFileSync(join(fixtures, file)));
        await fuzz(file, withMode(seed, 4096), ([b, l]) => decoder(b, l), isAudioError, runs);
      },
      fuzzTimeout(300, 40),
    );

  // The first frames of jfk.flac / jfk.mp3 (whole files would make each input slow to decode):
  // the reader sees a stream that ends early, as well as every mutation.
  const present = hasReference('fuzz: FLAC and MP3 seeds (jfk.flac, jfk.mp3)');
  for (const [file, bytes] of [
    ['jfk.flac', 48_000],
    ['jfk.mp3', 12_000],
  ] as const)
    it.skipIf(!present)(
      `${file.endsWith('.mp3') ? 'MP3' : 'FLAC'} (first ${bytes} bytes of ${file})`,
      async () => {
        const seed = new Uint8Array(readFileSync(referencePath('assets', file)).subarray(0, bytes));
        await fuzz(file, withMode(seed, 2048), ([b, l]) => decoder(b, l), isAudioError, runs);
      },
      fuzzTimeout(300, 40),
    );
});
