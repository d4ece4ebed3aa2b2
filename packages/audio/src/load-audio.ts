import { open, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { declaredSeconds } from './declared-length.js';
import { createDecoder, type StreamDecoder } from './decoders.js';
import { detectFormat, sniffBytesNeeded, type AudioFormat } from './detect.js';
import { AudioError, checkFinite, checkSampleRate, describe, type AudioWarning } from './errors.js';
import { Resampler, type ResampleOptions } from './resample.js';

/** Already-decoded audio: one mono array, or one array per channel (averaged to mono). */
export interface RawAudio {
  readonly samples: Float32Array | readonly Float32Array[];
  readonly sampleRate: number;
}

/**
 * What {@link loadAudio} accepts: a file path or `file:` URL; the bytes of a WAV, FLAC, MP3,
 * Ogg Vorbis or Ogg Opus file (Buffer, Uint8Array, ArrayBuffer); an async iterable of byte chunks
 * (e.g. `fs.createReadStream(...)` or a fetch body); or {@link RawAudio} samples.
 */
export type AudioSource =
  string | URL | Uint8Array | ArrayBuffer | AsyncIterable<Uint8Array> | RawAudio;

/** What was decoded, reported once through `onInfo` before the first samples. */
export interface AudioInfo {
  readonly format: AudioFormat | 'raw';
  /** Native sample rate of the source, in Hz. */
  readonly sampleRate: number;
  /** Channels in the source (mixed down to mono by averaging). Mono MP3 reports 2: the decoder duplicates it. */
  readonly channels: number;
}

/** Options for {@link loadAudio} and {@link streamAudio}. */
export interface LoadAudioOptions {
  /** Output sample rate in Hz. Default 16000 (what every Whisper checkpoint expects). */
  sampleRate?: number;
  /** Resampler filter design; defaults follow ffmpeg's swresample. */
  resampler?: ResampleOptions;
  /**
   * Decode what can be decoded instead of failing: a truncated WAV/FLAC or a WAV whose data size
   * lies returns the samples present (with a `TRUNCATED` warning naming both durations);
   * undecodable codec frames are skipped. Default false.
   */
  lenient?: boolean;
  /**
   * Treat signs of truncation that are only warnings by default as errors (`TRUNCATED`): an MP3
   * that decodes shorter than its Xing/Info/VBRI header declares, an Ogg stream that ends inside
   * a page or without its end-of-stream page. Default false: those warn through `onWarning` and
   * the samples that decoded are returned (tools that edit MP3s can leave a stale frame count,
   * live Ogg captures have no last page). Cannot be combined with `lenient`.
   */
  strict?: boolean;
  /**
   * Receives what decoded but not as the file promised (see {@link AudioWarning}). Default:
   * `process.emitWarning` (code `DW_AUDIO_TRUNCATED`), printed by Node on stderr.
   */
  onWarning?: (warning: AudioWarning) => void;
  /**
   * Fail with `TOO_LONG` as soon as the audio is known to be longer than this: from the header,
   * before anything is decoded, where the file declares its length (WAV, FLAC STREAMINFO, an
   * MP3's Xing/Info/VBRI frame); else as soon as the decoded samples pass it. Default: no limit.
   */
  maxDurationSeconds?: number;
  /** Bytes read per chunk from files and byte arrays. Default 1 MiB. */
  chunkBytes?: number;
  /** Cancels decoding; the promise rejects with `ABORTED`. */
  signal?: AbortSignal;
  /** Called once with the source's format, native rate and channel count. */
  onInfo?: (info: AudioInfo) => void;
}

const DEFAULT_CHUNK = 1 << 20;

function isRaw(source: AudioSource): source is RawAudio {
  return (
    typeof source === 'object' && source !== null && 'sampleRate' in source && 'samples' in source
  );
}

function isAsyncIterable(x: unknown): x is AsyncIterable<Uint8Array> {
  return typeof x === 'object' && x !== null && Symbol.asyncIterator in x;
}

interface ByteSource {
  chunks: AsyncIterable<Uint8Array>;
  size: number | undefined;
}

async function openSource(
  source: Exclude<AudioSource, RawAudio>,
  chunkBytes: number,
): Promise<ByteSource> {
  if (typeof source === 'string' || source instanceof URL) {
    const path = source instanceof URL ? fileURLToPath(source) : source;
    let size: number;
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new AudioError('IO_ERROR', `${path} is not a regular file`);
      size = st.size;
    } catch (err) {
      if (err instanceof AudioError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new AudioError(
        'IO_ERROR',
        `Cannot read audio file ${path}: ${code === 'ENOENT' ? 'no such file' : String(err)}`,
        { cause: err },
      );
    }
    return { chunks: readFileChunks(path, chunkBytes), size };
  }
  if (source instanceof ArrayBuffer) source = new Uint8Array(source);
  if (source instanceof Uint8Array) {
    const bytes = source;
    return {
      size: bytes.length,
      chunks: (async function* () {
        for (let i = 0; i < bytes.length; i += chunkBytes) yield bytes.subarray(i, i + chunkBytes);
      })(),
    };
  }
  if (isAsyncIterable(source)) {
    const it = source;
    return {
      size: undefined,
      chunks: (async function* () {
        for await (const chunk of it) {
          if (!(chunk instanceof Uint8Array)) {
            throw new AudioError(
              'INVALID_ARGUMENT',
              `Expected the stream to yield Uint8Array/Buffer chunks but got ${describe(chunk)}`,
            );
          }
          yield chunk;
        }
      })(),
    };
  }
  throw new AudioError(
    'INVALID_ARGUMENT',
    `Expected a path, URL, Uint8Array, ArrayBuffer, async iterable of bytes or { samples, sampleRate } but received ${describe(source)}`,
  );
}

async function* readFileChunks(path: string, chunkBytes: number): AsyncGenerator<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new AudioError('IO_ERROR', `Cannot open audio file ${path}: ${String(err)}`, {
      cause: err,
    });
  }
  try {
    for (;;) {
      // A fresh buffer per read: decoders may keep references to earlier chunks.
      const buf = new Uint8Array(chunkBytes);
      const { bytesRead } = await handle.read(buf, 0, chunkBytes, null);
      if (bytesRead === 0) return;
      yield bytesRead === chunkBytes ? buf : buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function mixRaw(raw: RawAudio): Float32Array {
  const { samples } = raw;
  if (samples instanceof Float32Array) {
    checkFinite(samples, 'Audio');
    return samples;
  }
  if (
    !Array.isArray(samples) ||
    samples.length === 0 ||
    !samples.every((c) => c instanceof Float32Array)
  ) {
    throw new AudioError(
      'INVALID_ARGUMENT',
      `Expected samples to be a Float32Array or a non-empty array of Float32Array channels but received ${describe(samples)}`,
    );
  }
  const n = samples[0]!.length;
  if (!samples.every((c) => c.length === n)) {
    throw new AudioError(
      'INVALID_ARGUMENT',
      `All channels must have the same length; got ${samples.map((c) => c.length).join(', ')}`,
    );
  }
  if (samples.length === 1) {
    checkFinite(samples[0]!, 'Audio');
    return samples[0]!;
  }
  const mono = new Float32Array(n);
  for (const c of samples) {
    checkFinite(c, 'Audio');
    for (let i = 0; i < n; i++) mono[i]! += c[i]!;
  }
  for (let i = 0; i < n; i++) mono[i]! /= samples.length;
  return mono;
}

interface Hooks {
  /** Output samples the source is expected to produce, once known (a capacity hint). */
  expected?: (samples: number) => void;
}

function checkOptions(options: LoadAudioOptions): {
  target: number;
  chunkBytes: number;
  maxSeconds: number;
} {
  const target = checkSampleRate(options.sampleRate ?? 16000, 'options.sampleRate');
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1024 || chunkBytes > 1 << 28) {
    throw new AudioError(
      'INVALID_ARGUMENT',
      `Expected chunkBytes to be an integer in 1024..${1 << 28} but received ${describe(chunkBytes)}`,
    );
  }
  const maxSeconds = options.maxDurationSeconds ?? Infinity;
  if (!(maxSeconds > 0)) {
    throw new AudioError(
      'INVALID_ARGUMENT',
      `Expected maxDurationSeconds to be positive but received ${describe(maxSeconds)}`,
    );
  }
  if (options.strict === true && options.lenient === true)
    throw new AudioError(
      'INVALID_ARGUMENT',
      'strict and lenient contradict each other: strict turns truncation warnings into errors, lenient keeps what decodes; pass one',
    );
  return { target, chunkBytes, maxSeconds };
}

/** Default warning sink: Node's process warnings (stderr), else the console. */
function emitAudioWarning(warning: AudioWarning): void {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: object) => void } })
    .process;
  if (proc?.emitWarning) proc.emitWarning(warning.message, { code: 'DW_AUDIO_TRUNCATED' });
  else console.warn(warning.message);
}

