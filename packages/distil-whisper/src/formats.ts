// Output formats of the CLI (and for library users): plain text, JSON, SubRip and WebVTT.
import type { Transcription } from './types';

/** Output formats of {@link formatTranscription}. */
export type OutputFormat = 'txt' | 'json' | 'srt' | 'vtt';

function clock(seconds: number, decimal: ',' | '.'): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${pad(h)}:${pad(m)}:${pad(s)}${decimal}${pad(ms % 1000, 3)}`;
}

/**
 * Renders a transcription: `txt` (the text), `json` (the whole result), `srt` / `vtt` (one cue per segment).
 *
 * @example
 * ```ts
 * writeFileSync('talk.srt', formatTranscription(result, 'srt'));
 * ```
 */
export function formatTranscription(t: Transcription, format: OutputFormat): string {
  switch (format) {
    case 'txt':
      return `${t.text.trim()}\n`;
    case 'json':
      return `${JSON.stringify(t, null, 2)}\n`;
    case 'srt':
      return t.segments
        .map(
          (s, i) => `${i + 1}\n${clock(s.start, ',')} --> ${clock(s.end, ',')}\n${s.text.trim()}\n`,
        )
        .join('\n');
    case 'vtt':
      return `WEBVTT\n\n${t.segments.map((s) => `${clock(s.start, '.')} --> ${clock(s.end, '.')}\n${s.text.trim()}\n`).join('\n')}`;
  }
}
