// Mixed-radix Stockham FFT in float64. Whisper needs an exact 400-point DFT (no zero padding), so
// sizes are factored into radices 4, 2, 3, 5 (400-point real = 200-point complex = 4·2·5·5), with a
// direct DFT butterfly for any other prime factor. The autosort formulation needs no bit reversal.

/** @internal One Stockham stage (exported for the WebAssembly kernel, which copies the twiddles). */
export interface Stage {
  readonly radix: number;
  /** Length of the sub-transforms entering this stage. */
  readonly n: number;
  /** Distance between elements of one sub-transform. */
  readonly stride: number;
  /** Twiddles exp(-2πi·p·u/n) for p < n/radix, u < radix, laid out [p * radix + u]. */
  readonly twRe: Float64Array;
  readonly twIm: Float64Array;
  /** Roots exp(-2πi·k/radix) for the generic butterfly. */
  readonly rootRe: Float64Array;
  readonly rootIm: Float64Array;
}

function factorize(n: number): number[] {
  const radices: number[] = [];
  let rest = n;
  while (rest % 4 === 0) {
    radices.push(4);
    rest /= 4;
  }
  while (rest % 2 === 0) {
    radices.push(2);
    rest /= 2;
  }
  for (let f = 3; rest > 1; f += 2) {
    if (f * f > rest) {
      radices.push(rest);
      break;
    }
    while (rest % f === 0) {
      radices.push(f);
      rest /= f;
    }
  }
  return radices;
}

/**
 * Forward complex DFT of a fixed size, X[k] = Σ x[j]·exp(-2πi·jk/N), on split re/im arrays.
 *
 * `batch` transforms run at once on interleaved data (element j of transform b at `j * batch + b`):
 * starting the Stockham recursion at stride `batch` does exactly that, and it turns every butterfly
 * into a tight loop over the batch, which is what makes a scalar JavaScript FFT fast.
 */
export class ComplexFft {
  readonly size: number;
  readonly batch: number;
  private readonly stages: Stage[];
  private readonly bufRe: Float64Array;
  private readonly bufIm: Float64Array;

  constructor(size: number, batch = 1) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`FFT size must be a positive integer, got ${size}`);
    if (!Number.isInteger(batch) || batch < 1)
      throw new RangeError(`FFT batch must be a positive integer, got ${batch}`);
    this.size = size;
    this.batch = batch;
    this.bufRe = new Float64Array(size * batch);
    this.bufIm = new Float64Array(size * batch);
    this.stages = [];
    let n = size;
    let stride = batch;
    for (const radix of factorize(size)) {
      const m = n / radix;
      const twRe = new Float64Array(m * radix);
      const twIm = new Float64Array(m * radix);
      for (let p = 0; p < m; p++) {
        for (let u = 0; u < radix; u++) {
          const angle = (-2 * Math.PI * p * u) / n;
          twRe[p * radix + u] = Math.cos(angle);
          twIm[p * radix + u] = Math.sin(angle);
        }
      }
      const rootRe = new Float64Array(radix);
      const rootIm = new Float64Array(radix);
      for (let k = 0; k < radix; k++) {
        rootRe[k] = Math.cos((-2 * Math.PI * k) / radix);
        rootIm[k] = Math.sin((-2 * Math.PI * k) / radix);
      }
      this.stages.push({ radix, n, stride, twRe, twIm, rootRe, rootIm });
      n = m;
      stride *= radix;
    }
  }

  /** @internal The stages in order (the WebAssembly kernel runs the same plan). */
  get plan(): readonly Stage[] {
    return this.stages;
  }

  /** Transforms `re`/`im` (length `size * batch`, interleaved as described above) in place. */
  transform(re: Float64Array, im: Float64Array): void {
    let xr = re;
    let xi = im;
    let yr = this.bufRe;
    let yi = this.bufIm;
    for (const stage of this.stages) {
      switch (stage.radix) {
        case 4:
          radix4(stage, xr, xi, yr, yi);
          break;
        case 2:
          radix2(stage, xr, xi, yr, yi);
          break;
        case 3:
          radix3(stage, xr, xi, yr, yi);
          break;
        case 5:
          radix5(stage, xr, xi, yr, yi);
          break;
        default:
          radixGeneric(stage, xr, xi, yr, yi);
      }
      const tr = xr;
      const ti = xi;
      xr = yr;
      xi = yi;
      yr = tr;
      yi = ti;
    }
    if (xr !== re) {
      re.set(xr);
      im.set(xi);
    }
  }
}

