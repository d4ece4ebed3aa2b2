import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasReference, referencePath } from '../../../test-support/reference';
import { logMelSpectrogram, melFilterBank } from '../src/index';
import { setLogMelSimdEnabled } from '../src/wasm/logmel-kernel';
import { diffStats, readF32 } from './helpers';

interface ManifestEntry {
  file: string;
  kind: string;
  input?: string;
  shape?: number[];
  n_mels?: number;
  window_samples?: number | null;
  tolerance?: { max_abs: number; mean_abs: number };
}

const present = hasReference('audio log-mel parity (shared/reference/mel)');
const entries: ManifestEntry[] = present
  ? (
      JSON.parse(readFileSync(referencePath('mel', 'manifest.json'), 'utf8')) as {
        files: ManifestEntry[];
      }
    ).files
  : [];

describe.skipIf(!present)('mel filters vs whisper/assets/mel_filters.npz exports', () => {
  for (const nMels of [80, 128]) {
    it(`${nMels} bins`, () => {
      const ours = melFilterBank({ nMels });
      const ref = readF32('assets', `mel_${nMels}.f32`);
      expect(ours.weights.length).toBe(nMels * 201);
      const { max } = diffStats(ours.weights, ref);
      console.log(`mel_${nMels}: max |ours - npz| = ${max.toExponential(2)}`);
      expect(max).toBeLessThan(5e-9);
    });
  }
});

// Both implementations: the WebAssembly SIMD kernel (the default) and the JavaScript fallback.
describe.skipIf(!present).each([
  ['WebAssembly SIMD', true],
  ['JavaScript', false],
])('log-mel parity with shared/reference/mel (every manifest case), %s path', (_name, simd) => {
  beforeAll(() => setLogMelSimdEnabled(simd));
  afterAll(() => setLogMelSimdEnabled(true));
  const cases = entries.filter((e) => e.kind === 'log_mel');
  it('covers the manifest', () => {
    expect(cases.length).toBeGreaterThanOrEqual(15);
  });
  for (const entry of cases) {
    it(entry.file, () => {
      const samples = readF32('mel', entry.input!);
      const [nMels, nFrames] = entry.shape!;
      const mel = logMelSpectrogram(samples, {
        nMels: entry.n_mels!,
        ...(entry.window_samples ? { padOrTrim: entry.window_samples } : {}),
      });
      expect([mel.nMels, mel.nFrames]).toEqual([nMels, nFrames]);
      const ref = readF32('mel', entry.file);
      const { max, mean } = diffStats(mel.data, ref);
      console.log(`${entry.file}: max ${max.toExponential(2)} mean ${mean.toExponential(2)}`);
      expect(max).toBeLessThanOrEqual(entry.tolerance!.max_abs);
      expect(mean).toBeLessThanOrEqual(entry.tolerance!.mean_abs);
      // Float64 FFT: hold ourselves to the tighter bound the reference README gives for that case.
      expect(max).toBeLessThanOrEqual(1e-6);
      expect(mean).toBeLessThanOrEqual(2e-7);
    });
  }
});
