import { readFileSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MetricsError } from '../errors.js';
import { spellingMapFromObject, type SpellingMap } from './english-spelling.js';

/** File name under which Hugging Face Whisper checkpoints ship the spelling map. */
export const SPELLING_MAP_FILE = 'normalizer.json';

function resolveFile(pathOrDir: string, isDirectory: boolean): string {
  return isDirectory ? join(pathOrDir, SPELLING_MAP_FILE) : pathOrDir;
}

function parse(text: string, file: string): SpellingMap {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new MetricsError(
      'SPELLING_MAP_INVALID',
      `${file} is not valid JSON: ${(e as Error).message}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MetricsError(
      'SPELLING_MAP_INVALID',
      `${file} must hold a JSON object of word → spelling`,
    );
  }
  try {
    return spellingMapFromObject(parsed as Record<string, unknown>);
  } catch (e) {
    throw new MetricsError('SPELLING_MAP_INVALID', `${file}: ${(e as Error).message}`);
  }
}

function notFound(pathOrDir: string, e: unknown): MetricsError {
  return new MetricsError(
    'SPELLING_MAP_NOT_FOUND',
    `No spelling map at ${pathOrDir} (${(e as Error).message}). Pass a Whisper checkpoint directory ` +
      `containing ${SPELLING_MAP_FILE}, or the path of that file / of openai/whisper's english.json.`,
  );
}

/**
 * Loads the British → American spelling map from a checkpoint directory (its `normalizer.json`) or
 * from a JSON file path (e.g. openai/whisper's `english.json`, the same data).
 *
 * @throws {@link MetricsError} `SPELLING_MAP_NOT_FOUND` or `SPELLING_MAP_INVALID`.
 * @example
 * ```ts
 * const spellingMap = await loadSpellingMap('./distil-large-v3');
 * const english = new EnglishTextNormalizer({ spellingMap });
 * ```
 */
export async function loadSpellingMap(pathOrDir: string): Promise<SpellingMap> {
  let file: string;
  let text: string;
  try {
    file = resolveFile(pathOrDir, (await stat(pathOrDir)).isDirectory());
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw notFound(pathOrDir, e);
  }
  return parse(text, file);
}

/** Synchronous {@link loadSpellingMap}, for scripts and CLIs. */
export function loadSpellingMapSync(pathOrDir: string): SpellingMap {
  let file: string;
  let text: string;
  try {
    file = resolveFile(pathOrDir, statSync(pathOrDir).isDirectory());
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw notFound(pathOrDir, e);
  }
  return parse(text, file);
}
