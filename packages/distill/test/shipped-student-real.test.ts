// The shipped student (students/whisper-base-2l): our distilled 2-layer decoder for real whisper
// base, stored as its difference from the teacher. Gated on DW_TEST_MODEL_DIR holding the base
// checkpoint (tools/real-weights/fetch.sh base): it must assemble against the fetched teacher (the
// teacher's tensors checked by hash), load, and be the *trained* weights — on jfk.wav its first
// words are the teacher's, where the untrained create-student copy of layers 0 and 5 says nothing
// of the kind. A wrong or truncated delta, or one exported from an untrained student, fails here.
import { existsSync, readFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadAudio, WhisperFeatureExtractor } from '@distil-whisper/audio';
import { generate, whisperGenerationModel, WhisperModel } from '@distil-whisper/model';
import { WhisperTokenizer } from '@distil-whisper/tokenizer';

import { assembleStudent, createStudent, shippedStudentDir } from '../src';
import { hasReference, referencePath } from '../../../test-support/reference';
import { whisperBaseDir } from '../../../test-support/real-weights';

const baseDir = whisperBaseDir('shipped student tier');
const run = baseDir !== undefined && hasReference('shipped student tier');

async function firstWords(dir: string, teacherDir: string): Promise<string> {
  const extractor = await WhisperFeatureExtractor.fromPretrained(teacherDir);
  const tokenizer = await WhisperTokenizer.fromPretrained(teacherDir);
  const model = WhisperModel.load(dir);
  try {
    const feats = extractor.extract(await loadAudio(referencePath('assets', 'jfk.wav'))).data;
    const enc = model.encode(feats, 1);
    try {
      const [r] = await generate(whisperGenerationModel(model, enc), model.generationConfig, {
        language: 'en',
        task: 'transcribe',
        maxNewTokens: 8,
      });
      return tokenizer.decode(r!.tokens, { skipSpecialTokens: true }).trim();
    } finally {
      enc.dispose();
    }
  } finally {
    model.dispose();
  }
}

describe.runIf(run)('the shipped distilled student of whisper base', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'dw-shipped-student-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('assembles against the fetched teacher and says what the teacher says first', async () => {
    const out = join(tmp, 'student');
    const r = assembleStudent({
      teacherDir: baseDir!,
      deltaDir: shippedStudentDir('whisper-base-2l'),
      outDir: out,
    });
    expect(r.outDir).toBe(out);
    expect(existsSync(join(out, 'model.safetensors'))).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as Record<
      string,
      number
    >;
    expect(config.decoder_layers).toBe(2);
    expect(config.encoder_layers).toBe(6);
    const words = await firstWords(out, baseDir!);
    console.log(`[shipped student] jfk.wav, first 8 tokens: "${words}"`);
    expect(words.toLowerCase()).toMatch(/^and so,? my fellow americans/);
  }, 120_000);

  it('differs from the untrained student (the delta holds trained weights)', async () => {
    const init = join(tmp, 'init');
    createStudent({ teacherDir: baseDir!, outDir: init, decoderLayers: 2 });
    const words = await firstWords(init, baseDir!);
    console.log(`[shipped student] untrained copy on jfk.wav: "${words}"`);
    expect(words.toLowerCase()).not.toMatch(/^and so,? my fellow americans/);
  }, 120_000);
});
