// Runs a request's recordings through the long-form loop: sequential (each recording a source,
// recordings sharing batches) or chunked (every recording's chunks stacked into batches), each
// recording's outcome reported as soon as it is known, a failing recording named and skipped.
import type { LogMelFramesOptions, WhisperFeatureExtractor } from '@distil-whisper/audio';
import {
  ChunkMerger,
  melArraySource,
  transcribeLongStream,
  type MelWindowSource,
  type MergedSegment,
  type WhisperGenerationConfig,
  type WindowEncoder,
  type WindowMeasures,
} from '@distil-whisper/model';
import type { WhisperTokenizer } from '@distil-whisper/tokenizer';
import type {
  LongFormMode,
  TranscribeOutcome,
  TranscribeProgress,
  TimeRegion,
  Transcription,
} from '../types';
import { chunkSources } from './chunk-sources';
import { measureRecording, type RecordingStats } from './measure';
import { recordingOf, type AudioPolicy, type EngineInput, type Recording } from './recording';
import type { ResolvedRequest } from './request';
import { chunkedTranscription, sequentialTranscription, type Presentation } from './results';
import { SampleReader } from './sample-reader';
import { StreamingMelSource } from './sequential-source';
import type { SpeechRegions } from '../speech-regions';
import { ownWords, type TimedWord, type WordAligner } from '../word-timestamps';

/** What a run needs from the engine. */
export interface RunContext {
  encoder: WindowEncoder;
  gen: WhisperGenerationConfig;
  tokenizer: WhisperTokenizer;
  features: WhisperFeatureExtractor;
  signal?: AbortSignal | undefined;
  progress: (p: TranscribeProgress) => void;
  /** Called once per recording, in completion order. */
  report: (file: number, outcome: TranscribeOutcome) => void;
  /** Word timestamps: aligns every decoded window (`wordTimestamps`). */
  aligner?: WordAligner;
  /** VAD pre-pass: a recording's speech regions, which replace the request's `regions`. */
  speech?: (input: EngineInput) => Promise<SpeechRegions>;
}

/**
 * The recording as transcribed: cut to its speech when the VAD runs (then its duration is the
 * whole recording's, known from the VAD pass), else to the request's regions, if any.
 */
async function openRecording(
  ctx: RunContext,
  input: EngineInput,
  rate: number,
  regions: readonly TimeRegion[] | undefined,
  audio: AudioPolicy,
): Promise<{ recording: Recording; durationSeconds: number | null }> {
  if (!ctx.speech)
    return { recording: recordingOf(input, rate, regions, audio), durationSeconds: null };
  const speech = await ctx.speech(input);
  return {
    recording: recordingOf(input, rate, speech.regions, audio),
    durationSeconds: speech.durationSeconds,
  };
}

/** A recording opened and measured, and how its transcription will be presented. */
interface Measured {
  recording: Recording;
  stats: RecordingStats;
  presentation: Presentation;
}

/**
 * The first step of both modes for recording `i`: open it (cut to its speech or regions), measure
 * it (its mel power with `mel`, for sequential's floor) and settle its presentation, `longForm`
 * deciding the mode from its length. An empty recording has nothing to decode: it is reported
 * at once and comes back null.
 */
function measuredOpener(
  ctx: RunContext,
  inputs: readonly EngineInput[],
  regions: readonly TimeRegion[] | undefined,
  policy: (file: number) => AudioPolicy,
  report: (file: number, outcome: TranscribeOutcome) => void,
): (
  i: number,
  mel: LogMelFramesOptions | null,
  longForm: (samples: number) => LongFormMode | null,
) => Promise<Measured | null> {
  const rate = ctx.features.config.samplingRate;
  return async (i, mel, longForm) => {
    ctx.progress({ stage: 'audio', file: i });
    const { recording, durationSeconds } = await openRecording(
      ctx,
      inputs[i] as EngineInput,
      rate,
      regions,
      policy(i),
    );
    const stats = await measureRecording(recording, mel, ctx.signal);
    const presentation: Presentation = {
      tokenizer: ctx.tokenizer,
      durationSeconds: durationSeconds ?? recording.toOriginalTime(stats.samples / rate),
      toOriginalTime: recording.toOriginalTime,
      longForm: longForm(stats.samples),
    };
    if (stats.samples === 0) {
      report(i, { ok: true, result: emptyTranscription(presentation.durationSeconds) });
      return null;
    }
    return { recording, stats, presentation };
  };
}

/**
 * Each recording's audio warnings (a recording is decoded more than once; each text is kept
 * once) and a `report` that hands them over with its result.
 */
function audioWarnings(
  request: ResolvedRequest,
  report: (file: number, outcome: TranscribeOutcome) => void,
): {
  policy: (file: number) => AudioPolicy;
  report: (file: number, outcome: TranscribeOutcome) => void;
} {
  const byFile = new Map<number, Set<string>>();
  return {
    policy: (file) => ({
      ...request.audio,
      onWarning: (w) => {
        let set = byFile.get(file);
        if (!set) byFile.set(file, (set = new Set()));
        set.add(w.message);
      },
    }),
    report: (file, outcome) => {
      const warnings = byFile.get(file);
      byFile.delete(file);
      if (outcome.ok && warnings && warnings.size > 0)
        outcome = { ok: true, result: { ...outcome.result, warnings: [...warnings] } };
      report(file, outcome);
    },
  };
}

