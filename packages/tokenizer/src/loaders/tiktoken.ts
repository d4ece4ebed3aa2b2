import { TokenizerError } from '../errors.js';
import { WHISPER_LANGUAGES } from '../languages.js';
import { timestampText } from '../timestamps.js';
import { validateTokenizerData, type AddedToken, type TokenizerData } from '../vocabulary.js';

/** Options of {@link parseTiktoken}. */
export interface TiktokenOptions {
  /** Number of language tokens: 99 (default, every checkpoint before large-v3) or 100 (v3, adds `yue`). */
  readonly numLanguages?: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The special tokens openai/whisper appends after the ranks (`get_encoding` in
 * whisper/tokenizer.py), in id order. openai/whisper names the no-speech token `<|nospeech|>` in
 * every vocabulary.
 */
export function whisperSpecialTokenNames(numLanguages: number): string[] {
  if (
    !Number.isInteger(numLanguages) ||
    numLanguages < 1 ||
    numLanguages > WHISPER_LANGUAGES.length
  ) {
    throw new TokenizerError(
      'INVALID_ARGUMENT',
      `numLanguages must be an integer from 1 to ${WHISPER_LANGUAGES.length}, got ${numLanguages}`,
    );
  }
  const names = ['<|endoftext|>', '<|startoftranscript|>'];
  for (const lang of WHISPER_LANGUAGES.slice(0, numLanguages)) names.push(`<|${lang.code}|>`);
  names.push(
    '<|translate|>',
    '<|transcribe|>',
    '<|startoflm|>',
    '<|startofprev|>',
    '<|nospeech|>',
    '<|notimestamps|>',
  );
  for (let i = 0; i <= 1500; i++) names.push(timestampText(i));
  return names;
}

/**
 * Parses an OpenAI `.tiktoken` rank file (`<base64 bytes> <rank>` per line) and adds Whisper's
 * special tokens exactly as openai/whisper builds them, ids consecutive after the last rank.
 *
 * @throws {@link TokenizerError} `MALFORMED_FILE` for a bad line, a duplicate rank or a gap.
 *
 * @example
 * ```ts
 * const data = parseTiktoken(readFileSync('multilingual.tiktoken', 'utf8'), { numLanguages: 100 });
 * const v3 = new WhisperTokenizer(data);
 * ```
 */
export function parseTiktoken(text: string, options: TiktokenOptions = {}): TokenizerData {
  const tokenBytes: Uint8Array[] = [];
  const lines = text.split('\n');
  let count = 0;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const space = line.indexOf(' ');
    const b64 = space < 0 ? '' : line.slice(0, space);
    const rankText = space < 0 ? '' : line.slice(space + 1);
    const rank = Number(rankText);
    if (!BASE64.test(b64) || !/^\d+$/.test(rankText) || rank > 0xffffff) {
      throw new TokenizerError(
        'MALFORMED_FILE',
        `.tiktoken line ${i + 1}: expected "<base64> <rank>", got ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    if (tokenBytes[rank] !== undefined) {
      throw new TokenizerError(
        'MALFORMED_FILE',
        `.tiktoken line ${i + 1}: rank ${rank} appears twice`,
      );
    }
    tokenBytes[rank] = new Uint8Array(Buffer.from(b64, 'base64'));
    count++;
  });
  if (count === 0) throw new TokenizerError('MALFORMED_FILE', '.tiktoken file holds no ranks');
  if (count !== tokenBytes.length) {
    throw new TokenizerError(
      'MALFORMED_FILE',
      `.tiktoken ranks are not contiguous: ${count} ranks up to ${tokenBytes.length - 1}; the file may be truncated`,
    );
  }
  const numLanguages = options.numLanguages ?? 99;
  const added: AddedToken[] = whisperSpecialTokenNames(numLanguages).map((content, k) => ({
    id: count + k,
    content,
    special: true,
  }));
  const data: TokenizerData = {
    format: 'tiktoken',
    tokenBytes,
    merges: 'ranks',
    addedTokens: added,
  };
  validateTokenizerData(data, '.tiktoken');
  return data;
}
