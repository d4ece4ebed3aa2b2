import { AudioError, checkSampleRate } from './errors.js';

/** Parsed `fmt ` chunk, reduced to what sample conversion needs. */
export interface WavFormat {
  /** 1 PCM, 3 IEEE float, 6 A-law, 7 µ-law (WAVE_FORMAT_EXTENSIBLE resolved to its sub-format). */
  readonly encoding: 'pcm' | 'float' | 'alaw' | 'mulaw';
  readonly channels: number;
  readonly sampleRate: number;
  /** Container bits per sample (8, 16, 24, 32, 64). */
  readonly bitsPerSample: number;
  readonly blockAlign: number;
}

const FOURCC_RIFF = 0x46464952; // "RIFF" read as little-endian uint32
const FOURCC_RF64 = 0x34364652;
const FOURCC_BW64 = 0x34365742;
const FOURCC_WAVE = 0x45564157;
const FOURCC_FMT = 0x20746d66;
const FOURCC_DATA = 0x61746164;
const FOURCC_DS64 = 0x34367364;

/** Pre-data chunks (LIST, bext, JUNK, ...) larger than this are treated as a lying header. */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** Sizes that streaming writers put in a header they cannot seek back to fix. */
const UNKNOWN_SIZES = new Set([0, 0xffffffff, 0x7fffffff]);

const TAG_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG layer 3',
  0x0160: 'WMA',
  0x00ff: 'AAC',
};

function fourcc(v: DataView, at: number): number {
  return v.getUint32(at, true);
}

function fourccText(code: number): string {
  return String.fromCharCode(
    code & 0xff,
    (code >>> 8) & 0xff,
    (code >>> 16) & 0xff,
    code >>> 24,
  ).replace(/[^\x20-\x7e]/g, '?');
}

function parseFmt(v: DataView, at: number, size: number): WavFormat {
  if (size < 16)
    throw new AudioError(
      'CORRUPT_DATA',
      `WAV fmt chunk is ${size} bytes; at least 16 are required`,
    );
  let tag = v.getUint16(at, true);
  const channels = v.getUint16(at + 2, true);
  const rate = v.getUint32(at + 4, true);
  const blockAlign = v.getUint16(at + 12, true);
  const bits = v.getUint16(at + 14, true);
  if (tag === 0xfffe) {
    if (size < 40)
      throw new AudioError(
        'CORRUPT_DATA',
        `WAVE_FORMAT_EXTENSIBLE fmt chunk is ${size} bytes; 40 are required`,
      );
    // The sub-format GUID starts with the classic format tag.
    tag = v.getUint16(at + 24, true);
  }
  const encoding =
    tag === 1 ? 'pcm' : tag === 3 ? 'float' : tag === 6 ? 'alaw' : tag === 7 ? 'mulaw' : undefined;
  if (!encoding) {
    const name = TAG_NAMES[tag] ?? `format tag 0x${tag.toString(16).padStart(4, '0')}`;
    throw new AudioError(
      'UNSUPPORTED_CODEC',
      `WAV data is ${name}; only PCM, IEEE float, A-law and µ-law WAV are supported — convert it (e.g. ffmpeg -i in.wav -c:a pcm_s16le out.wav)`,
    );
  }
  if (channels < 1 || channels > 256)
    throw new AudioError('CORRUPT_DATA', `WAV header declares ${channels} channels`);
  checkSampleRate(rate, 'the WAV sample rate');
  const validBits = encoding === 'pcm' ? [8, 16, 24, 32] : encoding === 'float' ? [32, 64] : [8];
  if (!validBits.includes(bits)) {
    throw new AudioError(
      'UNSUPPORTED_CODEC',
      `WAV ${encoding} with ${bits} bits per sample is not supported (expected ${validBits.join('/')})`,
    );
  }
  if (blockAlign !== (channels * bits) / 8) {
    throw new AudioError(
      'CORRUPT_DATA',
      `WAV header is inconsistent: block align ${blockAlign} but ${channels} channels × ${bits} bits need ${(channels * bits) / 8}`,
    );
  }
  return { encoding, channels, sampleRate: rate, bitsPerSample: bits, blockAlign };
}

/** Result of {@link parseWavHeader}. */
export interface WavHeader {
  readonly format: WavFormat;
  /** Byte offset of the first sample. */
  readonly dataOffset: number;
  /** Declared byte length of the sample data, or undefined when the writer left it unknown. */
  readonly dataBytes: number | undefined;
}

/**
 * Parses a RIFF/RF64 WAVE header from the first bytes of a file. Returns undefined when `bytes`
 * ends before the `data` chunk (feed more); throws {@link AudioError} for anything malformed.
 * `fileSize`, when known, lets chunk sizes be checked against the real length.
 */
