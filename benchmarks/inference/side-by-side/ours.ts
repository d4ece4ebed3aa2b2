// One measurement of distil-whisper for bench.ts, in its own process (peak RSS its own). Prints
// one JSON object as its last stdout line.
//
//   ours.ts bench --model DIR --wav WAV [--threads 2] [--compute-type default|f32|f16|int8]
//                 [--student DIR]
//     load (createPipeline), one warm-up transcription, the timed one (load excluded: reading the
//     WAV, log-mel, encoder, greedy decoding, text), peak RSS at that point; then, on WhisperModel
//     directly (same compute type): encoder per 30 s window (+ the decoder's cross-attention K/V,
//     which whisper.cpp counts in its encode time), decoder ms per token (each single-token
//     decode() call after the prompt's, as whisper.cpp's "decode time per run"), log-mel of 30 s,
//     and the same decoder figure for --student.
//   ours.ts wer --model DIR --list FILE [--threads 2] [--compute-type ...]
//     transcribes every WAV named in FILE (one a line), one JSON line {wav, text} each.
//
// --compute-type is the pipeline's computeType (default: the checkpoint's stored dtype; whisper
// base's Hugging Face checkpoint stores f16, multiplied with f32 activations).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAudio, logMelSpectrogram, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { setNumThreads } from '@distil-whisper/kernels';
import {
  generate,
  whisperGenerationModel,
  WhisperModel,
  type ComputeType,
  type GenerationModel,
} from '@distil-whisper/model';
import { createPipeline } from 'distil-whisper';

const [mode, ...rest] = process.argv.slice(2);
const opt = (name: string, fallback?: string): string | undefined => {
  const i = rest.indexOf(`--${name}`);
  return i >= 0 && rest[i + 1] !== undefined ? rest[i + 1] : fallback;
};
const model = opt('model');
const threads = Number(opt('threads', '2'));
const computeType = opt('compute-type', 'default') as ComputeType;
if ((mode !== 'bench' && mode !== 'wer') || !model)
  throw new Error(
    'usage: ours.ts bench|wer --model DIR (--wav WAV | --list FILE) [--threads N] [--compute-type default|f32|f16|int8] [--student DIR]',
  );
const now = (): number => performance.now();

function multilingual(dir: string): boolean {
  try {
    const g = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')) as {
      lang_to_id?: Record<string, number>;
    };
    return Object.keys(g.lang_to_id ?? {}).length > 0;
  } catch {
    return false;
  }
}
const language = multilingual(model) ? { language: 'en' } : {};
// Greedy, one pass at temperature 0 (no fallback), no timestamps: as every engine runs.
const decoding = { ...language, temperature: 0, numBeams: 1, returnTimestamps: false };

async function pipeline(): Promise<Awaited<ReturnType<typeof createPipeline>>> {
  return createPipeline(model!, { inline: true, threads, computeType });
}

interface DecoderTiming {
  /** createDecoderState: the cross-attention K/V of the encoded window, s. */
  sessionS: number;
  /** Each decode() call after the first (the prompt's) that appended one token per row, ms. */
  stepMs: number[];
}

