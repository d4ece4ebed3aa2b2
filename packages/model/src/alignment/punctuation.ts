// Punctuation joins its neighbour word (openai/whisper merge_punctuations; transformers'
// _merge_punctuations): opening marks join the next word, closing marks the previous one.

import type { WordTiming } from './words';

/** transformers' prepended punctuation (openai/whisper's plus the inverted exclamation mark). */
export const PREPEND_PUNCTUATIONS = '"\'“¡¿([{-';
/** Appended punctuation, the same in both references. */
export const APPEND_PUNCTUATIONS = '"\'.。,，!！?？:：”)]}、';

// Characters for which Python's str.isspace() holds: the references strip them before the test.
const PY_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
  0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
  0x205f, 0x3000,
]);

function pyStrip(text: string): string {
  let a = 0;
  let b = text.length;
  while (a < b && PY_SPACE.has(text.charCodeAt(a))) a++;
  while (b > a && PY_SPACE.has(text.charCodeAt(b - 1))) b--;
  return text.slice(a, b);
}

/**
 * Merges punctuation words into their neighbours, in place, and returns the words that are left
 * (the emptied ones removed). A word that starts with a space and whose stripped text occurs in
 * `prepended` joins the following word; a word that occurs in `appended` joins the previous word
 * unless that one ends with a space. Both tests are substring tests, as Python's `in` on strings.
 *
 * Times: the receiving word keeps its own start, end and probability (openai/whisper), so a
 * trailing "." never stretches a word over the silence after it. transformers instead re-times
 * merged words from their first and last token; see the package README for why we differ.
 */
export function mergePunctuations(
  words: WordTiming[],
  prepended: string = PREPEND_PUNCTUATIONS,
  appended: string = APPEND_PUNCTUATIONS,
): WordTiming[] {
  let i = words.length - 2;
  let j = words.length - 1;
  while (i >= 0) {
    const previous = words[i]!;
    const following = words[j]!;
    if (previous.word.startsWith(' ') && prepended.includes(pyStrip(previous.word))) {
      following.word = previous.word + following.word;
      following.tokens = [...previous.tokens, ...following.tokens];
      previous.word = '';
      previous.tokens = [];
    } else j = i;
    i--;
  }
  i = 0;
  j = 1;
  while (j < words.length) {
    const previous = words[i]!;
    const following = words[j]!;
    if (!previous.word.endsWith(' ') && appended.includes(following.word)) {
      previous.word += following.word;
      previous.tokens = [...previous.tokens, ...following.tokens];
      following.word = '';
      following.tokens = [];
    } else i = j;
    j++;
  }
  return words.filter((w) => w.word !== '');
}