function radix2(
  st: Stage,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
): void {
  const s = st.stride;
  const m = st.n / 2;
  const ms = m * s;
  for (let p = 0; p < m; p++) {
    const w1r = st.twRe[p * 2 + 1]!;
    const w1i = st.twIm[p * 2 + 1]!;
    const inBase = s * p;
    const outBase = s * 2 * p;
    for (let q = 0; q < s; q++) {
      const i0 = inBase + q;
      const i1 = i0 + ms;
      const ar = xr[i0]!;
      const ai = xi[i0]!;
      const br = xr[i1]!;
      const bi = xi[i1]!;
      const o0 = outBase + q;
      yr[o0] = ar + br;
      yi[o0] = ai + bi;
      const dr = ar - br;
      const di = ai - bi;
      yr[o0 + s] = dr * w1r - di * w1i;
      yi[o0 + s] = dr * w1i + di * w1r;
    }
  }
}

function radix3(
  st: Stage,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
): void {
  const s = st.stride;
  const m = st.n / 3;
  const ms = m * s;
  const sin60 = Math.sqrt(3) / 2;
  for (let p = 0; p < m; p++) {
    const w1r = st.twRe[p * 3 + 1]!;
    const w1i = st.twIm[p * 3 + 1]!;
    const w2r = st.twRe[p * 3 + 2]!;
    const w2i = st.twIm[p * 3 + 2]!;
    for (let q = 0; q < s; q++) {
      const i0 = s * p + q;
      const a0r = xr[i0]!;
      const a0i = xi[i0]!;
      const a1r = xr[i0 + ms]!;
      const a1i = xi[i0 + ms]!;
      const a2r = xr[i0 + 2 * ms]!;
      const a2i = xi[i0 + 2 * ms]!;
      const t1r = a1r + a2r;
      const t1i = a1i + a2i;
      const t2r = (a1r - a2r) * sin60;
      const t2i = (a1i - a2i) * sin60;
      const mr = a0r - 0.5 * t1r;
      const mi = a0i - 0.5 * t1i;
      // b1 = m - i·t2, b2 = m + i·t2
      const b1r = mr + t2i;
      const b1i = mi - t2r;
      const b2r = mr - t2i;
      const b2i = mi + t2r;
      const o0 = s * 3 * p + q;
      yr[o0] = a0r + t1r;
      yi[o0] = a0i + t1i;
      yr[o0 + s] = b1r * w1r - b1i * w1i;
      yi[o0 + s] = b1r * w1i + b1i * w1r;
      yr[o0 + 2 * s] = b2r * w2r - b2i * w2i;
      yi[o0 + 2 * s] = b2r * w2i + b2i * w2r;
    }
  }
}

function radix4(
  st: Stage,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
): void {
  const s = st.stride;
  const m = st.n / 4;
  const ms = m * s;
  for (let p = 0; p < m; p++) {
    const w1r = st.twRe[p * 4 + 1]!;
    const w1i = st.twIm[p * 4 + 1]!;
    const w2r = st.twRe[p * 4 + 2]!;
    const w2i = st.twIm[p * 4 + 2]!;
    const w3r = st.twRe[p * 4 + 3]!;
    const w3i = st.twIm[p * 4 + 3]!;
    for (let q = 0; q < s; q++) {
      const i0 = s * p + q;
      const a0r = xr[i0]!;
      const a0i = xi[i0]!;
      const a1r = xr[i0 + ms]!;
      const a1i = xi[i0 + ms]!;
      const a2r = xr[i0 + 2 * ms]!;
      const a2i = xi[i0 + 2 * ms]!;
      const a3r = xr[i0 + 3 * ms]!;
      const a3i = xi[i0 + 3 * ms]!;
      const s02r = a0r + a2r;
      const s02i = a0i + a2i;
      const d02r = a0r - a2r;
      const d02i = a0i - a2i;
      const s13r = a1r + a3r;
      const s13i = a1i + a3i;
      const d13r = a1r - a3r;
      const d13i = a1i - a3i;
      // b1 = d02 - i·d13, b3 = d02 + i·d13
      const b1r = d02r + d13i;
      const b1i = d02i - d13r;
      const b2r = s02r - s13r;
      const b2i = s02i - s13i;
      const b3r = d02r - d13i;
      const b3i = d02i + d13r;
      const o0 = s * 4 * p + q;
      yr[o0] = s02r + s13r;
      yi[o0] = s02i + s13i;
      yr[o0 + s] = b1r * w1r - b1i * w1i;
      yi[o0 + s] = b1r * w1i + b1i * w1r;
      yr[o0 + 2 * s] = b2r * w2r - b2i * w2i;
      yi[o0 + 2 * s] = b2r * w2i + b2i * w2r;
      yr[o0 + 3 * s] = b3r * w3r - b3i * w3i;
      yi[o0 + 3 * s] = b3r * w3i + b3i * w3r;
    }
  }
}

