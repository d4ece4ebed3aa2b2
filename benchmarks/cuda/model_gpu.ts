// The Whisper graph on the CUDA backend, unchanged model code: parity of cuda against cpu on a
// random tiny checkpoint (f32 activations, then f16 activations against the cpu's f32 on the same
// f16 weights), then distil-large-v3 dims (random f16 weights) timed on the GPU with both
// activation dtypes.
// Bundled with esbuild and run by tools/gpu/run-gpu-checks.sh when a GPU is present:
//   npx esbuild benchmarks/cuda/model_gpu.ts --bundle --platform=node --format=esm \
//     --conditions=@distil-whisper/source --outfile=.cache/gpu/model_gpu.mjs
//   DW_NATIVE_PATH=native/build/Release/dw_native.node node .cache/gpu/model_gpu.mjs
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { backendInfo } from '@distil-whisper/kernels';
import {
  createRandomCheckpoint,
  greedyDecode,
  WhisperModel,
  type ActivationDtype,
  type LoadOptions,
} from '@distil-whisper/model';

const out = process.env.OUT ?? '.';
const results: Record<string, unknown> = { backends: backendInfo() };
const log = (msg: string) => console.log(`[model-gpu] ${msg}`);

function randomFeatures(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const f = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f[i] = (s / 2 ** 32) * 1.5 - 0.8; // roughly the range of Whisper log-mels
  }
  return f;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const work = mkdtempSync(join(tmpdir(), 'dw-model-gpu-'));
try {
  // ---- 1. parity: same checkpoint, cpu vs cuda ------------------------------------------------
  const tiny = createRandomCheckpoint({
    outDir: join(work, 'tiny'),
    preset: 'tiny',
    dtype: 'f32',
    seed: 7,
    tokenizerDir: false,
  });
  const feats = randomFeatures(80 * 3000, 1);
  const prompt = [50258, 50259, 50359, 50363];
  type Run = { hidden: Float32Array; logits: Float32Array; tokens: number[] };
  const runTiny = (options: LoadOptions): Run => {
    const model = WhisperModel.load(tiny.dir, options);
    const enc = model.encode(feats, 1);
    const hidden = enc.hiddenStates.toFloat32();
    const state = model.createDecoderState(enc);
    const logits = model.decode(state, [prompt], { logits: 'all' }).logits;
    state.dispose();
    const tokens = greedyDecode(model, enc, { prompt, maxNewTokens: 24 });
    enc.dispose();
    model.dispose();
    return { hidden, logits, tokens };
  };
  const compare = (cpu: Run, cuda: Run) => ({
    encoderMaxAbsDiff: maxAbsDiff(cpu.hidden, cuda.hidden),
    promptLogitsMaxAbsDiff: maxAbsDiff(cpu.logits, cuda.logits),
    greedyTokensEqual: JSON.stringify(cpu.tokens) === JSON.stringify(cuda.tokens),
    greedyCommonPrefix: commonPrefix(cpu.tokens, cuda.tokens),
    tokensCpu: cpu.tokens,
    tokensCuda: cuda.tokens,
  });
  const parity = compare(runTiny({ device: 'cpu' }), runTiny({ device: 'cuda' }));
  results.parity = parity;
  log(
    `tiny f32 cpu vs cuda: encoder max|Δ| ${parity.encoderMaxAbsDiff.toExponential(2)}, prompt logits max|Δ| ${parity.promptLogitsMaxAbsDiff.toExponential(2)}, greedy tokens equal: ${parity.greedyTokensEqual}`,
  );
  // f16 activations: the reference is the cpu's f32 activations on the same f16-rounded weights.
  const parityF16 = compare(
    runTiny({ device: 'cpu', dtype: 'f16' }),
    runTiny({ device: 'cuda', dtype: 'f16', activationDtype: 'f16' }),
  );
  results.parityF16Activations = parityF16;
  log(
    `tiny f16 weights, cpu f32 vs cuda f16 activations: encoder max|Δ| ${parityF16.encoderMaxAbsDiff.toExponential(2)}, prompt logits max|Δ| ${parityF16.promptLogitsMaxAbsDiff.toExponential(2)}, greedy tokens equal: ${parityF16.greedyTokensEqual} (common prefix ${parityF16.greedyCommonPrefix}/${parityF16.tokensCpu.length})`,
  );

  // ---- 2. distil-large-v3 dims on the GPU --------------------------------------------------------
  for (const dtype of ['f16'] as const) {
    const t0 = performance.now();
    const ckpt = createRandomCheckpoint({
      outDir: join(work, `dlv3-${dtype}`),
      preset: 'distil-large-v3',
      dtype,
      seed: 3,
      tokenizerDir: false,
    });
    log(`created distil-large-v3 ${dtype} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const mel = randomFeatures(128 * 3000, 2);
    for (const activationDtype of ['f32', 'f16'] as ActivationDtype[]) {
      const model = WhisperModel.load(ckpt.dir, { device: 'cuda', activationDtype });
      const sync = (enc: ReturnType<WhisperModel['encode']>) =>
        enc.hiddenStates.slice(1, 0, 1).contiguous().toFloat32();
      const encTimes: number[] = [];
      for (let i = 0; i < 6; i++) {
        const s = performance.now();
        const enc = model.encode(mel, 1);
        sync(enc);
        encTimes.push(performance.now() - s);
        enc.dispose();
      }
      const enc = model.encode(mel, 1);
      // Warm-up steps on a throwaway state: the first decode calls of a process run cold JS.
      const warm = model.createDecoderState(enc);
      model.decode(warm, [prompt]);
      for (let i = 0; i < 32; i++) model.decode(warm, [[440 + i]]);
      warm.dispose();
      const state = model.createDecoderState(enc);
      model.decode(state, [prompt]);
      const steps = 64;
      const stepTimes: number[] = [];
      for (let i = 0; i < steps; i++) {
        const s = performance.now();
        model.decode(state, [[440 + i]]); // forced tokens: a fixed count, whatever the weights say
        stepTimes.push(performance.now() - s);
      }
      state.dispose();
      const encoderMs = median(encTimes.slice(1));
      const tokenMs = median(stepTimes.slice(2));
      // jfk.wav: 11 s of speech, ~27 tokens + 4 prompt tokens in one 30 s window.
      const rtf = (encoderMs + 31 * tokenMs) / 11000;
      const row = {
        dtype,
        activationDtype,
        encoderMsPer30s: encoderMs,
        decoderMsPerToken: tokenMs,
        realTimeFactorJfk: rtf,
        encTimes,
        stepTimesFirst8: stepTimes.slice(0, 8),
      };
      // The f32-activation row keeps its historical key.
      results[
        activationDtype === 'f32'
          ? `distil-large-v3-${dtype}`
          : `distil-large-v3-${dtype}-act-${activationDtype}`
      ] = row;
      log(
        `distil-large-v3 ${dtype} on cuda, ${activationDtype} activations: encoder ${encoderMs.toFixed(2)} ms / 30 s window, decoder ${tokenMs.toFixed(3)} ms / token, RTF (11 s, 31 tokens) ${rtf.toFixed(4)}`,
      );
      enc.dispose();
      model.dispose();
    }
  }
} catch (err) {
  results.error = String((err as Error)?.stack ?? err);
  console.error(err);
  process.exitCode = 1;
} finally {
  writeFileSync(join(out, 'model_gpu.json'), JSON.stringify(results, null, 2));
  rmSync(work, { recursive: true, force: true });
}
