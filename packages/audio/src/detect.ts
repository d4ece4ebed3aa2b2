import { AudioError } from './errors.js';

/** Containers/codecs {@link loadAudio} can decode. */
export type AudioFormat = 'wav' | 'flac' | 'mp3' | 'ogg-vorbis' | 'ogg-opus';

function ascii(b: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function indexOf(b: Uint8Array, text: string, limit: number): number {
  const end = Math.min(b.length - text.length, limit);
  for (let i = 0; i <= end; i++) if (ascii(b, i, text)) return i;
  return -1;
}

/** Bytes needed to sniff the format reliably (an ID3 tag is skipped by size, so this is a floor). */
export const SNIFF_BYTES = 4096;

/** Largest ID3v2 tag read through while sniffing (cover art is rarely over a few MB). */
const MAX_ID3_BYTES = 64 << 20;

/**
 * Bytes to read before {@link detectFormat} can decide: {@link SNIFF_BYTES}, or past a leading
 * ID3v2 tag (cover art can make it far longer) to the first bytes after it.
 */
export function sniffBytesNeeded(head: Uint8Array): number {
  if (head.length < 10 || !ascii(head, 0, 'ID3')) return SNIFF_BYTES;
  const size =
    ((head[6]! & 0x7f) << 21) |
    ((head[7]! & 0x7f) << 14) |
    ((head[8]! & 0x7f) << 7) |
    (head[9]! & 0x7f);
  const after = 10 + size + ((head[5]! & 0x10) !== 0 ? 10 : 0) + 4;
  return Math.max(SNIFF_BYTES, Math.min(after, MAX_ID3_BYTES));
}

/**
 * Identifies the container from its first bytes. Returns undefined when more bytes are needed
 * (only possible while `head` is shorter than {@link SNIFF_BYTES} and not the whole file).
 */
export function detectFormat(head: Uint8Array, complete: boolean): AudioFormat | undefined {
  if (head.length === 0) throw new AudioError('EMPTY_AUDIO', 'The input is empty (0 bytes)');
  if (!complete && head.length < 12) return undefined;
  if (
    (ascii(head, 0, 'RIFF') || ascii(head, 0, 'RF64') || ascii(head, 0, 'BW64')) &&
    ascii(head, 8, 'WAVE')
  )
    return 'wav';
  if (ascii(head, 0, 'RIFX'))
    throw new AudioError(
      'UNSUPPORTED_FORMAT',
      'Big-endian WAV (RIFX) is not supported; convert it to little-endian PCM WAV',
    );
  if (ascii(head, 0, 'fLaC')) return 'flac';
  if (ascii(head, 0, 'OggS')) {
    if (!complete && head.length < 128) return undefined;
    if (indexOf(head, 'OpusHead', 200) >= 0) return 'ogg-opus';
    if (indexOf(head, '\x01vorbis', 200) >= 0) return 'ogg-vorbis';
    if (indexOf(head, '\x7fFLAC', 200) >= 0)
      throw new AudioError(
        'UNSUPPORTED_CODEC',
        'FLAC inside Ogg is not supported; use a native .flac file',
      );
    throw new AudioError(
      'UNSUPPORTED_CODEC',
      'Ogg stream with an unknown codec (only Vorbis and Opus are supported)',
    );
  }
  let at = 0;
  if (ascii(head, 0, 'ID3')) {
    if (head.length < 10) {
      if (complete) throw new AudioError('TRUNCATED', 'File ends inside its ID3 tag');
      return undefined;
    }
    // Syncsafe size, plus a 10-byte footer when flag 0x10 is set.
    const size =
      ((head[6]! & 0x7f) << 21) |
      ((head[7]! & 0x7f) << 14) |
      ((head[8]! & 0x7f) << 7) |
      (head[9]! & 0x7f);
    at = 10 + size + ((head[5]! & 0x10) !== 0 ? 10 : 0);
    if (at + 4 > head.length) {
      if (complete)
        throw new AudioError(
          'TRUNCATED',
          'File ends inside or right after its ID3 tag: no audio follows',
        );
      return undefined;
    }
    if (ascii(head, at, 'fLaC')) return 'flac';
  }
  if (at + 4 <= head.length && head[at] === 0xff && (head[at + 1]! & 0xe0) === 0xe0) {
    const layer = (head[at + 1]! >> 1) & 3;
    if (layer === 0)
      throw new AudioError(
        'UNSUPPORTED_CODEC',
        'AAC (ADTS) audio is not supported; convert to WAV, FLAC, MP3, Vorbis or Opus',
      );
    const bitrate = head[at + 2]! >> 4;
    const rate = (head[at + 2]! >> 2) & 3;
    if (bitrate !== 15 && rate !== 3) return 'mp3';
  }
  if (ascii(head, 4, 'ftyp')) {
    throw new AudioError(
      'UNSUPPORTED_FORMAT',
      'MP4/M4A audio is not supported; convert it (e.g. ffmpeg -i in.m4a out.flac)',
    );
  }
  if (head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) {
    throw new AudioError(
      'UNSUPPORTED_FORMAT',
      'WebM/Matroska audio is not supported; convert it (e.g. ffmpeg -i in.webm out.ogg)',
    );
  }
  if (ascii(head, 0, 'FORM'))
    throw new AudioError('UNSUPPORTED_FORMAT', 'AIFF is not supported; convert it to WAV');
  if (!complete && head.length < SNIFF_BYTES) return undefined;
  throw new AudioError(
    'UNSUPPORTED_FORMAT',
    'Unrecognised audio data: expected WAV, FLAC, MP3, Ogg Vorbis or Ogg Opus (pass raw samples as { samples, sampleRate })',
  );
}
