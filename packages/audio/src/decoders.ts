import type { AudioFormat } from './detect.js';
import { AudioError } from './errors.js';
import { parseWavHeader, wavFramesToMono, type WavFormat } from './wav.js';

/** Mono samples at the stream's native rate. */
export interface MonoBlock {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly channels: number;
}

/** A decoder fed with consecutive byte chunks; it emits mono blocks as soon as they decode. */
export interface StreamDecoder {
  push(chunk: Uint8Array): Promise<MonoBlock[]>;
  finish(): Promise<MonoBlock[]>;
  /**
   * Frames the file will produce, once known and only when verified against the real file size
   * (used to allocate the output once). Unverifiable claims (streams, compressed headers) give undefined.
   */
  expectedFrames(): number | undefined;
  /** Frames the header claims, verified or not (used only to fail early with TOO_LONG). */
  claimedFrames(): number | undefined;
  free(): void;
}

export interface DecoderOptions {
  /** Total byte length of the file, when known up front. */
  readonly fileSize: number | undefined;
  readonly lenient: boolean;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Streaming WAV: buffers until the data chunk, then converts whole frames as they arrive. */
class WavDecoder implements StreamDecoder {
  private head: Uint8Array = new Uint8Array(0);
  private fmt: WavFormat | undefined;
  private remaining = Infinity;
  private declared: number | undefined;
  private dataOffset = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private frames = 0;

  constructor(private readonly options: DecoderOptions) {}

  expectedFrames(): number | undefined {
    // Only a size checked against the real file length is trusted: a header read from a stream
    // could claim gigabytes and must not drive an allocation.
    if (!this.fmt || this.options.fileSize === undefined) return undefined;
    const bytes = Math.min(this.declared ?? Infinity, this.options.fileSize - this.dataOffset);
    return Math.floor(bytes / this.fmt.blockAlign);
  }

  claimedFrames(): number | undefined {
    return this.fmt && this.declared !== undefined
      ? Math.floor(this.declared / this.fmt.blockAlign)
      : undefined;
  }

  async push(chunk: Uint8Array): Promise<MonoBlock[]> {
    if (!this.fmt) {
      this.head = concat(this.head, chunk);
      const header = parseWavHeader(this.head, this.options.fileSize);
      if (!header) return [];
      this.fmt = header.format;
      this.dataOffset = header.dataOffset;
      this.declared = header.dataBytes;
      if (header.dataBytes !== undefined) {
        this.remaining = header.dataBytes;
        const fileData =
          this.options.fileSize === undefined
            ? undefined
            : this.options.fileSize - header.dataOffset;
        if (fileData !== undefined && header.dataBytes > fileData && !this.options.lenient) {
          throw this.truncated(fileData);
        }
      }
      chunk = this.head.subarray(header.dataOffset);
      this.head = new Uint8Array(0);
    }
    return this.convert(chunk);
  }

  private truncated(have: number): AudioError {
    return new AudioError(
      'TRUNCATED',
      `WAV header declares ${this.declared} data bytes but only ${have} are present; the file is truncated or its header lies (pass { lenient: true } to decode what is there)`,
    );
  }

  private convert(chunk: Uint8Array): MonoBlock[] {
    const fmt = this.fmt!;
    if (this.remaining <= 0) return [];
    if (chunk.length > this.remaining) chunk = chunk.subarray(0, this.remaining);
    this.remaining -= chunk.length;
    const bytes = concat(this.pending, chunk);
    const frames = Math.floor(bytes.length / fmt.blockAlign);
    const used = frames * fmt.blockAlign;
    this.pending = used === bytes.length ? new Uint8Array(0) : bytes.slice(used);
    if (frames === 0) return [];
    const out = new Float32Array(frames);
    const bad = wavFramesToMono(fmt, bytes.subarray(0, used), frames, out);
    if (bad >= 0) {
      throw new AudioError(
        'NON_FINITE_SAMPLES',
        `WAV float data contains NaN or Infinity at frame ${this.frames + bad}; the file is corrupt or was written from an unclean signal`,
      );
    }
    this.frames += frames;
    return [{ samples: out, sampleRate: fmt.sampleRate, channels: fmt.channels }];
  }

  async finish(): Promise<MonoBlock[]> {
    if (!this.fmt) {
      if (this.head.length >= 12) parseWavHeader(this.head, this.head.length); // throws the precise reason
      throw new AudioError('TRUNCATED', 'WAV file ends before its data chunk');
    }
    if (Number.isFinite(this.remaining) && this.remaining > 0 && !this.options.lenient) {
      throw this.truncated((this.declared ?? 0) - this.remaining);
    }
    if (this.frames === 0)
      throw new AudioError(
        'EMPTY_AUDIO',
        'WAV file has a data chunk with no complete sample frames',
      );
    return [];
  }

