// CTranslate2 Whisper directories: model.bin parsing, the variable mapping (fused projections,
// layer-norm names, tied projection), int8 dequantisation, conversion to Hugging Face layout and
// the errors for broken or foreign files. Models are built here from a small random checkpoint by
// the inverse mapping, so every mapped tensor can be compared with its original.
import { appendFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QuantizedTensor, type Tensor } from '@distil-whisper/kernels';
import { loadCheckpoint, WhisperModel } from '../src';
import {
  convertCt2ToHf,
  Ct2Error,
  inspectCt2ModelDir,
  isCt2ModelDir,
  loadCt2Checkpoint,
  readCt2ModelBin,
  writeCt2ModelBin,
  type Ct2VariableSource,
} from '../src/ct2';
import { floatToHalf, halfToFloat } from '../src/ct2/values';
import { smallCheckpoint, SMALL_DIMS, tempDir } from './helpers';

const D = SMALL_DIMS.dModel;

function f32Bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
}
function scalar(name: string, dtype: 'int8' | 'int16', value: number): Ct2VariableSource {
  const data =
    dtype === 'int8' ? Uint8Array.of(value & 0xff) : new Uint8Array(Int16Array.of(value).buffer);
  return { name, shape: [], dtype, data };
}

/** Per-row int8 quantisation as CTranslate2 does it: scale = 127 / max|row|, q = round(w · scale). */
function quantize(w: Float32Array, rows: number): { q: Int8Array; scale: Float32Array } {
  const cols = w.length / rows;
  const q = new Int8Array(w.length);
  const scale = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let amax = 0;
    for (let c = 0; c < cols; c++) amax = Math.max(amax, Math.abs(w[r * cols + c]!));
    const s = Math.fround(amax === 0 ? 1 : 127 / amax);
    scale[r] = s;
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.round(w[r * cols + c]! * s);
  }
  return { q, scale };
}

