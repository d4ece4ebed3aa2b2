// The config.json that transformers writes for a Whisper checkpoint of given dims. Shared by the
// random-checkpoint writer and the CTranslate2 converter so both produce the same file layout.
import { vocabularyVariant, type WhisperDims } from './presets';

/** Options of {@link whisperConfigJson}. */
export interface WhisperConfigJsonOptions {
  /** `_name_or_path`. */
  name: string;
  /** Stored weight dtype, written as `torch_dtype`. */
  dtype: 'f32' | 'f16' | 'bf16';
  /** A WhisperForCausalLM (decoder-only) checkpoint. Default: false. */
  decoderOnly?: boolean;
  /** Output projection shared with the token embedding. Default: true (transformers' default). */
  tied?: boolean;
}

/** snake_case config.json fields of a Whisper checkpoint, as transformers' WhisperConfig saves them. */
export function whisperConfigJson(
  dims: WhisperDims,
  options: WhisperConfigJsonOptions,
): Record<string, unknown> {
  const variant = vocabularyVariant(dims.vocabSize);
  const eot = variant === undefined ? null : variant === 'en' ? 50256 : 50257;
  return {
    _name_or_path: options.name,
    activation_dropout: 0,
    activation_function: 'gelu',
    apply_spec_augment: false,
    architectures: [options.decoderOnly ? 'WhisperForCausalLM' : 'WhisperForConditionalGeneration'],
    attention_dropout: 0,
    bos_token_id: eot,
    classifier_proj_size: 256,
    d_model: dims.dModel,
    decoder_attention_heads: dims.decoderAttentionHeads,
    decoder_ffn_dim: dims.decoderFfnDim,
    decoder_layerdrop: 0,
    decoder_layers: dims.decoderLayers,
    decoder_start_token_id: eot === null ? null : eot + 1,
    dropout: 0,
    encoder_attention_heads: dims.encoderAttentionHeads,
    encoder_ffn_dim: dims.encoderFfnDim,
    encoder_layerdrop: 0,
    encoder_layers: dims.encoderLayers,
    eos_token_id: eot,
    init_std: 0.02,
    is_encoder_decoder: !options.decoderOnly,
    max_source_positions: dims.maxSourcePositions,
    max_target_positions: dims.maxTargetPositions,
    median_filter_width: 7,
    model_type: 'whisper',
    num_hidden_layers: dims.encoderLayers,
    num_mel_bins: dims.numMelBins,
    pad_token_id: eot,
    scale_embedding: false,
    tie_word_embeddings: options.tied ?? true,
    torch_dtype: { f32: 'float32', f16: 'float16', bf16: 'bfloat16' }[options.dtype],
    use_cache: true,
    use_weighted_layer_sum: false,
    vocab_size: dims.vocabSize,
  };
}
