// Text with special tokens written inside it, as pseudo-labelling stores labels
// (`<|startoftranscript|><|en|><|transcribe|><|0.00|> Hello.<|2.00|><|endoftext|>`), to ids. The
// reference force-adds the 1501 timestamp tokens to its tokenizer (run_distillation.py), so a
// timestamp's text is its token even for tokenizer files that lack them as added tokens.
import type { WhisperTokenizer } from '@distil-whisper/tokenizer';

const TIMESTAMP_TEXT = /<\|\d{1,2}\.\d{2}\|>/g;

/** Id of a timestamp token spelled `text`, or undefined when no token is spelled so (e.g. `<|0.01|>`, `<|31.00|>`). */
function timestampId(tokenizer: WhisperTokenizer, text: string): number | undefined {
  const seconds = Number(text.slice(2, -2));
  if (!(seconds >= 0 && seconds <= 30)) return undefined;
  const id = tokenizer.secondsToTimestamp(seconds);
  return tokenizer.idToToken(id) === text ? id : undefined;
}

/**
 * Ids of a string in which every added token (`<|startoftranscript|>`, `<|en|>`,
 * `<|notimestamps|>`, `<|endoftext|>`, …) and every timestamp `<|t.tt|>` is that token, the rest
 * byte-level BPE: Hugging Face's `tokenizer(text, add_special_tokens=False)` with the timestamps
 * added, which is what the reference tokenises stored labels with.
 *
 * @example
 * ```ts
 * encodeLabelText(tok, '<|startoftranscript|><|notimestamps|> Hi.<|endoftext|>');
 * // [50257, 50362, 15902, 13, 50256] (English-only vocabulary)
 * ```
 */
export function encodeLabelText(tokenizer: WhisperTokenizer, text: string): number[] {
  const out: number[] = [];
  const encodePlain = (part: string): void => {
    if (part.length > 0) out.push(...tokenizer.encode(part, { allowedSpecial: 'all' }));
  };
  let start = 0;
  for (const m of text.matchAll(TIMESTAMP_TEXT)) {
    const id = timestampId(tokenizer, m[0]);
    // Text shaped like a timestamp that no token spells stays text, as in the reference.
    if (id === undefined) continue;
    encodePlain(text.slice(start, m.index));
    out.push(id);
    start = m.index + m[0].length;
  }
  encodePlain(text.slice(start));
  return out;
}
