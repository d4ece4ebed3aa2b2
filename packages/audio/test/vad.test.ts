// Silero VAD against the `silero-vad` PyPI package (fixtures by tools/vad/make_fixtures.py): the
// segmentation rules on recorded probability sequences (always), and the model's probabilities
// and segments on real and synthetic audio (needs the converted weights: `bash tools/vad/fetch.sh`;
// skipped with a notice without them).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasReference, referencePath } from '../../../test-support/reference';
import {
  findSileroModel,
  loadAudio,
  parseSileroSafetensors,
  planSpeechWindows,
  SileroVad,
  speechTimestamps,
  VadError,
  windowAudio,
  windowToSourceTime,
  type SpeechTimestampOptions,
} from '../src/index';

interface Fixture {
  reference: string;
  audio: Array<{
    name: string;
    samples: number;
    sum: number;
    probs: number[];
    speeches: Array<{ start: number; end: number }>;
  }>;
  state_machine: Array<{
    params: Record<string, number | boolean>;
    probs: number[];
    audio_length_samples: number;
    speeches: Array<{ start: number; end: number }>;
  }>;
}

const FIXTURE = JSON.parse(
  readFileSync(resolve(__dirname, '../../../tools/vad/fixtures/silero-vad-6.2.3.json'), 'utf8'),
) as Fixture;

const OPTION_NAMES: Record<string, keyof SpeechTimestampOptions> = {
  threshold: 'threshold',
  neg_threshold: 'negThreshold',
  min_speech_duration_ms: 'minSpeechDurationMs',
  max_speech_duration_s: 'maxSpeechDurationS',
  min_silence_duration_ms: 'minSilenceDurationMs',
  speech_pad_ms: 'speechPadMs',
  min_silence_at_max_speech: 'minSilenceAtMaxSpeechMs',
  use_max_poss_sil_at_max_speech: 'useMaxPossibleSilenceAtMaxSpeech',
};

function toOptions(params: Record<string, number | boolean>): SpeechTimestampOptions {
  const out: Record<string, number | boolean> = {};
  for (const [k, v] of Object.entries(params)) out[OPTION_NAMES[k]!] = v;
  return out as SpeechTimestampOptions;
}

describe('speechTimestamps (silero-vad get_speech_timestamps_from_probs)', () => {
  it.each(FIXTURE.state_machine.map((c, i) => [i, JSON.stringify(c.params), c] as const))(
    'case %i %s gives the same segments',
    (_, __, c) => {
      expect(speechTimestamps(c.probs, c.audio_length_samples, toOptions(c.params))).toEqual(
        c.speeches,
      );
    },
  );

  it('checks its options', () => {
    expect(() => speechTimestamps([0.9], 512, { threshold: 1.5 })).toThrow(VadError);
    expect(() => speechTimestamps([0.9], 512, { speechPadMs: -1 })).toThrow(/speechPadMs/);
  });
});

/** xorshift32 white noise in [-1, 1) × amplitude, as tools/vad/make_fixtures.py builds it. */
function noise(n: number, amplitude: number, seed = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    out[i] = Math.fround(Math.fround((s / 4294967296) * 2 - 1) * Math.fround(amplitude));
  }
  return out;
}