async function* pipeline(
  source: AudioSource,
  options: LoadAudioOptions,
  hooks: Hooks,
): AsyncGenerator<Float32Array> {
  const { target, chunkBytes, maxSeconds } = checkOptions(options);
  const signal = options.signal;
  const checkAbort = (): void => {
    if (signal?.aborted)
      throw new AudioError('ABORTED', 'Audio decoding was aborted', { cause: signal.reason });
  };
  checkAbort();
  const tooLong = (seconds: number, fromHeader = false): AudioError =>
    new AudioError(
      'TOO_LONG',
      `Audio is ${seconds.toFixed(1)} s long${fromHeader ? ' (its header says so; nothing was decoded)' : ''}, over maxDurationSeconds ${maxSeconds}`,
    );

  if (isRaw(source)) {
    const rate = checkSampleRate(source.sampleRate, 'the raw audio sample rate');
    const mono = mixRaw(source);
    if (mono.length === 0) throw new AudioError('EMPTY_AUDIO', 'Raw audio has zero samples');
    if (mono.length / rate > maxSeconds) throw tooLong(mono.length / rate);
    const channels = Array.isArray(source.samples) ? source.samples.length : 1;
    options.onInfo?.({ format: 'raw', sampleRate: rate, channels });
    if (rate === target) {
      yield mono;
      return;
    }
    const rs = new Resampler(rate, target, options.resampler);
    hooks.expected?.(rs.outputLength(mono.length));
    yield rs.process(mono);
    yield rs.flush();
    return;
  }

  const { chunks, size } = await openSource(source, chunkBytes);
  const iterator = chunks[Symbol.asyncIterator]();
  let decoder: StreamDecoder | undefined;
  let resampler: Resampler | undefined;
  let rate = 0;
  let inputFrames = 0;
  try {
    // Sniff the container from the first bytes.
    let head = new Uint8Array(0);
    let format: AudioFormat | undefined;
    let done = false;
    while (format === undefined) {
      const next = await iterator.next();
      done = next.done === true;
      if (!done) {
        const merged = new Uint8Array(head.length + next.value.length);
        merged.set(head);
        merged.set(next.value, head.length);
        head = merged;
      }
      format = detectFormat(
        head,
        done ||
          head.length >= sniffBytesNeeded(head) ||
          (size !== undefined && head.length >= size),
      );
    }
    if (Number.isFinite(maxSeconds)) {
      const declared = declaredSeconds(format, head, size);
      if (declared !== undefined && declared > maxSeconds) throw tooLong(declared, true);
    }
    decoder = await createDecoder(format, {
      fileSize: size,
      lenient: options.lenient ?? false,
      strict: options.strict ?? false,
      warn: options.onWarning ?? emitAudioWarning,
    });
    const dec = decoder;

    const emit = function* (
      blocks: Array<{ samples: Float32Array; sampleRate: number; channels: number }>,
    ): Generator<Float32Array> {
      for (const block of blocks) {
        if (!resampler) {
          rate = checkSampleRate(block.sampleRate, `the ${format} sample rate`);
          options.onInfo?.({ format: format!, sampleRate: rate, channels: block.channels });
          resampler = new Resampler(rate, target, options.resampler);
          const claimed = dec.claimedFrames();
          if (claimed !== undefined && claimed / rate > maxSeconds) throw tooLong(claimed / rate);
          const expected = dec.expectedFrames();
          if (expected !== undefined) hooks.expected?.(resampler.outputLength(expected));
        } else if (block.sampleRate !== rate) {
          throw new AudioError(
            'CORRUPT_DATA',
            `Sample rate changes mid-stream (${rate} → ${block.sampleRate} Hz); split the file first`,
          );
        }
        inputFrames += block.samples.length;
        if (inputFrames / rate > maxSeconds) throw tooLong(inputFrames / rate);
        const out = resampler.process(block.samples);
        if (out.length > 0) yield out;
      }
    };

    yield* emit(await dec.push(head));
    if (!done) {
      for (;;) {
        checkAbort();
        const next = await iterator.next();
        if (next.done) break;
        yield* emit(await dec.push(next.value));
      }
    }
    yield* emit(await dec.finish());
    if (!resampler) throw new AudioError('EMPTY_AUDIO', `The ${format} data holds no samples`);
    const tail = resampler.flush();
    if (tail.length > 0) yield tail;
  } finally {
    decoder?.free();
    await iterator.return?.();
  }
}

