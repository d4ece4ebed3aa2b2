// GPT-2's byte-level alphabet: every byte is shown as one printable code point so that BPE tokens
// can be stored as JSON strings (vocab.json, merges.txt, tokenizer.json). Printable Latin-1 bytes map
// to themselves; the 68 others map to U+0100 upwards, in byte order.

function buildByteToChar(): string[] {
  const table: string[] = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable =
      (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : next++);
  }
  return table;
}

/** Byte value → its printable stand-in character. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

// Char code → byte + 1 (0: not in the alphabet). The alphabet ends below U+0144.
const CHAR_TO_BYTE = new Uint16Array(0x144);
BYTE_TO_CHAR.forEach((ch, b) => {
  CHAR_TO_BYTE[ch.charCodeAt(0)] = b + 1;
});

/**
 * Bytes of a byte-level token string (`"Ġhello"` → ` hello`), or undefined when the string uses a
 * character outside the byte alphabet (then it is not a byte-level BPE token).
 */
export function byteLevelToBytes(token: string): Uint8Array | undefined {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    const b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c]! : 0;
    if (b === 0) return undefined;
    out[i] = b - 1;
  }
  return out;
}

/** Inverse of {@link byteLevelToBytes}. */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += BYTE_TO_CHAR[b];
  return s;
}
