// Decoding is a long run of short synchronous native calls. Left alone it never returns to the
// event loop, so nothing else on the thread runs until a window is done: not a timer that aborts
// (`AbortSignal.timeout`), not `dispose()`, not the model thread's `abort` / `dispose` messages.
// The engine therefore hands its sessions to generation through this wrapper, which returns to
// the event loop (one setImmediate) between decoder steps at most every `everyMs` milliseconds:
// an abort lands within one step, for about one macrotask per `everyMs` of decoding.
import type { DecoderSession, GenerationModel, RewindableSession } from '@distil-whisper/model';
import type { EncodedWindows } from '@distil-whisper/model';

/** Resolves after the event loop has run once, when `everyMs` have passed since the last time. */
export type Pause = () => Promise<void> | undefined;

export function pauseEvery(everyMs: number): Pause {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < everyMs) return undefined;
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        last = performance.now();
        resolve();
      }),
    );
  };
}

function rewindable(s: DecoderSession): s is RewindableSession {
  const r = s as Partial<RewindableSession>;
  return typeof r.decodeAll === 'function' && typeof r.rewind === 'function' && 'length' in r;
}

/** `session` with a pause before each decode; rewindable sessions stay rewindable. */
function yieldingSession(session: DecoderSession, pause: Pause): DecoderSession {
  const decode: DecoderSession['decode'] = async (tokens) => {
    await pause();
    return session.decode(tokens);
  };
  const base: DecoderSession = {
    decode,
    reorder: (indices) => session.reorder(indices),
    dispose: () => session.dispose(),
  };
  if (!rewindable(session)) return base;
  const r: RewindableSession = {
    ...base,
    get length() {
      return session.length;
    },
    decodeAll: async (tokens) => {
      await pause();
      return session.decodeAll(tokens);
    },
    rewind: (length) => session.rewind(length),
  };
  return r;
}

/** `model` whose sessions pause (see {@link pauseEvery}). */
export function yieldingModel(model: GenerationModel, pause: Pause): GenerationModel {
  return {
    get vocabSize() {
      return model.vocabSize;
    },
    get maxTargetPositions() {
      return model.maxTargetPositions;
    },
    get batchSize() {
      return model.batchSize;
    },
    startSession: async (audioIndex) =>
      yieldingSession(await model.startSession(audioIndex), pause),
  };
}

/** `enc` with its main model's sessions pausing; everything else as it was. */
export function yieldingWindows(enc: EncodedWindows, pause: Pause): EncodedWindows {
  const generateOptions = enc.generateOptions;
  return {
    model: yieldingModel(enc.model, pause),
    encoderOutput: enc.encoderOutput,
    dispose: () => enc.dispose(),
    ...(generateOptions
      ? { generateOptions: (rows: readonly number[]) => generateOptions(rows) }
      : {}),
  };
}