/**
 * Decodes audio to mono samples at `sampleRate` (16 kHz by default), chunk by chunk: the full
 * input is never held in memory, only the output. Channels are averaged; resampling is a
 * band-limited windowed sinc (see {@link Resampler}). WAV 16-bit PCM becomes `int16 / 32768`,
 * exactly as Whisper's ffmpeg-based loader produces. Raw mono input already at `sampleRate` is
 * returned as is (same array, no copy).
 *
 * A file shorter than its header declares: WAV and FLAC throw `TRUNCATED` (`lenient` keeps what
 * decodes, with a warning); MP3 (Xing/Info/VBRI frame count) and Ogg (no end-of-stream page)
 * warn through `onWarning` with the decoded and expected durations (`strict` makes them throw).
 *
 * @throws AudioError with `code` `UNSUPPORTED_FORMAT`, `UNSUPPORTED_CODEC`, `CORRUPT_DATA`,
 *   `TRUNCATED`, `EMPTY_AUDIO`, `NON_FINITE_SAMPLES`, `INVALID_SAMPLE_RATE`, `TOO_LONG`,
 *   `IO_ERROR`, `INVALID_ARGUMENT` or `ABORTED`.
 *
 * @example
 * ```ts
 * import { loadAudio, logMelSpectrogram } from '@distil-whisper/audio';
 * const audio = await loadAudio('interview.flac');          // Float32Array, 16 kHz mono
 * const clip = await loadAudio(buffer, { sampleRate: 8000 }); // bytes of any supported file
 * const raw = await loadAudio({ samples: [left, right], sampleRate: 48000 });
 * ```
 */
