// Element conversions for CTranslate2 variables: half/bfloat16 ↔ float32 bit patterns and the
// dequantisation of int8/int16 weights. CTranslate2 quantises a weight row by row as
// q = round(w · scale) with scale = 127 / max|w_row| (int8), so the weight is recovered as q / scale.
import type { Ct2DType } from './model-bin';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half bits → float32 value. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float32 value → IEEE half bits, rounding to nearest even (overflow → ±Inf). */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let r = m >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++;
  return sign | r;
}

/** float32 value → bfloat16 bits, rounding to nearest even. */
export function floatToBfloat16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Little-endian raw bytes of a float variable (float32 / float16 / bfloat16) → Float32Array. */
export function floatsFromBytes(bytes: Uint8Array, dtype: Ct2DType): Float32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === 'float32') {
    const out = new Float32Array(bytes.byteLength / 4);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
    return out;
  }
  const out = new Float32Array(bytes.byteLength / 2);
  if (dtype === 'float16')
    for (let i = 0; i < out.length; i++) out[i] = halfToFloat(dv.getUint16(i * 2, true));
  else if (dtype === 'bfloat16')
    for (let i = 0; i < out.length; i++) {
      u32[0] = dv.getUint16(i * 2, true) << 16;
      out[i] = f32[0]!;
    }
  else throw new Error(`internal: ${dtype} is not a float dtype`);
  return out;
}

/** Integer values of an int8 / int16 / int32 variable. */
export function integersFromBytes(bytes: Uint8Array, dtype: Ct2DType): Int32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = dtype === 'int8' ? 1 : dtype === 'int16' ? 2 : 4;
  const out = new Int32Array(bytes.byteLength / size);
  for (let i = 0; i < out.length; i++)
    out[i] =
      size === 1 ? dv.getInt8(i) : size === 2 ? dv.getInt16(i * 2, true) : dv.getInt32(i * 4, true);
  return out;
}

/**
 * Dequantises a row-major `[rows, cols]` integer weight: `w[r, c] = q[r, c] / scale[r]`, or with
 * a single scale for the whole tensor when `scale` has one element.
 */
export function dequantize(q: Int32Array, scale: Float32Array, rows: number): Float32Array {
  const cols = rows === 0 ? 0 : q.length / rows;
  const out = new Float32Array(q.length);
  for (let r = 0; r < rows; r++) {
    const s = scale.length === 1 ? scale[0]! : scale[r]!;
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[base + c] = q[base + c]! / s;
  }
  return out;
}

/** Float32 values → little-endian bytes of `f32`, `f16` or `bf16`. */
export function floatsToBytes(values: Float32Array, dtype: 'f32' | 'f16' | 'bf16'): Uint8Array {
  if (dtype === 'f32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint16Array(values.length);
  const conv = dtype === 'f16' ? floatToHalf : floatToBfloat16;
  for (let i = 0; i < values.length; i++) out[i] = conv(values[i]!);
  return new Uint8Array(out.buffer);
}
