// Output formats of the CLI (and for library users): plain text, JSON, SubRip and WebVTT.
import type { Transcription } from './types';
import { cues } from './word-cues';

/** Output formats of {@link formatTranscription}. */
export type OutputFormat = 'txt' | 'json' | 'srt' | 'vtt';

/** Options of {@link formatTranscription}. */
export interface FormatOptions {
  /**
   * srt/vtt with word timestamps: cues of at most this many words, timed by the words (1 = one
   * cue per word). Default: one cue per segment.
   */
  maxWordsPerCue?: number;
}

function clock(seconds: number, decimal: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${decimal}${pad(ms % 1000, 3)}`;
}

/**
 * Renders a transcription: `txt` (the text), `json` (the whole result, words included when
 * requested), `srt` / `vtt` (one cue per segment, or word-timed cues with `maxWordsPerCue`).
 *
 * @example
 * ```ts
 * writeFileSync('talk.srt', formatTranscription(result, 'srt'));
 * writeFileSync('talk.vtt', formatTranscription(result, 'vtt', { maxWordsPerCue: 1 }));
 * ```
 */
export function formatTranscription(
  t: Transcription,
  format: OutputFormat,
  options: FormatOptions = {},
): string {
  const list = (): Array<{ start: number; end: number; text: string }> =>
    cues(t.segments, options.maxWordsPerCue);
  switch (format) {
    case 'txt':
      return `${t.text.trim()}\n`;
    case 'json':
      return `${JSON.stringify(t, null, 2)}\n`;
    case 'srt':
      return list()
        .map((c, i) => `${i + 1}\n${clock(c.start, ',')} --> ${clock(c.end, ',')}\n${c.text}\n`)
        .join('\n');
    case 'vtt':
      return `WEBVTT\n\n${list()
        .map((c) => `${clock(c.start, '.')} --> ${clock(c.end, '.')}\n${c.text}\n`)
        .join('\n')}`;
  }
}