export async function loadAudio(
  source: AudioSource,
  options: LoadAudioOptions = {},
): Promise<Float32Array> {
  let out = new Float32Array(0);
  let length = 0;
  let hinted = false;
  const hooks: Hooks = {
    expected: (n) => {
      // One exact allocation when the header tells the length (WAV, FLAC, raw input).
      if (!hinted && length === 0) out = new Float32Array(n);
      hinted = true;
    },
  };
  for await (const chunk of pipeline(source, options, hooks)) {
    if (length === 0 && !hinted && out.length === 0 && isRaw(source)) return chunk;
    if (length + chunk.length > out.length) {
      const grown = new Float32Array(
        Math.max(length + chunk.length, Math.ceil(out.length * 1.5), 1 << 16),
      );
      grown.set(out.subarray(0, length));
      out = grown;
    }
    out.set(chunk, length);
    length += chunk.length;
  }
  if (length === 0) throw new AudioError('EMPTY_AUDIO', 'The audio decoded to zero samples');
  return length === out.length ? out : out.subarray(0, length);
}

/**
 * Like {@link loadAudio} but yields the mono output in chunks as it decodes, so hours of audio
 * can be processed with bounded memory (about one input chunk plus one output chunk at a time).
 *
 * @example
 * ```ts
 * let seconds = 0;
 * for await (const chunk of streamAudio(createReadStream('podcast.mp3'))) seconds += chunk.length / 16000;
 * ```
 */
export async function* streamAudio(
  source: AudioSource,
  options: LoadAudioOptions = {},
): AsyncGenerator<Float32Array, void, undefined> {
  yield* pipeline(source, options, {});
}