/** Wraps a GenerationModel so that session creation and every decode() call are timed. */
function timed(inner: GenerationModel, t: DecoderTiming): GenerationModel {
  return {
    vocabSize: inner.vocabSize,
    maxTargetPositions: inner.maxTargetPositions,
    batchSize: inner.batchSize,
    startSession(audioIndex) {
      const t0 = now();
      const s = inner.startSession(audioIndex);
      if (s instanceof Promise) throw new Error('expected a synchronous decoder session');
      t.sessionS = (now() - t0) / 1000;
      let calls = 0;
      return {
        decode(tokens) {
          const t1 = now();
          const out = s.decode(tokens);
          const ms = now() - t1;
          if (calls++ > 0 && tokens.every((r) => r.length === 1)) t.stepMs.push(ms);
          return out;
        },
        reorder: (indices) => s.reorder(indices),
        dispose: () => s.dispose(),
      };
    },
  };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Encoder (+ cross K/V) seconds and decoder ms/token of one greedy decode of `features`. */
async function parts(
  dir: string,
  features: Float32Array,
): Promise<{ encoderS: number; crossKvS: number; decoderMsPerToken: number; tokens: number }> {
  const m = WhisperModel.load(dir, { computeType });
  try {
    const lang = Object.keys(m.generationConfig.langToId).length > 0 ? { language: 'en' } : {};
    const once = async () => {
      const t0 = now();
      const enc = m.encode(features, 1);
      const encoderS = (now() - t0) / 1000;
      const t: DecoderTiming = { sessionS: 0, stepMs: [] };
      try {
        const [r] = await generate(timed(whisperGenerationModel(m, enc), t), m.generationConfig, {
          ...lang,
          temperature: 0,
          numBeams: 1,
        });
        return { encoderS, t, tokens: r!.tokens.length };
      } finally {
        enc.dispose();
      }
    };
    await once(); // warm-up
    const r = await once();
    return {
      encoderS: r.encoderS,
      crossKvS: r.t.sessionS,
      decoderMsPerToken: mean(r.t.stepMs),
      tokens: r.t.stepMs.length,
    };
  } finally {
    m.dispose();
  }
}

if (mode === 'wer') {
  const list = readFileSync(opt('list')!, 'utf8').split('\n').filter(Boolean);
  const asr = await pipeline();
  const t0 = now();
  for (const wav of list) {
    const r = await asr.transcribe(wav, decoding);
    console.log(JSON.stringify({ wav, text: r.text }));
  }
  console.log(JSON.stringify({ wall_s: (now() - t0) / 1000, clips: list.length }));
  await asr.dispose();
} else {
  const wav = opt('wav')!;
  const t0 = now();
  const asr = await pipeline();
  const loadS = (now() - t0) / 1000;
  await asr.transcribe(wav, decoding); // warm-up
  const t1 = now();
  const r = await asr.transcribe(wav, decoding);
  const e2eS = (now() - t1) / 1000;
  const maxRssMb = process.resourceUsage().maxRSS / 1024;
  await asr.dispose();

  // Component figures on the model itself (after the RSS reading above).
  setNumThreads(threads);
  const samples = await loadAudio(wav, { sampleRate: 16000 });
  const fe = await WhisperFeatureExtractor.fromPretrained(model);
  const features = fe.extract(samples).data;
  // A component that fails (e.g. an option WhisperModel.load does not take yet) leaves its
  // figures out and says why; the end-to-end figures above stand.
  const errors: string[] = [];
  const tryParts = async (dir: string): Promise<Awaited<ReturnType<typeof parts>> | undefined> => {
    try {
      return await parts(dir, features);
    } catch (err) {
      errors.push(`${dir}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const teacher = await tryParts(model);
  const studentDir = opt('student');
  const student = studentDir ? await tryParts(studentDir) : undefined;

  // Log-mel of 30 s (the audio zero-padded to 480 000 samples, as the encoder sees it): median of 5.
  const mels: number[] = [];
  for (let i = 0; i < 6; i++) {
    const m0 = now();
    logMelSpectrogram(samples, { nMels: 80, padOrTrim: 480000 });
    if (i > 0) mels.push(now() - m0);
  }
  mels.sort((a, b) => a - b);

  console.log(
    JSON.stringify({
      load_s: loadS,
      e2e_s: e2eS,
      text: r.text,
      tokens: r.tokens.length,
      max_rss_mb: maxRssMb,
      compute_type: computeType,
      ...(teacher
        ? {
            encoder_s: teacher.encoderS + teacher.crossKvS,
            encoder_only_s: teacher.encoderS,
            cross_kv_s: teacher.crossKvS,
            decoder_ms_per_token: teacher.decoderMsPerToken,
            decoder_tokens: teacher.tokens,
          }
        : {}),
      logmel_30s_ms: mels[2],
      ...(student
        ? {
            student_decoder_ms_per_token: student.decoderMsPerToken,
            student_decoder_tokens: student.tokens,
          }
        : {}),
      ...(errors.length ? { parts_errors: errors } : {}),
    }),
  );
}
