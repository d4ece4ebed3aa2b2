// createPipeline(): a model thread (worker_threads) that owns the model, and a small client on the
// caller's thread, so transcription never blocks the caller's event loop.
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Engine, type EngineInput, type EngineOptions } from './engine';
import { deserializeError, TranscribeError, type SerializedError } from './errors';
import { spoolStream, type Spooled } from './spool';
import type {
  PipelineOptions,
  TranscribeInput,
  TranscribeManyOptions,
  TranscribeOptions,
  TranscribeOutcome,
  TranscribeProgress,
  Transcription,
} from './types';

/** A loaded model ready to transcribe. Create with {@link createPipeline}; call {@link Pipeline.dispose} when done. */
export interface Pipeline {
  /**
   * Transcribes one recording of any length: audio of at most one model window (30 s) in one
   * window, longer audio by the long-form algorithm of `options.longForm` (sequential by default,
   * or chunked), decoded and resampled as a stream (memory does not grow with the length).
   *
   * @throws {@link TranscribeError} `INVALID_INPUT`, `ABORTED`, `DISPOSED`, `WORKER_FAILED`;
   *   audio, tokenizer and generation errors keep their own class name and `code`.
   * @example
   * ```ts
   * const talk = await asr.transcribe('talk.mp3', { longForm: 'chunked', batchSize: 8 });
   * ```
   */
  transcribe(input: TranscribeInput, options?: TranscribeOptions): Promise<Transcription>;
  /**
   * Transcribes several recordings with the same options, sharing batches between them (chunks
   * of all recordings, or recordings' windows). Never rejects for one recording: each outcome
   * (result or error) is returned in input order, and given to `onResult` as it completes.
   *
   * @throws {@link TranscribeError} for the request as a whole (`INVALID_INPUT` options, `ABORTED`, `DISPOSED`)
   * @example
   * ```ts
   * const outcomes = await asr.transcribeMany(['a.wav', 'b.flac'], { longForm: 'chunked', batchSize: 8 });
   * for (const o of outcomes) console.log(o.ok ? o.result.text : o.error.message);
   * ```
   */
  transcribeMany(
    inputs: readonly TranscribeInput[],
    options?: TranscribeManyOptions,
  ): Promise<TranscribeOutcome[]>;
  /**
   * Stops the model thread (or, inline, the engine) and frees the model. Pending requests fail
   * with `DISPOSED` at once; running native work is cancelled at its next decoder step, or
   * awaited, before anything is freed, so calling this mid-transcription (or more than once) is
   * safe. Resolves when the model is freed.
   */
  dispose(): Promise<void>;
}

type Reply =
  | { type: 'ready' }
  | { type: 'load-error'; error: SerializedError }
  | { type: 'progress'; id: number; progress: TranscribeProgress }
  | { type: 'file'; id: number; index: number; result?: Transcription; error?: SerializedError }
  | { type: 'result'; id: number }
  | { type: 'error'; id: number; error: SerializedError };

function isAsyncIterable(x: unknown): x is AsyncIterable<Uint8Array> {
  return typeof x === 'object' && x !== null && Symbol.asyncIterator in x;
}

/** The engine's form of an input; streams are copied to a temporary file (long-form reads twice). */
async function toEngineInput(
  input: TranscribeInput,
  options: TranscribeOptions,
  spooled: Spooled[],
  signal: AbortSignal,
): Promise<EngineInput> {
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
  if (isAsyncIterable(input)) {
    const s = await spoolStream(input, signal);
    spooled.push(s);
    return s.path;
  }
  if (
    typeof input === 'object' &&
    input !== null &&
    input.samples instanceof Float32Array &&
    typeof input.sampleRate === 'number'
  )
    return { samples: input.samples, sampleRate: input.sampleRate };
  throw new TranscribeError(
    'INVALID_INPUT',
    'input must be a path, file: URL, Buffer/Uint8Array/ArrayBuffer of an audio file, a stream of its bytes, Float32Array samples or { samples, sampleRate }',
  );
}

