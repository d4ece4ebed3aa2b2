// openai/whisper's `non_speech_tokens`: tokens that only spell symbols or music signs, suppressed
// during generation so that the model does not transcribe speaker tags or non-speech annotations.

const SYMBOLS: readonly string[] = [
  ...'"#()*+/:;<=>@[\\]^_`{|}~「」『』',
  ...'<< >> <<< >>> -- --- -( -[ (\' (" (( )) ((( ))) [[ ]] {{ }} ♪♪ ♪♪♪'.split(' '),
];
// U+2640..U+267F: allowed to be suppressed even when they take several tokens.
const MISCELLANEOUS: readonly string[] = [...'♩♪♫♬♭♮♯'];

/**
 * Computes the non-speech token ids for a vocabulary given its ordinary encoder: the single-token
 * encodings of each symbol with and without a leading space, the first token of each music sign,
 * and the first token of `" -"` and `" '"`. Sorted ascending.
 */
export function computeNonSpeechTokens(encode: (text: string) => number[]): number[] {
  const result = new Set<number>([encode(' -')[0]!, encode(" '")[0]!]);
  for (const symbol of [...SYMBOLS, ...MISCELLANEOUS]) {
    const misc = MISCELLANEOUS.includes(symbol);
    for (const tokens of [encode(symbol), encode(' ' + symbol)]) {
      if (tokens.length === 1 || misc) result.add(tokens[0]!);
    }
  }
  return [...result].sort((a, b) => a - b);
}
