import { removeBracketedText, removeSymbolsAndDiacritics } from './basic.js';
import { EnglishNumberNormalizer } from './english-numbers.js';
import { EnglishSpellingNormalizer, type SpellingMap } from './english-spelling.js';
import { PY_DIGIT, PY_SPACE, WORD_END, WORD_START, collapseSpaces } from './python-text.js';

const fillers = new RegExp(`${WORD_START}(hmm|mm|mhm|mmm|uh|um)${WORD_END}`, 'gu');
const spaceBeforeApostrophe = new RegExp(`${PY_SPACE}+'`, 'gu');

// Applied in order, as upstream `EnglishTextNormalizer.replacers` (a Python dict keeps order).
// Whole-word rules get boundaries on both sides; suffix rules (`'s been`, `n't`) only at the end.
const whole = (word: string, by: string): [RegExp, string] => [
  new RegExp(`${WORD_START}${word}${WORD_END}`, 'gu'),
  by,
];
const suffix = (tail: string, by: string): [RegExp, string] => [
  new RegExp(`${tail}${WORD_END}`, 'gu'),
  by,
];

const REPLACERS: ReadonlyArray<[RegExp, string]> = [
  // common contractions
  whole("won't", 'will not'),
  whole("can't", 'can not'),
  whole("let's", 'let us'),
  whole("ain't", 'aint'),
  whole("y'all", 'you all'),
  whole('wanna', 'want to'),
  whole('gotta', 'got to'),
  whole('gonna', 'going to'),
  whole("i'ma", 'i am going to'),
  whole('imma', 'i am going to'),
  whole('woulda', 'would have'),
  whole('coulda', 'could have'),
  whole('shoulda', 'should have'),
  whole("ma'am", 'madam'),
  // titles and prefixes (the trailing space is upstream's; whitespace is collapsed later)
  whole('mr', 'mister '),
  whole('mrs', 'missus '),
  whole('st', 'saint '),
  whole('dr', 'doctor '),
  whole('prof', 'professor '),
  whole('capt', 'captain '),
  whole('gov', 'governor '),
  whole('ald', 'alderman '),
  whole('gen', 'general '),
  whole('sen', 'senator '),
  whole('rep', 'representative '),
  whole('pres', 'president '),
  whole('rev', 'reverend '),
  whole('hon', 'honorable '),
  whole('asst', 'assistant '),
  whole('assoc', 'associate '),
  whole('lt', 'lieutenant '),
  whole('col', 'colonel '),
  whole('jr', 'junior '),
  whole('sr', 'senior '),
  whole('esq', 'esquire '),
  // perfect tenses ("'s done" is ambiguous, so it is left to the general rule)
  suffix("'d been", ' had been'),
  suffix("'s been", ' has been'),
  suffix("'d gone", ' had gone'),
  suffix("'s gone", ' has gone'),
  suffix("'d done", ' had done'),
  suffix("'s got", ' has got'),
  // general contractions
  suffix("n't", ' not'),
  suffix("'re", ' are'),
  suffix("'s", ' is'),
  suffix("'d", ' would'),
  suffix("'ll", ' will'),
  suffix("'t", ' not'),
  suffix("'ve", ' have'),
  suffix("'m", ' am'),
];

const commaInNumber = new RegExp(`(${PY_DIGIT}),(${PY_DIGIT})`, 'gu');
const periodNotBeforeDigit = /\.([^0-9]|$)/gu;
const unattachedPrefixSymbol = /[.$¢€£]([^0-9])/gu;
const unattachedPercent = /([^0-9])%/gu;

/** Options of {@link EnglishTextNormalizer}. */
export interface EnglishTextNormalizerOptions {
  /**
   * British → American spelling map (see `loadSpellingMap`). Without it every other rule still
   * applies, spellings are left as they are, and `onWarning` is told once.
   */
  spellingMap?: SpellingMap | undefined;
  /**
   * Receives the one-time notice that no spelling map was given. Default: `process.emitWarning`
   * (or `console.warn` outside Node). Pass `() => {}` to silence it.
   */
  onWarning?: (message: string) => void;
}

/** Message given when an English normaliser is used without its spelling map. */
export const MISSING_SPELLING_MAP_WARNING =
  'EnglishTextNormalizer: no spelling map (normalizer.json) given; British spellings are not ' +
  "converted to American ones, so WER can differ from figures computed with Whisper's normaliser. " +
  'Pass { spellingMap: await loadSpellingMap(checkpointDir) }.';

function defaultWarn(message: string): void {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, o: object) => void } })
    .process;
  if (proc?.emitWarning) proc.emitWarning(message, { code: 'DW_METRICS_NO_SPELLING_MAP' });
  else console.warn(message);
}

/**
 * Whisper's English normaliser (openai/whisper `EnglishTextNormalizer`), the one the Distil-Whisper
 * paper applies before computing WER and before filtering pseudo-labels. In order: lower-case;
 * remove `[...]`, `<...>`, `(...)`; remove hesitations (hmm, mm, mhm, mmm, uh, um); expand
 * contractions and titles; drop commas inside numbers and periods not before a digit; NFKD and
 * drop diacritics and symbols except `. % $ ¢ € £`; spelled numbers → digits
 * ({@link EnglishNumberNormalizer}); British → American spellings; drop currency/percent symbols not
 * attached to a number; collapse whitespace. Upstream quirks are kept on purpose so numbers are
 * comparable (e.g. `"oh my god"` → `"0 my god"`, `"John's car"` → `"john is car"`).
 *
 * @example
 * ```ts
 * const english = new EnglishTextNormalizer({ spellingMap: await loadSpellingMap(dir) });
 * english.normalize("Mr. Smith's colour TV cost twenty dollars"); // 'mister smith is color tv cost $20'
 * ```
 */
export class EnglishTextNormalizer {
  readonly numbers = new EnglishNumberNormalizer();
  readonly spelling: EnglishSpellingNormalizer | undefined;
  private readonly onWarning: (message: string) => void;
  private warned = false;

  constructor(options: EnglishTextNormalizerOptions = {}) {
    this.spelling = options.spellingMap
      ? new EnglishSpellingNormalizer(options.spellingMap)
      : undefined;
    this.onWarning = options.onWarning ?? defaultWarn;
  }

  /** True when a spelling map was given (British → American conversion is active). */
  get hasSpellingMap(): boolean {
    return this.spelling !== undefined;
  }

  /** Normalises one string. */
  normalize(text: string): string {
    let s = removeBracketedText(text.toLowerCase());
    s = s.replace(fillers, '').replace(spaceBeforeApostrophe, "'");
    for (const [pattern, replacement] of REPLACERS) s = s.replace(pattern, replacement);
    s = s.replace(commaInNumber, '$1$2').replace(periodNotBeforeDigit, ' $1');
    s = removeSymbolsAndDiacritics(s, '.%$¢€£');
    s = this.numbers.normalize(s);
    if (this.spelling) s = this.spelling.normalize(s);
    else if (!this.warned) {
      this.warned = true;
      this.onWarning(MISSING_SPELLING_MAP_WARNING);
    }
    s = s.replace(unattachedPrefixSymbol, ' $1').replace(unattachedPercent, '$1 ');
    return collapseSpaces(s);
  }
}
