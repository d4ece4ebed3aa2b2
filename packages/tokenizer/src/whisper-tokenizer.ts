import { bytesToByteLevel } from './byte-level.js';
import { PieceEncoder } from './encoder.js';
import { TokenizerError } from './errors.js';
import { toLanguageCode, WHISPER_LANGUAGES, type WhisperLanguage } from './languages.js';
import { loadTokenizerData, loadTokenizerDataSync, type LoadOptions } from './loaders/load.js';
import { computeNonSpeechTokens } from './non-speech.js';
import type { WhitespaceSemantics } from './pretokenize.js';
import { TIME_PRECISION, TIMESTAMP_COUNT, timestampText } from './timestamps.js';
import { decodeUtf8 } from './utf8.js';
import {
  LANGUAGES_WITHOUT_SPACES,
  splitTokensOnSpaces,
  splitTokensOnUnicode,
  type WordSplit,
} from './word-split.js';
import type { TokenizerData, TokenizerFormat } from './vocabulary.js';

/** What the model is asked to do: transcribe in the spoken language, or translate to English. */
export type WhisperTask = 'transcribe' | 'translate';

/** Options of the {@link WhisperTokenizer} constructor and of {@link WhisperTokenizer.fromPretrained}. */
export interface WhisperTokenizerOptions {
  /** Meaning of `\s` in the pre-tokenisation pattern; default `'unicode'` (openai/whisper). */
  readonly whitespace?: WhitespaceSemantics;
  /**
   * Whether the model is multilingual (takes language and task tokens). Default: inferred the way
   * openai/whisper and transformers do, `vocabSize >= 51865`.
   */
  readonly multilingual?: boolean;
}

/** Ids of Whisper's control tokens. */
export interface WhisperSpecialIds {
  /** `<|endoftext|>`: end of transcript, also the padding token. */
  readonly eot: number;
  /** `<|startoftranscript|>`: the decoder start token. */
  readonly sot: number;
  /** `<|translate|>`. */
  readonly translate: number;
  /** `<|transcribe|>`. */
  readonly transcribe: number;
  /** `<|startoflm|>`. */
  readonly startOfLm: number;
  /** `<|startofprev|>`: precedes the previous-text prompt. */
  readonly startOfPrev: number;
  /** No-speech token: `<|nospeech|>` (v3, openai) or `<|nocaptions|>` (older HF checkpoints). */
  readonly noSpeech: number;
  /** `<|notimestamps|>`. */
  readonly noTimestamps: number;
  /** `<|0.00|>`: first timestamp token. */
  readonly timestampBegin: number;
  /** `<|30.00|>`: last timestamp token. */
  readonly timestampEnd: number;
}

/**
 * What {@link WhisperTokenizer.checkModel} compares: a model's output size and the ids its
 * generation config uses (a `WhisperModel`'s `vocabSize` and `generationConfig` fit as they are).
 * Ids that are `null` or absent are not compared.
 */
export interface ModelVocabulary {
  /** Logits per step (config.json `vocab_size`). */
  readonly vocabSize: number;
  /** `<|startoftranscript|>` (`decoder_start_token_id`). */
  readonly decoderStartTokenId?: number | null;
  /** `<|endoftext|>` (`eos_token_id`). */
  readonly eosTokenId?: number | null;
  /** `<|notimestamps|>` (`no_timestamps_token_id`). */
  readonly noTimestampsTokenId?: number | null;
  /** `<|startofprev|>` (`prev_sot_token_id`). */
  readonly prevSotTokenId?: number | null;
  /** Language token ids by token text (`lang_to_id`, `{ '<|en|>': 50259, ... }`). */
  readonly langToId?: Readonly<Record<string, number>>;
}

/** How {@link WhisperTokenizer.encode} treats text that spells an added token such as `<|en|>`. */
export interface EncodeOptions {
  /**
   * Added tokens whose text becomes that token: `'all'` (Hugging Face's behaviour) or a list of
   * token texts. Default: none — such text is encoded as plain text (tiktoken `encode_ordinary`).
   */
  readonly allowedSpecial?: 'all' | readonly string[];
  /**
   * Added tokens whose text makes encode throw `DISALLOWED_SPECIAL_TOKEN` (openai/whisper's
   * `encode` refuses all of them): `'all'` (every token not in `allowedSpecial`) or a list.
   * Default: none.
   */
  readonly disallowedSpecial?: 'all' | readonly string[];
}