function isAbort(e: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (e as { code?: unknown }).code === 'ABORTED';
}

function melOptions(fe: WhisperFeatureExtractor): LogMelFramesOptions {
  const c = fe.config;
  return { nMels: c.featureSize, nFft: c.nFft, hopLength: c.hopLength, sampleRate: c.samplingRate };
}

function emptyTranscription(durationSeconds: number): Transcription {
  return {
    text: '',
    segments: [],
    tokens: [],
    language: null,
    durationSeconds,
    temperature: 0,
    avgLogprob: 0,
    noSpeechProb: 0,
    longForm: null,
    windows: 0,
  };
}

/** The samples of a recording of at most one window (decoded a second time, into memory). */
async function collect(
  recording: Recording,
  samples: number,
  signal?: AbortSignal,
): Promise<Float32Array> {
  const out = new Float32Array(samples);
  await SampleReader.drain(recording.open(signal), (c, at) =>
    out.set(c.subarray(0, Math.max(0, samples - at)), at),
  );
  return out;
}

/**
 * Sequential: each recording is one source of the long-form loop — a recording of at most one
 * window as the feature extractor pads it (decoded with or without timestamps as asked), a longer
 * one as its whole-recording spectrogram streamed window by window (always with timestamps).
 */
export async function runSequential(
  ctx: RunContext,
  inputs: readonly EngineInput[],
  request: ResolvedRequest,
  regions?: readonly TimeRegion[],
): Promise<void> {
  const { features: fe, signal } = ctx;
  const rate = fe.config.samplingRate;
  const mel = melOptions(fe);
  const files: Array<{
    file: number;
    presentation: Presentation;
    stream: StreamingMelSource | null;
    measures: WindowMeasures[];
    /** Mel frames of real audio of a one-window recording (its source holds the padded window). */
    audioFrames: number | null;
  }> = [];
  const pending = new Set(inputs.map((_, i) => i));
  const warned = audioWarnings(request, ctx.report);
  const report = (file: number, outcome: TranscribeOutcome): void => {
    if (pending.delete(file)) warned.report(file, outcome);
  };
  const openMeasured = measuredOpener(ctx, inputs, regions, warned.policy, report);
  async function* sources(): AsyncGenerator<MelWindowSource> {
    for (let i = 0; i < inputs.length; i++) {
      try {
        const opened = await openMeasured(i, mel, (samples) =>
          samples > fe.config.nSamples ? 'sequential' : null,
        );
        if (!opened) continue;
        const { recording, stats, presentation } = opened;
        let source: MelWindowSource;
        let stream: StreamingMelSource | null = null;
        if (presentation.longForm === null) {
          // One window: features as the extractor pads them (transformers' short-form input).
          const feats = fe.extract(await collect(recording, stats.samples, signal));
          source = melArraySource(feats.data, fe.config.featureSize, fe.config.nbMaxFrames);
        } else {
          stream = new StreamingMelSource(
            recording,
            { ...stats, maxPower: stats.maxPower ?? 0 },
            mel,
            signal,
          );
          source = stream;
        }
        files.push({
          file: i,
          presentation,
          stream,
          measures: [],
          audioFrames:
            presentation.longForm === null ? Math.floor(stats.samples / fe.config.hopLength) : null,
        });
        yield source;
      } catch (e) {
        if (isAbort(e, signal)) throw e;
        report(i, { ok: false, error: e as Error });
      }
    }
  }
  try {
    for await (const r of transcribeLongStream(ctx.encoder, ctx.gen, sources(), {
      ...request.decoding,
      returnTimestamps: request.returnTimestamps,
      batchSize: request.batchSize,
      ...(signal ? { signal } : {}),
      onStep: (tokens) => ctx.progress({ stage: 'decoder', tokens }),
      onWindow: (w) => {
        const f = files[w.index];
        f?.measures.push(w.measures);
        // A one-window recording's source is the padded window: align over its real frames only.
        if (ctx.aligner && f)
          ctx.aligner.align(f.audioFrames === null ? w : { ...w, frames: f.audioFrames });
      },
      onProgress: (p) => {
        const f = files[p.index];
        if (f)
          ctx.progress({
            stage: 'decoder',
            file: f.file,
            seconds: f.presentation.toOriginalTime((p.frames * fe.config.hopLength) / rate),
            totalSeconds: f.presentation.durationSeconds,
          });
      },
    })) {
      const f = files[r.index];
      if (!f) continue;
      await f.stream?.close();
      report(f.file, { ok: true, result: sequentialTranscription(r, f.measures, f.presentation) });
      ctx.progress({ stage: 'done', file: f.file });
    }
  } catch (e) {
    for (const file of [...pending]) report(file, { ok: false, error: e as Error });
    if (isAbort(e, signal)) throw e;
  } finally {
    for (const f of files) await f.stream?.close();
  }
}

