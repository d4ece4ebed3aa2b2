// Shared helpers of the data-*.test.ts suites: a byte-level Whisper tokenizer built in memory
// (so manifest tests need no reference files), WAV writing and temporary directories.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseTiktoken, WhisperTokenizer } from '@distil-whisper/tokenizer';

import { makeWav, testSignal } from '../../audio/test/wav-builder';

let multilingual: WhisperTokenizer | undefined;
let english: WhisperTokenizer | undefined;

function byteRanks(): string {
  const lines: string[] = [];
  for (let b = 0; b < 256; b++) lines.push(`${Buffer.from([b]).toString('base64')} ${b}`);
  ['he', 'll', 'hell', 'hello', ' w'].forEach((t, k) =>
    lines.push(`${Buffer.from(t).toString('base64')} ${256 + k}`),
  );
  return lines.join('\n') + '\n';
}

/**
 * A tiny Whisper tokenizer: 256 byte tokens + 5 merges, then Whisper's specials and timestamps
 * (99 languages). `multilingual` decides the prefix (SOT, language, task) and timestamp position.
 */
export function syntheticTokenizer(isMultilingual: boolean): WhisperTokenizer {
  if (isMultilingual)
    return (multilingual ??= new WhisperTokenizer(parseTiktoken(byteRanks()), {
      multilingual: true,
    }));
  return (english ??= new WhisperTokenizer(parseTiktoken(byteRanks()), { multilingual: false }));
}

/** A fresh temporary directory and its remover. */
export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `dw-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a 16 kHz mono 16-bit WAV of `seconds` (a test tone; `silent` for zeros). */
export function writeWav(
  path: string,
  seconds: number,
  options: { silent?: boolean; seed?: number; sampleRate?: number } = {},
): void {
  const rate = options.sampleRate ?? 16000;
  const n = Math.round(seconds * rate);
  const samples = options.silent ? new Float32Array(n) : testSignal(n, options.seed ?? 1);
  writeFileSync(path, makeWav({ channels: [samples], sampleRate: rate }));
}
