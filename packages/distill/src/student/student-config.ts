// The student's config.json and generation_config.json, derived from the teacher's files as JSON
// objects (not through the typed WhisperConfig) so that every key transformers wrote survives.

/**
 * The student's config.json: the teacher's object with `encoder_layers` and `decoder_layers`
 * replaced, key order kept. `num_hidden_layers` follows `encoder_layers` when present:
 * transformers 5 reads it as an alias of `encoder_layers`, so a stale teacher value would restore
 * the teacher's encoder depth on load. Every other key is copied unchanged, as create_student_model.py's deep copy of
 * the teacher config does.
 *
 * @example
 * ```ts
 * studentConfigJson({ d_model: 512, encoder_layers: 6, decoder_layers: 6 }, 6, 2);
 * // { d_model: 512, encoder_layers: 6, decoder_layers: 2 }
 * ```
 */
export function studentConfigJson(
  teacher: Readonly<Record<string, unknown>>,
  encoderLayers: number,
  decoderLayers: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...teacher };
  out.encoder_layers = encoderLayers;
  out.decoder_layers = decoderLayers;
  if ('num_hidden_layers' in out) out.num_hidden_layers = encoderLayers;
  return out;
}

/**
 * The student's generation_config.json: the teacher's with `forced_decoder_ids` removed
 * (create_student_model.py sets it to None, which transformers then leaves out of the file), so
 * language and task come from `generate()`'s options instead of a fixed prefix. Everything else is
 * kept, including `alignment_heads`, which may then name decoder layers the student lacks.
 *
 * @example
 * ```ts
 * studentGenerationConfigJson({ forced_decoder_ids: [[1, null]], max_length: 448 }); // { max_length: 448 }
 * ```
 */
export function studentGenerationConfigJson(
  teacher: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...teacher };
  delete out.forced_decoder_ids;
  return out;
}
