// Ways a process used to abort (exit 134) while a transcription ran, each run alone in a child
// process by never-abort.test.ts: `node --conditions=@distil-whisper/source --import tsx
// abort-scenarios.ts <scenario> <modelDir>`. Prints one JSON line of what it saw; the test checks
// that line and the exit status.
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createPipeline, type Pipeline, type TranscribeOptions } from '../../src';

const [scenario = '', modelDir = ''] = process.argv.slice(2);

/** 25 s of tones: one window, decoded for long enough (400 tokens, 4 beams) to interrupt. */
const audio = new Float32Array(16000 * 25).map(
  (_, i) => 0.3 * Math.sin(i / 7) + 0.1 * Math.sin(i / 3.1),
);
const long: TranscribeOptions = { language: 'en', maxNewTokens: 400, numBeams: 4 };

function report(what: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(what)}\n`);
}

function describe(e: unknown): Record<string, unknown> {
  const err = e as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  return {
    name: err.name,
    code: err.code,
    message: err.message,
    cause: (err.cause as { message?: unknown } | undefined)?.message,
  };
}

/** Starts a long transcription and calls `then` at its first decoder step. */
async function interrupt(
  asr: Pipeline,
  then: () => unknown,
  options: TranscribeOptions = {},
): Promise<Record<string, unknown>> {
  let fired = false;
  const started = Date.now();
  try {
    await asr.transcribe(audio, {
      ...long,
      ...options,
      onProgress: (p) => {
        options.onProgress?.(p);
        if (p.stage === 'decoder' && !fired) {
          fired = true;
          void then();
        }
      },
    });
    return { settled: 'resolved', ms: Date.now() - started };
  } catch (e) {
    return { settled: 'rejected', ms: Date.now() - started, ...describe(e) };
  }
}

/** A worker of the caller's own running kernel calls in a loop, terminated mid-call `times` times. */
async function terminateKernelWorkers(times: number): Promise<void> {
  const require = createRequire(import.meta.url);
  const tsx = require.resolve('tsx/package.json').replace(/package\.json$/, '');
  const api = pathToFileURL(`${tsx}dist/esm/api/index.mjs`).href;
  const entry = new URL('./kernel-loop-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(api)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  for (let i = 0; i < times; i++) {
    const w = new Worker(code, {
      eval: true,
      execArgv: ['--conditions=@distil-whisper/source'],
    });
    await new Promise((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
    await new Promise((r) => setTimeout(r, (i * 7) % 25));
    await w.terminate();
  }
}

async function main(): Promise<void> {
  const inline = scenario.startsWith('inline-');
  const name = scenario.replace(/^(inline|worker)-/, '');
  if (name === 'terminate-kernels') {
    await terminateKernelWorkers(20);
    report({ terminated: 20 });
    return;
  }
  const asr = await createPipeline(modelDir, { inline });
  switch (name) {
    case 'dispose': {
      let disposed: Promise<void> | undefined;
      const r = await interrupt(asr, () => (disposed = asr.dispose()));
      await disposed;
      // A second dispose and a request after it are harmless.
      await asr.dispose();
      const after = await asr.transcribe(audio).catch((e: unknown) => describe(e));
      report({ ...r, disposed: true, after });
      return;
    }
    case 'exit':
      await interrupt(asr, () => process.exit(7));
      report({ settled: 'not interrupted' });
      return;
    case 'throwing-progress': {
      const r = await interrupt(asr, () => undefined, {
        onProgress: () => {
          throw new Error('progress bar broke');
        },
      });
      // The pipeline is still usable afterwards.
      const again = await asr.transcribe(audio.subarray(0, 16000), { maxNewTokens: 2 });
      report({ ...r, again: typeof again.text });
      break;
    }
    case 'throwing-result': {
      const outcomes = await asr
        .transcribeMany([audio.subarray(0, 16000), audio.subarray(0, 32000)], {
          maxNewTokens: 2,
          onResult: () => {
            throw new Error('result sink broke');
          },
        })
        .then(() => ({ settled: 'resolved' }))
        .catch((e: unknown) => ({ settled: 'rejected', ...describe(e) }));
      report(outcomes);
      break;
    }
    case 'abort-timeout': {
      // A timer on the same thread as the engine must get to run mid-decoding.
      const r = await interrupt(asr, () => undefined, { signal: AbortSignal.timeout(300) });
      report(r);
      break;
    }
    case 'abort': {
      const ac = new AbortController();
      report(await interrupt(asr, () => ac.abort(), { signal: ac.signal }));
      break;
    }
    case 'bad-inputs': {
      const broken = new Readable({
        read() {
          this.destroy(new Error('connection reset'));
        },
      });
      const outcomes = await asr.transcribeMany(
        [audio.subarray(0, 16000), broken, fileURLToPath(import.meta.url), 42 as never],
        { maxNewTokens: 2 },
      );
      report({
        outcomes: outcomes.map((o) => (o.ok ? 'ok' : describe(o.error))),
      });
      break;
    }
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
  await asr.dispose();
}

await main();
