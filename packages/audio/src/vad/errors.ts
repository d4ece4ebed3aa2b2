/**
 * Stable reasons a {@link VadError} is thrown.
 *
 * - `MODEL_NOT_FOUND`: the converted Silero VAD files are not where they were looked for (the
 *   message lists the places and how to make them: `bash tools/vad/fetch.sh`).
 * - `MODEL_INVALID`: config.json or model.safetensors is malformed or holds other tensors/shapes.
 * - `INVALID_OPTION`: an option is out of range (a threshold outside [0, 1], a negative duration).
 * - `INVALID_INPUT`: the samples are not a Float32Array at 16 kHz, or hold non-finite values.
 * - `ABORTED`: the caller's AbortSignal fired.
 */
export type VadErrorCode =
  'MODEL_NOT_FOUND' | 'MODEL_INVALID' | 'INVALID_OPTION' | 'INVALID_INPUT' | 'ABORTED';

/**
 * Voice activity detection cannot run. `code` is stable; `message` says what to do.
 *
 * @example
 * ```ts
 * try { SileroVad.load(); }
 * catch (e) { if (e instanceof VadError && e.code === 'MODEL_NOT_FOUND') console.error(e.message); }
 * ```
 */
export class VadError extends Error {
  override readonly name = 'VadError';
  /** Stable reason; see {@link VadErrorCode}. */
  readonly code: VadErrorCode;

  constructor(code: VadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
