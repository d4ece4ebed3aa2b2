// A tiny byte-level Whisper-shaped tokenizer.json built in memory, so that loader and error tests
// run without the reference data.
import { whisperSpecialTokenNames } from '../src/index.js';
import { BYTE_TO_CHAR } from '../src/byte-level.js';

export interface SyntheticTokenizer {
  model: { type: string; vocab: Record<string, number>; merges: string[] };
  added_tokens: { id: number; content: string; special: boolean }[];
  pre_tokenizer: { type: string; add_prefix_space: boolean; use_regex: boolean };
  normalizer: null;
}

const G = BYTE_TO_CHAR[0x20]!; // 'Ġ', the byte-level space

/** 256 bytes + merges for "he", "ll", "hell", "hello", " w"; then Whisper's specials (2 languages). */
export function syntheticTokenizerJson(): SyntheticTokenizer {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((ch, b) => {
    vocab[ch] = b;
  });
  const merges = ['h e', 'l l', 'he ll', 'hell o', `${G} w`];
  let next = 256;
  for (const m of merges) vocab[m.replace(' ', '')] = next++;
  const added = whisperSpecialTokenNames(2).map((content, k) => ({
    id: next + k,
    content,
    special: !/^<\|\d/.test(content),
  }));
  return {
    model: { type: 'BPE', vocab, merges },
    added_tokens: added,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    normalizer: null,
  };
}

export function syntheticTiktoken(): string {
  const lines: string[] = [];
  for (let b = 0; b < 256; b++) lines.push(`${Buffer.from([b]).toString('base64')} ${b}`);
  ['he', 'll', 'hell', 'hello', ' w'].forEach((t, k) =>
    lines.push(`${Buffer.from(t).toString('base64')} ${256 + k}`),
  );
  return lines.join('\n') + '\n';
}
