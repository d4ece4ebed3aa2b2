import {
  flacDeclaredLength,
  mp3DeclaredLength,
  NEED_MORE,
  OggPageTracker,
  type DeclaredLength,
} from './declared-length.js';
import type { AudioFormat } from './detect.js';
import { AudioError, type AudioWarning } from './errors.js';
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
  /** Keep what decodes where a header's length is not met (warn instead of throwing). */
  readonly lenient: boolean;
  /** Throw where an MP3 / Ogg stream looks truncated (warn by default). */
  readonly strict: boolean;
  readonly warn: (warning: AudioWarning) => void;
}

/** How the caller can keep what decodes, named for the API and the CLI. */
const LENIENT_HINT = 'pass lenient: true (CLI: --lenient) to keep what decodes';

function seconds(frames: number, rate: number): string {
  return `${(frames / rate).toFixed(2)} s`;
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

  private truncatedText(have: number): string {
    const fmt = this.fmt!;
    const frames = (bytes: number): number => Math.floor(bytes / fmt.blockAlign);
    return `WAV header declares ${this.declared} data bytes (${seconds(frames(this.declared ?? 0), fmt.sampleRate)}) but only ${have} are present (${seconds(frames(have), fmt.sampleRate)}); the file is truncated or its header lies`;
  }

  private truncated(have: number): AudioError {
    return new AudioError('TRUNCATED', `${this.truncatedText(have)} (${LENIENT_HINT})`);
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
    if (Number.isFinite(this.remaining) && this.remaining > 0) {
      const have = (this.declared ?? 0) - this.remaining;
      if (!this.options.lenient) throw this.truncated(have);
      const fmt = this.fmt;
      this.options.warn({
        code: 'TRUNCATED',
        message: `${this.truncatedText(have)}; kept what decoded (lenient)`,
        decodedSeconds: this.frames / fmt.sampleRate,
        expectedSeconds: Math.floor((this.declared ?? 0) / fmt.blockAlign) / fmt.sampleRate,
      });
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

/** Bytes of an MP3's start kept while looking for its Xing/Info frame (past a cover-art tag). */
const MP3_HEAD_LIMIT = 4 << 20;

/** Adapter over the @wasm-audio-decoders family, which all share one streaming interface. */
class WasmDecoder implements StreamDecoder {
  private decoded = 0;
  private rate = 0;
  /** Length the header declares (FLAC STREAMINFO, MP3 Xing/Info/VBRI), once known. */
  private declared: DeclaredLength | undefined;
  private started = false;
  /** MP3 bytes seen so far while the Xing/Info frame is looked for; null once decided. */
  private mp3Head: Uint8Array | null;
  private readonly ogg: OggPageTracker | null;

  private constructor(
    private readonly impl: WasmImpl,
    private readonly format: Exclude<AudioFormat, 'wav'>,
    private readonly options: DecoderOptions,
  ) {
    this.mp3Head = format === 'mp3' ? new Uint8Array(0) : null;
    this.ogg = format === 'ogg-vorbis' || format === 'ogg-opus' ? new OggPageTracker() : null;
  }

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
    return this.declared?.frames;
  }

  async push(chunk: Uint8Array): Promise<MonoBlock[]> {
    if (!this.started && this.format === 'flac') this.declared = flacDeclaredLength(chunk);
    this.started = true;
    if (this.mp3Head) this.lookForMp3Length(chunk);
    this.ogg?.push(chunk);
    return this.accept(await this.guarded(() => this.impl.decode(chunk)));
  }

  /**
   * A codec call whose failures are ours to type: the WebAssembly codecs trap (`RuntimeError:
   * memory access out of bounds`, `unreachable`) or throw plain errors on some corrupt streams.
   */
  private async guarded<T>(call: () => T | Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (e instanceof AudioError) throw e;
      throw new AudioError(
        'CORRUPT_DATA',
        `${CODEC_NAMES[this.format]} decoder failed on this data (${e instanceof Error ? e.message : String(e)}); the file is corrupt`,
        { cause: e },
      );
    }
  }

  private lookForMp3Length(chunk: Uint8Array): void {
    const head = new Uint8Array(this.mp3Head!.length + chunk.length);
    head.set(this.mp3Head!);
    head.set(chunk, this.mp3Head!.length);
    const found = mp3DeclaredLength(head);
    if (found !== NEED_MORE) {
      this.declared = found;
      this.mp3Head = null;
    } else this.mp3Head = head.length > MP3_HEAD_LIMIT ? null : head;
  }

  async finish(): Promise<MonoBlock[]> {
    const flush = this.impl.flush?.bind(this.impl);
    const blocks = flush ? this.accept(await this.guarded(flush)) : [];
    const name = CODEC_NAMES[this.format];
    const declared = this.declared;
    if (this.format === 'flac' && declared && this.decoded < declared.frames) {
      const text = `${name} stream declares ${declared.frames} samples (${seconds(declared.frames, declared.sampleRate)}) but only ${this.decoded} decode (${seconds(this.decoded, declared.sampleRate)}); the file is truncated or corrupt`;
      if (!this.options.lenient) throw new AudioError('TRUNCATED', `${text} (${LENIENT_HINT})`);
      // Nothing decoded: CORRUPT_DATA below says so; a warning first would only repeat it.
      if (this.decoded > 0) this.warnTruncated(`${text}; kept what decoded (lenient)`, declared);
    }
    if (this.decoded === 0) {
      throw new AudioError(
        'CORRUPT_DATA',
        `No audio could be decoded from this ${name} data; it is empty, truncated or corrupt`,
      );
    }
    if (this.format === 'mp3' && declared && this.decoded + declared.tolerance < declared.frames) {
      this.truncatedStream(
        `its Xing/Info header declares ${seconds(declared.frames, declared.sampleRate)} but only ${seconds(this.decoded, this.rate)} decode`,
        declared,
      );
    }
    const incomplete = this.ogg?.incomplete();
    if (incomplete)
      this.truncatedStream(`${incomplete}; ${seconds(this.decoded, this.rate)} decoded`);
    return blocks;
  }

  /** An MP3 / Ogg stream that looks cut short: a warning, or `TRUNCATED` when strict. */
  private truncatedStream(what: string, declared?: DeclaredLength): void {
    const name = CODEC_NAMES[this.format];
    const text = `${name} stream looks truncated: ${what}`;
    if (this.options.strict)
      throw new AudioError(
        'TRUNCATED',
        `${text} (strict; without strict: true — CLI: --strict — this is a warning and what decodes is kept)`,
      );
    this.warnTruncated(
      `${text}; only what decoded is returned (strict: true, CLI --strict, makes this an error)`,
      declared,
    );
  }

  private warnTruncated(message: string, declared: DeclaredLength | undefined): void {
    this.options.warn({
      code: 'TRUNCATED',
      message,
      decodedSeconds: this.rate > 0 ? this.decoded / this.rate : 0,
      ...(declared ? { expectedSeconds: declared.frames / declared.sampleRate } : {}),
    });
  }

  private accept(r: WasmDecoded): MonoBlock[] {
    if (r.errors.length > 0 && !this.options.lenient) {
      const e = r.errors[0]!;
      throw new AudioError(
        'CORRUPT_DATA',
        `${CODEC_NAMES[this.format]} decoder failed at frame ${e.frameNumber}: ${e.message}; the file is corrupt (pass lenient: true — CLI: --lenient — to skip bad frames)`,
      );
    }
    const ch = r.channelData.length;
    const n = r.samplesDecoded;
    if (n === 0 || ch === 0) return [];
    // A codec fed a corrupt stream can report a count its buffers do not hold (negative, say).
    const held = Math.min(...r.channelData.map((c) => c.length));
    if (!Number.isInteger(n) || n < 0 || n > held) {
      if (this.options.lenient) return [];
      throw new AudioError(
        'CORRUPT_DATA',
        `${CODEC_NAMES[this.format]} decoder reported ${n} samples for buffers of ${held}; the file is corrupt (pass lenient: true — CLI: --lenient — to skip bad frames)`,
      );
    }
    this.decoded += n;
    this.rate = r.sampleRate;
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
    try {
      this.impl.free();
    } catch {
      // A codec that trapped may fail to free too; its instance is dropped either way.
    }
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
