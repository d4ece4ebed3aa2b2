// The per-sequence decoder state: the preallocated self-attention KV cache and the
// cross-attention K/V of the audio windows, computed once when the state is opened.
import { keep, linear, tidy, Tensor } from '@distil-whisper/kernels';

import { EncoderOutput } from './encoder-output';
import { ModelError } from './errors';
import { toActivation, type GraphContext } from './graph/context';

/** Options of {@link WhisperModel.createDecoderState}. */
export interface DecoderStateOptions {
  /**
   * Decoder rows per audio window (e.g. `numBeams` or the number of samples): row `r` attends to
   * window `floor(r / repeat)`, like transformers' `repeat_interleave` expansion. Default: 1.
   */
  repeat?: number;
  /**
   * Explicit window index of every decoder row (overrides `repeat`), e.g. `[0, 0, 1]`.
   */
  rows?: readonly number[];
  /** Capacity of the self-attention KV cache in tokens. Default and maximum: `maxTargetPositions`. */
  maxLength?: number;
}

/**
 * Per-sequence decoder state: the preallocated self-attention KV cache (`maxLength` positions,
 * every decoder layer) and the cross-attention K/V of the audio windows, computed once by
 * {@link WhisperModel.createDecoderState}. Rows are the sequences decoded together (batch ×
 * beams). Owns native memory: call {@link DecoderState.dispose}.
 */
export class DecoderState {
  /** @internal self-attention K and V per layer, `[rows, maxLength, heads, headDim]`, activation dtype. */
  selfK: Tensor[];
  /** @internal */
  selfV: Tensor[];
  /** @internal cross-attention K and V per layer, `[windows, encoderPositions, heads, headDim]`, activation dtype. */
  readonly crossK: Tensor[];
  /** @internal */
  readonly crossV: Tensor[];
  /** @internal window of each row. */
  rowWindow: number[];
  #length = 0;
  #disposed = false;
  /** Capacity of the KV cache in tokens. */
  readonly maxLength: number;

  /** @internal Created by {@link WhisperModel.createDecoderState}. */
  constructor(
    selfK: Tensor[],
    selfV: Tensor[],
    crossK: Tensor[],
    crossV: Tensor[],
    rowWindow: number[],
    maxLength: number,
  ) {
    this.selfK = selfK;
    this.selfV = selfV;
    this.crossK = crossK;
    this.crossV = crossV;
    this.rowWindow = rowWindow;
    this.maxLength = maxLength;
  }

  /** Number of decoder rows (sequences). */
  get batch(): number {
    return this.rowWindow.length;
  }
  /** Tokens already in the cache (the position of the next token). */
  get length(): number {
    return this.#length;
  }
  /** Number of audio windows the rows attend to. */
  get windows(): number {
    return this.crossK[0]?.shape[0] ?? 0;
  }
  /** Window index of every row. */
  get rows(): readonly number[] {
    return this.rowWindow;
  }
  /** True once {@link DecoderState.dispose} has run. */
  get disposed(): boolean {
    return this.#disposed;
  }

  /** @internal */
  advance(n: number): void {
    this.#length += n;
  }

