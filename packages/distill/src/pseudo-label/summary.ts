// What pseudoLabel() reports: the problems it skipped, its progress and its summary.
import { dirname } from 'node:path';

import type { InputProblemCode } from './input-manifest.js';
import type { Shard } from './shard.js';

/**
 * Why a line or clip was skipped: the input-line codes of the manifest reader, plus
 * - `AUDIO_MISSING`: the audio file does not exist;
 * - `AUDIO_UNREADABLE`: it cannot be decoded (format, corruption, permissions);
 * - `AUDIO_EMPTY`: it decodes to no samples;
 * - `AUDIO_TOO_LONG`: it is longer than the model window (30 s): split it first;
 * - `GENERATION_FAILED`: the teacher failed on the window (every member is named).
 */
export type PseudoLabelProblemCode =
  | InputProblemCode
  | 'AUDIO_MISSING'
  | 'AUDIO_UNREADABLE'
  | 'AUDIO_EMPTY'
  | 'AUDIO_TOO_LONG'
  | 'GENERATION_FAILED';

/** One skipped line or clip. */
export interface PseudoLabelProblem {
  readonly code: PseudoLabelProblemCode;
  /** 1-based manifest line. */
  readonly line: number;
  /** The line's id, when known. */
  readonly id?: string;
  /** What went wrong, in words. */
  readonly reason: string;
}

/** Progress of `pseudoLabel()`. */
export interface PseudoLabelProgress {
  /** Manifest lines of this shard handled so far (labelled, resumed or skipped). */
  readonly linesDone: number;
  /** Manifest lines of this shard. */
  readonly lines: number;
  /** Records written by this run. */
  readonly packsWritten: number;
  /** Clips labelled by this run. */
  readonly clipsLabelled: number;
  /** Lines and clips skipped so far. */
  readonly problems: number;
  /** Seconds of audio labelled by this run. */
  readonly audioSeconds: number;
  /** Wall seconds since the start (teacher loading included). */
  readonly seconds: number;
}

/** Result of `pseudoLabel()`. */
export interface PseudoLabelSummary {
  /** Absolute path of the output manifest. */
  readonly out: string;
  /** Its sidecar (`<out>.meta.json`). */
  readonly meta: string;
  /** Folder of packed audio (`<out>.audio/`); it exists only when a pack of several clips was written. */
  readonly audioDir: string;
  /** The shard processed with its line range (1-based, inclusive), or null for all lines. */
  readonly shard: (Shard & { readonly firstLine: number; readonly lastLine: number }) | null;
  /** Non-blank manifest lines in this shard. */
  readonly lines: number;
  /** Records written by this run. */
  readonly packsWritten: number;
  /** Clips labelled by this run (members of the records written). */
  readonly clipsLabelled: number;
  /** Clips skipped because a previous run already labelled them. */
  readonly clipsResumed: number;
  /** Records in the output before this run. */
  readonly recordsBefore: number;
  /** Bytes of a torn last record cut off before resuming (0: none). */
  readonly repairedBytes: number;
  /** Every skipped line or clip, in manifest order. */
  readonly problems: readonly PseudoLabelProblem[];
  /** Problems per code. */
  readonly problemCounts: Readonly<Partial<Record<PseudoLabelProblemCode, number>>>;
  /**
   * Records whose audio lies outside the output's directory (written as `../…`): the training
   * manifest reader accepts them only with `allowAudioOutsideRoot`. Put the output beside the
   * audio to avoid that.
   */
  readonly audioOutsideOutput: number;
  /** Seconds of audio labelled by this run. */
  readonly audioSeconds: number;
  /** Wall seconds of the run (teacher loading included). */
  readonly seconds: number;
  /** Wall seconds spent in feature extraction, encoder and decoder. */
  readonly labellingSeconds: number;
  /** A paragraph for a log: counts, speed, then up to 20 problems. */
  readonly text: string;
}

const SUMMARY_PROBLEMS = 20;

/** The summary paragraph: counts, speed, shard, repairs, warnings, then up to 20 problems. */
export function formatSummary(s: Omit<PseudoLabelSummary, 'text'>): string {
  const rate = s.labellingSeconds > 0 ? s.audioSeconds / s.labellingSeconds : 0;
  const lines = [
    `${s.out}: ${s.packsWritten} record${s.packsWritten === 1 ? '' : 's'} written (${s.clipsLabelled} clips, ${s.audioSeconds.toFixed(1)} s of audio)` +
      (s.clipsResumed > 0 ? `, ${s.clipsResumed} clips already labelled by an earlier run` : '') +
      `, ${s.problems.length} skipped`,
    `time: ${s.seconds.toFixed(1)} s in all, ${s.labellingSeconds.toFixed(1)} s labelling (${rate.toFixed(2)} s of audio per second, ${(s.labellingSeconds > 0 ? s.clipsLabelled / s.labellingSeconds : 0).toFixed(2)} clips/s)`,
  ];
  if (s.shard)
    lines.push(
      `shard ${s.shard.index}/${s.shard.count}: manifest lines ${s.shard.firstLine}–${s.shard.lastLine}`,
    );
  if (s.repairedBytes > 0)
    lines.push(`repaired: cut off a torn last record (${s.repairedBytes} bytes) before resuming`);
  if (s.audioOutsideOutput > 0)
    lines.push(
      `warning: ${s.audioOutsideOutput} records point at audio outside ${dirname(s.out)}; the training manifest reader needs allowAudioOutsideRoot for them — write the output beside the audio instead`,
    );
  if (s.problems.length > 0) {
    const byCode = Object.entries(s.problemCounts)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    lines.push(`skipped (${byCode}):`);
    for (const p of s.problems.slice(0, SUMMARY_PROBLEMS))
      lines.push(
        `  line ${p.line}${p.id !== undefined ? ` (${p.id})` : ''}: ${p.code}: ${p.reason}`,
      );
    if (s.problems.length > SUMMARY_PROBLEMS)
      lines.push(`  … and ${s.problems.length - SUMMARY_PROBLEMS} more`);
  }
  return lines.join('\n');
}