/** Options of {@link WhisperTokenizer.decode}. */
export interface DecodeOptions {
  /** Drop every special token (id ≥ eot) instead of writing its text. Default false. */
  readonly skipSpecialTokens?: boolean;
}

/** The start-of-transcript prompt to build. */
export interface SotOptions {
  /**
   * Language code or name (`'en'`, `'Spanish'`, `'cantonese'`); `null` for no language token (e.g.
   * to detect the language). Default `'en'`. Ignored by English-only models.
   */
  readonly language?: string | null;
  /** Default `'transcribe'`. Ignored by English-only models. */
  readonly task?: WhisperTask;
  /** Append `<|notimestamps|>`. Default false (the model predicts timestamps). */
  readonly noTimestamps?: boolean;
}

/** Options of {@link WhisperTokenizer.buildPrompt}. */
export interface PromptOptions extends SotOptions {
  /** Previous text (encoded with a leading space, like openai/whisper's `initial_prompt`) or its ids. */
  readonly previous?: string | readonly number[];
  /** Most previous tokens kept (the latest ones). Default 223, i.e. n_text_ctx / 2 − 1. */
  readonly maxPreviousTokens?: number;
}

const TASKS: Readonly<Record<WhisperTask, true>> = { transcribe: true, translate: true };

function requireId(ids: ReadonlyMap<string, number>, names: readonly string[]): number {
  for (const name of names) {
    const id = ids.get(name);
    if (id !== undefined) return id;
  }
  throw new TokenizerError(
    'NOT_A_WHISPER_TOKENIZER',
    `the tokenizer has no ${names.join(' or ')} token; load the tokenizer of a Whisper checkpoint`,
  );
}

/**
 * The Whisper tokenizer: byte-level BPE with Whisper's special tokens, giving the ids and text of
 * openai/whisper and Hugging Face transformers for English-only (51 864 ids), multilingual v2
 * (51 865) and v3 (51 866) vocabularies.
 *
 * @example
 * ```ts
 * const tok = await WhisperTokenizer.fromPretrained('./distil-large-v3');
 * const ids = tok.encode(' Hello world.');
 * const prompt = tok.sotSequence({ language: 'en', task: 'transcribe', noTimestamps: true });
 * tok.decode([...prompt, ...ids, tok.special.eot], { skipSpecialTokens: true }); // ' Hello world.'
 * ```
 */
export class WhisperTokenizer {
  /** Ids of the control tokens. */
  readonly special: WhisperSpecialIds;
  /** Number of ids, timestamps included (51864, 51865 or 51866 for the released models). */
  readonly vocabSize: number;
  /** Whether the model takes language and task tokens. */
  readonly isMultilingual: boolean;
  /** Languages of this vocabulary, in token order (99, or 100 with `yue`). */
  readonly languages: readonly WhisperLanguage[];
  /** File format the vocabulary was loaded from. */
  readonly format: TokenizerFormat;

  private readonly encoder: PieceEncoder;
  /** Bytes of every id back to back; id i spans byteOffsets[i] … byteOffsets[i + 1]. */
  private readonly flatBytes: Uint8Array;
  private readonly byteOffsets: Int32Array;
  private readonly known: Uint8Array;
  private tokenIdsCache?: Map<string, number>;
  private readonly addedNames = new Map<string, number>();
  private readonly addedContents = new Map<number, string>();
  private nonSpeechCache?: readonly number[];

