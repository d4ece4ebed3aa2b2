// A worker of the caller's own that runs kernel calls back to back until it is terminated
// (abort-scenarios.ts, `terminate-kernels`).
import { parentPort } from 'node:worker_threads';
import { gelu, matmul, Tensor } from '@distil-whisper/kernels';

const a = Tensor.from(new Float32Array(256 * 512).fill(0.01), [256, 512]);
const b = Tensor.from(new Float32Array(512 * 512).fill(0.01), [512, 512]);
parentPort?.postMessage('started');
for (;;) {
  const c = matmul(a, b);
  const d = gelu(c);
  c.dispose();
  d.toArray();
  d.dispose();
}
