import { LOG10_TABLE } from '../fast-log.js';
import { BUTTERFLY_CONSTANTS, type RealPowerSpectrum } from '../fft.js';
import type { SparseMelRows } from '../mel-filters.js';
import { logmelWasmBase64 } from './logmel-wasm.js';

// The package compiles against lib ES2022, which has no WebAssembly declarations; this is the
// small part of the API used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => WasmInstance;
}

type Gather = (
  x: number,
  hop: number,
  nFft: number,
  batch: number,
  win2: number,
  re: number,
  im: number,
) => void;
type StageFn = (
  s: number,
  m: number,
  twr: number,
  twi: number,
  xr: number,
  xi: number,
  yr: number,
  yi: number,
  k0: number,
  k1: number,
  k2: number,
  k3: number,
) => void;
type Split = (
  half: number,
  batch: number,
  re: number,
  im: number,
  cos: number,
  sin: number,
  power: number,
) => void;
type Mel = (
  nMels: number,
  batch: number,
  count: number,
  start: number,
  length: number,
  offset: number,
  values: number,
  power: number,
  acc: number,
  out: number,
  consts: number,
  table: number,
) => number;

const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
let compiled: object | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (then callers use JS). */
function module(): object | null {
  if (compiled === undefined) {
    try {
      const bytes = Buffer.from(logmelWasmBase64, 'base64');
      compiled = wasmApi && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

let enabled = true;

/**
 * Test hook: force the pure-JS log-mel path (false) or allow the SIMD kernel (true, the default).
 * Takes effect from the next log-mel call.
 */
export function setLogMelSimdEnabled(value: boolean): void {
  enabled = value;
}

/** @internal Whether log-mel calls may use the kernel now. */
export function logMelSimdEnabled(): boolean {
  return enabled;
}

const RADICES = new Set([2, 3, 4, 5]);
const MEL_FLOOR = 1e-10;

/** Bump allocator for the kernel's memory: 16-byte aligned byte offsets. */
class Layout {
  bytes = 0;
  take(n: number): number {
    const at = this.bytes;
    this.bytes += Math.ceil(n / 16) * 16;
    return at;
  }
}

/**
 * One instance of the WebAssembly log-mel kernel with its own memory: the FFT plan's twiddles, the
 * split's tables, the sparse mel filters and the log table are copied in once; a block of `batch`
 * frames then runs as gather → Stockham stages → split/power → mel + log10 without leaving
 * WebAssembly. Float64 throughout, the same operations in the same order as the JavaScript path,
 * so the output is bit-identical to it (the one shortcut, skipping the unit twiddles of a last
 * radix-5 stage, can only change the sign of a zero, which the power spectrum squares away).
 */
export class LogMelKernel {
  readonly batch: number;
  readonly nMels: number;
  readonly nFft: number;
  /** Whether {@link gather} can be used (n_fft a multiple of 4); otherwise write {@link real}/{@link imag}. */
  readonly canGather: boolean;
  private readonly memory: WasmMemory;
  private readonly gatherFn: Gather;
  private readonly stageFns: readonly StageFn[];
  /** Per stage: s, m, twiddle pointers, then up to four butterfly constants. */
  private readonly stageArgs: readonly Float64Array[];
  private readonly splitFn: Split;
  private readonly melFn: Mel;
  private readonly half: number;
  private readonly p: {
    consts: number;
    table: number;
    win2: number;
    cos: number;
    sin: number;
    start: number;
    length: number;
    offset: number;
    values: number;
    re: number;
    im: number;
    bufRe: number;
    bufIm: number;
    power: number;
    acc: number;
    out: number;
    x: number;
  };
  /** Samples the input area holds. */
  private xCapacity = 0;
  #re!: Float64Array;
  #im!: Float64Array;
  #out!: Float32Array;
  #x!: Float32Array;

  private constructor(
    instance: WasmInstance,
    nFft: number,
    window: Float64Array,
    mel: SparseMelRows,
    spectrum: RealPowerSpectrum,
  ) {
    const packed = spectrum.packedPlan!;
    const e = instance.exports;
    this.memory = e.memory as WasmMemory;
    this.gatherFn = e.gather as Gather;
    this.splitFn = e.split as Split;
    this.melFn = e.mel as Mel;
    this.batch = spectrum.batch;
    this.nMels = mel.nMels;
    this.nFft = nFft;
    this.half = packed.half;
    this.canGather = nFft % 4 === 0;
    const B = this.batch;
    const bins = this.half + 1;
    const L = new Layout();
    const table = LOG10_TABLE.table;
    const twiddles = packed.stages.map((st) => ({
      re: L.take(st.twRe.length * 8),
      im: L.take(st.twIm.length * 8),
    }));
    this.p = {
      consts: L.take(32),
      table: L.take(table.length * 8),
      win2: L.take(nFft * 16),
      cos: L.take(bins * 8),
      sin: L.take(bins * 8),
      start: L.take(mel.nMels * 4),
      length: L.take(mel.nMels * 4),
      offset: L.take(mel.nMels * 4),
      values: L.take(mel.values.length * 8),
      re: L.take(this.half * B * 8),
      im: L.take(this.half * B * 8),
      bufRe: L.take(this.half * B * 8),
      bufIm: L.take(this.half * B * 8),
      power: L.take(bins * B * 8),
      acc: L.take(B * 8),
      out: L.take(mel.nMels * B * 4),
      x: L.bytes,
    };
    this.reserve(L.bytes);
    const buf = this.memory.buffer;
    const f64 = (at: number, n: number): Float64Array => new Float64Array(buf, at, n);
    f64(this.p.consts, 4).set([
      LOG10_TABLE.log10of2,
      LOG10_TABLE.safeMax,
      LOG10_TABLE.safeMin,
      MEL_FLOOR,
    ]);
    f64(this.p.table, table.length).set(table);
    const win2 = f64(this.p.win2, nFft * 2);
    for (let j = 0; j < nFft; j++) win2[2 * j] = win2[2 * j + 1] = window[j]!;
    f64(this.p.cos, bins).set(packed.cos);
    f64(this.p.sin, bins).set(packed.sin);
    new Int32Array(buf, this.p.start, mel.nMels).set(mel.start);
    new Int32Array(buf, this.p.length, mel.nMels).set(mel.length);
    new Int32Array(buf, this.p.offset, mel.nMels).set(mel.offset);
    f64(this.p.values, mel.values.length).set(mel.values);
    const { c1, c2, s1, s2, sin60 } = BUTTERFLY_CONSTANTS;
    const stageFns: StageFn[] = [];
    const stageArgs: Float64Array[] = [];
    packed.stages.forEach((st, i) => {
      f64(twiddles[i]!.re, st.twRe.length).set(st.twRe);
      f64(twiddles[i]!.im, st.twIm.length).set(st.twIm);
      // The last stage (m = 1) has only unit twiddles; radix 5 has a variant that skips them.
      const last = st.radix === 5 && st.n === 5 ? 'last' : '';
      stageFns.push(e[`radix${st.radix}${last}`] as StageFn);
      const k =
        st.radix === 5 ? [c1, c2, s1, s2] : st.radix === 3 ? [sin60, 0, 0, 0] : [0, 0, 0, 0];
      stageArgs.push(
        Float64Array.of(st.stride, st.n / st.radix, twiddles[i]!.re, twiddles[i]!.im, ...k),
      );
    });
    this.stageFns = stageFns;
    this.stageArgs = stageArgs;
    this.views();
  }

  /**
   * A kernel for this plan, or null when WebAssembly SIMD is unavailable or disabled, or the plan
   * is one the kernel does not cover (odd n_fft, a half-size FFT with a prime factor above 5, a
   * batch that is not a multiple of 8): those run in JavaScript.
   */
  static create(
    nFft: number,
    window: Float64Array,
    mel: SparseMelRows,
    spectrum: RealPowerSpectrum,
  ): LogMelKernel | null {
    if (!enabled) return null;
    const packed = spectrum.packedPlan;
    if (!packed || spectrum.batch % 8 !== 0) return null;
    if (!packed.stages.every((st) => RADICES.has(st.radix))) return null;
    const mod = module();
    if (!mod) return null;
    const instance = new wasmApi!.Instance(mod, { m: { log10: Math.log10 } });
    return new LogMelKernel(instance, nFft, window, mel, spectrum);
  }

  /** Where to write the packed frames (layout of `RealPowerSpectrum.real`) before {@link run}. */
  get real(): Float64Array {
    return this.#re;
  }

  get imag(): Float64Array {
    return this.#im;
  }

  /** After {@link run}: scaled log10 mel values, band m of frame b at `m * batch + b`. */
  get out(): Float32Array {
    return this.#out;
  }

  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }

  /** (Re)creates the views; growing the memory detaches the old ones. */
  private views(): void {
    const buf = this.memory.buffer;
    const n = this.half * this.batch;
    this.#re = new Float64Array(buf, this.p.re, n);
    this.#im = new Float64Array(buf, this.p.im, n);
    this.#out = new Float32Array(buf, this.p.out, this.nMels * this.batch);
    this.#x = new Float32Array(buf, this.p.x, this.xCapacity);
  }

  /**
   * Windows a whole block of `batch` consecutive frames straight from the samples: frame b reads
   * `input[from + b·hop …][0, nFft)`, which must all lie inside `input` (no reflection).
   */
  gather(input: Float32Array, from: number, hop: number): void {
    const span = (this.batch - 1) * hop + this.nFft;
    if (span > this.xCapacity) {
      this.reserve(this.p.x + span * 4);
      this.xCapacity = span;
      this.views();
    }
    this.#x.set(input.subarray(from, from + span));
    this.gatherFn(this.p.x, hop, this.nFft, this.batch, this.p.win2, this.p.re, this.p.im);
  }

  /**
   * Transforms the block in {@link real}/{@link imag} (destroying it) and leaves the scaled log10
   * mel values of its first `count` frames in {@link out}; returns their largest mel power.
   */
  run(count: number): number {
    let xr = this.p.re;
    let xi = this.p.im;
    let yr = this.p.bufRe;
    let yi = this.p.bufIm;
    for (let i = 0; i < this.stageFns.length; i++) {
      const a = this.stageArgs[i]!;
      // Arguments past a function's parameters are ignored (radix 2 and 4 take no constants).
      this.stageFns[i]!(a[0]!, a[1]!, a[2]!, a[3]!, xr, xi, yr, yi, a[4]!, a[5]!, a[6]!, a[7]!);
      const tr = xr;
      const ti = xi;
      xr = yr;
      xi = yi;
      yr = tr;
      yi = ti;
    }
    const p = this.p;
    this.splitFn(this.half, this.batch, xr, xi, p.cos, p.sin, p.power);
    return this.melFn(
      this.nMels,
      this.batch,
      count,
      p.start,
      p.length,
      p.offset,
      p.values,
      p.power,
      p.acc,
      p.out,
      p.consts,
      p.table,
    );
  }
}
