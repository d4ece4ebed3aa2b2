// The process never aborts: each way it used to die with exit 134 (dispose() or process.exit()
// mid-transcription, a throwing callback, worker.terminate() inside a kernel call) or to ignore
// the caller (an inline abort, a bad input in a batch) runs alone in a child process, whose exit
// status and report are checked. Random-weight checkpoint; the text is nonsense.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasReference } from '../../../test-support/reference';
import { randomCheckpoint, type RandomCheckpoint } from './support/fixture';

const script = resolve(__dirname, 'support', 'abort-scenarios.ts');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  report: Record<string, unknown>;
  stderr: string;
}

function runScenario(scenario: string, modelDir: string): Promise<Run> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--conditions=@distil-whisper/source', '--import', 'tsx', script, scenario, modelDir],
      { timeout: 120_000, env: { ...process.env, DW_NUM_THREADS: '2' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        const last = stdout.trim().split('\n').pop() ?? '';
        let report: Record<string, unknown> = {};
        try {
          report = JSON.parse(last) as Record<string, unknown>;
        } catch {
          report = { unparsed: stdout };
        }
        done({ code, signal: error?.signal ?? null, report, stderr });
      },
    );
  });
}

function expectClean(r: Run, code = 0): void {
  expect(r.signal, r.stderr).toBeNull();
  expect(r.code, r.stderr).toBe(code);
  expect(r.stderr).not.toMatch(/terminate called|Abort|FATAL ERROR/);
}

describe.skipIf(!hasReference('never-abort scenarios (tokenizers)'))('never abort', () => {
  let model: RandomCheckpoint;
  let dir: string;

  beforeAll(() => {
    model = randomCheckpoint('dw-never-abort-');
    dir = model.dir;
  });

  afterAll(() => {
    model?.remove();
  });

  for (const mode of ['worker', 'inline'] as const) {
    it(`${mode}: dispose() mid-transcription rejects it with DISPOSED and frees the model after it stopped`, async () => {
      const r = await runScenario(`${mode}-dispose`, dir);
      expectClean(r);
      expect(r.report).toMatchObject({ settled: 'rejected', code: 'DISPOSED', disposed: true });
      expect(r.report.after).toMatchObject({ name: 'TranscribeError', code: 'DISPOSED' });
    });

    it(`${mode}: process.exit() mid-transcription exits with the caller's status`, async () => {
      const r = await runScenario(`${mode}-exit`, dir);
      expectClean(r, 7);
    });

    it(`${mode}: a throwing onProgress stops the request with CALLBACK_FAILED; the pipeline goes on`, async () => {
      const r = await runScenario(`${mode}-throwing-progress`, dir);
      expectClean(r);
      expect(r.report).toMatchObject({
        settled: 'rejected',
        name: 'TranscribeError',
        code: 'CALLBACK_FAILED',
        cause: 'progress bar broke',
        again: 'string',
      });
    });

    it(`${mode}: a throwing onResult rejects the batch with CALLBACK_FAILED`, async () => {
      const r = await runScenario(`${mode}-throwing-result`, dir);
      expectClean(r);
      expect(r.report).toMatchObject({ settled: 'rejected', code: 'CALLBACK_FAILED' });
    });

    it(`${mode}: an AbortSignal.timeout fires mid-decoding and is honoured`, async () => {
      const r = await runScenario(`${mode}-abort-timeout`, dir);
      expectClean(r);
      expect(r.report).toMatchObject({ settled: 'rejected', code: 'ABORTED' });
    });

    it(`${mode}: a batch with bad inputs reports each one, named by index, and transcribes the rest`, async () => {
      const r = await runScenario(`${mode}-bad-inputs`, dir);
      expectClean(r);
      const outcomes = r.report.outcomes as Record<string, unknown>[];
      expect(outcomes[0]).toBe('ok');
      expect(outcomes[1]).toMatchObject({ code: 'INVALID_INPUT', cause: 'connection reset' });
      expect(String(outcomes[1]?.message)).toMatch(/^input 1: /);
      expect(outcomes[2]).toMatchObject({ name: 'AudioError' });
      expect(outcomes[3]).toMatchObject({ code: 'INVALID_INPUT' });
      expect(String(outcomes[3]?.message)).toMatch(/^input 3: /);
    });
  }

  it('worker: an abort from the caller mid-decoding rejects with ABORTED', async () => {
    const r = await runScenario('worker-abort', dir);
    expectClean(r);
    expect(r.report).toMatchObject({ settled: 'rejected', code: 'ABORTED' });
  });

  it("worker.terminate() of the caller's own worker inside kernel calls ends it cleanly (20 times)", async () => {
    const r = await runScenario('terminate-kernels', dir);
    expectClean(r);
    expect(r.report).toEqual({ terminated: 20 });
  });
});