const C1 = Math.cos((2 * Math.PI) / 5);
const C2 = Math.cos((4 * Math.PI) / 5);
const S1 = Math.sin((2 * Math.PI) / 5);
const S2 = Math.sin((4 * Math.PI) / 5);
/** @internal The radix-5 and radix-3 butterfly constants, for the WebAssembly kernel. */
export const BUTTERFLY_CONSTANTS = { c1: C1, c2: C2, s1: S1, s2: S2, sin60: Math.sqrt(3) / 2 };

function radix5(
  st: Stage,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
): void {
  const s = st.stride;
  const m = st.n / 5;
  const ms = m * s;
  const tr = st.twRe;
  const ti = st.twIm;
  for (let p = 0; p < m; p++) {
    const w = p * 5;
    const w1r = tr[w + 1]!;
    const w1i = ti[w + 1]!;
    const w2r = tr[w + 2]!;
    const w2i = ti[w + 2]!;
    const w3r = tr[w + 3]!;
    const w3i = ti[w + 3]!;
    const w4r = tr[w + 4]!;
    const w4i = ti[w + 4]!;
    for (let q = 0; q < s; q++) {
      const i0 = s * p + q;
      const a0r = xr[i0]!;
      const a0i = xi[i0]!;
      const a1r = xr[i0 + ms]!;
      const a1i = xi[i0 + ms]!;
      const a2r = xr[i0 + 2 * ms]!;
      const a2i = xi[i0 + 2 * ms]!;
      const a3r = xr[i0 + 3 * ms]!;
      const a3i = xi[i0 + 3 * ms]!;
      const a4r = xr[i0 + 4 * ms]!;
      const a4i = xi[i0 + 4 * ms]!;
      const t1r = a1r + a4r;
      const t1i = a1i + a4i;
      const t2r = a2r + a3r;
      const t2i = a2i + a3i;
      const t3r = a1r - a4r;
      const t3i = a1i - a4i;
      const t4r = a2r - a3r;
      const t4i = a2i - a3i;
      const m1r = a0r + C1 * t1r + C2 * t2r;
      const m1i = a0i + C1 * t1i + C2 * t2i;
      const m2r = a0r + C2 * t1r + C1 * t2r;
      const m2i = a0i + C2 * t1i + C1 * t2i;
      const n1r = S1 * t3r + S2 * t4r;
      const n1i = S1 * t3i + S2 * t4i;
      const n2r = S2 * t3r - S1 * t4r;
      const n2i = S2 * t3i - S1 * t4i;
      // b1 = m1 - i·n1, b4 = m1 + i·n1, b2 = m2 - i·n2, b3 = m2 + i·n2
      const b1r = m1r + n1i;
      const b1i = m1i - n1r;
      const b4r = m1r - n1i;
      const b4i = m1i + n1r;
      const b2r = m2r + n2i;
      const b2i = m2i - n2r;
      const b3r = m2r - n2i;
      const b3i = m2i + n2r;
      const o0 = s * 5 * p + q;
      yr[o0] = a0r + t1r + t2r;
      yi[o0] = a0i + t1i + t2i;
      yr[o0 + s] = b1r * w1r - b1i * w1i;
      yi[o0 + s] = b1r * w1i + b1i * w1r;
      yr[o0 + 2 * s] = b2r * w2r - b2i * w2i;
      yi[o0 + 2 * s] = b2r * w2i + b2i * w2r;
      yr[o0 + 3 * s] = b3r * w3r - b3i * w3i;
      yi[o0 + 3 * s] = b3r * w3i + b3i * w3r;
      yr[o0 + 4 * s] = b4r * w4r - b4i * w4i;
      yi[o0 + 4 * s] = b4r * w4i + b4i * w4r;
    }
  }
}

function radixGeneric(
  st: Stage,
  xr: Float64Array,
  xi: Float64Array,
  yr: Float64Array,
  yi: Float64Array,
): void {
  const r = st.radix;
  const s = st.stride;
  const m = st.n / r;
  const ms = m * s;
  for (let p = 0; p < m; p++) {
    for (let q = 0; q < s; q++) {
      const i0 = s * p + q;
      const o0 = s * r * p + q;
      for (let u = 0; u < r; u++) {
        let accR = 0;
        let accI = 0;
        for (let t = 0; t < r; t++) {
          const k = (t * u) % r;
          const ar = xr[i0 + t * ms]!;
          const ai = xi[i0 + t * ms]!;
          const cr = st.rootRe[k]!;
          const ci = st.rootIm[k]!;
          accR += ar * cr - ai * ci;
          accI += ar * ci + ai * cr;
        }
        const wr = st.twRe[p * r + u]!;
        const wi = st.twIm[p * r + u]!;
        yr[o0 + u * s] = accR * wr - accI * wi;
        yi[o0 + u * s] = accR * wi + accI * wr;
      }
    }
  }
}