  /** @internal */
  assertLive(): void {
    if (this.#disposed) throw new ModelError('DISPOSED', 'this decoder state has been disposed');
  }

  /**
   * Forgets cached tokens beyond `length` (e.g. tokens rejected by speculative decoding); the
   * next {@link WhisperModel.decode} continues at that position.
   */
  rewind(length: number): void {
    this.assertLive();
    if (!Number.isInteger(length) || length < 0 || length > this.#length)
      throw new ModelError(
        'INVALID_ARGUMENT',
        `rewind(${length}): length must be an integer in [0, ${this.#length}]`,
      );
    this.#length = length;
  }

  /**
   * Reorders (and possibly resizes) the rows for beam search: new row `i` continues old row
   * `beamIndices[i]` (its KV cache is copied; its audio window follows it). Indices may repeat
   * or be dropped. Identity orders cost nothing.
   *
   * @example
   * ```ts
   * state.reorder([0, 0, 2, 1]); // rows 0 and 1 now both continue old row 0, ...
   * ```
   */
  reorder(beamIndices: ArrayLike<number>): void {
    this.assertLive();
    const n = beamIndices.length;
    const old = this.batch;
    const idx = Array.from(beamIndices);
    for (const i of idx)
      if (!Number.isInteger(i) || i < 0 || i >= old)
        throw new ModelError('INVALID_ARGUMENT', `reorder: beam index ${i} is outside [0, ${old})`);
    if (n === old && idx.every((v, i) => v === i)) return;
    if (n === 0) throw new ModelError('INVALID_ARGUMENT', 'reorder: at least one row must remain');
    const len = this.#length;
    const gather = (src: Tensor): Tensor => {
      const shape = [n, ...src.shape.slice(1)];
      const dst = Tensor.empty(shape, { dtype: src.dtype, device: src.device });
      if (len > 0)
        tidy(() => {
          for (let i = 0; i < n; i++)
            dst
              .slice(0, i, i + 1)
              .slice(1, 0, len)
              .assign(src.slice(0, idx[i]!, idx[i]! + 1).slice(1, 0, len));
        });
      return dst;
    };
    const swap = (list: Tensor[]): Tensor[] =>
      list.map((t) => {
        const g = gather(t);
        t.dispose();
        return g;
      });
    this.selfK = swap(this.selfK);
    this.selfV = swap(this.selfV);
    this.rowWindow = idx.map((i) => this.rowWindow[i]!);
  }

  /** Releases the KV caches. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const t of [...this.selfK, ...this.selfV, ...this.crossK, ...this.crossV]) t.dispose();
  }
  /** Same as {@link DecoderState.dispose}, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * Opens a decoder state against encoded windows (arguments as {@link WhisperModel.createDecoderState}):
 * validates the row map and capacity, computes every decoder layer's cross-attention K/V once
 * (transformers' EncoderDecoderCache cross-attention part) and preallocates the self-attention
 * cache.
 */
export function openDecoderState(
  ctx: GraphContext,
  encoderOutput: EncoderOutput | Tensor,
  options: DecoderStateOptions,
): DecoderState {
  const { config } = ctx;
  const hidden =
    encoderOutput instanceof EncoderOutput ? encoderOutput.hiddenStates : encoderOutput;
  const [windows, positions, d] = hidden.shape as [number, number, number];
  if (hidden.rank !== 3 || d !== config.dModel)
    throw new ModelError(
      'INVALID_ARGUMENT',
      `encoder output must be [windows, positions, ${config.dModel}], got [${hidden.shape.join(', ')}]`,
    );
  let rows: number[];
  if (options.rows) {
    rows = [...options.rows];
    if (rows.length === 0 || rows.some((r) => !Number.isInteger(r) || r < 0 || r >= windows))
      throw new ModelError(
        'INVALID_ARGUMENT',
        `rows must be a non-empty list of window indices in [0, ${windows})`,
      );
  } else {
    const repeat = options.repeat ?? 1;
    if (!Number.isInteger(repeat) || repeat < 1)
      throw new ModelError('INVALID_ARGUMENT', `repeat must be a positive integer, got ${repeat}`);
    rows = Array.from({ length: windows * repeat }, (_, i) => Math.floor(i / repeat));
  }
  const maxLength = options.maxLength ?? config.maxTargetPositions;
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > config.maxTargetPositions)
    throw new ModelError(
      'INVALID_ARGUMENT',
      `maxLength must be an integer in [1, ${config.maxTargetPositions}], got ${maxLength}`,
    );
  const heads = config.decoderAttentionHeads;
  const hd = d / heads;
  const crossK: Tensor[] = [];
  const crossV: Tensor[] = [];
  const selfK: Tensor[] = [];
  const selfV: Tensor[] = [];
  const cache = { dtype: ctx.activationDtype, device: ctx.device };
  // Another model's encoder output (an assistant's main model) may be in another dtype.
  const x = toActivation(ctx, hidden);
  try {
    for (const layer of ctx.weights.decoder.layers) {
      const w = layer.encoderAttn;
      const kvDtype = ctx.crossKvDtype ?? ctx.activationDtype;
      const stored = (t: Tensor): Tensor => (t.dtype === kvDtype ? t : t.cast(kvDtype));
      crossK.push(
        tidy(() => keep(stored(linear(x, w.kWeight)).reshape([windows, positions, heads, hd]))),
      );
      crossV.push(
        tidy(() =>
          keep(stored(linear(x, w.vWeight, w.vBias)).reshape([windows, positions, heads, hd])),
        ),
      );
      selfK.push(Tensor.empty([rows.length, maxLength, heads, hd], cache));
      selfV.push(Tensor.empty([rows.length, maxLength, heads, hd], cache));
    }
  } catch (err) {
    for (const t of [...crossK, ...crossV, ...selfK, ...selfV]) t.dispose();
    throw err;
  } finally {
    if (x !== hidden) x.dispose();
  }
  return new DecoderState(selfK, selfV, crossK, crossV, rows, maxLength);
}
