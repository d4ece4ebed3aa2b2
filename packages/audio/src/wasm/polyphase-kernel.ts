import { polyphaseWasmBase64 } from './polyphase-wasm.js';

type RunFn = (
  table: number,
  taps: number,
  x: number,
  out: number,
  count: number,
  pos: number,
  phase: number,
  up: number,
  stepInt: number,
  stepFrac: number,
  rowIndex: number,
) => void;

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

const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
let compiled: object | null | undefined;

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (then callers use JS). */
function module(): object | null {
  if (compiled === undefined) {
    try {
      const bytes = Buffer.from(polyphaseWasmBase64, 'base64');
      compiled = wasmApi && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

let enabled = true;
/** Outputs per kernel call; see run(). */
const SLICE = 2048;

/** Test hook: force the pure-JS path (false) or allow the SIMD kernel (true, the default). */
export function setSimdEnabled(value: boolean): void {
  enabled = value;
}

/**
 * One instance of the f32x4 polyphase kernel with its own memory: the coefficient table sits at
 * offset 0 for the resampler's lifetime; input window and output follow it per call.
 */
export class PolyphaseKernel {
  private readonly memory: WasmMemory;
  private readonly runFn: RunFn;
  private readonly tableBytes: number;
  /** Taps per phase row, padded with zero coefficients to a multiple of 16. */
  readonly paddedTaps: number;

  private readonly up: number;

  /**
   * `table` holds `up` phase rows of `taps` coefficients (row p for output phase p/up); output n
   * of the stream has phase (n·down) mod up. Rows are stored here in visiting order.
   */
  private constructor(
    instance: WasmInstance,
    table: Float64Array,
    up: number,
    down: number,
    taps: number,
  ) {
    this.memory = instance.exports.memory as WasmMemory;
    this.runFn = instance.exports.run as RunFn;
    this.up = up;
    this.paddedTaps = Math.ceil(taps / 16) * 16;
    this.tableBytes = up * this.paddedTaps * 4;
    this.reserve(this.tableBytes);
    const t = new Float32Array(this.memory.buffer, 0, up * this.paddedTaps);
    for (let r = 0; r < up; r++) {
      const phase = (r * down) % up;
      for (let k = 0; k < taps; k++) t[r * this.paddedTaps + k] = table[phase * taps + k]!;
    }
  }

  /** A kernel for this table, or null when SIMD is unavailable or disabled. */
  static create(
    table: Float64Array,
    up: number,
    down: number,
    taps: number,
  ): PolyphaseKernel | null {
    const mod = enabled ? module() : null;
    if (!mod) return null;
    return new PolyphaseKernel(new wasmApi!.Instance(mod, {}), table, up, down, taps);
  }

  private reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }

  /**
   * Computes `count` outputs from `window` (input samples), the first reading window[pos..] with
   * the given phase; `produced` is the stream index of that first output. Works in slices of
   * {@link SLICE} outputs, copying only the input each slice reads, so wasm memory stays small
   * however long the input.
   */
  run(
    window: Float32Array,
    count: number,
    pos: number,
    phase: number,
    stepInt: number,
    stepFrac: number,
    produced: number,
  ): Float32Array {
    const up = this.up;
    const taps = this.paddedTaps;
    const out = new Float32Array(count);
    // Input span of one slice: SLICE steps of at most stepInt + 1 samples, plus the taps.
    const spanMax = SLICE * (stepInt + 1) + taps;
    const xOffset = this.tableBytes;
    const outOffset = xOffset + spanMax * 4;
    this.reserve(outOffset + SLICE * 4);
    const x = new Float32Array(this.memory.buffer, xOffset, spanMax);
    const y = new Float32Array(this.memory.buffer, outOffset, SLICE);
    for (let done = 0; done < count;) {
      const n = Math.min(SLICE, count - done);
      const frac = phase + n * stepFrac;
      const nextPos = pos + n * stepInt + Math.floor(frac / up);
      // Zeros past the window: padded taps multiply zero coefficients, but must not read NaN garbage.
      const span = Math.min(spanMax, nextPos - pos + taps);
      const avail = Math.max(0, Math.min(span, window.length - pos));
      x.set(window.subarray(pos, pos + avail));
      x.fill(0, avail, span);
      // V8 runs a wasm function in its baseline tier until it has been called often enough; a
      // call never switches tier midway, so bounded slices also let the optimised code take over.
      this.runFn(
        0,
        taps,
        xOffset,
        outOffset,
        n,
        0,
        phase,
        up,
        stepInt,
        stepFrac,
        (produced + done) % up,
      );
      out.set(y.subarray(0, n), done);
      pos = nextPos;
      phase = frac % up;
      done += n;
    }
    return out;
  }
}
