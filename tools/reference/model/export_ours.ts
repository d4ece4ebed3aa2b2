// Writes random checkpoints with @distil-whisper/model (created, loaded, saved again through
// WhisperModel.save) and our own outputs for them, for check_transformers.py to compare against
// Hugging Face transformers.
// Run: node --conditions=@distil-whisper/source --import tsx tools/reference/model/export_ours.ts <outDir>
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { createRandomCheckpoint, WhisperModel } from '@distil-whisper/model';

const out = resolve(process.argv[2] ?? '/tmp/dw-model-transformers-check');
mkdirSync(out, { recursive: true });

const dims = {
  dModel: 64,
  encoderLayers: 2,
  decoderLayers: 2,
  encoderAttentionHeads: 4,
  decoderAttentionHeads: 4,
  encoderFfnDim: 128,
  decoderFfnDim: 128,
};
const cases = [
  { name: 'multilingual-f32', preset: 'tiny' as const, dtype: 'f32' as const, saveAs: undefined },
  { name: 'en-f16', preset: 'distil-small.en' as const, dtype: 'f16' as const, saveAs: undefined },
  {
    name: 'v3-bf16-saved-f32',
    preset: 'large-v3' as const,
    dtype: 'bf16' as const,
    saveAs: 'f32' as const,
  },
];

const manifest: unknown[] = [];
for (const c of cases) {
  const created = join(out, `${c.name}-created`);
  createRandomCheckpoint({
    outDir: created,
    preset: c.preset,
    dims,
    dtype: c.dtype,
    seed: 42,
    tokenizerDir: false,
  });
  const model = WhisperModel.load(created);
  const saved = join(out, c.name);
  model.save(saved, c.saveAs ? { dtype: c.saveAs } : {});
  const reloaded = WhisperModel.load(saved);
  const mels = reloaded.config.numMelBins;
  const features = new Float32Array(mels * 3000);
  for (let i = 0; i < features.length; i++)
    features[i] = Math.sin(i * 0.001) * 0.5 + Math.cos(i * 0.37) * 0.3;
  const g = reloaded.generationConfig;
  const prompt = [
    g.decoderStartTokenId!,
    ...(g.isMultilingual ? [g.langToId['<|en|>']!, g.taskToId.transcribe!] : []),
    g.noTimestampsTokenId!,
    1000,
    2000,
  ];
  const enc = reloaded.encode(features);
  const state = reloaded.createDecoderState(enc);
  const dec = reloaded.decode(state, [prompt], { logits: 'all', outputCrossAttentions: true });
  writeFileSync(join(saved, 'input_features.f32'), features);
  writeFileSync(join(saved, 'ours_encoder.f32'), enc.toFloat32());
  writeFileSync(join(saved, 'ours_logits.f32'), dec.logits);
  writeFileSync(
    join(saved, 'ours_cross_attn_last.f32'),
    dec.crossAttentions![reloaded.config.decoderLayers - 1]!.data,
  );
  writeFileSync(join(saved, 'prompt.json'), JSON.stringify(prompt));
  manifest.push({ name: c.name, dir: saved, dtype: c.saveAs ?? c.dtype, prompt });
  state.dispose();
  enc.dispose();
  reloaded.dispose();
  model.dispose();
}
// A decoder-only assistant (WhisperForCausalLM) decoding against the first model's encoder output.
{
  const main = WhisperModel.load(join(out, cases[0]!.name));
  const created = join(out, 'causal-lm-created');
  createRandomCheckpoint({
    outDir: created,
    preset: 'tiny',
    dims: { ...dims, decoderLayers: 1 },
    dtype: 'f32',
    seed: 43,
    tokenizerDir: false,
    decoderOnly: true,
  });
  const assistant = WhisperModel.load(created);
  const saved = join(out, 'causal-lm');
  assistant.save(saved);
  const features = new Float32Array(80 * 3000);
  for (let i = 0; i < features.length; i++)
    features[i] = Math.sin(i * 0.001) * 0.5 + Math.cos(i * 0.37) * 0.3;
  const enc = main.encode(features);
  const prompt = [50258, 50259, 50359, 50363, 1000, 2000];
  const state = assistant.createDecoderState(enc);
  writeFileSync(join(saved, 'encoder_hidden_states.f32'), enc.toFloat32());
  writeFileSync(
    join(saved, 'ours_logits.f32'),
    assistant.decode(state, [prompt], { logits: 'all' }).logits,
  );
  writeFileSync(join(saved, 'prompt.json'), JSON.stringify(prompt));
  manifest.push({ name: 'causal-lm', dir: saved, dtype: 'f32', prompt, decoderOnly: true });
  state.dispose();
  enc.dispose();
  assistant.dispose();
  main.dispose();
}
writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
console.log(`wrote ${cases.length + 1} checkpoints to ${out}`);
