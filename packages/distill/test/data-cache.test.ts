// EncoderStateCache: round trip through a real (random) encoder, batching of misses, corrupt and
// truncated entries recomputed, atomic writes, and the size / read-time figures of an entry.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

import { WhisperFeatureExtractor } from '@distil-whisper/audio';
import { Tensor } from '@distil-whisper/kernels';
import { createRandomCheckpoint, WhisperModel } from '@distil-whisper/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  DistillError,
  EncoderStateCache,
  encoderWeightsHash,
  type EncodeWindows,
} from '../src/index.js';
import { tempDir } from './data-helpers';
import { testSignal } from '../../audio/test/wav-builder';

const dims = {
  dModel: 16,
  encoderLayers: 1,
  decoderLayers: 1,
  encoderAttentionHeads: 2,
  decoderAttentionHeads: 2,
  encoderFfnDim: 32,
  decoderFfnDim: 32,
};

let dir: string;
let cleanup: () => void;
let model: WhisperModel;
let other: WhisperModel;
const extractor = WhisperFeatureExtractor.fromConfig({});

beforeAll(() => {
  ({ dir, cleanup } = tempDir('cache'));
  createRandomCheckpoint({ outDir: join(dir, 'ckpt'), dims, seed: 1, tokenizerDir: false });
  createRandomCheckpoint({ outDir: join(dir, 'ckpt2'), dims, seed: 2, tokenizerDir: false });
  model = WhisperModel.load(join(dir, 'ckpt'));
  other = WhisperModel.load(join(dir, 'ckpt2'));
});
afterAll(() => {
  model?.dispose();
  other?.dispose();
  cleanup();
});

/** Wraps model.encode, recording the batch sizes it was called with. */
function counting(m: WhisperModel): EncodeWindows & { calls: number[] } {
  const calls: number[] = [];
  const fn = ((f: Float32Array, b: number) => {
    calls.push(b);
    return m.encode(f, b);
  }) as EncodeWindows & { calls: number[] };
  fn.calls = calls;
  return fn;
}

const clip = (seed: number, seconds = 1): Float32Array =>
  testSignal(Math.round(seconds * 16000), seed);

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('encoderWeightsHash', () => {
  it('is stable for a model and differs between encoders', () => {
    const h = encoderWeightsHash(model);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(encoderWeightsHash(model)).toBe(h);
    expect(encoderWeightsHash(other)).not.toBe(h);
    const reloaded = WhisperModel.load(join(dir, 'ckpt'));
    expect(encoderWeightsHash(reloaded)).toBe(h);
    reloaded.dispose();
  });
});

