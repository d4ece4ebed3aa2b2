// createPipeline(): a model thread (worker_threads) that owns the model, and a small client on the
// caller's thread, so transcription never blocks the caller's event loop.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Engine, type EngineInput, type EngineOptions } from './engine';
import { deserializeError, TranscribeError, type SerializedError } from './errors';
import type {
  PipelineOptions,
  TranscribeInput,
  TranscribeOptions,
  TranscribeProgress,
  Transcription,
} from './types';

/** A loaded model ready to transcribe. Create with {@link createPipeline}; call {@link Pipeline.dispose} when done. */
export interface Pipeline {
  /**
   * Transcribes one clip of at most one model window (30 s).
   *
   * @throws {@link TranscribeError} `AUDIO_TOO_LONG` for longer audio, `INVALID_INPUT`, `ABORTED`, `DISPOSED`;
   *   audio, tokenizer and generation errors keep their own class name and `code`.
   */
  transcribe(input: TranscribeInput, options?: TranscribeOptions): Promise<Transcription>;
  /** Stops the model thread and frees the model. Pending requests fail with `DISPOSED`. */
  dispose(): Promise<void>;
}

type Reply =
  | { type: 'ready' }
  | { type: 'load-error'; error: SerializedError }
  | { type: 'progress'; id: number; progress: TranscribeProgress }
  | { type: 'result'; id: number; result: Transcription }
  | { type: 'error'; id: number; error: SerializedError };

function toEngineInput(input: TranscribeInput, options: TranscribeOptions): EngineInput {
  if (typeof input === 'string') return input;
  if (input instanceof URL) {
    if (input.protocol !== 'file:')
      throw new TranscribeError(
        'INVALID_INPUT',
        `only file: URLs can be read, got ${input.protocol}`,
      );
    return fileURLToPath(input);
  }
  if (input instanceof Float32Array)
    return { samples: input, sampleRate: options.sampleRate ?? 16000 };
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (
    typeof input === 'object' &&
    input !== null &&
    input.samples instanceof Float32Array &&
    typeof input.sampleRate === 'number'
  )
    return { samples: input.samples, sampleRate: input.sampleRate };
  throw new TranscribeError(
    'INVALID_INPUT',
    'input must be a path, file: URL, Buffer/Uint8Array/ArrayBuffer of an audio file, Float32Array samples or { samples, sampleRate }',
  );
}

function engineOptions(o: TranscribeOptions): EngineOptions {
  const { signal: _s, onProgress: _p, sampleRate: _r, ...rest } = o;
  return rest;
}

/** Worker entry next to this module: worker.js / worker.cjs when built, worker.ts from source (through tsx). */
function spawnWorker(modelDir: string, options: PipelineOptions, abortFlag: Int32Array): Worker {
  const here = import.meta.url;
  const ext = here.endsWith('.ts') ? '.ts' : here.endsWith('.cjs') ? '.cjs' : '.js';
  const entry = new URL(`./worker${ext}`, here);
  const workerData = { modelDir, options: { ...options, inline: undefined }, abortFlag };
  if (ext !== '.ts') return new Worker(entry, { workerData });
  // Running from TypeScript sources (tests, `--conditions=@distil-whisper/source`): load tsx first.
  const require = createRequire(here);
  const tsxDir = require.resolve('tsx/package.json').replace(/package\.json$/, '');
  const api = pathToFileURL(`${tsxDir}dist/esm/api/index.mjs`).href;
  const code = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, {
    eval: true,
    workerData,
    execArgv: ['--conditions=@distil-whisper/source'],
  });
}

/**
 * Loads a Whisper / Distil-Whisper checkpoint directory (config.json, model.safetensors,
 * tokenizer files, preprocessor_config.json) into a model thread.
 *
 * @example
 * ```ts
 * const asr = await createPipeline('./distil-small.en');
 * const { text, segments } = await asr.transcribe('speech.wav', { returnTimestamps: true });
 * await asr.dispose();
 * ```
 */
