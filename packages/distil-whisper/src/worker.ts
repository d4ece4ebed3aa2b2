// Entry point of the model thread: one Engine, requests served one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { Engine, type EngineInput, type EngineOptions } from './engine';
import { serializeError, TranscribeError } from './errors';
import type { PipelineOptions } from './types';

export type WorkerRequest =
  | { type: 'transcribe'; id: number; inputs: EngineInput[]; options: EngineOptions }
  | { type: 'abort'; id: number }
  | { type: 'dispose' };

const port = parentPort;
if (!port) throw new Error('distil-whisper worker must run in a worker thread');
const { modelDir, options, abortFlag } = workerData as {
  modelDir: string;
  options: Omit<PipelineOptions, 'inline'>;
  /**
   * Id of the request to abort, or -1 for all (dispose), written by the caller's thread: read
   * between decoder steps, so it lands even when the thread has not returned to its messages.
   */
  abortFlag: Int32Array;
};
const ABORT_ALL = -1;

const aborts = new Map<number, AbortController>();
let queue: Promise<void> = Promise.resolve();

Engine.load(modelDir, options).then(
  (engine) => {
    port.postMessage({ type: 'ready' });
    port.on('message', (msg: WorkerRequest) => {
      if (msg.type === 'dispose') {
        // Stop what runs, wait for it to leave the kernels, then free the model and let the
        // thread end on its own (the caller terminates it only if this takes too long).
        for (const c of aborts.values()) c.abort();
        queue = queue.then(() => {
          engine.dispose();
          port.close();
        });
        return;
      }
      if (msg.type === 'abort') {
        aborts.get(msg.id)?.abort();
        return;
      }
      const controller = new AbortController();
      aborts.set(msg.id, controller);
      queue = queue.then(async () => {
        try {
          if (controller.signal.aborted)
            throw new TranscribeError('ABORTED', 'transcription was aborted');
          await engine.transcribeMany(
            msg.inputs,
            msg.options,
            (p) => {
              const flag = Atomics.load(abortFlag, 0);
              if (flag === msg.id || flag === ABORT_ALL) controller.abort();
              port.postMessage({ type: 'progress', id: msg.id, progress: p });
            },
            (index, outcome) =>
              port.postMessage(
                outcome.ok
                  ? { type: 'file', id: msg.id, index, result: outcome.result }
                  : { type: 'file', id: msg.id, index, error: serializeError(outcome.error) },
              ),
            controller.signal,
          );
          port.postMessage({ type: 'result', id: msg.id });
        } catch (e) {
          port.postMessage({ type: 'error', id: msg.id, error: serializeError(e) });
        } finally {
          aborts.delete(msg.id);
        }
      });
    });
  },
  (e: unknown) => {
    port.postMessage({ type: 'load-error', error: serializeError(e) });
  },
);
