import { ProblemListError } from '../errors';

/**
 * Stable codes of {@link Ct2Error}:
 * - `FILE_NOT_FOUND`: the directory lacks model.bin (or a file it needs).
 * - `MODEL_BIN_INVALID`: model.bin is truncated or its header lies (sizes, names, trailing bytes).
 * - `UNSUPPORTED_VERSION`: a binary version this reader does not know (supported: 4–6).
 * - `UNSUPPORTED_MODEL`: not a Whisper model, or one whose options change the graph (activation,
 *   ALiBi, embedding scaling, post-norm, ...), or a dtype with no dequantisation rule.
 * - `VARIABLES_MISMATCH`: variables missing or mis-shaped for the dims they imply (lists all).
 * - `CONFIG_INVALID`: config.json of the CTranslate2 directory is not valid JSON.
 * - `TOKENIZER_NOT_FOUND`: no tokenizer.json in the directory and no reference tokenizer for its
 *   vocabulary size.
 */
export type Ct2ErrorCode =
  | 'FILE_NOT_FOUND'
  | 'MODEL_BIN_INVALID'
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_MODEL'
  | 'VARIABLES_MISMATCH'
  | 'CONFIG_INVALID'
  | 'TOKENIZER_NOT_FOUND';

/**
 * A CTranslate2 model directory or model.bin cannot be read or mapped onto Whisper. `code` is
 * stable; `problems` lists every individual finding and `path` the file concerned.
 *
 * @example
 * ```ts
 * try { loadCt2Checkpoint('./faster-whisper-base'); }
 * catch (e) { if (e instanceof Ct2Error) console.error(e.code, e.problems); }
 * ```
 */
export class Ct2Error extends ProblemListError<Ct2ErrorCode> {
  override readonly name = 'Ct2Error';
}
