// Node smoke test of the CUDA backend through the addon itself (no packages/ build needed): loads
// native/build/Release/dw_native.node, prints cudaStatus() and compares a CUDA matmul with the CPU.
// Usage: node tools/gpu/node-smoke.cjs [path/to/dw_native.node]
'use strict';
const path = require('node:path');

const addonPath = path.resolve(
  process.argv[2] || path.join(__dirname, '../../native/build/Release/dw_native.node'),
);
const addon = require(addonPath);
const status = addon.cudaStatus();
console.log('cudaStatus:', JSON.stringify(status));
if (!status.available) {
  console.log('node smoke: skipped: no CUDA device');
  process.exit(0);
}
const M = 33,
  K = 70,
  N = 45;
const a = Float32Array.from({ length: M * K }, (_, i) => Math.sin(i * 0.37));
const b = Float32Array.from({ length: N * K }, (_, i) => Math.cos(i * 0.11));
const bias = Float32Array.from({ length: N }, (_, i) => i / N);
function run(device) {
  const ta = addon.fromBuffer(a, [M, K], 'f32', device);
  const tb = addon.fromBuffer(b, [N, K], 'f32', device);
  const tbias = addon.fromBuffer(bias, [N], 'f32', device);
  const out = addon.matmul(ta, tb, tbias, true);
  const host = new Float32Array(addon.toBuffer(out));
  for (const t of [ta, tb, tbias, out]) t.dispose();
  return host;
}
const want = run('cpu');
const got = run('cuda');
let worst = 0;
for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]));
// Typed errors cross from the CUDA backend too.
let errCode = null;
try {
  addon.add(addon.zeros([2, 2], 'f32', 'cuda'), addon.zeros([2, 2], 'f32', 'cpu'));
} catch (e) {
  errCode = e.code;
}
const ok = worst < 1e-3 && errCode === 'DEVICE_MISMATCH';
console.log(
  `node smoke: cuda matmul max abs err ${worst.toExponential(2)}, device-mismatch error code ${errCode}: ${ok ? 'ok' : 'FAILED'}`,
);
process.exit(ok ? 0 : 1);