  free(): void {}
}

interface WasmDecoded {
  channelData: Float32Array[];
  samplesDecoded: number;
  sampleRate: number;
  errors: Array<{ message: string; frameNumber: number }>;
}

interface WasmImpl {
  ready: Promise<void>;
  decode(data: Uint8Array): WasmDecoded | Promise<WasmDecoded>;
  flush?: () => Promise<WasmDecoded>;
  free(): void;
}

const CODEC_NAMES: Record<Exclude<AudioFormat, 'wav'>, string> = {
  flac: 'FLAC',
  mp3: 'MP3',
  'ogg-vorbis': 'Ogg Vorbis',
  'ogg-opus': 'Ogg Opus',
};

async function createWasmImpl(format: Exclude<AudioFormat, 'wav'>): Promise<WasmImpl> {
  switch (format) {
    case 'flac': {
      const { FLACDecoder } = await import('@wasm-audio-decoders/flac');
      return new FLACDecoder() as unknown as WasmImpl;
    }
    case 'mp3': {
      const { MPEGDecoder } = await import('mpg123-decoder');
      return new MPEGDecoder({ enableGapless: true }) as unknown as WasmImpl;
    }
    case 'ogg-vorbis': {
      const { OggVorbisDecoder } = await import('@wasm-audio-decoders/ogg-vorbis');
      return new OggVorbisDecoder() as unknown as WasmImpl;
    }
    case 'ogg-opus': {
      const { OggOpusDecoder } = await import('ogg-opus-decoder');
      return new OggOpusDecoder() as unknown as WasmImpl;
    }
  }
}

/** Total samples promised by a FLAC STREAMINFO block (0 = unknown), or undefined if not in `head`. */
function flacDeclaredSamples(head: Uint8Array): number | undefined {
  for (let i = 0; i + 26 <= head.length && i < 1 << 20; i++) {
    if (head[i] === 0x66 && head[i + 1] === 0x4c && head[i + 2] === 0x61 && head[i + 3] === 0x43) {
      const si = i + 8; // 'fLaC', then a 4-byte metadata block header, then STREAMINFO
      const high = head[si + 13]! & 0x0f;
      const low =
        ((head[si + 14]! << 24) |
          (head[si + 15]! << 16) |
          (head[si + 16]! << 8) |
          head[si + 17]!) >>>
        0;
      return high * 2 ** 32 + low;
    }
  }
  return undefined;
}

/** Adapter over the @wasm-audio-decoders family, which all share one streaming interface. */
class WasmDecoder implements StreamDecoder {
  private decoded = 0;
  private declared: number | undefined;
  private started = false;

  private constructor(
    private readonly impl: WasmImpl,
    private readonly format: Exclude<AudioFormat, 'wav'>,
    private readonly options: DecoderOptions,
  ) {}

  static async create(
    format: Exclude<AudioFormat, 'wav'>,
    options: DecoderOptions,
  ): Promise<WasmDecoder> {
    const impl = await createWasmImpl(format);
    await impl.ready;
    return new WasmDecoder(impl, format, options);
  }

  expectedFrames(): number | undefined {
    // A compressed header's length claim cannot be checked against the file size.
    return undefined;
  }

  claimedFrames(): number | undefined {
    return this.declared || undefined;
  }

  async push(chunk: Uint8Array): Promise<MonoBlock[]> {
    if (!this.started && this.format === 'flac') this.declared = flacDeclaredSamples(chunk);
    this.started = true;
    return this.accept(await this.impl.decode(chunk));
  }

  async finish(): Promise<MonoBlock[]> {
    const blocks = this.impl.flush ? this.accept(await this.impl.flush()) : [];
    const name = CODEC_NAMES[this.format];
    if (this.declared && this.decoded < this.declared && !this.options.lenient) {
      throw new AudioError(
        'TRUNCATED',
        `${name} stream declares ${this.declared} samples but only ${this.decoded} decode; the file is truncated or corrupt (pass { lenient: true } to keep what decodes)`,
      );
    }
    if (this.decoded === 0) {
      throw new AudioError(
        'CORRUPT_DATA',
        `No audio could be decoded from this ${name} data; it is empty, truncated or corrupt`,
      );
    }
    return blocks;
  }

  private accept(r: WasmDecoded): MonoBlock[] {
    if (r.errors.length > 0 && !this.options.lenient) {
      const e = r.errors[0]!;
      throw new AudioError(
        'CORRUPT_DATA',
        `${CODEC_NAMES[this.format]} decoder failed at frame ${e.frameNumber}: ${e.message}; the file is corrupt (pass { lenient: true } to skip bad frames)`,
      );
    }
    const n = r.samplesDecoded;
    const ch = r.channelData.length;
    if (n === 0 || ch === 0) return [];
    this.decoded += n;
    let mono: Float32Array;
    if (ch === 1) mono = r.channelData[0]!.slice(0, n);
    else {
      mono = new Float32Array(n);
      for (const c of r.channelData) for (let i = 0; i < n; i++) mono[i]! += c[i]!;
      const inv = 1 / ch;
      for (let i = 0; i < n; i++) mono[i]! *= inv;
    }
    return [{ samples: mono, sampleRate: r.sampleRate, channels: ch }];
  }

  free(): void {
    this.impl.free();
  }
}

/** A streaming decoder for `format`. Compressed codecs load lazily, on first use. */
export async function createDecoder(
  format: AudioFormat,
  options: DecoderOptions,
): Promise<StreamDecoder> {
  if (format === 'wav') return new WavDecoder(options);
  try {
    return await WasmDecoder.create(format, options);
  } catch (err) {
    if (err instanceof AudioError) throw err;
    throw new AudioError(
      'UNSUPPORTED_CODEC',
      `Could not initialise the ${CODEC_NAMES[format]} decoder: ${String(err)}`,
      { cause: err },
    );
  }
}
