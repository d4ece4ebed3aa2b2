import { pySplit } from './python-text.js';

/** British → American spelling map (`normalizer.json` of a Whisper checkpoint / whisper's english.json). */
export type SpellingMap = ReadonlyMap<string, string>;

/**
 * Builds a {@link SpellingMap} from the parsed JSON object of `normalizer.json`.
 * Non-string values are rejected with a TypeError naming the offending key.
 *
 * @example
 * ```ts
 * const map = spellingMapFromObject({ colour: 'color' });
 * ```
 */
export function spellingMapFromObject(obj: Readonly<Record<string, unknown>>): SpellingMap {
  const map = new Map<string, string>();
  for (const [key, value] of Object.entries(obj)) {
    if (typeof value !== 'string') {
      throw new TypeError(`Expected a string spelling for "${key}" but received ${typeof value}`);
    }
    map.set(key, value);
  }
  return map;
}

/**
 * Word-by-word spelling replacement (openai/whisper `EnglishSpellingNormalizer`). Splits on
 * whitespace and joins with single spaces, so the result is also trimmed.
 *
 * @example
 * ```ts
 * new EnglishSpellingNormalizer(new Map([['colour', 'color']])).normalize('the colour'); // 'the color'
 * ```
 */
export class EnglishSpellingNormalizer {
  readonly mapping: SpellingMap;

  constructor(mapping: SpellingMap) {
    this.mapping = mapping;
  }

  /** Normalises one string. */
  normalize(text: string): string {
    return pySplit(text)
      .map((word) => this.mapping.get(word) ?? word)
      .join(' ');
  }
}