/** CTranslate2 variables of a Hugging Face Whisper state dict (the converter's mapping, inverted). */
function ct2Variables(
  hf: ReadonlyMap<string, Tensor>,
  options: { int8?: boolean; keyBias?: number } = {},
): Ct2VariableSource[] {
  const vars: Ct2VariableSource[] = [];
  const get = (n: string): Float32Array => {
    const t = hf.get(n);
    if (!t) throw new Error(`missing ${n}`);
    return t.toArray() as Float32Array;
  };
  const put = (name: string, shape: number[], values: Float32Array): void => {
    if (options.int8 && shape.length === 2 && name.endsWith('/weight')) {
      const { q, scale } = quantize(values, shape[0]!);
      vars.push({ name, shape, dtype: 'int8', data: new Uint8Array(q.buffer) });
      vars.push({
        name: `${name}_scale`,
        shape: [shape[0]!],
        dtype: 'float32',
        data: f32Bytes(scale),
      });
    } else vars.push({ name, shape, dtype: 'float32', data: f32Bytes(values) });
  };
  const cat = (...xs: Float32Array[]): Float32Array => {
    const out = new Float32Array(xs.reduce((a, x) => a + x.length, 0));
    let o = 0;
    for (const x of xs) {
      out.set(x, o);
      o += x.length;
    }
    return out;
  };
  const kBias = new Float32Array(D).fill(options.keyBias ?? 0);
  const ln = (ct2: string, hfName: string): void => {
    put(`${ct2}/gamma`, [D], get(`${hfName}.weight`));
    put(`${ct2}/beta`, [D], get(`${hfName}.bias`));
  };
  const lin = (ct2: string, hfName: string, out: number, inp: number): void => {
    put(`${ct2}/weight`, [out, inp], get(`${hfName}.weight`));
    put(`${ct2}/bias`, [out], get(`${hfName}.bias`));
  };
  const self = (ct2: string, p: string): void => {
    put(
      `${ct2}/linear_0/weight`,
      [3 * D, D],
      cat(get(`${p}.q_proj.weight`), get(`${p}.k_proj.weight`), get(`${p}.v_proj.weight`)),
    );
    put(
      `${ct2}/linear_0/bias`,
      [3 * D],
      cat(get(`${p}.q_proj.bias`), kBias, get(`${p}.v_proj.bias`)),
    );
    lin(`${ct2}/linear_1`, `${p}.out_proj`, D, D);
  };
  const ffn = (ct2: string, p: string, f: number): void => {
    ln(`${ct2}/layer_norm`, `${p}.final_layer_norm`);
    lin(`${ct2}/linear_0`, `${p}.fc1`, f, D);
    lin(`${ct2}/linear_1`, `${p}.fc2`, D, f);
  };
  vars.push(scalar('decoder/activation', 'int8', 3), scalar('decoder/alibi', 'int8', 0));
  put(
    'decoder/embeddings/weight',
    [SMALL_DIMS.vocabSize, D],
    get('model.decoder.embed_tokens.weight'),
  );
  for (let i = 0; i < SMALL_DIMS.decoderLayers; i++) {
    const c = `decoder/layer_${i}`;
    const p = `model.decoder.layers.${i}`;
    ln(`${c}/attention/layer_norm`, `${p}.encoder_attn_layer_norm`);
    lin(`${c}/attention/linear_0`, `${p}.encoder_attn.q_proj`, D, D);
    const a = `${p}.encoder_attn`;
    put(
      `${c}/attention/linear_1/weight`,
      [2 * D, D],
      cat(get(`${a}.k_proj.weight`), get(`${a}.v_proj.weight`)),
    );
    put(`${c}/attention/linear_1/bias`, [2 * D], cat(kBias, get(`${a}.v_proj.bias`)));
    lin(`${c}/attention/linear_2`, `${a}.out_proj`, D, D);
    ffn(`${c}/ffn`, p, SMALL_DIMS.decoderFfnDim);
    ln(`${c}/self_attention/layer_norm`, `${p}.self_attn_layer_norm`);
    self(`${c}/self_attention`, `${p}.self_attn`);
  }
  ln('decoder/layer_norm', 'model.decoder.layer_norm');
  vars.push(scalar('decoder/num_heads', 'int16', SMALL_DIMS.decoderAttentionHeads));
  put(
    'decoder/position_encodings/encodings',
    [448, D],
    get('model.decoder.embed_positions.weight'),
  );
  vars.push(scalar('decoder/pre_norm', 'int8', 1), scalar('decoder/scale_embeddings', 'int8', 0));
  for (const n of [1, 2]) {
    const w = get(`model.encoder.conv${n}.weight`);
    vars.push({
      name: `encoder/conv${n}/weight`,
      shape: [D, n === 1 ? 80 : D, 3],
      dtype: 'float32',
      data: f32Bytes(w),
    });
    put(`encoder/conv${n}/bias`, [D], get(`model.encoder.conv${n}.bias`));
  }
  for (let i = 0; i < SMALL_DIMS.encoderLayers; i++) {
    const c = `encoder/layer_${i}`;
    const p = `model.encoder.layers.${i}`;
    ffn(`${c}/ffn`, p, SMALL_DIMS.encoderFfnDim);
    ln(`${c}/self_attention/layer_norm`, `${p}.self_attn_layer_norm`);
    self(`${c}/self_attention`, `${p}.self_attn`);
  }
  ln('encoder/layer_norm', 'model.encoder.layer_norm');
  vars.push(scalar('encoder/num_heads', 'int16', SMALL_DIMS.encoderAttentionHeads));
  put(
    'encoder/position_encodings/encodings',
    [1500, D],
    get('model.encoder.embed_positions.weight'),
  );
  return vars;
}

const CT2_CONFIG = {
  suppress_ids: [1, 2, 7],
  suppress_ids_begin: [220, 50257],
  alignment_heads: [[1, 0]],
};