  /**
   * Builds a tokenizer from loaded data (see the `parse*` loaders). Prefer
   * {@link WhisperTokenizer.fromPretrained} for files on disk.
   *
   * @throws {@link TokenizerError} `NOT_A_WHISPER_TOKENIZER` when a control token is missing.
   */
  constructor(data: TokenizerData, options: WhisperTokenizerOptions = {}) {
    this.format = data.format;
    this.encoder = new PieceEncoder(data, options.whitespace ?? 'unicode');
    for (const t of data.addedTokens) {
      this.addedNames.set(t.content, t.id);
      this.addedContents.set(t.id, t.content);
    }
    const names = this.addedNames;

    const eot = requireId(names, ['<|endoftext|>']);
    const sot = requireId(names, ['<|startoftranscript|>']);
    const languages: WhisperLanguage[] = [];
    for (const lang of WHISPER_LANGUAGES) {
      if (names.get(`<|${lang.code}|>`) !== sot + 1 + languages.length) break;
      languages.push(lang);
    }
    const noTimestamps = requireId(names, ['<|notimestamps|>']);
    // Early Hugging Face checkpoints have no timestamp tokens in their tokenizer; the model still
    // predicts them right after <|notimestamps|>.
    const timestampBegin = names.get('<|0.00|>') ?? noTimestamps + 1;
    this.special = Object.freeze({
      eot,
      sot,
      translate: requireId(names, ['<|translate|>']),
      transcribe: requireId(names, ['<|transcribe|>']),
      startOfLm: requireId(names, ['<|startoflm|>']),
      startOfPrev: requireId(names, ['<|startofprev|>']),
      noSpeech: requireId(names, ['<|nospeech|>', '<|nocaptions|>']),
      noTimestamps,
      timestampBegin,
      timestampEnd: timestampBegin + TIMESTAMP_COUNT - 1,
    });
    this.languages = Object.freeze(languages);

    let size = Math.max(data.tokenBytes.length, this.special.timestampEnd + 1);
    for (const t of data.addedTokens) size = Math.max(size, t.id + 1);
    this.vocabSize = size;
    this.isMultilingual = options.multilingual ?? size >= 51865;

    const utf8 = new TextEncoder();
    const idBytes = new Array<Uint8Array | undefined>(size);
    data.tokenBytes.forEach((bytes, id) => {
      idBytes[id] = bytes;
    });
    for (const t of data.addedTokens) idBytes[t.id] = utf8.encode(t.content);
    for (let i = 0; i < TIMESTAMP_COUNT; i++) {
      const id = timestampBegin + i;
      idBytes[id] ??= utf8.encode(timestampText(i));
    }
    this.byteOffsets = new Int32Array(size + 1);
    this.known = new Uint8Array(size);
    let total = 0;
    for (let id = 0; id < size; id++) {
      this.byteOffsets[id] = total;
      const bytes = idBytes[id];
      if (bytes !== undefined) {
        this.known[id] = 1;
        total += bytes.length;
      }
    }
    this.byteOffsets[size] = total;
    this.flatBytes = new Uint8Array(total);
    for (let id = 0; id < size; id++) {
      const bytes = idBytes[id];
      if (bytes !== undefined) this.flatBytes.set(bytes, this.byteOffsets[id]!);
    }
  }

  /**
   * Loads the tokenizer of a checkpoint directory or file. A directory is read from, in order:
   * `tokenizer.json`; `vocab.json` + `merges.txt` (with `added_tokens.json` and
   * `special_tokens_map.json` when present); a `*.tiktoken` file. A path to a `.tiktoken`,
   * `tokenizer.json` or `vocab.json` file loads that file (and its siblings).
   *
   * @throws {@link TokenizerError} `FILE_NOT_FOUND` listing what was tried, or any loader error.
   *
   * @example
   * ```ts
   * const en = await WhisperTokenizer.fromPretrained('./distil-small.en');
   * const v3 = await WhisperTokenizer.fromPretrained('./multilingual.tiktoken', { numLanguages: 100 });
   * ```
   */
  static async fromPretrained(
    path: string,
    options: LoadOptions & WhisperTokenizerOptions = {},
  ): Promise<WhisperTokenizer> {
    return new WhisperTokenizer(await loadTokenizerData(path, options), options);
  }

  /** Synchronous {@link WhisperTokenizer.fromPretrained}. */
  static fromPretrainedSync(
    path: string,
    options: LoadOptions & WhisperTokenizerOptions = {},
  ): WhisperTokenizer {
    return new WhisperTokenizer(loadTokenizerDataSync(path, options), options);
  }

