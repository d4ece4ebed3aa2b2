// config.json / generation_config.json of the Hugging Face checkpoint a CTranslate2 Whisper model
// corresponds to. Dims come from the variables; suppress lists and alignment heads from the
// CTranslate2 config.json (its converter copies them from the original checkpoint); special
// tokens from the vocabulary layout implied by the vocabulary size.
import { parseWhisperConfig, type WhisperConfig } from '../config';
import { whisperConfigJson } from '../config-json';
import type { WhisperGenerationConfig } from '../generation-config';
import { defaultGenerationConfig, type WhisperDims } from '../presets';

/** The keys of a CTranslate2 Whisper config.json this package uses. */
export interface Ct2WhisperConfigJson {
  suppress_ids?: number[];
  suppress_ids_begin?: number[];
  alignment_heads?: Array<[number, number]>;
  lang_ids?: number[];
}

function intList(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x)) ? (v as number[]) : undefined;
}

function headList(v: unknown): Array<[number, number]> | undefined {
  return Array.isArray(v) &&
    v.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => Number.isInteger(x)))
    ? (v as Array<[number, number]>)
    : undefined;
}

/** Picks the well-formed keys of a CTranslate2 config.json (ill-formed ones are ignored). */
export function readCt2WhisperConfigJson(json: unknown): Ct2WhisperConfigJson {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return {};
  const o = json as Record<string, unknown>;
  const out: Ct2WhisperConfigJson = {};
  const suppress = intList(o.suppress_ids);
  if (suppress) out.suppress_ids = suppress;
  const begin = intList(o.suppress_ids_begin);
  if (begin) out.suppress_ids_begin = begin;
  const heads = headList(o.alignment_heads);
  if (heads) out.alignment_heads = heads;
  const langs = intList(o.lang_ids);
  if (langs) out.lang_ids = langs;
  return out;
}

/**
 * Builds the transformers configs of a CTranslate2 Whisper model.
 *
 * @param dims dims inferred from the model.bin variables
 * @param ct2 the CTranslate2 config.json keys (suppress lists, alignment heads)
 * @param options `tied`: output projection shared with the embedding; `dtype`: stored weight
 *   dtype written as `torch_dtype`; `name`: `_name_or_path`
 */
export function ct2WhisperConfigs(
  dims: WhisperDims,
  ct2: Ct2WhisperConfigJson,
  options: { tied: boolean; dtype: 'f32' | 'f16' | 'bf16'; name: string },
): { config: WhisperConfig; generationConfig: WhisperGenerationConfig } {
  const json = whisperConfigJson(dims, {
    name: options.name,
    dtype: options.dtype,
    tied: options.tied,
  });

  const config = parseWhisperConfig(json);
  const generationConfig: WhisperGenerationConfig = { ...defaultGenerationConfig(config) };
  // Ids or heads outside this model would make the configs invalid; such entries cannot apply.
  const inVocab = (ids: number[]): number[] => ids.filter((t) => t >= 0 && t < dims.vocabSize);
  if (ct2.suppress_ids) generationConfig.suppressTokens = inVocab(ct2.suppress_ids);
  if (ct2.suppress_ids_begin)
    generationConfig.beginSuppressTokens = inVocab(ct2.suppress_ids_begin);
  if (ct2.alignment_heads)
    generationConfig.alignmentHeads = ct2.alignment_heads
      .filter(
        ([l, h]) => l >= 0 && l < dims.decoderLayers && h >= 0 && h < dims.decoderAttentionHeads,
      )
      .map(([l, h]) => [l, h]);
  return { config, generationConfig };
}