/**
 * Chunked: every recording is cut into overlapping chunks (transformers' pipeline), the chunks of
 * all recordings are stacked into batches of `batchSize`, and each recording's chunk outputs are
 * merged as they come back (in order) into its segments.
 */
export async function runChunked(
  ctx: RunContext,
  inputs: readonly EngineInput[],
  request: ResolvedRequest,
  regions?: readonly TimeRegion[],
): Promise<void> {
  const { features: fe, signal, gen } = ctx;
  const rate = fe.config.samplingRate;
  const pending = new Set(inputs.map((_, i) => i));
  const warned = audioWarnings(request, ctx.report);
  const report = (file: number, outcome: TranscribeOutcome): void => {
    if (pending.delete(file)) warned.report(file, outcome);
  };
  const openMeasured = measuredOpener(ctx, inputs, regions, warned.policy, report);
  interface FileState {
    merger: ChunkMerger;
    merged: MergedSegment[];
    presentation: Presentation;
    chunks: number;
    measures: WindowMeasures[];
    language: string | null;
    /** Word timestamps: the words each chunk owns, on the (region-cut) recording's timeline. */
    words: TimedWord[];
  }
  const states = new Map<number, FileState>();
  /** Loop index → the chunk it was. */
  const chunkOf = new Map<
    number,
    { file: number; stride: [number, number, number]; done: number; isLast: boolean }
  >();
  let next = 0;
  const timestamps = request.returnTimestamps;
  const languages = new Map(Object.entries(gen.langToId).map(([t, id]) => [id, t.slice(2, -2)]));
  async function* sources(): AsyncGenerator<MelWindowSource> {
    for (let i = 0; i < inputs.length; i++) {
      try {
        const opened = await openMeasured(i, null, () => 'chunked');
        if (!opened) continue;
        const { recording, stats, presentation } = opened;
        states.set(i, {
          merger: new ChunkMerger({
            timestampBegin: (gen.noTimestampsTokenId ?? 0) + 1,
            eot: ctx.tokenizer.special.eot,
            languages,
            returnTimestamps: timestamps,
            prevSot: gen.prevSotTokenId,
            sot: gen.decoderStartTokenId,
          }),
          merged: [],
          presentation,
          chunks: 0,
          measures: [],
          language: null,
          words: [],
        });
        for await (const c of chunkSources(recording, stats.samples, request.chunks, fe, signal)) {
          chunkOf.set(next++, { file: i, stride: c.stride, done: c.doneSeconds, isLast: c.isLast });
          yield c.source;
        }
      } catch (e) {
        if (isAbort(e, signal)) throw e;
        states.delete(i);
        report(i, { ok: false, error: e as Error });
      }
    }
  }
  try {
    for await (const r of transcribeLongStream(ctx.encoder, gen, sources(), {
      ...request.decoding,
      returnTimestamps: timestamps,
      batchSize: request.batchSize,
      ...(signal ? { signal } : {}),
      onStep: (tokens) => ctx.progress({ stage: 'decoder', tokens }),
      onWindow: (w) => {
        const c = chunkOf.get(w.index);
        const st = c && states.get(c.file);
        if (!c || !st) return;
        st.measures.push(w.measures);
        if (ctx.aligner) {
          // The chunk's source is its padded window: align over the chunk's own samples, then
          // keep the words no neighbouring chunk covers better and place them in the recording.
          const [length, left, right] = c.stride;
          ctx.aligner.align({ ...w, frames: Math.floor((length * rate) / fe.config.hopLength) });
          const start = c.done + right - length;
          const words = ownWords(
            w.segments.flatMap((s) => s.words ?? []),
            0,
            length,
            left,
            right,
          );
          st.words.push(
            ...words.map((x) => ({ ...x, start: x.start + start, end: x.end + start })),
          );
        }
      },
    })) {
      const c = chunkOf.get(r.index);
      chunkOf.delete(r.index);
      const st = c && states.get(c.file);
      if (!c || !st) continue;
      st.chunks++;
      st.language ??= r.language;
      st.merged.push(...st.merger.push({ tokens: r.tokens, stride: c.stride }));
      ctx.progress({
        stage: 'decoder',
        file: c.file,
        seconds: st.presentation.toOriginalTime(c.done),
        totalSeconds: st.presentation.durationSeconds,
      });
      if (c.isLast) {
        st.merged.push(...st.merger.finish());
        states.delete(c.file);
        report(c.file, {
          ok: true,
          result: chunkedTranscription(
            st.merged,
            {
              chunks: st.chunks,
              timestamps,
              language: st.language,
              measures: st.measures,
              ...(ctx.aligner ? { words: st.words } : {}),
            },
            st.presentation,
          ),
        });
        ctx.progress({ stage: 'done', file: c.file });
      }
    }
  } catch (e) {
    for (const file of [...pending]) report(file, { ok: false, error: e as Error });
    if (isAbort(e, signal)) throw e;
  }
}