function concat(...parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const modelDir = findSileroModel();
if (!modelDir)
  console.warn(
    '[skip] Silero VAD parity: converted weights not found — run `bash tools/vad/fetch.sh` (python3 + pip; silero-vad 6.2.3 from PyPI) or set DW_VAD_MODEL_DIR',
  );
const runnable = modelDir !== undefined && hasReference('Silero VAD parity');

describe.skipIf(!runnable)('SileroVad against the silero-vad package', () => {
  const audio = async (name: string): Promise<Float32Array> => {
    const jfk = await loadAudio(referencePath('assets', 'jfk.wav'), { sampleRate: 16000 });
    const zeros = (s: number): Float32Array => new Float32Array(Math.trunc(s * 16000));
    switch (name) {
      case 'jfk':
        return jfk;
      case 'mixed':
        return concat(zeros(1.5), jfk, noise(32000, 0.05), jfk.subarray(0, 48000), zeros(1));
      case 'silence':
        return zeros(5);
      default:
        return noise(80000, 0.1);
    }
  };

  it.each(FIXTURE.audio.map((c) => [c.name, c] as const))(
    '%s: probabilities within 1e-4, segments equal',
    async (name, c) => {
      const vad = SileroVad.load();
      const x = await audio(name);
      expect(x.length).toBe(c.samples);
      expect(x.reduce((a, v) => a + v, 0)).toBeCloseTo(c.sum, 3);
      const t0 = performance.now();
      const probs = vad.speechProbabilities(x);
      const ms = performance.now() - t0;
      expect(probs.length).toBe(c.probs.length);
      let max = 0;
      probs.forEach((p, i) => (max = Math.max(max, Math.abs(p - c.probs[i]!))));
      console.log(
        `[vad] ${name}: ${probs.length} windows, max |Δp| ${max.toExponential(2)}, ${(((ms / (x.length / 16000)) * 3600) / 1000).toFixed(1)} s per hour of audio`,
      );
      expect(max).toBeLessThan(1e-4);
      expect(speechTimestamps(probs, x.length)).toEqual(c.speeches);
    },
  );

  it('a stream gives the same probabilities as a whole clip', async () => {
    const vad = SileroVad.load();
    const x = await audio('mixed');
    const whole = vad.speechProbabilities(x);
    const stream = vad.createStream();
    const parts = Array.from({ length: whole.length }, (_, i) =>
      stream.push(x.subarray(i * 512, (i + 1) * 512)),
    );
    expect(Float32Array.from(parts)).toEqual(whole);
  });
});

describe('VAD model files', () => {
  it('says how to get the weights when they are missing', () => {
    try {
      SileroVad.load({ modelDir: '/nonexistent/silero' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(VadError);
      expect((e as VadError).code).toBe('MODEL_NOT_FOUND');
      expect((e as VadError).message).toMatch(/tools\/vad\/fetch\.sh/);
    }
  });

  it('refuses a safetensors file with missing tensors', () => {
    const header = new TextEncoder().encode('{}');
    const bytes = new Uint8Array(8 + header.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(header, 8);
    expect(() => parseSileroSafetensors(bytes)).toThrow(/stft\.forward_basis_buffer is missing/);
  });
});

describe('planSpeechWindows', () => {
  const sr = 16000;
  const s = (a: number, b: number): { start: number; end: number } => ({
    start: a * sr,
    end: b * sr,
  });

  it('merges close segments, cuts long pauses, packs into 30 s windows', () => {
    const windows = planSpeechWindows([s(1, 5), s(5.5, 9), s(20, 40), s(41, 44), s(100, 101)]);
    expect(
      windows.map((w) => w.pieces.map((p) => [p.start / sr, p.end / sr, p.offset / sr])),
    ).toEqual([
      [[1, 9, 0]],
      // 8 s + 24 s > 30 s opens a second window; the last second still fits after its 24 s.
      [
        [20, 44, 0],
        [100, 101, 24],
      ],
    ]);
  });

  it('packs short runs together and maps window times back', () => {
    const [w] = planSpeechWindows([s(2, 4), s(10, 13)]);
    expect(w!.pieces.map((p) => [p.start / sr, p.end / sr, p.offset / sr])).toEqual([
      [2, 4, 0],
      [10, 13, 2],
    ]);
    expect(windowToSourceTime(w!, 1, 'start')).toBe(3);
    expect(windowToSourceTime(w!, 2, 'start')).toBe(10); // the joint starts the next piece
    expect(windowToSourceTime(w!, 2, 'end')).toBe(4); // and ends the previous one
    expect(windowToSourceTime(w!, 4.5, 'end')).toBe(12.5);
    expect(windowToSourceTime(w!, 9, 'end')).toBe(13); // past the end: clamped
    const samples = Float32Array.from({ length: 14 * sr }, (_, i) => i);
    const a = windowAudio(samples, w!);
    expect(a.length).toBe(5 * sr);
    expect(a[0]).toBe(2 * sr);
    expect(a[2 * sr]).toBe(10 * sr);
  });

  it('cuts a run longer than a window', () => {
    const windows = planSpeechWindows([s(0, 70)]);
    expect(windows.map((w) => w.length / sr)).toEqual([30, 30, 10]);
  });
});
