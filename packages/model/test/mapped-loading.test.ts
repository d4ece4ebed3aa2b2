// Memory-mapped loading: tensors are views of the file's mapping in their stored dtype, identical
// to what reading the file gives; the mapping lives exactly as long as a tensor views it; a file
// that no longer matches its header gives a typed error, never a crash.
import {
  closeSync,
  openSync,
  readFileSync,
  realpathSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { backendInfo, KernelError, mapTensors, Tensor } from '@distil-whisper/kernels';
import { afterAll, describe, expect, it } from 'vitest';

import {
  CheckpointError,
  loadCheckpoint,
  readSafetensorsHeader,
  WhisperModel,
  writeSafetensors,
} from '../src/index';
import { mapSafetensorsTensors, openForRead } from '../src/safetensors';
import { features, smallCheckpoint, tempDir } from './helpers';

const tmp = tempDir('mapped');
afterAll(() => tmp.cleanup());

const linux = process.platform === 'linux';

/** Whether any mapping of `path` is in this process's address space (Linux). */
function isMapped(path: string): boolean {
  const real = realpathSync(path);
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .some((line) => line.endsWith(` ${real}`));
}

/** The global gc(), exposed at run time (vitest's workers do not start with --expose-gc). */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function bytesOf(t: Tensor): Uint8Array {
  const a = t.toArray();
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function dispose(tensors: Map<string, Tensor>): void {
  for (const t of tensors.values()) t.dispose();
}

/** The code of the KernelError `fn` throws. */
function kernelCode(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KernelError);
    return (e as KernelError).code;
  }
  throw new Error('expected a KernelError');
}

function failure(fn: () => unknown): CheckpointError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError);
    return e as CheckpointError;
  }
  throw new Error('expected a CheckpointError');
}

describe('mapped tensors', () => {
  for (const dtype of ['f32', 'f16', 'bf16'] as const)
    it(`are the file's bytes in the stored dtype (${dtype}), as reading gives`, () => {
      const dir = smallCheckpoint(join(tmp.dir, `same-${dtype}`), { dtype });
      const file = join(dir, 'model.safetensors');
      const header = readSafetensorsHeader(file);
      const disk = readFileSync(file);
      const mapped = loadCheckpoint(dir, { mmap: true });
      const read = loadCheckpoint(dir, { mmap: false });
      try {
        expect([...mapped.tensors.keys()]).toEqual([...read.tensors.keys()]);
        for (const [name, t] of mapped.tensors) {
          const entry = header.tensors.get(name)!;
          // Never upcast: an f16 checkpoint stays f16, matrices and vectors alike.
          expect(t.dtype).toBe(dtype);
          expect(t.shape).toEqual(entry.shape);
          const bytes = bytesOf(t);
          expect(
            Buffer.compare(bytes, disk.subarray(entry.offset, entry.offset + entry.byteLength)),
          ).toBe(0);
          expect(Buffer.compare(bytes, bytesOf(read.tensors.get(name)!))).toBe(0);
        }
        if (linux) expect(isMapped(file)).toBe(true);
      } finally {
        dispose(mapped.tensors);
        dispose(read.tensors);
      }
    });

  it('give the same model outputs as weights read into memory', () => {
    const dir = smallCheckpoint(join(tmp.dir, 'outputs'), { dtype: 'f16' });
    const run = (mmap: boolean): Float32Array => {
      const model = WhisperModel.load(dir, { mmap });
      try {
        const enc = model.encode(features(1, 80, 3000));
        const state = model.createDecoderState(enc);
        try {
          return model.decode(state, [[1, 2, 3]], { logits: 'all' }).logits;
        } finally {
          state.dispose();
          enc.dispose();
        }
      } finally {
        model.dispose();
      }
    };
    expect(run(true)).toEqual(run(false));
  });

  it('convert matrices when asked (dtype option), the mapping released once all are copies', () => {
    const dir = smallCheckpoint(join(tmp.dir, 'convert'), { dtype: 'f16' });
    const loaded = loadCheckpoint(dir, { dtype: 'f32' });
    try {
      expect(loaded.tensors.get('model.decoder.layers.0.fc1.weight')!.dtype).toBe('f32');
      // Vectors keep their stored dtype and so still view the mapping.
      expect(loaded.tensors.get('model.decoder.layers.0.fc1.bias')!.dtype).toBe('f16');
    } finally {
      dispose(loaded.tensors);
    }
    if (linux) expect(isMapped(join(dir, 'model.safetensors'))).toBe(false);
  });

  it('a write into a mapped weight stays in memory: the file is never modified', () => {
    const dir = smallCheckpoint(join(tmp.dir, 'cow'));
    const file = join(dir, 'model.safetensors');
    const before = readFileSync(file);
    const loaded = loadCheckpoint(dir);
    try {
      const t = loaded.tensors.get('model.decoder.layers.0.fc1.bias')!;
      t.assign(Tensor.zeros(t.shape));
      expect([...(t.toArray() as Float32Array)].every((x) => x === 0)).toBe(true);
    } finally {
      dispose(loaded.tensors);
    }
    expect(Buffer.compare(readFileSync(file), before)).toBe(0);
  });

  it('mmap: false, or DW_MMAP=0, reads the weights instead', () => {
    const dir = smallCheckpoint(join(tmp.dir, 'optout'));
    const file = join(dir, 'model.safetensors');
    for (const load of [
      () => loadCheckpoint(dir, { mmap: false }),
      () => {
        process.env.DW_MMAP = '0';
        try {
          return loadCheckpoint(dir);
        } finally {
          delete process.env.DW_MMAP;
        }
      },
    ]) {
      const loaded = load();
      try {
        if (linux) expect(isMapped(file)).toBe(false);
      } finally {
        dispose(loaded.tensors);
      }
    }
  });

  it.runIf(backendInfo().cuda.available)(
    'on CUDA are uploaded from the mapping, which is released',
    () => {
      const dir = smallCheckpoint(join(tmp.dir, 'cuda'), { dtype: 'f16' });
      const loaded = loadCheckpoint(dir, { device: 'cuda' });
      try {
        for (const t of loaded.tensors.values()) expect(t.device).toBe('cuda');
        if (linux) expect(isMapped(join(dir, 'model.safetensors'))).toBe(false);
      } finally {
        dispose(loaded.tensors);
      }
    },
  );
});

