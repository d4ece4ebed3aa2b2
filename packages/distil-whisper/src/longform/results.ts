// Long-form results in the pipeline's shape: text decoded, times mapped back to the recording
// (regions) and kept inside it.
import type {
  LongFormResult,
  MergedSegment,
  SegmentWord,
  WindowMeasures,
} from '@distil-whisper/model';
import { wordsBySegment } from '../word-timestamps';
import type { WhisperTokenizer } from '@distil-whisper/tokenizer';
import type { LongFormMode, Segment, Transcription } from '../types';

/** How a recording's times and text are presented. */
export interface Presentation {
  tokenizer: WhisperTokenizer;
  /** Seconds of the recording. */
  durationSeconds: number;
  /** Maps a time of the transcribed (region-cut) audio to the recording. */
  toOriginalTime: (seconds: number) => number;
  /** The long-form algorithm, or null for audio of one window. */
  longForm: LongFormMode | null;
}

function textOf(tokenizer: WhisperTokenizer, ids: readonly number[]): string {
  const eot = tokenizer.special.eot;
  return tokenizer.decode(ids.filter((t) => t < eot));
}

/** Whole-recording measures: the highest temperature, the mean log-probability, the first p(no speech). */
function overall(
  measures: readonly WindowMeasures[],
): Pick<Transcription, 'temperature' | 'avgLogprob' | 'noSpeechProb'> {
  return {
    temperature: measures.reduce((m, w) => Math.max(m, w.temperature), 0),
    avgLogprob:
      measures.length === 0 ? 0 : measures.reduce((a, w) => a + w.avgLogprob, 0) / measures.length,
    noSpeechProb: measures[0]?.noSpeechProb ?? 0,
  };
}

/** A time of the transcribed audio, in the recording, inside `[0, duration]`. */
function placed(p: Presentation, t: number): number {
  return Math.min(Math.max(0, p.toOriginalTime(t)), p.durationSeconds);
}

/** A word with its times placed in the recording. */
function placedWord(p: Presentation, w: SegmentWord): SegmentWord {
  const start = placed(p, w.start);
  return { ...w, start, end: Math.max(start, placed(p, w.end)) };
}

/**
 * The transcription of one recording by the sequential loop (or of one window): segments with
 * their text and window measures; overall measures from the windows (`measures`, one per
 * window, skipped ones included).
 */
export function sequentialTranscription(
  r: LongFormResult,
  measures: readonly WindowMeasures[],
  p: Presentation,
): Transcription {
  // A random or confused model may put timestamps past the end of the audio: clamp to it.
  const segments: Segment[] = r.segments.map((s) => {
    const start = placed(p, s.start);
    return {
      start,
      end: Math.max(start, placed(p, s.end)),
      text: textOf(p.tokenizer, s.tokens),
      tokens: s.tokens,
      ...(s.words ? { words: s.words.map((w) => placedWord(p, w)) } : {}),
      temperature: s.temperature,
      avgLogprob: s.avgLogprob,
      compressionRatio: s.compressionRatio,
      noSpeechProb: s.noSpeechProb,
    };
  });
  return {
    text: textOf(p.tokenizer, r.tokens),
    segments,
    tokens: r.tokens,
    language: r.language,
    durationSeconds: p.durationSeconds,
    ...overall(measures),
    longForm: p.longForm,
    windows: r.windows,
  };
}

/**
 * The transcription of one recording by the chunked pipeline: merged segments (transformers'
 * `chunks`), their texts joined; without timestamps one segment over the whole recording.
 */
export function chunkedTranscription(
  merged: readonly MergedSegment[],
  run: {
    chunks: number;
    timestamps: boolean;
    language: string | null;
    measures: readonly WindowMeasures[];
    /** Word timestamps: the recording's words (each chunk's own), handed to segments by time. */
    words?: readonly SegmentWord[];
  },
  p: Presentation,
): Transcription {
  const { timestamps, measures } = run;
  const tokens = merged.flatMap((s) => s.tokens);
  const text = merged.map((s) => textOf(p.tokenizer, s.tokens)).join('');
  const segments: Segment[] = timestamps
    ? merged.map((s) => {
        const start = placed(p, s.start ?? 0);
        return {
          start,
          end: Math.max(start, s.end === null ? p.durationSeconds : placed(p, s.end)),
          text: textOf(p.tokenizer, s.tokens),
          tokens: s.tokens,
        };
      })
    : [{ start: 0, end: p.durationSeconds, text, tokens }];
  if (run.words)
    wordsBySegment(
      segments,
      run.words.map((w) => placedWord(p, w)),
    );
  return {
    text,
    segments,
    tokens,
    language: merged.find((s) => s.language !== null)?.language ?? run.language,
    durationSeconds: p.durationSeconds,
    ...overall(measures),
    longForm: 'chunked',
    windows: run.chunks,
  };
}
