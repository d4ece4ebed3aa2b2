// The random-weight checkpoint the pipeline tests run on (nonsense text: the machinery is what is
// tested). One recipe for all of them, so a change of dims or vocabulary reaches every suite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRandomCheckpoint } from '@distil-whisper/model';
import { createPipeline, type Pipeline } from '../../src';

/** A random checkpoint in a temporary folder of its own. */
export interface RandomCheckpoint {
  dir: string;
  /** Deletes the folder. */
  remove(): void;
}

/** A random checkpoint and a pipeline loaded from it. */
export interface RandomPipeline extends RandomCheckpoint {
  asr: Pipeline;
  /** Disposes of the pipeline, then deletes the folder. */
  dispose(): Promise<void>;
}

/**
 * Writes the checkpoint into a fresh temporary folder named from `prefix`: the tiny preset's
 * multilingual vocabulary (so language detection runs) with small dims (so it is fast), f16, one
 * fixed seed (so every run decodes the same nonsense).
 */
export function randomCheckpoint(prefix: string): RandomCheckpoint {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    createRandomCheckpoint({
      outDir: dir,
      preset: 'tiny',
      dims: {
        dModel: 64,
        encoderLayers: 2,
        decoderLayers: 2,
        encoderAttentionHeads: 2,
        decoderAttentionHeads: 2,
        encoderFfnDim: 128,
        decoderFfnDim: 128,
      },
      dtype: 'f16',
      seed: 1,
    });
  } catch (e) {
    remove();
    throw e;
  }
  return { dir, remove };
}

/** {@link randomCheckpoint} with a pipeline (worker mode, the default) loaded from it. */
export async function randomPipeline(prefix: string): Promise<RandomPipeline> {
  const model = randomCheckpoint(prefix);
  let asr: Pipeline;
  try {
    asr = await createPipeline(model.dir);
  } catch (e) {
    model.remove();
    throw e;
  }
  return {
    ...model,
    asr,
    dispose: async () => {
      try {
        await asr.dispose();
      } finally {
        model.remove();
      }
    },
  };
}