export async function createPipeline(
  modelDir: string,
  options: PipelineOptions = {},
): Promise<Pipeline> {
  if (!existsSync(modelDir))
    throw new TranscribeError('INVALID_INPUT', `model directory ${modelDir} does not exist`);
  if (options.inline) return inlinePipeline(await Engine.load(modelDir, options));
  const abortFlag = new Int32Array(new SharedArrayBuffer(4));
  const worker = spawnWorker(modelDir, options, abortFlag);
  const pending = new Map<
    number,
    {
      resolve: (t: Transcription) => void;
      reject: (e: Error) => void;
      onProgress?: ((p: TranscribeProgress) => void) | undefined;
      stack?: string | undefined;
    }
  >();
  let disposed = false;
  let nextId = 1;
  const failAll = (e: Error): void => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  await new Promise<void>((resolve, reject) => {
    const onMessage = (m: Reply): void => {
      if (m.type === 'ready') {
        worker.off('error', onError);
        resolve();
      } else if (m.type === 'load-error') {
        void worker.terminate();
        reject(deserializeError(m.error));
      }
    };
    const onError = (e: Error): void =>
      reject(
        new TranscribeError('WORKER_FAILED', `model thread failed to start: ${e.message}`, {
          cause: e,
        }),
      );
    worker.once('message', onMessage);
    worker.once('error', onError);
  });
  worker.on('message', (m: Reply) => {
    if (m.type === 'progress') pending.get(m.id)?.onProgress?.(m.progress);
    else if (m.type === 'result' || m.type === 'error') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.type === 'result') p.resolve(m.result);
      else p.reject(deserializeError(m.error, p.stack));
    }
  });
  worker.on('error', (e) =>
    failAll(
      new TranscribeError('WORKER_FAILED', `model thread crashed: ${e.message}`, { cause: e }),
    ),
  );
  worker.on('exit', (code) => {
    if (!disposed)
      failAll(new TranscribeError('WORKER_FAILED', `model thread exited with code ${code}`));
  });
  // The worker must not keep the process alive while idle.
  worker.unref();

  return {
    transcribe(input, opts = {}) {
      if (disposed)
        return Promise.reject(new TranscribeError('DISPOSED', 'this pipeline was disposed'));
      let engineInput: EngineInput;
      try {
        engineInput = toEngineInput(input, opts);
      } catch (e) {
        return Promise.reject(e);
      }
      if (opts.signal?.aborted)
        return Promise.reject(new TranscribeError('ABORTED', 'transcription was aborted'));
      const id = nextId++;
      const stack = new Error().stack;
      return new Promise<Transcription>((resolve, reject) => {
        worker.ref();
        const done = (): void => {
          if (pending.size === 0) worker.unref();
        };
        pending.set(id, {
          resolve: (t) => {
            resolve(t);
            done();
          },
          reject: (e) => {
            reject(e);
            done();
          },
          onProgress: opts.onProgress,
          stack,
        });
        opts.signal?.addEventListener(
          'abort',
          () => {
            Atomics.store(abortFlag, 0, id);
            worker.postMessage({ type: 'abort', id });
          },
          { once: true },
        );
        worker.postMessage({
          type: 'transcribe',
          id,
          input: engineInput,
          options: engineOptions(opts),
        });
      });
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      failAll(
        new TranscribeError('DISPOSED', 'the pipeline was disposed while this request was pending'),
      );
      await worker.terminate();
    },
  };
}

function inlinePipeline(engine: Engine): Pipeline {
  let disposed = false;
  return {
    async transcribe(input, opts = {}) {
      if (disposed) throw new TranscribeError('DISPOSED', 'this pipeline was disposed');
      return engine.transcribe(
        toEngineInput(input, opts),
        engineOptions(opts),
        (p) => opts.onProgress?.(p),
        opts.signal,
      );
    },
    async dispose() {
      if (!disposed) engine.dispose();
      disposed = true;
    },
  };
}