describe.runIf(linux)('the mapping lives as long as a tensor views it', () => {
  it('a view outlives the disposed model, then the last dispose unmaps the file', () => {
    const dir = smallCheckpoint(join(tmp.dir, 'lifetime'));
    const file = join(dir, 'model.safetensors');
    const model = WhisperModel.load(dir);
    const table = model.tensors.get('model.decoder.embed_tokens.weight')!;
    const rows = table.slice(0, 5, 7);
    const expected = rows.toArray();
    model.dispose();
    expect(table.disposed).toBe(true);
    expect(isMapped(file)).toBe(true);
    expect(rows.toArray()).toEqual(expected);
    rows.dispose();
    expect(isMapped(file)).toBe(false);
  });

  it('tensors never disposed are unmapped by the garbage collector', async () => {
    const dir = smallCheckpoint(join(tmp.dir, 'gc'));
    const file = join(dir, 'model.safetensors');
    const gc = exposeGc();
    // Loaded in a function so no reference survives on this frame.
    ((): void => {
      const loaded = loadCheckpoint(dir);
      expect(loaded.tensors.size).toBeGreaterThan(0);
    })();
    expect(isMapped(file)).toBe(true);
    // Native finalizers run after the collection, from the event loop.
    for (let i = 0; i < 100 && isMapped(file); i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(isMapped(file)).toBe(false);
  });
});

describe('files that do not match their header', () => {
  it('a file truncated after its header was read: SAFETENSORS_INVALID, not SIGBUS', () => {
    const dir = smallCheckpoint(join(tmp.dir, 'shrunk'));
    const file = join(dir, 'model.safetensors');
    const header = readSafetensorsHeader(file);
    truncateSync(file, header.fileSize - 1000);
    const fd = openForRead(file);
    try {
      const e = failure(() => mapSafetensorsTensors(fd, header, [...header.tensors.keys()]));
      expect(e.code).toBe('SAFETENSORS_INVALID');
      expect(e.path).toBe(file);
      expect(e.message).toMatch(/no longer holds the bytes its header describes.*truncated/);
    } finally {
      closeSync(fd);
    }
    // Loading it afresh finds the lie in the header check, before anything is mapped.
    expect(failure(() => WhisperModel.load(dir)).code).toBe('SAFETENSORS_INVALID');
  });

  it('native ranges and shapes are re-checked: OUT_OF_RANGE, INVALID_ARGUMENT', () => {
    const path = join(tmp.dir, 'ranges.bin');
    writeFileSync(path, new Uint8Array(64));
    const fd = openSync(path, 'r');
    try {
      const code = kernelCode;
      expect(
        code(() => mapTensors(fd, [{ offset: 48, byteLength: 32, shape: [8], dtype: 'f32' }])),
      ).toBe('OUT_OF_RANGE');
      expect(
        code(() =>
          mapTensors(fd, [{ offset: 2 ** 53 - 1, byteLength: 4, shape: [1], dtype: 'f32' }]),
        ),
      ).toBe('OUT_OF_RANGE');
      expect(
        code(() => mapTensors(fd, [{ offset: 0, byteLength: 12, shape: [2, 2], dtype: 'f32' }])),
      ).toBe('INVALID_ARGUMENT');
      expect(
        code(() => mapTensors(fd, [{ offset: -8, byteLength: 4, shape: [1], dtype: 'f32' }])),
      ).toBe('INVALID_ARGUMENT');
      // Nothing mapped is left behind by a refused call.
      if (linux) expect(isMapped(path)).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  it('a descriptor that cannot be mapped gives MAP_FAILED, and the loader reads instead', () => {
    const fd = openSync(tmp.dir, 'r'); // a directory
    try {
      expect(kernelCode(() => mapTensors(fd, []))).toBe('MAP_FAILED');
    } finally {
      closeSync(fd);
    }
  });
});

describe('alignment', () => {
  it('a tensor misaligned for its dtype is copied, the aligned ones are views', () => {
    // A 1-element f16 tensor first puts the f32 tensor after it at an offset ≡ 2 (mod 4).
    const path = join(tmp.dir, 'misaligned.safetensors');
    writeSafetensors(path, [
      { name: 'a', tensor: Tensor.from([1.5], [1], { dtype: 'f16' }) },
      { name: 'b', tensor: Tensor.from(new Float32Array([1, -2, 3.25]), [3]) },
      { name: 'c', tensor: Tensor.from([0.5, 2], [2], { dtype: 'f16' }) },
    ]);
    const header = readSafetensorsHeader(path);
    expect(header.tensors.get('b')!.offset % 4).toBe(2);
    const fd = openForRead(path);
    try {
      const specs = ['a', 'b', 'c'].map((n) => {
        const e = header.tensors.get(n)!;
        return {
          offset: e.offset,
          byteLength: e.byteLength,
          shape: e.shape,
          dtype: e.dtype === 'F32' ? ('f32' as const) : ('f16' as const),
        };
      });
      const r = mapTensors(fd, specs, { checkFinite: true });
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.copied).toBe(1);
      expect([...r.tensors[1]!.toFloat32()]).toEqual([1, -2, 3.25]);
      expect([...r.tensors[2]!.toFloat32()]).toEqual([0.5, 2]);
      for (const t of r.tensors) t.dispose();
    } finally {
      closeSync(fd);
    }
  });
});

describe('the non-finite check over mapped bytes', () => {
  it('finds the first NaN / ±Infinity anywhere in a tensor spanning many scan chunks', () => {
    // 3 MiB of f32 and of f16: the scan cuts tensors into 1 MiB chunks scanned in parallel.
    const path = join(tmp.dir, 'scan.safetensors');
    const f32 = new Float32Array(3 << 18);
    const f16 = Tensor.zeros([3 << 19], { dtype: 'f16' });
    writeSafetensors(path, [
      { name: 'x', tensor: Tensor.from(f32, [f32.length]) },
      { name: 'y', tensor: f16 },
    ]);
    const header = readSafetensorsHeader(path);
    const x = header.tensors.get('x')!;
    const y = header.tensors.get('y')!;
    const put = (offset: number, bytes: number[]): void => {
      const fd = openSync(path, 'r+');
      writeSync(fd, new Uint8Array(bytes), 0, bytes.length, offset);
      closeSync(fd);
    };
    const scan = (): ReturnType<typeof mapTensors> => {
      const fd = openForRead(path);
      try {
        return mapTensors(
          fd,
          [
            { offset: x.offset, byteLength: x.byteLength, shape: x.shape, dtype: 'f32' },
            { offset: y.offset, byteLength: y.byteLength, shape: y.shape, dtype: 'f16' },
          ],
          { checkFinite: true },
        );
      } finally {
        closeSync(fd);
      }
    };
    const ok = scan();
    expect(ok.ok).toBe(true);
    if (ok.ok) for (const t of ok.tensors) t.dispose();
    // Last element of the f16 tensor: -Infinity (0xfc00).
    const lastY = (3 << 19) - 1;
    put(y.offset + lastY * 2, [0x00, 0xfc]);
    expect(scan()).toEqual({
      ok: false,
      nonFinite: { index: 1, element: lastY, value: '-Infinity' },
    });
    // An earlier one in the f32 tensor, in its second chunk, wins: NaN.
    const inX = (1 << 18) + 3;
    put(x.offset + inX * 4, [0x01, 0x00, 0xc0, 0x7f]);
    expect(scan()).toEqual({ ok: false, nonFinite: { index: 0, element: inX, value: 'NaN' } });
    if (linux) expect(isMapped(path)).toBe(false);
  });

  for (const mmap of [true, false])
    it(`gives the same NON_FINITE_WEIGHTS error mapped or read (mmap: ${mmap})`, () => {
      const dir = smallCheckpoint(join(tmp.dir, `nan-${mmap}`), { dtype: 'bf16' });
      const file = join(dir, 'model.safetensors');
      const entry = readSafetensorsHeader(file).tensors.get('model.encoder.layers.1.fc2.weight')!;
      const fd = openSync(file, 'r+');
      writeSync(fd, new Uint8Array([0x80, 0xff]), 0, 2, entry.offset + 2 * 40); // bf16 -Infinity
      closeSync(fd);
      const e = failure(() => WhisperModel.load(dir, { mmap }));
      expect(e.code).toBe('NON_FINITE_WEIGHTS');
      expect(e.path).toBe(file);
      expect(e.message).toContain(
        'model.encoder.layers.1.fc2.weight holds -Infinity at element 40',
      );
      if (linux) expect(isMapped(file)).toBe(false);
    });
});