export function parseWavHeader(bytes: Uint8Array, fileSize?: number): WavHeader | undefined {
  if (bytes.length < 12) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riff = fourcc(v, 0);
  if (
    (riff !== FOURCC_RIFF && riff !== FOURCC_RF64 && riff !== FOURCC_BW64) ||
    fourcc(v, 8) !== FOURCC_WAVE
  ) {
    throw new AudioError('UNSUPPORTED_FORMAT', 'Not a RIFF/WAVE file');
  }
  const rf64 = riff !== FOURCC_RIFF;
  let ds64DataBytes: number | undefined;
  let format: WavFormat | undefined;
  let at = 12;
  for (;;) {
    if (at + 8 > bytes.length) {
      if (fileSize !== undefined && at + 8 > fileSize) {
        throw new AudioError(
          'TRUNCATED',
          `WAV file ends at byte ${fileSize} before its data chunk`,
        );
      }
      return undefined;
    }
    const id = fourcc(v, at);
    let size = v.getUint32(at + 4, true);
    const body = at + 8;
    if (id === FOURCC_DATA) {
      if (!format)
        throw new AudioError('CORRUPT_DATA', 'WAV data chunk comes before the fmt chunk');
      if (rf64 && size === 0xffffffff) size = ds64DataBytes ?? 0xffffffff;
      return {
        format,
        dataOffset: body,
        dataBytes: UNKNOWN_SIZES.has(size) && !(rf64 && ds64DataBytes) ? undefined : size,
      };
    }
    if (size > MAX_HEADER_BYTES) {
      throw new AudioError(
        'CORRUPT_DATA',
        `WAV chunk "${fourccText(id)}" at byte ${at} claims ${size} bytes before the audio data, beyond any sane header; the header lies`,
      );
    }
    if (fileSize !== undefined && body + size > fileSize) {
      throw new AudioError(
        'TRUNCATED',
        `WAV chunk "${fourccText(id)}" at byte ${at} claims ${size} bytes but the file ends at byte ${fileSize}; the file is truncated or its header lies`,
      );
    }
    if (body + size > bytes.length) return undefined;
    if (id === FOURCC_FMT) format = parseFmt(v, body, size);
    else if (id === FOURCC_DS64 && size >= 16) {
      const dataLow = v.getUint32(body + 8, true);
      const dataHigh = v.getUint32(body + 12, true);
      ds64DataBytes = dataHigh * 2 ** 32 + dataLow;
    }
    // Chunks are word aligned: an odd size is followed by one pad byte.
    at = body + size + (size & 1);
  }
}

/**
 * Converts whole frames of interleaved WAV sample bytes into mono float samples (the mean of the
 * channels), writing into `out` from index 0. Returns the index of the first non-finite float
 * sample, or -1. Integer PCM scales by 2^(bits-1) (int16 / 32768, as Whisper's ffmpeg loader
 * does); 8-bit PCM is unsigned with 128 as zero.
 */
export function wavFramesToMono(
  fmt: WavFormat,
  bytes: Uint8Array,
  frames: number,
  out: Float32Array,
): number {
  const ch = fmt.channels;
  const inv = 1 / ch;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bps = fmt.bitsPerSample / 8;
  if (fmt.encoding === 'pcm' && bps === 2) {
    // Hot path: most speech files. Aligned Int16Array view when possible, else DataView.
    if (bytes.byteOffset % 2 === 0) {
      const s = new Int16Array(bytes.buffer, bytes.byteOffset, frames * ch);
      if (ch === 1) {
        for (let i = 0; i < frames; i++) out[i] = s[i]! / 32768;
      } else if (ch === 2) {
        // (l + r) / 2 / 32768, with the power-of-two scale folded into one exact multiply.
        for (let i = 0, k = 0; i < frames; i++, k += 2) out[i] = (s[k]! + s[k + 1]!) * (1 / 65536);
      } else {
        for (let i = 0, k = 0; i < frames; i++) {
          let acc = 0;
          for (let c = 0; c < ch; c++) acc += s[k++]!;
          out[i] = (acc * inv) / 32768;
        }
      }
    } else {
      for (let i = 0, o = 0; i < frames; i++) {
        let acc = 0;
        for (let c = 0; c < ch; c++, o += 2) acc += v.getInt16(o, true);
        out[i] = (acc * inv) / 32768;
      }
    }
    return -1;
  }
  let read: (o: number) => number;
  switch (fmt.encoding) {
    case 'pcm':
      read =
        bps === 1
          ? (o) => (bytes[o]! - 128) / 128
          : bps === 3
            ? (o) =>
                (((bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16)) << 8) >> 8) / 8388608
            : (o) => v.getInt32(o, true) / 2147483648;
      break;
    case 'float':
      read = bps === 4 ? (o) => v.getFloat32(o, true) : (o) => v.getFloat64(o, true);
      break;
    case 'alaw':
      read = (o) => ALAW[bytes[o]!]!;
      break;
    case 'mulaw':
      read = (o) => MULAW[bytes[o]!]!;
      break;
  }
  let bad = -1;
  for (let i = 0, o = 0; i < frames; i++) {
    let acc = 0;
    for (let c = 0; c < ch; c++, o += bps) acc += read(o);
    const x = ch === 1 ? acc : acc * inv;
    if (x - x !== 0 && bad < 0) bad = i;
    out[i] = x;
  }
  return bad;
}

// G.711 expansion tables, scaled to [-1, 1) by 1/32768 like 16-bit PCM.
const ALAW = new Float32Array(256);
const MULAW = new Float32Array(256);
for (let i = 0; i < 256; i++) {
  let a = i ^ 0x55;
  const seg = (a & 0x70) >> 4;
  let t = (a & 0x0f) << 4;
  t = seg === 0 ? t + 8 : seg === 1 ? t + 0x108 : (t + 0x108) << (seg - 1);
  ALAW[i] = ((a & 0x80) !== 0 ? t : -t) / 32768;
  a = ~i & 0xff;
  let m = ((a & 0x0f) << 3) + 0x84;
  m <<= (a & 0x70) >> 4;
  MULAW[i] = ((a & 0x80) !== 0 ? 0x84 - m : m - 0x84) / 32768;
}