/**
 * Power spectra |X[k]|², k = 0..N/2, of `batch` real frames of length N at once. Even N uses one
 * N/2-point complex FFT on the interleaved even/odd samples; odd N an N-point complex FFT.
 *
 * Layout: `frames[j * batch + b]` is sample j of frame b; `out[k * batch + b]` is bin k of frame b.
 */
export class RealPowerSpectrum {
  readonly size: number;
  readonly bins: number;
  readonly batch: number;
  private readonly half: number;
  private readonly fft: ComplexFft;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(size: number, batch = 1) {
    this.size = size;
    this.batch = batch;
    this.bins = Math.floor(size / 2) + 1;
    const even = size % 2 === 0;
    this.half = even ? size / 2 : 0;
    this.fft = new ComplexFft(even ? size / 2 : size, batch);
    this.re = new Float64Array(this.fft.size * batch);
    this.im = new Float64Array(this.fft.size * batch);
    this.cos = new Float64Array(this.bins);
    this.sin = new Float64Array(this.bins);
    for (let k = 0; k < this.bins; k++) {
      this.cos[k] = Math.cos((2 * Math.PI * k) / size);
      this.sin[k] = Math.sin((2 * Math.PI * k) / size);
    }
  }

  /**
   * Where to write the frames before {@link computePacked}: sample j of frame b goes to
   * `real[(j >> 1) * batch + b]` for even j and `imag[(j >> 1) * batch + b]` for odd j when N is
   * even (the packing the half-length FFT needs, done by the caller's gather for free); for odd N
   * to `real[j * batch + b]`, with `imag` zeroed by the caller.
   */
  get real(): Float64Array {
    return this.re;
  }

  get imag(): Float64Array {
    return this.im;
  }

  /**
   * @internal The packed (even N) plan — half-size FFT stages and the split's cos/sin tables —
   * for the WebAssembly kernel; null for odd N.
   */
  get packedPlan(): {
    half: number;
    stages: readonly Stage[];
    cos: Float64Array;
    sin: Float64Array;
  } | null {
    if (this.half === 0) return null;
    return { half: this.half, stages: this.fft.plan, cos: this.cos, sin: this.sin };
  }

  /** Unpacked convenience form: `frames[j * batch + b]` is sample j of frame b. */
  compute(frames: Float64Array, out: Float64Array): void {
    const B = this.batch;
    if (this.half === 0) {
      this.re.set(frames.subarray(0, this.size * B));
      this.im.fill(0);
    } else {
      for (let j = 0; j < this.half; j++) {
        for (let b = 0; b < B; b++) {
          this.re[j * B + b] = frames[2 * j * B + b]!;
          this.im[j * B + b] = frames[(2 * j + 1) * B + b]!;
        }
      }
    }
    this.computePacked(out);
  }

  /** Power spectra of the frames already placed in {@link real}/{@link imag}; destroys them. */
  computePacked(out: Float64Array): void {
    const re = this.re;
    const im = this.im;
    const half = this.half;
    const B = this.batch;
    if (half === 0) {
      this.fft.transform(re, im);
      for (let i = 0; i < this.bins * B; i++) out[i] = re[i]! * re[i]! + im[i]! * im[i]!;
      return;
    }
    this.fft.transform(re, im);
    // Split the packed transform: X[k] = E[k] + W^k·O[k], with E, O the spectra of the even and
    // odd samples recovered from Z[k] and conj(Z[half-k]).
    for (let k = 0; k <= half; k++) {
      const a = (k === half ? 0 : k) * B;
      const bb = (k === 0 ? 0 : half - k) * B;
      const c = this.cos[k]!;
      const s = this.sin[k]!;
      const o = k * B;
      for (let b = 0; b < B; b++) {
        const ar = re[a + b]!;
        const ai = im[a + b]!;
        const br = re[bb + b]!;
        const bi = -im[bb + b]!;
        const er = 0.5 * (ar + br);
        const ei = 0.5 * (ai + bi);
        // O = -i·(A - B)/2
        const or = 0.5 * (ai - bi);
        const oi = -0.5 * (ar - br);
        const xr = er + c * or + s * oi;
        const xi = ei + c * oi - s * or;
        out[o + b] = xr * xr + xi * xi;
      }
    }
  }
}
