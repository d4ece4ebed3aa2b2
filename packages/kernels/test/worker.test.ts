import { Worker } from 'node:worker_threads';

import { describe, expect, it } from 'vitest';

// The addon must be context-aware: the documented way to keep an application's event loop free is
// to run models in worker threads, several of which may use the kernels at once.
describe('worker threads', () => {
  it('loads the addon in two workers at once and computes there while the main thread stays responsive', async () => {
    const addonPath = new URL('../../../native/build/Release/dw_native.node', import.meta.url)
      .pathname;
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const n = require(workerData);
      const a = n.fromBuffer(new Float32Array(256 * 256).fill(1), [256, 256], 'f32', 'cpu');
      let last;
      for (let i = 0; i < 20; i++) { if (last) last.dispose(); last = n.matmul(a, a, null, true); }
      parentPort.postMessage(new Float32Array(n.toBuffer(last))[0]);
    `;
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const run = () =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: addonPath });
        w.once('message', resolve);
        w.once('error', reject);
      });
    const results = await Promise.all([run(), run()]);
    clearInterval(timer);
    expect(results).toEqual([256, 256]);
    expect(ticks).toBeGreaterThan(0);
  });
});