describe('EncoderStateCache', () => {
  it('computes misses in batches, stores them, and serves identical states from disk', async () => {
    const cache = EncoderStateCache.forModel(model, { root: join(dir, 'c1') });
    expect(cache.directory).toBe(join(dir, 'c1', encoderWeightsHash(model)));
    const audio = [clip(1), clip(2), clip(3)];
    const encode = counting(model);
    const first = await cache.encodeAudio(audio, extractor, encode, { maxEncodeBatch: 2 });
    expect(first.shape).toEqual([3, 1500, 16]);
    expect(first.dtype).toBe('f32');
    expect(encode.calls).toEqual([2, 1]);
    expect(cache.stats).toMatchObject({ hits: 0, misses: 3, writes: 3, corrupt: 0 });
    expect(filesUnder(cache.directory)).toHaveLength(3);

    // Against the encoder itself: equal up to the f16 storage rounding.
    const direct = model.encode(extractor.extract(audio).data, 3);
    const a = first.toFloat32();
    const b = direct.toFloat32();
    let maxRel = 0;
    for (let i = 0; i < a.length; i++)
      maxRel = Math.max(maxRel, Math.abs(a[i]! - b[i]!) / Math.max(1e-3, Math.abs(b[i]!)));
    expect(maxRel).toBeLessThan(1e-3);
    direct.dispose();

    const again = counting(model);
    const second = await cache.encodeAudio([audio[2]!, audio[0]!], extractor, again);
    expect(again.calls).toEqual([]);
    expect(cache.stats.hits).toBe(2);
    const s = second.toFloat32();
    const per = 1500 * 16;
    expect(s.subarray(0, per)).toEqual(a.subarray(2 * per, 3 * per));
    expect(s.subarray(per)).toEqual(a.subarray(0, per));
    first.dispose();
    second.dispose();
  });

  it('extracts features only for misses and computes a repeated key once', async () => {
    const cache = EncoderStateCache.forModel(model, { root: join(dir, 'c2') });
    let extracted = 0;
    const pcm = clip(9);
    const key = cache.keyForAudio(pcm, extractor.config);
    const features = () => {
      extracted++;
      return extractor.extract(pcm).data;
    };
    const encode = counting(model);
    const t = await cache.getOrCompute(
      [
        { key, features },
        { key, features },
      ],
      encode,
    );
    expect(t.shape).toEqual([2, 1500, 16]);
    expect(extracted).toBe(1);
    expect(encode.calls).toEqual([1]);
    t.dispose();
    const hit = await cache.getOrCompute([{ key, features }], encode);
    expect(extracted).toBe(1);
    hit.dispose();
    // keys: content, not name; the encoder is part of the key
    expect(cache.keyForAudio(clip(9), extractor.config)).toBe(key);
    expect(cache.keyForAudio(clip(10), extractor.config)).not.toBe(key);
    expect(EncoderStateCache.forModel(other).keyForAudio(pcm, extractor.config)).not.toBe(key);
    expect(cache.keyForFeatures(extractor.extract(pcm).data)).not.toBe(key);
  });

  it('recomputes truncated, corrupt, foreign or wrongly shaped entries instead of trusting them', async () => {
    const cache = EncoderStateCache.forModel(model, { root: join(dir, 'c3') });
    const pcm = clip(4);
    const key = cache.keyForAudio(pcm, extractor.config);
    const path = cache.pathFor(key);
    const states = await cache.encodeAudio([pcm], extractor, model);
    const good = readFileSync(path);
    const reference = states.toFloat32();
    states.dispose();

    const damage: [string, (b: Buffer) => Buffer | 'truncate'][] = [
      ['truncated', () => 'truncate'],
      [
        'payload bit flip',
        (b) => {
          const c = Buffer.from(b);
          c[5000]! ^= 0x10;
          return c;
        },
      ],
      [
        'bad magic',
        (b) => {
          const c = Buffer.from(b);
          c[0] = 0;
          return c;
        },
      ],
      [
        'other version',
        (b) => {
          const c = Buffer.from(b);
          c.writeUInt16LE(2, 4);
          return c;
        },
      ],
      ['empty file', () => Buffer.alloc(0)],
      ['trailing bytes', (b) => Buffer.concat([b, Buffer.alloc(2)])],
    ];
    let corrupt = cache.stats.corrupt;
    for (const [name, hurt] of damage) {
      const bad = hurt(good);
      if (bad === 'truncate') truncateSync(path, good.length - 100);
      else writeFileSync(path, bad);
      expect(await cache.get(key), name).toBeUndefined();
      expect(cache.stats.corrupt, name).toBe(++corrupt);
      const encode = counting(model);
      const t = await cache.encodeAudio([pcm], extractor, encode);
      expect(encode.calls, name).toEqual([1]);
      expect(cache.stats.corrupt, name).toBe(++corrupt); // the read inside encodeAudio
      expect(t.toFloat32(), name).toEqual(reference);
      t.dispose();
      expect(readFileSync(path).equals(good), name).toBe(true);
    }

    // A valid entry copied under another key is not served for that key.
    const key2 = cache.keyForAudio(clip(5), extractor.config);
    mkdirSync(dirname(cache.pathFor(key2)), { recursive: true });
    writeFileSync(cache.pathFor(key2), good);
    expect(await cache.get(key2)).toBeUndefined();

    // A corrupt entry does not fix the shape of a cache created without one.
    const flipped = Buffer.from(good);
    flipped[6000]! ^= 0x01;
    writeFileSync(cache.pathFor(key2), flipped);
    const shapeless = new EncoderStateCache(cache.encoderHash, { root: join(dir, 'c3') });
    expect(await shapeless.get(key2)).toBeUndefined();
    const narrow = Tensor.from(new Float32Array(10 * 8), [10, 8]);
    await shapeless.put(shapeless.keyForFeatures(new Float32Array([1])), narrow);
    narrow.dispose();

    // A cache expecting another width ignores the entry.
    const wide = new EncoderStateCache(cache.encoderHash, {
      root: join(dir, 'c3'),
      positions: 1500,
      dModel: 32,
    });
    expect(await wide.get(key)).toBeUndefined();
  });

  it('writes atomically: complete files only, no temporaries left, existing entries replaced', async () => {
    const cache = EncoderStateCache.forModel(model, { root: join(dir, 'c4') });
    const key = cache.keyForFeatures(new Float32Array([1, 2, 3]));
    // A leftover temporary of a crashed writer beside the entry is neither read nor in the way.
    const path = cache.pathFor(key);
    const t = Tensor.from(new Float32Array(1500 * 16).fill(0.5), [1500, 16]);
    await cache.put(key, t);
    writeFileSync(join(path, '..', `.${key}.f16.tmp-1-deadbeef`), Buffer.alloc(10));
    const u = Tensor.from(new Float32Array(1500 * 16).fill(-2), [1, 1500, 16]);
    await cache.put(key, u);
    const got = (await cache.get(key))!;
    expect(got.shape).toEqual([1, 1500, 16]);
    expect(got.toFloat32().every((x) => x === -2)).toBe(true);
    expect(statSync(path).size).toBe(64 + 1500 * 16 * 2);
    const names = filesUnder(cache.directory).map((p) => p.slice(p.lastIndexOf('/') + 1));
    expect(names.filter((n) => n.includes('.tmp-') && !n.includes('deadbeef'))).toEqual([]);
    t.dispose();
    u.dispose();
    got.dispose();
  });

  it('reports a cache root it cannot write as CACHE_IO, and checks its arguments', async () => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    const cache = new EncoderStateCache(encoderWeightsHash(model), { root: blocker });
    const t = Tensor.from(new Float32Array(1500 * 16), [1500, 16]);
    await expect(cache.put(cache.keyForFeatures(new Float32Array(1)), t)).rejects.toMatchObject({
      code: 'CACHE_IO',
    });
    await expect(cache.put('not-a-key', t)).rejects.toBeInstanceOf(DistillError);
    const wrong = Tensor.from(new Float32Array(1500 * 8), [1500, 8]);
    const typed = new EncoderStateCache(encoderWeightsHash(model), {
      root: join(dir, 'c5'),
      positions: 1500,
      dModel: 16,
    });
    await expect(typed.put(typed.keyForFeatures(new Float32Array(1)), wrong)).rejects.toMatchObject(
      {
        code: 'INVALID_ARGUMENT',
      },
    );
    expect(() => new EncoderStateCache('abc')).toThrow(/64 lowercase hex/);
    await expect(typed.getOrCompute([], counting(model))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    t.dispose();
    wrong.dispose();
  });

  it('figures: disk bytes and read time per clip at whisper-tiny width (d_model 384)', async () => {
    const cache = new EncoderStateCache('0'.repeat(64), { root: join(dir, 'c6') });
    const keys: string[] = [];
    const values = new Float32Array(1500 * 384);
    for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 0.001);
    const t = Tensor.from(values, [1500, 384]);
    for (let k = 0; k < 8; k++) {
      keys.push(cache.keyForFeatures(new Float32Array([k])));
      await cache.put(keys[k]!, t);
    }
    t.dispose();
    const before = cache.stats.readMs;
    const t0 = performance.now();
    const batch = await cache.getOrCompute(
      keys.map((key) => ({ key, features: () => new Float32Array(0) })),
      () => {
        throw new Error('no miss expected');
      },
    );
    const wall = performance.now() - t0;
    expect(batch.shape).toEqual([8, 1500, 384]);
    batch.dispose();
    const bytes = statSync(cache.pathFor(keys[0]!)).size;
    expect(bytes).toBe(64 + 1500 * 384 * 2);
    console.log(
      `[encoder cache] d_model 384: ${(bytes / 1e6).toFixed(3)} MB per clip on disk; ` +
        `read+validate ${((cache.stats.readMs - before) / 8).toFixed(2)} ms per clip, ` +
        `8 clips to an f32 [8, 1500, 384] tensor in ${wall.toFixed(1)} ms`,
    );
  });
});
