// The language table of openai/whisper (`LANGUAGES` in whisper/tokenizer.py): order matters, because
// the language tokens follow it (`<|en|>` is sot + 1, `<|zh|>` sot + 2, …). v3 checkpoints add `yue`.

/** One Whisper language: its code (the token is `<|code|>`) and its lower-case English name. */
export interface WhisperLanguage {
  /** ISO-639-1 style code used in the token, e.g. `"en"`, `"haw"`, `"yue"`. */
  readonly code: string;
  /** English name as openai/whisper spells it, e.g. `"english"`, `"haitian creole"`. */
  readonly name: string;
}

const TABLE: ReadonlyArray<readonly [string, string]> = [
  ['en', 'english'],
  ['zh', 'chinese'],
  ['de', 'german'],
  ['es', 'spanish'],
  ['ru', 'russian'],
  ['ko', 'korean'],
  ['fr', 'french'],
  ['ja', 'japanese'],
  ['pt', 'portuguese'],
  ['tr', 'turkish'],
  ['pl', 'polish'],
  ['ca', 'catalan'],
  ['nl', 'dutch'],
  ['ar', 'arabic'],
  ['sv', 'swedish'],
  ['it', 'italian'],
  ['id', 'indonesian'],
  ['hi', 'hindi'],
  ['fi', 'finnish'],
  ['vi', 'vietnamese'],
  ['he', 'hebrew'],
  ['uk', 'ukrainian'],
  ['el', 'greek'],
  ['ms', 'malay'],
  ['cs', 'czech'],
  ['ro', 'romanian'],
  ['da', 'danish'],
  ['hu', 'hungarian'],
  ['ta', 'tamil'],
  ['no', 'norwegian'],
  ['th', 'thai'],
  ['ur', 'urdu'],
  ['hr', 'croatian'],
  ['bg', 'bulgarian'],
  ['lt', 'lithuanian'],
  ['la', 'latin'],
  ['mi', 'maori'],
  ['ml', 'malayalam'],
  ['cy', 'welsh'],
  ['sk', 'slovak'],
  ['te', 'telugu'],
  ['fa', 'persian'],
  ['lv', 'latvian'],
  ['bn', 'bengali'],
  ['sr', 'serbian'],
  ['az', 'azerbaijani'],
  ['sl', 'slovenian'],
  ['kn', 'kannada'],
  ['et', 'estonian'],
  ['mk', 'macedonian'],
  ['br', 'breton'],
  ['eu', 'basque'],
  ['is', 'icelandic'],
  ['hy', 'armenian'],
  ['ne', 'nepali'],
  ['mn', 'mongolian'],
  ['bs', 'bosnian'],
  ['kk', 'kazakh'],
  ['sq', 'albanian'],
  ['sw', 'swahili'],
  ['gl', 'galician'],
  ['mr', 'marathi'],
  ['pa', 'punjabi'],
  ['si', 'sinhala'],
  ['km', 'khmer'],
  ['sn', 'shona'],
  ['yo', 'yoruba'],
  ['so', 'somali'],
  ['af', 'afrikaans'],
  ['oc', 'occitan'],
  ['ka', 'georgian'],
  ['be', 'belarusian'],
  ['tg', 'tajik'],
  ['sd', 'sindhi'],
  ['gu', 'gujarati'],
  ['am', 'amharic'],
  ['yi', 'yiddish'],
  ['lo', 'lao'],
  ['uz', 'uzbek'],
  ['fo', 'faroese'],
  ['ht', 'haitian creole'],
  ['ps', 'pashto'],
  ['tk', 'turkmen'],
  ['nn', 'nynorsk'],
  ['mt', 'maltese'],
  ['sa', 'sanskrit'],
  ['lb', 'luxembourgish'],
  ['my', 'myanmar'],
  ['bo', 'tibetan'],
  ['tl', 'tagalog'],
  ['mg', 'malagasy'],
  ['as', 'assamese'],
  ['tt', 'tatar'],
  ['haw', 'hawaiian'],
  ['ln', 'lingala'],
  ['ha', 'hausa'],
  ['ba', 'bashkir'],
  ['jw', 'javanese'],
  ['su', 'sundanese'],
  ['yue', 'cantonese'],
];

/**
 * All 100 Whisper languages in token order (`en` first, `yue` last). Checkpoints before large-v3
 * use the first 99.
 *
 * @example
 * ```ts
 * WHISPER_LANGUAGES[0]; // { code: 'en', name: 'english' }
 * ```
 */
export const WHISPER_LANGUAGES: readonly WhisperLanguage[] = Object.freeze(
  TABLE.map(([code, name]) => Object.freeze({ code, name })),
);

// Extra names openai/whisper accepts (`TO_LANGUAGE_CODE`), besides every code and name above.
const ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['burmese', 'my'],
  ['valencian', 'ca'],
  ['flemish', 'nl'],
  ['haitian', 'ht'],
  ['letzeburgesch', 'lb'],
  ['pushto', 'ps'],
  ['panjabi', 'pa'],
  ['moldavian', 'ro'],
  ['moldovan', 'ro'],
  ['sinhalese', 'si'],
  ['castilian', 'es'],
  ['mandarin', 'zh'],
];

const CODE_BY_KEY: ReadonlyMap<string, string> = new Map<string, string>([
  ...TABLE.map(([code]) => [code, code] as const),
  ...TABLE.map(([code, name]) => [name, code] as const),
  ...ALIASES,
]);

/**
 * Resolves a language code or English name (any case; aliases such as `"mandarin"`, `"castilian"`
 * included) to its Whisper code, or undefined when Whisper has no such language.
 *
 * @example
 * ```ts
 * toLanguageCode('Spanish'); // 'es'
 * toLanguageCode('cantonese'); // 'yue'
 * ```
 */
export function toLanguageCode(codeOrName: string): string | undefined {
  return CODE_BY_KEY.get(codeOrName.toLowerCase());
}
