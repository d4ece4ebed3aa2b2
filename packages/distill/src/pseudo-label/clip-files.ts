// Files of clips and packs: why a clip could not be read, and the names packed audio is stored
// under.
import { createHash } from 'node:crypto';
import { sep } from 'node:path';

import { AudioError } from '@distil-whisper/audio';

import type { PseudoLabelProblemCode } from './summary.js';

/** The problem code and reason of a clip that could not be loaded. */
export function audioProblem(err: unknown): { code: PseudoLabelProblemCode; reason: string } {
  if (err instanceof AudioError) {
    const cause = (err.cause as NodeJS.ErrnoException | undefined)?.code;
    if (err.code === 'IO_ERROR' && cause === 'ENOENT')
      return { code: 'AUDIO_MISSING', reason: err.message };
    if (err.code === 'EMPTY_AUDIO') return { code: 'AUDIO_EMPTY', reason: err.message };
    if (err.code === 'TOO_LONG') return { code: 'AUDIO_TOO_LONG', reason: err.message };
    return { code: 'AUDIO_UNREADABLE', reason: `${err.code}: ${err.message}` };
  }
  return { code: 'AUDIO_UNREADABLE', reason: String((err as Error)?.message ?? err) };
}

/** Name of a pack's WAV: readable, file-system safe, and unique per id. */
export function packFileName(id: string): string {
  const safe = id.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);
  return `${safe}-${createHash('sha256').update(id).digest('hex').slice(0, 10)}.wav`;
}

/** A relative path with `/` separators, as manifests store them. */
export function portable(path: string): string {
  return sep === '/' ? path : path.split(sep).join('/');
}
