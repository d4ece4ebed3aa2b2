// The decoder prompt of each window: previous text and/or the initial prompt (transformers'
// WhisperGenerationMixin._prepare_decoder_input_ids and _pad_to_max_length for one row).

/** How prompts are built for every window of a run. */
export interface PromptSettings {
  /** The initial prompt, `<|startofprev|>` first, or null. */
  initialPrompt: readonly number[] | null;
  /** `'first-segment'`: the prompt is previous text; `'all-segments'`: it heads every prompt. */
  promptConditionType: 'first-segment' | 'all-segments';
  /** `<|startofprev|>` (or the config's stand-in), null when the checkpoint has none. */
  prevSot: number | null;
  /** `<|0.00|>`: ids from here on are timestamps. */
  timestampBegin: number;
  /** Most previous-text tokens kept: `max_target_positions / 2 − 1` (223 for Whisper). */
  cutOff: number;
}

/**
 * Token history that conditions later windows: the `first-segment` initial prompt (without its
 * `<|startofprev|>`) as the first entry, then every segment's tokens.
 */
export function initialHistory(
  initialPrompt: readonly number[] | null,
  promptConditionType: PromptSettings['promptConditionType'],
  prevSot: number | null,
): number[][] {
  if (initialPrompt === null || promptConditionType !== 'first-segment') return [];
  return [initialPrompt[0] === prevSot ? initialPrompt.slice(1) : [...initialPrompt]];
}

/**
 * The prompt of a row's next window. With conditioning on and some history: `<|startofprev|>`
 * (or the whole initial prompt, `'all-segments'`) followed by the last `cutOff` tokens of the
 * history, where a segment ending in a timestamp pair contributes its first timestamp only.
 * Otherwise the initial prompt, or nothing. transformers (not openai/whisper) brings the initial
 * prompt back for a window that follows a high-temperature one.
 */
export function windowPrompt(
  history: readonly (readonly number[])[],
  condition: boolean,
  s: PromptSettings,
): number[] {
  if (condition && history.length > 0) {
    const head =
      s.promptConditionType === 'all-segments' && s.initialPrompt !== null
        ? [...s.initialPrompt]
        : s.prevSot !== null
          ? [s.prevSot]
          : [];
    const text: number[] = [];
    for (const t of history) {
      const doubleEnding = t.length > 2 && (t[t.length - 2] as number) >= s.timestampBegin;
      for (let i = 0; i < (doubleEnding ? t.length - 1 : t.length); i++) text.push(t[i] as number);
    }
    return [...head, ...text.slice(Math.max(0, text.length - s.cutOff))];
  }
  return s.initialPrompt === null ? [] : [...s.initialPrompt];
}
