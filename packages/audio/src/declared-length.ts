// What a file says about its own length before it is decoded: FLAC's STREAMINFO sample count,
// the frame count of an MP3's Xing/Info or VBRI frame (less the LAME tag's encoder delay and
// padding), a WAV data chunk's size; and whether an Ogg stream ended on its end-of-stream page.
// Used to fail a duration limit before decoding, and to tell a truncated file from a short one.
import type { AudioFormat } from './detect.js';
import { parseWavHeader } from './wav.js';

/** A length declared by a header: `frames` at `sampleRate`. */
export interface DeclaredLength {
  readonly frames: number;
  readonly sampleRate: number;
  /**
   * Frames the decoder may legitimately produce fewer than `frames` (decoder delay, a last
   * partial frame); a shortfall beyond it means the file is truncated.
   */
  readonly tolerance: number;
}

/** Parse result when the bytes seen so far end before the information: feed more. */
export const NEED_MORE = 'more';

function ascii(b: Uint8Array, at: number, text: string): boolean {
  if (at < 0 || at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function u32be(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/**
 * FLAC STREAMINFO: total samples per channel and sample rate. Undefined when the encoder left
 * the total at 0 (unknown, e.g. a live stream) or `head` holds no STREAMINFO.
 */
export function flacDeclaredLength(head: Uint8Array): DeclaredLength | undefined {
  for (let i = 0; i + 26 <= head.length && i < 1 << 20; i++) {
    if (ascii(head, i, 'fLaC')) {
      const si = i + 8; // 'fLaC', then a 4-byte metadata block header, then STREAMINFO
      const sampleRate = (head[si + 10]! << 12) | (head[si + 11]! << 4) | (head[si + 12]! >> 4);
      const frames = (head[si + 13]! & 0x0f) * 2 ** 32 + u32be(head, si + 14);
      return frames > 0 && sampleRate > 0 ? { frames, sampleRate, tolerance: 0 } : undefined;
    }
  }
  return undefined;
}

const MPEG_RATES: Record<number, readonly number[]> = {
  3: [44100, 48000, 32000], // MPEG-1
  2: [22050, 24000, 16000], // MPEG-2
  0: [11025, 12000, 8000], // MPEG-2.5
};

/**
 * The length an MP3 declares in its first frame: a Xing / Info frame (LAME, ffmpeg) or a VBRI
 * frame (Fraunhofer) with a frame count; with a LAME tag, less its encoder delay and padding —
 * exactly the samples a gapless decoder produces. Returns {@link NEED_MORE} while `head` ends
 * before that frame (a large ID3v2 tag), undefined when the file declares nothing (a plain CBR
 * stream: then a truncated file cannot be told from a short one).
 */
export function mp3DeclaredLength(head: Uint8Array): DeclaredLength | undefined | typeof NEED_MORE {
  let at = 0;
  // ID3v2 tags (there may be several): 10-byte header, syncsafe size, optional 10-byte footer.
  while (ascii(head, at, 'ID3')) {
    if (head.length < at + 10) return NEED_MORE;
    const size =
      ((head[at + 6]! & 0x7f) << 21) |
      ((head[at + 7]! & 0x7f) << 14) |
      ((head[at + 8]! & 0x7f) << 7) |
      (head[at + 9]! & 0x7f);
    at += 10 + size + (head[at + 5]! & 0x10 ? 10 : 0);
  }
  // The frame header, its side information and a Xing frame with TOC and LAME tag fit in 200 bytes.
  if (head.length < at + 200) return NEED_MORE;
  const b1 = head[at + 1]!;
  if (head[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 3;
  const layer = (b1 >> 1) & 3; // 1 = Layer III, 2 = Layer II, 3 = Layer I
  const rate = MPEG_RATES[version]?.[(head[at + 2]! >> 2) & 3];
  if (rate === undefined || layer === 0) return undefined;
  const samplesPerFrame = layer === 3 ? 384 : layer === 2 || version === 3 ? 1152 : 576;
  const tolerance = 2 * samplesPerFrame;
  if (ascii(head, at + 36, 'VBRI')) {
    const frames = u32be(head, at + 36 + 14);
    return frames > 0
      ? { frames: frames * samplesPerFrame, sampleRate: rate, tolerance }
      : undefined;
  }
  if (layer !== 1) return undefined;
  const mono = head[at + 3]! >> 6 === 3;
  const sideInfo = version === 3 ? (mono ? 17 : 32) : mono ? 9 : 17;
  let x = at + 4 + sideInfo;
  if (!ascii(head, x, 'Xing') && !ascii(head, x, 'Info')) {
    x += 2; // a CRC word after the frame header
    if (!ascii(head, x, 'Xing') && !ascii(head, x, 'Info')) return undefined;
  }
  const flags = u32be(head, x + 4);
  if ((flags & 1) === 0) return undefined; // no frame count
  const frames = u32be(head, x + 8);
  if (frames === 0) return undefined;
  let tag = x + 12;
  if (flags & 2) tag += 4; // byte count
  if (flags & 4) tag += 100; // seek table
  if (flags & 8) tag += 4; // quality
  let trim = 0;
  // LAME tag: a 9-byte encoder string ("LAME3.100", "Lavc60.3."), ..., then 12-bit encoder delay
  // and 12-bit padding at bytes 21-23.
  if (tag + 24 <= head.length && (ascii(head, tag, 'LAME') || ascii(head, tag, 'Lav'))) {
    const delay = (head[tag + 21]! << 4) | (head[tag + 22]! >> 4);
    const padding = ((head[tag + 22]! & 0x0f) << 8) | head[tag + 23]!;
    trim = delay + padding;
  }
  const total = frames * samplesPerFrame - trim;
  return total > 0 ? { frames: total, sampleRate: rate, tolerance } : undefined;
}

/**
 * Seconds of audio the header in `head` declares, for a duration limit checked before decoding.
 * A WAV data size is trusted only up to the real file size when that is known. Undefined when
 * the format declares nothing, or `head` ends before the declaration (the limit is then checked
 * as samples decode).
 */
export function declaredSeconds(
  format: AudioFormat,
  head: Uint8Array,
  fileSize: number | undefined,
): number | undefined {
  if (format === 'wav') {
    let header;
    try {
      header = parseWavHeader(head, fileSize);
    } catch {
      return undefined; // the decoder reports what is wrong, with its context
    }
    if (!header || header.dataBytes === undefined) return undefined;
    const bytes =
      fileSize === undefined
        ? header.dataBytes
        : Math.min(header.dataBytes, fileSize - header.dataOffset);
    return Math.floor(bytes / header.format.blockAlign) / header.format.sampleRate;
  }
  const declared =
    format === 'flac'
      ? flacDeclaredLength(head)
      : format === 'mp3'
        ? mp3DeclaredLength(head)
        : undefined;
  return declared === undefined || declared === NEED_MORE
    ? undefined
    : declared.frames / declared.sampleRate;
}

/**
 * Follows the page structure of an Ogg stream as its bytes go by (27-byte page header, segment
 * table, body), to tell whether the data ended exactly after a page flagged end-of-stream.
 * A file cut anywhere else ends inside a page or on a page without that flag.
 */
export class OggPageTracker {
  /** Bytes of the current page header received so far. */
  private header = new Uint8Array(0);
  /** Bytes of the current page body still to come. */
  private body = 0;
  private lastFlags = 0;
  private pages = 0;
  /** Set when the bytes stop looking like Ogg pages (then nothing is concluded). */
  private lost = false;

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length && !this.lost) {
      if (this.body > 0) {
        const take = Math.min(this.body, chunk.length - i);
        this.body -= take;
        i += take;
        continue;
      }
      const need = (this.header.length < 27 ? 27 : 27 + this.header[26]!) - this.header.length;
      const take = Math.min(need, chunk.length - i);
      const grown = new Uint8Array(this.header.length + take);
      grown.set(this.header);
      grown.set(chunk.subarray(i, i + take), this.header.length);
      this.header = grown;
      i += take;
      if (this.header.length >= 4 && !ascii(this.header, 0, 'OggS')) {
        this.lost = true;
        return;
      }
      if (this.header.length >= 27 && this.header.length === 27 + this.header[26]!) {
        let size = 0;
        for (let s = 27; s < this.header.length; s++) size += this.header[s]!;
        this.lastFlags = this.header[5]!;
        this.pages++;
        this.header = new Uint8Array(0);
        this.body = size;
      }
    }
  }

  /**
   * Undefined while nothing can be concluded (no page seen, or not Ogg pages after all); else
   * why the stream is incomplete, or null when it ended on its end-of-stream page.
   */
  incomplete(): string | null | undefined {
    if (this.lost || this.pages === 0) return undefined;
    if (this.header.length > 0 || this.body > 0) return 'the data ends inside an Ogg page';
    if ((this.lastFlags & 0x04) === 0) return 'the last Ogg page is not the end of the stream';
    return null;
  }
}