function engineOptions(o: TranscribeManyOptions): EngineOptions {
  const { signal: _s, onProgress: _p, sampleRate: _r, onResult: _o, ...rest } = o;
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
 * One request's stop switch: the caller's signal joined with the pipeline's own reasons to stop
 * (dispose, a callback that threw). The first reason wins and is what the request rejects with.
 */
class RequestControl {
  readonly #own = new AbortController();
  readonly #user: AbortSignal | undefined;
  /** Fires when the caller aborts or the pipeline stops the request; given to the engine. */
  readonly signal: AbortSignal;
  #reason: TranscribeError | undefined;

  constructor(user: AbortSignal | undefined) {
    this.#user = user;
    this.signal = user ? AbortSignal.any([user, this.#own.signal]) : this.#own.signal;
  }

  /** Why the pipeline stopped the request, if it did. */
  get reason(): TranscribeError | undefined {
    return this.#reason;
  }

  /** Stops the request with `reason`, unless it has already stopped (the caller's abort wins). */
  stop(reason: TranscribeError): void {
    if (this.#reason || this.#user?.aborted) return;
    this.#reason = reason;
    this.#own.abort(reason);
  }

  /**
   * `fn` isolated: a throw stops the request with `CALLBACK_FAILED` (the thrown value as cause)
   * instead of escaping into the model thread's message handler or the engine's loop; once
   * stopped, no further calls are made.
   */
  guard<A extends unknown[]>(
    name: string,
    fn: ((...args: A) => void) | undefined,
  ): (...args: A) => void {
    return (...args) => {
      if (!fn || this.#reason) return;
      try {
        fn(...args);
      } catch (e) {
        this.stop(
          new TranscribeError(
            'CALLBACK_FAILED',
            `the ${name} callback threw (${e instanceof Error ? e.message : String(e)}); the request was stopped`,
            { cause: e },
          ),
        );
      }
    };
  }
}

/** An input that could not be prepared, as that input's error (named by index in a batch). */
function inputError(e: unknown, index: number, count: number): Error {
  const at = count > 1 ? `input ${index}: ` : '';
  if (e instanceof TranscribeError)
    return at ? new TranscribeError(e.code, `${at}${e.message}`, { cause: e }) : e;
  const message = e instanceof Error ? e.message : String(e);
  return new TranscribeError('INVALID_INPUT', `${at}could not read the input: ${message}`, {
    cause: e,
  });
}

/**
 * Runs one request: inputs prepared (one that cannot be is that input's failed outcome; the
 * others go on), outcomes collected in input order, callbacks isolated, temporaries removed.
 */
async function runRequest(
  inputs: readonly TranscribeInput[],
  options: TranscribeManyOptions,
  control: RequestControl,
  send: (
    engineInputs: EngineInput[],
    onOutcome: (index: number, outcome: TranscribeOutcome) => void,
  ) => Promise<void>,
): Promise<TranscribeOutcome[]> {
  if (options.signal?.aborted) throw new TranscribeError('ABORTED', 'transcription was aborted');
  const spooled: Spooled[] = [];
  const outcomes: TranscribeOutcome[] = new Array<TranscribeOutcome>(inputs.length);
  const onResult = control.guard('onResult', options.onResult);
  const report = (index: number, outcome: TranscribeOutcome): void => {
    outcomes[index] = outcome;
    onResult(index, outcome);
  };
  try {
    const engineInputs: EngineInput[] = [];
    const inputIndex: number[] = [];
    for (const [i, input] of inputs.entries()) {
      try {
        engineInputs.push(await toEngineInput(input, options, spooled, control.signal));
        inputIndex.push(i);
      } catch (e) {
        if (control.signal.aborted) throw e;
        report(i, { ok: false, error: inputError(e, i, inputs.length) });
      }
    }
    if (engineInputs.length > 0)
      await send(engineInputs, (k, outcome) => report(inputIndex[k] as number, outcome));
  } catch (e) {
    throw control.reason ?? e;
  } finally {
    for (const s of spooled) await s.remove();
  }
  if (control.reason) throw control.reason;
  return outcomes;
}

/** The first outcome of a one-input request, as a result or a thrown error. */
function single(outcomes: TranscribeOutcome[]): Transcription {
  const o = outcomes[0];
  if (!o) throw new TranscribeError('WORKER_FAILED', 'transcription returned no result');
  if (!o.ok) throw o.error;
  return o.result;
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
  interface Pending {
    resolve: () => void;
    reject: (e: Error) => void;
    control: RequestControl;
    onProgress: (p: TranscribeProgress) => void;
    onOutcome: (index: number, outcome: TranscribeOutcome) => void;
    stack?: string | undefined;
  }
  const pending = new Map<number, Pending>();
  let disposed = false;
  let exited = false;
  let closing: Promise<void> | undefined;
  let nextId = 1;
  const failAll = (e: Error): void => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  worker.on('exit', () => (exited = true));
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
    if (m.type === 'progress') pending.get(m.id)?.onProgress(m.progress);
    else if (m.type === 'file') {
      const p = pending.get(m.id);
      if (!p) return;
      p.onOutcome(
        m.index,
        m.result
          ? { ok: true, result: m.result }
          : {
              ok: false,
              error: deserializeError(
                m.error ?? { name: 'Error', message: 'unknown failure' },
                p.stack,
              ),
            },
      );
    } else if (m.type === 'result' || m.type === 'error') {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      if (m.type === 'result') p.resolve();
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

  const request = (
    inputs: readonly TranscribeInput[],
    opts: TranscribeManyOptions,
  ): Promise<TranscribeOutcome[]> => {
    if (disposed)
      return Promise.reject(new TranscribeError('DISPOSED', 'this pipeline was disposed'));
    const stack = new Error().stack;
    const control = new RequestControl(opts.signal);
    return runRequest(inputs, opts, control, (engineInputs, onOutcome) => {
      if (disposed)
        return Promise.reject(new TranscribeError('DISPOSED', 'this pipeline was disposed'));
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        worker.ref();
        const done = (): void => {
          if (pending.size === 0 && !closing) worker.unref();
        };
        pending.set(id, {
          resolve: () => {
            resolve();
            done();
          },
          reject: (e) => {
            reject(e);
            done();
          },
          control,
          onProgress: control.guard('onProgress', opts.onProgress),
          onOutcome,
          stack,
        });
        // Both channels: the flag is read between decoder steps even if the thread is busy,
        // the message lands at the thread's next return to its event loop.
        const abort = (): void => {
          Atomics.store(abortFlag, 0, id);
          worker.postMessage({ type: 'abort', id });
          // Stopped by the pipeline (a callback threw): settle now; the thread's reply is ignored.
          const p = pending.get(id);
          if (p && control.reason) {
            pending.delete(id);
            p.reject(control.reason);
          }
        };
        if (control.signal.aborted) abort();
        else control.signal.addEventListener('abort', abort, { once: true });
        worker.postMessage({
          type: 'transcribe',
          id,
          inputs: engineInputs,
          options: engineOptions(opts),
        });
      });
    });
  };

  /**
   * Stops the model thread cleanly: running work is aborted (its requests have already failed
   * with DISPOSED) and the thread frees the model and exits once its current kernel call has
   * returned. Terminated only if it has not exited after `disposeGraceMs`.
   */
  const shutDown = async (): Promise<void> => {
    if (exited) return;
    // Keep the process alive until the thread is gone, so no kernel call is cut short by exit.
    worker.ref();
    const gone = once(worker, 'exit').then(() => undefined);
    Atomics.store(abortFlag, 0, ABORT_ALL);
    worker.postMessage({ type: 'dispose' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), disposeGraceMs);
    });
    try {
      if ((await Promise.race([gone, late])) === 'late') await worker.terminate();
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async transcribe(input, opts = {}) {
      return single(await request([input], opts));
    },
    transcribeMany: (inputs, opts = {}) => request(inputs, opts),
    dispose() {
      if (!closing) {
        disposed = true;
        const reason = new TranscribeError(
          'DISPOSED',
          'the pipeline was disposed while this request was pending',
        );
        for (const p of pending.values()) p.control.stop(reason);
        failAll(reason);
        closing = shutDown();
      }
      return closing;
    },
  };
}

/** Value of the abort flag that stops every request (dispose). */
const ABORT_ALL = -1;
/** How long dispose() waits for the model thread to finish its current kernel call and exit. */
const disposeGraceMs = 30_000;

function inlinePipeline(engine: Engine): Pipeline {
  let disposed = false;
  let closing: Promise<void> | undefined;
  const running = new Set<{ control: RequestControl; done: Promise<unknown> }>();
  const request = (
    inputs: readonly TranscribeInput[],
    opts: TranscribeManyOptions,
  ): Promise<TranscribeOutcome[]> => {
    if (disposed)
      return Promise.reject(new TranscribeError('DISPOSED', 'this pipeline was disposed'));
    const control = new RequestControl(opts.signal);
    const done = runRequest(inputs, opts, control, (engineInputs, onOutcome) =>
      engine.transcribeMany(
        engineInputs,
        engineOptions(opts),
        control.guard('onProgress', opts.onProgress),
        onOutcome,
        control.signal,
      ),
    );
    const entry = { control, done };
    running.add(entry);
    const remove = (): void => void running.delete(entry);
    done.then(remove, remove);
    return done;
  };
  return {
    async transcribe(input, opts = {}) {
      return single(await request([input], opts));
    },
    transcribeMany: (inputs, opts = {}) => request(inputs, opts),
    dispose() {
      if (!closing) {
        disposed = true;
        // Running requests stop at their next decoder step; the model is freed only after they
        // have (a kernel call never sees a freed weight).
        const reason = new TranscribeError(
          'DISPOSED',
          'the pipeline was disposed while this request was pending',
        );
        const all = [...running];
        for (const r of all) r.control.stop(reason);
        closing = Promise.allSettled(all.map((r) => r.done)).then(() => engine.dispose());
      }
      return closing;
    },
  };
}
