// A forward-only view of a sample stream: ranges are read in non-decreasing order, so only the
// samples between the current range's start and the stream's read position are held.

/** A range of samples held by {@link SampleReader}: `data[0]` is sample `origin`. */
export interface SampleSpan {
  data: Float32Array;
  origin: number;
}

/**
 * Reads `[start, end)` ranges out of a stream of sample chunks, pulling chunks as needed and
 * dropping everything before the latest `start`. Memory stays about one range plus one chunk.
 *
 * @example
 * ```ts
 * const reader = new SampleReader(streamAudio('talk.mp3'));
 * const { data, origin } = await reader.read(480_000, 960_000); // seconds 30–60
 * await reader.close();
 * ```
 */
export class SampleReader {
  #it: AsyncIterator<Float32Array>;
  #buf = new Float32Array(1 << 16);
  #origin = 0;
  #length = 0;
  #done = false;

  constructor(chunks: AsyncIterable<Float32Array>) {
    this.#it = chunks[Symbol.asyncIterator]();
  }

  /** Samples received so far (all of them once the stream has ended). */
  get received(): number {
    return this.#origin + this.#length;
  }

  /** True once the stream has ended. */
  get ended(): boolean {
    return this.#done;
  }

  /**
   * Samples `[start, end)`, or fewer where the stream ends first. `start` must not be below a
   * previous call's `start`. The returned view is valid until the next call.
   */
  async read(start: number, end: number): Promise<SampleSpan> {
    if (start < this.#origin)
      throw new RangeError(`SampleReader reads forward only: ${start} < ${this.#origin}`);
    this.#drop(Math.min(start, this.received));
    while (!this.#done && this.received < end) {
      const next = await this.#it.next();
      if (next.done) this.#done = true;
      else this.#append(next.value);
    }
    // Skip whatever lies between the buffer and a start past it (a region filter may do that).
    this.#drop(Math.min(start, this.received));
    const from = start - this.#origin;
    const to = Math.max(from, Math.min(end, this.received) - this.#origin);
    return { data: this.#buf.subarray(from, to), origin: start };
  }

  /** Reads to the end of the stream, calling `each` with every chunk (for counting passes). */
  static async drain(
    chunks: AsyncIterable<Float32Array>,
    each: (chunk: Float32Array, offset: number) => void,
  ): Promise<number> {
    let n = 0;
    for await (const c of chunks) {
      each(c, n);
      n += c.length;
    }
    return n;
  }

  /** Stops the stream early (closes the file / decoder). */
  async close(): Promise<void> {
    if (!this.#done) {
      this.#done = true;
      await this.#it.return?.();
    }
  }

  #drop(upTo: number): void {
    const n = upTo - this.#origin;
    if (n <= 0) return;
    this.#buf.copyWithin(0, n, this.#length);
    this.#length -= n;
    this.#origin = upTo;
  }

  #append(chunk: Float32Array): void {
    const need = this.#length + chunk.length;
    if (need > this.#buf.length) {
      const grown = new Float32Array(Math.max(need, this.#buf.length * 2));
      grown.set(this.#buf.subarray(0, this.#length));
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#length);
    this.#length = need;
  }
}
