// Where the `model` tier finds real Whisper weights: DW_TEST_MODEL_DIR, Hugging Face checkpoint
// directories joined with the path delimiter (':'), as `bash tools/real-weights/fetch.sh` prints
// them. A tier whose weights are absent is skipped with a notice naming it, so a skipped
// real-weights test never goes unnoticed (as hasReference does for the reference data).
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The checkpoint directories DW_TEST_MODEL_DIR names, in its order; empty when it is unset. */
function testModelDirs(): string[] {
  return (process.env.DW_TEST_MODEL_DIR ?? '').split(delimiter).filter((d) => d.length > 0);
}

function fetchHint(checkpoints: string): string {
  const args = checkpoints ? ` ${checkpoints}` : '';
  return `run \`bash tools/real-weights/fetch.sh${args}\` and export its output`;
}

/**
 * {@link testModelDirs}, with a visible notice naming `suite` when there are none. `checkpoints`:
 * what the notice tells fetch.sh to get (those the suite's fixtures were recorded on).
 */
export function realWeightDirs(suite: string, checkpoints = ''): string[] {
  const dirs = testModelDirs();
  if (dirs.length === 0)
    console.warn(`[skip] ${suite}: DW_TEST_MODEL_DIR is not set (${fetchHint(checkpoints)})`);
  return dirs;
}

/**
 * True for whisper base (multilingual, 6 decoder layers of 512): the checkpoint the base
 * fixtures were recorded on. False for a directory without a config.json; a config.json that
 * does not parse throws, so a broken download fails loudly instead of skipping its tier.
 */
export function isWhisperBase(dir: string): boolean {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) return false;
  const c = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  return c.d_model === 512 && c.decoder_layers === 6 && c.vocab_size === 51865;
}

/**
 * The first whisper base directory in DW_TEST_MODEL_DIR, or undefined after a visible notice
 * naming `suite` and saying what is missing: the variable, or a base checkpoint among its
 * directories.
 */
export function whisperBaseDir(suite: string): string | undefined {
  const dirs = realWeightDirs(suite, 'base');
  const base = dirs.find(isWhisperBase);
  if (!base && dirs.length > 0)
    console.warn(
      `[skip] ${suite}: no whisper base checkpoint among DW_TEST_MODEL_DIR's ${dirs.join(', ')} (${fetchHint('base')})`,
    );
  return base;
}
