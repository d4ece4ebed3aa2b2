// The decoder prefix ("init tokens") of transformers' WhisperGenerationMixin._retrieve_init_tokens,
// plus the `<|startofprev|>` prompt that goes before it.
import type { WhisperGenerationConfig } from '../generation-config';
import { GenerationError } from './errors';

/** Whisper tasks. */
export type WhisperTaskName = 'transcribe' | 'translate';

/** What the prefix needs besides the config. */
export interface PrefixRequest {
  /** Language code (`'en'`), token (`'<|en|>'`) or null/undefined to use the config / detect. */
  language?: string | null;
  task?: WhisperTaskName | null;
  returnTimestamps: boolean;
}

/** A prefix with a hole where the detected language goes (`languageSlot`), when detection is needed. */
export interface PrefixPlan {
  /** Tokens after the prompt, starting with `<|startoftranscript|>`; `-1` marks the language slot. */
  tokens: number[];
  /** Index of the language token to fill from detection, or -1 when no detection is needed. */
  languageSlot: number;
}

/** Id of a language given as code or token, validated against `langToId`. */
export function languageTokenId(gen: WhisperGenerationConfig, language: string): number {
  const lower = language.toLowerCase();
  const token = lower.startsWith('<|') ? lower : `<|${lower}|>`;
  const id = gen.langToId[token];
  if (id === undefined) {
    const known = Object.keys(gen.langToId).map((t) => t.slice(2, -2));
    throw new GenerationError(
      'UNSUPPORTED_LANGUAGE',
      known.length === 0
        ? `language '${language}' was requested but this checkpoint has no lang_to_id table (English-only model?)`
        : `language '${language}' is not supported by this checkpoint; expected one of: ${known.join(', ')}`,
    );
  }
  return id;
}

/**
 * Builds the forced decoder prefix exactly as transformers does: `language`/`task` win over the
 * legacy `forced_decoder_ids`; a multilingual config without a language asks for detection;
 * `<|notimestamps|>` ends the prefix unless timestamps are requested.
 */
export function planPrefix(gen: WhisperGenerationConfig, req: PrefixRequest): PrefixPlan {
  if (gen.decoderStartTokenId === null)
    throw new GenerationError(
      'CONFIG_INCOMPLETE',
      'generation config has no decoder_start_token_id',
    );
  const language = req.language ?? null;
  const task = req.task ?? null;
  if (gen.isMultilingual === false && (language !== null || task !== null))
    throw new GenerationError(
      'INVALID_OPTION',
      'cannot set language or task for an English-only checkpoint',
    );
  const init: Array<number | null> = [gen.decoderStartTokenId];
  if (task === null && language === null && gen.forcedDecoderIds !== null) {
    let forced = gen.forcedDecoderIds;
    if (forced.length > 0 && forced[0]?.[0] === 1) {
      let i = 1;
      while (forced.length > 0 && forced[0]?.[0] === i) {
        init.push(forced[0][1]);
        forced = forced.slice(1);
        i++;
      }
      if (forced.length > 0)
        throw new GenerationError(
          'INVALID_OPTION',
          `forced_decoder_ids must cover every position from 1 on, got ${JSON.stringify(gen.forcedDecoderIds)}`,
        );
    }
  }
  const languageUndefined = init.length <= 1 || init[1] === null;
  let languageSlot = -1;
  const hasLangTable = Object.keys(gen.langToId).length > 0;
  let langId: number | null = null;
  if (language !== null) langId = languageTokenId(gen, language);
  else if (hasLangTable && languageUndefined) langId = -1;
  if (langId !== null) {
    if (init.length > 1) init[1] = langId;
    else init.push(langId);
  }
  if (task !== null) {
    const id = gen.taskToId[task];
    if (id === undefined)
      throw new GenerationError(
        'INVALID_OPTION',
        `task '${task}' is not in this checkpoint's task_to_id table`,
      );
    init.push(id);
  } else if (language !== null && Object.keys(gen.taskToId).length > 0) {
    const taskIds = Object.values(gen.taskToId);
    if (!init.some((t) => t !== null && taskIds.includes(t))) {
      const transcribe = gen.taskToId.transcribe;
      if (transcribe !== undefined) init.push(transcribe);
    }
  }
  const nt = gen.noTimestampsTokenId;
  let tokens = init;
  if (!req.returnTimestamps && nt !== null && tokens[tokens.length - 1] !== nt) tokens.push(nt);
  else if (req.returnTimestamps && nt !== null && tokens[tokens.length - 1] === nt)
    tokens = tokens.slice(0, -1);
  const out = tokens.filter((t): t is number => t !== null);
  languageSlot = out.indexOf(-1);
  return { tokens: out, languageSlot };
}