function writeCt2Dir(dir: string, variables: Ct2VariableSource[], aliases = true): string {
  mkdirSync(dir, { recursive: true });
  writeCt2ModelBin(join(dir, 'model.bin'), {
    specName: 'WhisperSpec',
    specRevision: 3,
    variables,
    ...(aliases
      ? { aliases: new Map([['decoder/projection/weight', 'decoder/embeddings/weight']]) }
      : {}),
  });
  writeFileSync(join(dir, 'config.json'), JSON.stringify(CT2_CONFIG));
  return dir;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('CTranslate2 Whisper directories', () => {
  const tmp = tempDir('ct2');
  let hf: ReturnType<typeof loadCheckpoint>;
  let floatDir: string;
  let int8Dir: string;

  beforeAll(() => {
    hf = loadCheckpoint(smallCheckpoint(join(tmp.dir, 'hf')));
    floatDir = writeCt2Dir(join(tmp.dir, 'ct2-f32'), ct2Variables(hf.tensors));
    int8Dir = writeCt2Dir(join(tmp.dir, 'ct2-int8'), ct2Variables(hf.tensors, { int8: true }));
  });
  afterAll(() => {
    for (const t of hf?.tensors.values() ?? []) t.dispose();
    tmp.cleanup();
  });

  it('indexes model.bin: version, spec, variables, aliases', () => {
    const bin = readCt2ModelBin(join(floatDir, 'model.bin'));
    expect(bin.binaryVersion).toBe(6);
    expect(bin.specName).toBe('WhisperSpec');
    expect(bin.variables.get('decoder/embeddings/weight')?.shape).toEqual([600, D]);
    expect(bin.variables.get('decoder/num_heads')).toMatchObject({ shape: [], dtype: 'int16' });
    expect(bin.aliases.get('decoder/projection/weight')).toBe('decoder/embeddings/weight');
    expect(isCt2ModelDir(floatDir)).toBe(true);
    expect(isCt2ModelDir(join(tmp.dir, 'hf'))).toBe(false);
  });

  it('infers dims and configs', () => {
    const m = inspectCt2ModelDir(floatDir);
    expect(m.plan.dims).toEqual(SMALL_DIMS);
    expect(m.plan.tied).toBe(true);
    expect(m.plan.storedDtypes).toEqual(['float32']);
    expect(m.generationConfig.suppressTokens).toEqual([1, 2, 7]);
    expect(m.generationConfig.beginSuppressTokens).toEqual([220]); // 50257 is outside this 600-token vocabulary
    expect(m.generationConfig.alignmentHeads).toEqual([[1, 0]]);
  });

  it('float32: every tensor equals the original, fused projections split exactly', () => {
    const loaded = loadCt2Checkpoint(floatDir);
    try {
      expect([...loaded.tensors.keys()].sort()).toEqual([...hf.tensors.keys()].sort());
      for (const [name, t] of loaded.tensors) {
        const ref = hf.tensors.get(name)!;
        expect(t.shape, name).toEqual(ref.shape);
        expect(
          Buffer.from((t.toArray() as Float32Array).buffer).equals(
            Buffer.from((ref.toArray() as Float32Array).buffer),
          ),
          name,
        ).toBe(true);
      }
    } finally {
      for (const t of loaded.tensors.values()) t.dispose();
    }
  });

  it('int8: weights are dequantised per row (error ≤ half a quantisation step)', () => {
    const loaded = loadCt2Checkpoint(int8Dir);
    try {
      const m = inspectCt2ModelDir(int8Dir);
      expect(m.plan.quantized).toBe(true);
      for (const name of [
        'model.decoder.layers.1.self_attn.v_proj.weight',
        'model.encoder.layers.0.fc2.weight',
        'model.decoder.embed_tokens.weight',
      ]) {
        const ref = hf.tensors.get(name)!.toArray() as Float32Array;
        const got = loaded.tensors.get(name)!.toArray() as Float32Array;
        const rows = hf.tensors.get(name)!.shape[0]!;
        const cols = ref.length / rows;
        for (let r = 0; r < rows; r++) {
          const row = ref.subarray(r * cols, (r + 1) * cols);
          const step = Math.max(...row.map(Math.abs)) / 127;
          expect(
            maxAbsDiff(got.subarray(r * cols, (r + 1) * cols), row),
            `${name} row ${r}`,
          ).toBeLessThanOrEqual(step * 0.5 + 1e-7);
        }
      }
      expect(loaded.tensors.get('model.decoder.layer_norm.weight')!.toArray()).toEqual(
        hf.tensors.get('model.decoder.layer_norm.weight')!.toArray(),
      );
    } finally {
      for (const t of loaded.tensors.values()) t.dispose();
    }
  });

  it('keepInt8: int8 weights load as stored (values and 1 / scale), the embedding stays float', () => {
    const plain = loadCt2Checkpoint(int8Dir);
    const kept = loadCt2Checkpoint(int8Dir, { keepInt8: true });
    try {
      const name = 'model.decoder.layers.1.self_attn.v_proj.weight';
      const q = kept.tensors.get(name)!;
      expect(q).toBeInstanceOf(QuantizedTensor);
      expect(q.dtype).toBe('i8');
      // Dequantising what was kept gives exactly what the float loader produces.
      const back = (q as QuantizedTensor).dequantize().toArray<'f32'>();
      const want = plain.tensors.get(name)!.toFloat32();
      expect(maxAbsDiff(back, want)).toBeLessThanOrEqual(1e-6);
      expect(kept.tensors.get('model.decoder.embed_tokens.weight')).not.toBeInstanceOf(
        QuantizedTensor,
      );
      expect(kept.tensors.get('model.encoder.conv1.weight')).not.toBeInstanceOf(QuantizedTensor);
      // Only an int8 model runs int8 weights.
      expect(() => new WhisperModel(kept)).toThrow(/only computeType 'int8' runs/);
    } finally {
      for (const t of plain.tensors.values()) t.dispose();
      for (const t of kept.tensors.values()) t.dispose();
    }
  });

  it('WhisperModel.load reads CTranslate2 folders; int8 ones stay int8 under computeType int8', () => {
    const asFloat = WhisperModel.load(int8Dir, { computeType: 'f32' });
    const asInt8 = WhisperModel.load(int8Dir, { computeType: 'int8' });
    try {
      const w = asInt8.structuredWeights.decoder.layers[0]!.selfAttn.qWeight;
      expect(w).toBeInstanceOf(QuantizedTensor);
      // The stored int8 values, not a re-quantisation of their dequantised floats.
      expect(w).toBe(asInt8.tensors.get('model.decoder.layers.0.self_attn.q_proj.weight'));
      const feats = new Float32Array(80 * 200).map((_, i) => Math.sin(i * 0.37));
      const run = (m: WhisperModel): Float32Array => {
        const enc = m.encode(feats, 1);
        const state = m.createDecoderState(enc);
        const out = m.decode(state, [[1, 2, 3]]);
        state.dispose();
        enc.dispose();
        return out.logits;
      };
      const a = run(asFloat);
      const b = run(asInt8);
      let num = 0;
      let den = 0;
      for (let i = 0; i < a.length; i++) {
        num += (a[i]! - b[i]!) ** 2;
        den += a[i]! ** 2;
      }
      expect(Math.sqrt(num / den)).toBeLessThan(0.05);
    } finally {
      asFloat.dispose();
      asInt8.dispose();
    }
  });

  it('converts to a Hugging Face directory whose model computes the same logits', () => {
    const out = join(tmp.dir, 'converted');
    const r = convertCt2ToHf(floatDir, out, { tokenizerDir: false });
    expect(r.tokenizerFrom).toBeUndefined();
    const ref = new WhisperModel(loadCheckpoint(join(tmp.dir, 'hf')));
    const conv = WhisperModel.load(out);
    try {
      expect(conv.config.dModel).toBe(D);
      const feats = new Float32Array(80 * 3000).map((_, i) => Math.sin(i * 0.001));
      const logits = (m: WhisperModel): Float32Array => {
        const enc = m.encode(feats);
        const s = m.createDecoderState(enc);
        try {
          return m.decode(s, [[1, 2, 3]]).logits;
        } finally {
          s.dispose();
          enc.dispose();
        }
      };
      expect(maxAbsDiff(logits(conv), logits(ref))).toBeLessThan(1e-5);
    } finally {
      ref.dispose();
      conv.dispose();
    }
    const f16 = convertCt2ToHf(floatDir, join(tmp.dir, 'converted-f16'), {
      dtype: 'f16',
      tokenizerDir: false,
    });
    expect(f16.config.torchDtype).toBe('float16');
    expect(
      loadCheckpoint(join(tmp.dir, 'converted-f16')).tensors.get(
        'model.decoder.embed_tokens.weight',
      )?.dtype,
    ).toBe('f16');
  });

  it('a non-zero key bias in the fused projections is dropped (softmax cancels it)', () => {
    const dir = writeCt2Dir(join(tmp.dir, 'kbias'), ct2Variables(hf.tensors, { keyBias: 0.5 }));
    const loaded = loadCt2Checkpoint(dir);
    try {
      expect(loaded.tensors.has('model.encoder.layers.0.self_attn.k_proj.bias')).toBe(false);
      expect(loaded.tensors.get('model.encoder.layers.0.self_attn.v_proj.bias')!.toArray()).toEqual(
        hf.tensors.get('model.encoder.layers.0.self_attn.v_proj.bias')!.toArray(),
      );
    } finally {
      for (const t of loaded.tensors.values()) t.dispose();
    }
  });

  const expectCt2Error = (fn: () => unknown, code: string, match?: RegExp): void => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(Ct2Error);
      expect((e as Ct2Error).code).toBe(code);
      if (match) expect((e as Ct2Error).message).toMatch(match);
      return;
    }
    throw new Error(`expected Ct2Error ${code}`);
  };

  it('rejects truncated, padded and foreign files with precise errors', () => {
    const bytes = readFileSync(join(floatDir, 'model.bin'));
    const dir = join(tmp.dir, 'broken');
    mkdirSync(dir, { recursive: true });
    const bin = join(dir, 'model.bin');
    writeFileSync(bin, bytes);
    truncateSync(bin, bytes.length - 1000);
    expectCt2Error(() => readCt2ModelBin(bin), 'MODEL_BIN_INVALID', /file ends inside/);
    writeFileSync(bin, bytes);
    appendFileSync(bin, Buffer.alloc(10));
    expectCt2Error(() => readCt2ModelBin(bin), 'MODEL_BIN_INVALID', /10 unexpected bytes/);
    const wrongVersion = Buffer.from(bytes);
    wrongVersion.writeUInt32LE(99, 0);
    writeFileSync(bin, wrongVersion);
    expectCt2Error(() => readCt2ModelBin(bin), 'UNSUPPORTED_VERSION');
    expectCt2Error(() => inspectCt2ModelDir(join(tmp.dir, 'nowhere')), 'FILE_NOT_FOUND');
  });

  it('rejects missing variables (all listed) and graph options Whisper does not have', () => {
    const vars = ct2Variables(hf.tensors).filter(
      (v) =>
        v.name !== 'encoder/layer_1/ffn/linear_0/bias' && v.name !== 'decoder/layer_norm/gamma',
    );
    const missing = writeCt2Dir(join(tmp.dir, 'missing'), vars);
    try {
      inspectCt2ModelDir(missing);
      throw new Error('expected an error');
    } catch (e) {
      expect((e as Ct2Error).code).toBe('VARIABLES_MISMATCH');
      expect((e as Ct2Error).problems).toHaveLength(2);
    }
    const relu = ct2Variables(hf.tensors).map((v) =>
      v.name === 'decoder/activation' ? scalar(v.name, 'int8', 0) : v,
    );
    expectCt2Error(
      () => inspectCt2ModelDir(writeCt2Dir(join(tmp.dir, 'relu'), relu)),
      'UNSUPPORTED_MODEL',
      /activation = 0/,
    );
    const extra = [
      ...ct2Variables(hf.tensors),
      {
        name: 'decoder/layernorm_embedding/gamma',
        shape: [D],
        dtype: 'float32' as const,
        data: new Uint8Array(D * 4),
      },
    ];
    expectCt2Error(
      () => inspectCt2ModelDir(writeCt2Dir(join(tmp.dir, 'extra'), extra)),
      'UNSUPPORTED_MODEL',
      /unknown variable decoder\/layernorm_embedding/,
    );
    const other = join(tmp.dir, 'other');
    mkdirSync(other, { recursive: true });
    writeCt2ModelBin(join(other, 'model.bin'), {
      specName: 'TransformerSpec',
      specRevision: 7,
      variables: [],
    });
    expectCt2Error(() => inspectCt2ModelDir(other), 'UNSUPPORTED_MODEL', /TransformerSpec/);
  });
});

describe('half-precision conversions', () => {
  it('round-trips every finite half value exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue;
      expect(floatToHalf(halfToFloat(h))).toBe(h);
    }
  });
  it('rounds to nearest even and overflows to infinity', () => {
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToHalf(70000)).toBe(0x7c00);
    expect(halfToFloat(0x0001)).toBe(2 ** -24);
  });
});
