import { MetricsError } from '../errors.js';
import type { TextNormalizer } from '../wer/measures.js';
import { BasicTextNormalizer, type BasicTextNormalizerOptions } from './basic.js';
import { EnglishTextNormalizer, type EnglishTextNormalizerOptions } from './english.js';

/** Names accepted by {@link createNormalizer}. */
export type NormalizerName = 'english' | 'basic' | 'none';

/** Options of {@link createNormalizer}; each applies only to the normaliser it belongs to. */
export type CreateNormalizerOptions = EnglishTextNormalizerOptions & BasicTextNormalizerOptions;

/**
 * A normaliser function by name: `'english'` (Whisper's English normaliser, the paper's choice),
 * `'basic'` (Whisper's multilingual one) or `'none'` (identity).
 *
 * @throws {@link MetricsError} `INVALID_ARGUMENT` for an unknown name.
 * @example
 * ```ts
 * const normalize = createNormalizer('english', { spellingMap });
 * corpusWer(refs, hyps, { normalizer: normalize });
 * ```
 */
export function createNormalizer(
  name: NormalizerName,
  options: CreateNormalizerOptions = {},
): TextNormalizer {
  switch (name) {
    case 'english': {
      const n = new EnglishTextNormalizer(options);
      return (text) => n.normalize(text);
    }
    case 'basic': {
      const n = new BasicTextNormalizer(options);
      return (text) => n.normalize(text);
    }
    case 'none':
      return (text) => text;
    default:
      throw new MetricsError(
        'INVALID_ARGUMENT',
        `Expected 'english', 'basic' or 'none' for the normaliser but received ${JSON.stringify(name)}`,
      );
  }
}
