// releasePages: a mapped tensor's pages leave the resident set and come back from the file, with
// the same values; anything else is left alone.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { mapTensors, releasePages, Tensor } from '@distil-whisper/kernels';

const dir = mkdtempSync(join(tmpdir(), 'dw-release-pages-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resident kB of the mappings of `path` in this process (/proc/self/smaps). */
function residentKb(path: string): number {
  let kb = 0;
  let inside = false;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inside = line.endsWith(path);
    else if (inside && line.startsWith('Rss:')) kb += Number(line.split(/\s+/)[1]);
  }
  return kb;
}

describe('releasePages', () => {
  it('drops a mapped tensor from the resident set; its values read back from the file', () => {
    const n = 1 << 20; // 4 MiB of f32
    const values = new Float32Array(n).map((_, i) => Math.sin(i));
    const path = join(dir, 'weights.bin');
    writeFileSync(path, new Uint8Array(values.buffer));
    const fd = openSync(path, 'r');
    const result = mapTensors(fd, [{ offset: 0, byteLength: n * 4, shape: [n], dtype: 'f32' }], {
      checkFinite: true,
    });
    closeSync(fd);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [t] = result.tensors;
    expect(residentKb(path)).toBeGreaterThan(3 * 1024); // the finite check touched every page
    expect(releasePages(t!)).toBe(true);
    expect(residentKb(path)).toBeLessThan(256);
    const back = t!.toArray<'f32'>();
    let same = back.length === n;
    for (let i = 0; same && i < n; i++) same = back[i] === values[i];
    expect(same).toBe(true);
    t!.dispose();
  });

  it('returns false and changes nothing for a tensor that is not a mapping', () => {
    const t = Tensor.from(new Float32Array([1, 2, 3]), [3]);
    expect(releasePages(t)).toBe(false);
    expect(Array.from(t.toArray<'f32'>())).toEqual([1, 2, 3]);
  });
});