  /**
   * Checks that this tokenizer belongs to a model: the same number of ids as the model has
   * logits, and the same ids for the control tokens its generation config names. A tokenizer of
   * another vocabulary (English-only with a multilingual model, v2 with v3, …) loads without
   * complaint but turns every id into the wrong text; this catches it before any decoding.
   *
   * @throws {@link TokenizerError} `MODEL_MISMATCH` listing every difference.
   * @example
   * ```ts
   * const model = WhisperModel.load('./whisper-base');
   * const tok = await WhisperTokenizer.fromPretrained('./whisper-base');
   * tok.checkModel({ vocabSize: model.vocabSize, ...model.generationConfig });
   * ```
   */
  checkModel(model: ModelVocabulary): void {
    const problems: string[] = [];
    if (model.vocabSize !== this.vocabSize)
      problems.push(`the model has ${model.vocabSize} output ids, the tokenizer ${this.vocabSize}`);
    const same = (name: string, modelId: number | null | undefined, ours: number): void => {
      if (modelId !== null && modelId !== undefined && modelId !== ours)
        problems.push(`${name} is ${modelId} in the model, ${ours} in the tokenizer`);
    };
    same('<|startoftranscript|>', model.decoderStartTokenId, this.special.sot);
    same('<|endoftext|>', model.eosTokenId, this.special.eot);
    same('<|notimestamps|>', model.noTimestampsTokenId, this.special.noTimestamps);
    same('<|startofprev|>', model.prevSotTokenId, this.special.startOfPrev);
    for (const [text, id] of Object.entries(model.langToId ?? {})) {
      const ours = this.addedNames.get(text);
      if (ours !== id) {
        problems.push(
          ours === undefined
            ? `the model has language token ${text}, the tokenizer does not`
            : `${text} is ${id} in the model, ${ours} in the tokenizer`,
        );
        break; // one language is enough to show that the tables differ
      }
    }
    if (problems.length > 0)
      throw new TokenizerError(
        'MODEL_MISMATCH',
        `the tokenizer does not belong to this model (${problems.join('; ')}); ` +
          "load the tokenizer of the model's own checkpoint (its tokenizer.json)",
      );
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding and decoding

  /**
   * Encodes text to ids. By default text that looks like a special token (`<|en|>`) is encoded as
   * plain text, so plain text never yields special ids; see {@link EncodeOptions}. Lone UTF-16
   * surrogates are encoded as U+FFFD.
   *
   * @example
   * ```ts
   * tok.encode(' Hello world'); // multilingual: [2425, 1002]
   * tok.encode('<|0.00|> Hi', { allowedSpecial: 'all' }); // [50364, 2421] (v2)
   * ```
   */
  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') {
      throw new TokenizerError(
        'INVALID_ARGUMENT',
        `encode expects a string, received ${typeof text}`,
      );
    }
    const out: number[] = [];
    const allowed = this.resolveSpecialSet(options.allowedSpecial, 'allowedSpecial');
    if (options.disallowedSpecial !== undefined) {
      const disallowed = this.resolveSpecialSet(options.disallowedSpecial, 'disallowedSpecial');
      const found = this.encoder.specials.find(
        text,
        0,
        (id) => disallowed.has(id) && !allowed.has(id),
      );
      if (found !== undefined) {
        throw new TokenizerError(
          'DISALLOWED_SPECIAL_TOKEN',
          `text contains the special token ${text.slice(found.index, found.end)} at offset ${found.index}; ` +
            'pass it in allowedSpecial to encode it as that token, or omit disallowedSpecial to encode it as plain text',
        );
      }
    }
    if (allowed.size === 0) {
      this.encoder.encodeOrdinary(text, out);
      return out;
    }
    let start = 0;
    for (;;) {
      const found = this.encoder.specials.find(text, start, (id) => allowed.has(id));
      if (found === undefined) break;
      if (found.index > start) this.encoder.encodeOrdinary(text.slice(start, found.index), out);
      out.push(found.id);
      start = found.end;
    }
    if (start < text.length)
      this.encoder.encodeOrdinary(start === 0 ? text : text.slice(start), out);
    return out;
  }

  private resolveSpecialSet(
    value: 'all' | readonly string[] | undefined,
    name: string,
  ): ReadonlySet<number> {
    if (value === undefined) return new Set();
    if (value === 'all') return new Set(this.addedNames.values());
    if (!Array.isArray(value)) {
      throw new TokenizerError(
        'INVALID_ARGUMENT',
        `${name} must be 'all' or an array of token texts`,
      );
    }
    return new Set(
      value.map((content: string) => {
        const id = this.addedNames.get(content);
        if (id === undefined) {
          throw new TokenizerError(
            'INVALID_ARGUMENT',
            `${name}: ${JSON.stringify(content)} is not an added token of this tokenizer`,
          );
        }
        return id;
      }),
    );
  }

  /**
   * Decodes ids to text the way openai/whisper's `decode` does: timestamp tokens are dropped, other
   * special tokens are written as their text (unless `skipSpecialTokens`), and bytes that are not
   * valid UTF-8 become U+FFFD (one per maximal invalid subsequence, like Python's
   * `errors="replace"`).
   *
   * @throws {@link TokenizerError} `INVALID_TOKEN_ID` for an id that is not an integer in
   * `[0, vocabSize)`.
   */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const limit = options.skipSpecialTokens ? this.special.eot : this.special.timestampBegin;
    return this.decodeBelow(ids, limit);
  }

  /**
   * Decodes ids keeping timestamp tokens as text (`<|1.08|>`), like openai/whisper's
   * `decode_with_timestamps`.
   *
   * @example
   * ```ts
   * tok.decodeWithTimestamps([50364, 2425, 1002, 13, 50414]); // '<|0.00|> Hello world.<|1.00|>'
   * ```
   */
  decodeWithTimestamps(ids: ArrayLike<number>): string {
    return this.decodeBelow(ids, this.vocabSize);
  }

  /** Decodes the ids below `limit` (all ids are validated, also those dropped). */
  private decodeBelow(ids: ArrayLike<number>, limit: number): string {
    const offsets = this.byteOffsets;
    const flat = this.flatBytes;
    let length = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!this.isKnownId(id)) throw this.invalidId(id);
      if (id < limit) length += offsets[id + 1]! - offsets[id]!;
    }
    const out = new Uint8Array(length);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (id >= limit) continue;
      const end = offsets[id + 1]!;
      for (let k = offsets[id]!; k < end; k++) out[at++] = flat[k]!;
    }
    return decodeUtf8(out);
  }

  private isKnownId(id: number): boolean {
    // Holes (ids that are neither BPE nor added tokens) have no bytes and are not valid either.
    return Number.isInteger(id) && id >= 0 && id < this.vocabSize && this.known[id] === 1;
  }

  private invalidId(id: number): TokenizerError {
    return new TokenizerError(
      'INVALID_TOKEN_ID',
      `token id ${String(id)} is not in this vocabulary (valid ids are integers from 0 to ${this.vocabSize - 1})`,
    );
  }

  private bytesOf(id: number): Uint8Array {
    if (!this.isKnownId(id)) throw this.invalidId(id);
    return this.flatBytes.subarray(this.byteOffsets[id]!, this.byteOffsets[id + 1]!);
  }

  /** Raw bytes of one token (the UTF-8 text of a special token). */
  tokenBytes(id: number): Uint8Array {
    return this.bytesOf(id).slice();
  }

  /**
   * Token string of an id as Hugging Face writes it (byte-level alphabet, e.g. `"Ġhello"`; added
   * tokens as their text), or undefined for an unknown id.
   */
  idToToken(id: number): string | undefined {
    const added = this.addedContents.get(id);
    if (added !== undefined) return added;
    if (this.isTimestamp(id)) return timestampText(id - this.special.timestampBegin);
    return this.isKnownId(id) ? bytesToByteLevel(this.bytesOf(id)) : undefined;
  }

  /** Inverse of {@link WhisperTokenizer.idToToken}. */
  tokenToId(token: string): number | undefined {
    if (this.tokenIdsCache === undefined) {
      // Built on first use: most callers never need the string → id direction.
      const map = new Map<string, number>();
      for (let id = 0; id < this.vocabSize; id++) {
        const t = this.idToToken(id);
        if (t !== undefined) map.set(t, id);
      }
      this.tokenIdsCache = map;
    }
    return this.tokenIdsCache.get(token);
  }

  // ---------------------------------------------------------------------------------------------
  // Languages, tasks and prompts

  /**
   * Resolves a language code or name to its code, checking that this vocabulary has it.
   *
   * @throws {@link TokenizerError} `UNKNOWN_LANGUAGE`.
   */
  languageCode(language: string): string {
    const code = toLanguageCode(language);
    if (code === undefined || !this.languages.some((l) => l.code === code)) {
      throw new TokenizerError(
        'UNKNOWN_LANGUAGE',
        `unsupported language ${JSON.stringify(language)}; this tokenizer knows ${this.languages.length} languages (${this.languages
          .slice(0, 5)
          .map((l) => l.code)
          .join(', ')}, …, ${this.languages[this.languages.length - 1]?.code ?? ''})`,
      );
    }
    return code;
  }

  /** Id of the `<|code|>` token of a language code or name. */
  languageToken(language: string): number {
    const code = this.languageCode(language);
    return this.special.sot + 1 + this.languages.findIndex((l) => l.code === code);
  }

  /** Language code of a language token id, or undefined when the id is not one. */
  tokenToLanguage(id: number): string | undefined {
    return this.languages[id - this.special.sot - 1]?.code;
  }

  /** Ids of all language tokens, in order. */
  get languageTokens(): number[] {
    return this.languages.map((_, i) => this.special.sot + 1 + i);
  }

  /**
   * The start-of-transcript sequence: `<|startoftranscript|>`, then for multilingual models the
   * language and task tokens, then `<|notimestamps|>` when asked. English-only models ignore
   * language and task (as openai/whisper does).
   *
   * @example
   * ```ts
   * v2.sotSequence({ language: 'ja', task: 'translate' }); // [50258, 50266, 50358]
   * v2.sotSequence({ noTimestamps: true }); // [50258, 50259, 50359, 50363]
   * ```
   */
  sotSequence(options: SotOptions = {}): number[] {
    const seq = [this.special.sot];
    if (this.isMultilingual) {
      const language = options.language === undefined ? 'en' : options.language;
      if (language !== null) seq.push(this.languageToken(language));
      const task = options.task ?? 'transcribe';
      if (!TASKS[task]) {
        throw new TokenizerError(
          'UNKNOWN_TASK',
          `task must be 'transcribe' or 'translate', got ${JSON.stringify(task)}`,
        );
      }
      seq.push(task === 'translate' ? this.special.translate : this.special.transcribe);
    }
    if (options.noTimestamps) seq.push(this.special.noTimestamps);
    return seq;
  }

  /**
   * The sot sequence as Hugging Face `forced_decoder_ids`: `[position, id]` for every token after
   * the decoder start token.
   */
  forcedDecoderIds(options: SotOptions = {}): [number, number][] {
    return this.sotSequence(options)
      .slice(1)
      .map((id, i): [number, number] => [i + 1, id]);
  }

  /**
   * Decoder input for previous-text conditioning, as openai/whisper builds it:
   * `<|startofprev|>` + the latest `maxPreviousTokens` previous tokens + the sot sequence. Without
   * `previous` it is just the sot sequence.
   *
   * @example
   * ```ts
   * tok.buildPrompt({ previous: 'Kubernetes, kubectl.', language: 'en', noTimestamps: true });
   * ```
   */
  buildPrompt(options: PromptOptions = {}): number[] {
    const sot = this.sotSequence(options);
    if (options.previous === undefined) return sot;
    const previous =
      typeof options.previous === 'string'
        ? this.encode(' ' + options.previous.trim())
        : [...options.previous];
    const max = options.maxPreviousTokens ?? 223;
    if (!Number.isInteger(max) || max < 0) {
      throw new TokenizerError(
        'INVALID_ARGUMENT',
        `maxPreviousTokens must be a non-negative integer, got ${max}`,
      );
    }
    return [this.special.startOfPrev, ...previous.slice(previous.length - max), ...sot];
  }

  /**
   * Hugging Face `get_prompt_ids`: `<|startofprev|>` followed by the encoding of `" " + text.trim()`.
   */
  promptIds(text: string): number[] {
    return [this.special.startOfPrev, ...this.encode(' ' + text.trim())];
  }

  /**
   * Training / teacher-forcing sequence: sot sequence + `encode(text)` + `<|endoftext|>`. With
   * `noTimestamps: true` it equals what a Hugging Face Whisper tokenizer with
   * `set_prefix_tokens(language, task)` returns for `text`.
   */
  encodeWithPrefix(text: string, options: SotOptions = {}): number[] {
    return [...this.sotSequence(options), ...this.encode(text), this.special.eot];
  }

  // ---------------------------------------------------------------------------------------------
  // Timestamps

  /** True for the timestamp tokens `<|0.00|>` … `<|30.00|>`. */
  isTimestamp(id: number): boolean {
    return id >= this.special.timestampBegin && id <= this.special.timestampEnd;
  }

  /**
   * Seconds of a timestamp token (`<|1.08|>` → 1.08).
   *
   * @throws {@link TokenizerError} `INVALID_TOKEN_ID` when the id is not a timestamp token.
   */
  timestampToSeconds(id: number): number {
    if (!this.isTimestamp(id) || !Number.isInteger(id)) {
      throw new TokenizerError(
        'INVALID_TOKEN_ID',
        `token id ${id} is not a timestamp token (${this.special.timestampBegin}…${this.special.timestampEnd})`,
      );
    }
    return (id - this.special.timestampBegin) / 50;
  }

  /**
   * Timestamp token for a time in seconds, rounded to the nearest 0.02 s.
   *
   * @throws {@link TokenizerError} `INVALID_ARGUMENT` outside 0 … 30 s.
   */
  secondsToTimestamp(seconds: number): number {
    if (!(seconds >= 0 && seconds <= 30)) {
      throw new TokenizerError(
        'INVALID_ARGUMENT',
        `a timestamp must be between 0 and 30 seconds, got ${seconds}`,
      );
    }
    return this.special.timestampBegin + Math.round(seconds / TIME_PRECISION);
  }

  // ---------------------------------------------------------------------------------------------
  // Suppression lists and words

  /**
   * openai/whisper's `non_speech_tokens`: ids of symbol-only and music-sign tokens, sorted (84 for
   * the English vocabulary, 82 for the multilingual one).
   */
  nonSpeechTokens(): readonly number[] {
    this.nonSpeechCache ??= Object.freeze(computeNonSpeechTokens((text) => this.encode(text)));
    return this.nonSpeechCache;
  }

  /**
   * The `suppress_tokens` of the Hugging Face Whisper configs (openai's `suppress_tokens="-1"`):
   * the non-speech tokens plus `<|startoftranscript|>`, `<|translate|>`, `<|transcribe|>`,
   * `<|startoflm|>`, `<|startofprev|>` and the no-speech token, sorted.
   */
  suppressTokens(): number[] {
    const s = this.special;
    const all = new Set([
      ...this.nonSpeechTokens(),
      s.sot,
      s.translate,
      s.transcribe,
      s.startOfLm,
      s.startOfPrev,
      s.noSpeech,
    ]);
    return [...all].sort((a, b) => a - b);
  }

  /**
   * Splits tokens into words for word-level timestamps (openai's `split_to_word_tokens`): on
   * unicode boundaries for languages written without spaces (zh, ja, th, lo, my, yue), otherwise on
   * spaces and punctuation. Each word keeps the tokens it came from.
   *
   * @example
   * ```ts
   * tok.splitToWordTokens(tok.encode(' Hello, world'), 'en').words; // [' Hello', ',', ' world']
   * ```
   */
  splitToWordTokens(tokens: readonly number[], language = 'en'): WordSplit {
    const code = toLanguageCode(language) ?? language;
    return LANGUAGES_WITHOUT_SPACES.has(code)
      ? this.splitTokensOnUnicode(tokens)
      : this.splitTokensOnSpaces(tokens);
  }

  /**
   * Shortest runs of tokens that decode to whole characters (openai's `split_tokens_on_unicode`);
   * a U+FFFD that is also in the full decode (an invalid byte) ends a run of its own.
   */
  splitTokensOnUnicode(tokens: readonly number[]): WordSplit {
    return splitTokensOnUnicode(tokens, (ids) => this.decodeWithTimestamps(ids));
  }

  /**
   * {@link WhisperTokenizer.splitTokensOnUnicode} runs joined into words: a word starts at a special
   * token, a leading space or punctuation (openai's `split_tokens_on_spaces`).
   */
  splitTokensOnSpaces(tokens: readonly number[]): WordSplit {
    return splitTokensOnSpaces(tokens, (ids) => this.decodeWithTimestamps(ids), this.special.eot);
  }
}
