// Streams of audio bytes (stdin, a socket) are copied to a temporary file: long-form decoding
// reads a recording twice (once to measure it, once to transcribe it), which a stream cannot do.
// The copy holds the compressed bytes as they came, so it is no larger than the input.
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TranscribeError } from './errors';

/** A temporary copy of a stream. */
export interface Spooled {
  /** Path of the copy. */
  path: string;
  /** Deletes the copy (and its directory). Idempotent. */
  remove(): Promise<void>;
}

/**
 * Copies `stream` to a new file in the system's temporary directory (`TMPDIR`).
 *
 * @throws {@link TranscribeError} `INVALID_INPUT` when the stream yields something other than
 *   bytes, `ABORTED` when `signal` fires
 * @example
 * ```ts
 * const copy = await spoolStream(process.stdin);
 * try { await asr.transcribe(copy.path); } finally { await copy.remove(); }
 * ```
 */
export async function spoolStream(
  stream: AsyncIterable<Uint8Array | string>,
  signal?: AbortSignal,
): Promise<Spooled> {
  const dir = await mkdtemp(join(tmpdir(), 'distil-whisper-input-'));
  const path = join(dir, 'input');
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const file = await open(path, 'w');
    try {
      for await (const chunk of stream) {
        if (signal?.aborted) throw new TranscribeError('ABORTED', 'transcription was aborted');
        if (!(chunk instanceof Uint8Array))
          throw new TranscribeError(
            'INVALID_INPUT',
            'an input stream must yield bytes (Buffer / Uint8Array); open it without an encoding',
          );
        await file.write(chunk);
      }
    } finally {
      await file.close();
    }
  } catch (e) {
    await remove();
    throw e;
  }
  return { path, remove };
}
