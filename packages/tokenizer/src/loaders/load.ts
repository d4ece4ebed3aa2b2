// Finding and reading a tokenizer on disk: which file of a checkpoint directory to use.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TokenizerError } from '../errors.js';
import type { TokenizerData } from '../vocabulary.js';
import { parseTiktoken } from './tiktoken.js';
import { parseTokenizerJson } from './tokenizer-json.js';
import { parseVocabAndMerges } from './vocab-merges.js';

/** Options for loading from disk. */
export interface LoadOptions {
  /**
   * For `.tiktoken` files only: number of language tokens, 99 (default) or 100 (large-v3, adds
   * `yue`). Hugging Face directories carry their own special tokens.
   */
  readonly numLanguages?: number;
}

/** Minimal file access, so that the same selection logic serves the sync and async loaders. */
interface Files {
  isDir(path: string): boolean | Promise<boolean>;
  exists(path: string): boolean | Promise<boolean>;
  list(dir: string): string[] | Promise<string[]>;
  read(path: string): string | Promise<string>;
}

type Plan =
  | { kind: 'tokenizer.json'; path: string }
  | { kind: 'vocab'; dir: string }
  | { kind: 'tiktoken'; path: string };

function notFound(path: string, tried: string[]): TokenizerError {
  return new TokenizerError(
    'FILE_NOT_FOUND',
    `no tokenizer found at ${path}; looked for ${tried.join(', ')}. Point to a Whisper checkpoint directory or a .tiktoken file`,
  );
}

function* plan(
  path: string,
  files: Files,
): Generator<boolean | string[] | Promise<unknown>, Plan, unknown> {
  const exists = (yield files.exists(path)) as boolean;
  if (!exists) throw notFound(path, ['the path itself']);
  const isDir = (yield files.isDir(path)) as boolean;
  if (!isDir) {
    const name = basename(path);
    if (name.endsWith('.tiktoken')) return { kind: 'tiktoken', path };
    if (name === 'vocab.json' || name === 'merges.txt')
      return { kind: 'vocab', dir: dirname(path) };
    if (name.endsWith('.json')) return { kind: 'tokenizer.json', path };
    throw new TokenizerError(
      'UNSUPPORTED_TOKENIZER',
      `${path}: expected a directory, tokenizer.json, vocab.json or a .tiktoken file`,
    );
  }
  if ((yield files.exists(join(path, 'tokenizer.json'))) as boolean)
    return { kind: 'tokenizer.json', path: join(path, 'tokenizer.json') };
  if (
    ((yield files.exists(join(path, 'vocab.json'))) as boolean) &&
    ((yield files.exists(join(path, 'merges.txt'))) as boolean)
  ) {
    return { kind: 'vocab', dir: path };
  }
  const entries = (yield files.list(path)) as string[];
  const tiktoken = entries.filter((e) => e.endsWith('.tiktoken')).sort();
  if (tiktoken.length === 1) return { kind: 'tiktoken', path: join(path, tiktoken[0]!) };
  if (tiktoken.length > 1) {
    throw new TokenizerError(
      'UNSUPPORTED_TOKENIZER',
      `${path} holds several .tiktoken files (${tiktoken.join(', ')}); pass the one to load`,
    );
  }
  throw notFound(path, ['tokenizer.json', 'vocab.json + merges.txt', '*.tiktoken']);
}

function* read(
  p: Plan,
  files: Files,
  options: LoadOptions,
): Generator<boolean | string | Promise<unknown>, TokenizerData, unknown> {
  if (p.kind === 'tokenizer.json') return parseTokenizerJson((yield files.read(p.path)) as string);
  if (p.kind === 'tiktoken') return parseTiktoken((yield files.read(p.path)) as string, options);
  const optional = function* (
    name: string,
  ): Generator<boolean | string | Promise<unknown>, string | undefined, unknown> {
    const file = join(p.dir, name);
    return ((yield files.exists(file)) as boolean)
      ? ((yield files.read(file)) as string)
      : undefined;
  };
  return parseVocabAndMerges({
    vocab: (yield files.read(join(p.dir, 'vocab.json'))) as string,
    merges: (yield files.read(join(p.dir, 'merges.txt'))) as string,
    addedTokens: yield* optional('added_tokens.json'),
    specialTokensMap: yield* optional('special_tokens_map.json'),
  });
}

function* load(
  path: string,
  files: Files,
  options: LoadOptions,
): Generator<unknown, TokenizerData, unknown> {
  const p = yield* plan(path, files);
  return yield* read(p, files, options);
}

function wrapRead(path: string, cause: unknown): TokenizerError {
  return new TokenizerError('FILE_NOT_FOUND', `cannot read ${path}: ${(cause as Error).message}`, {
    cause,
  });
}

const syncFiles: Files = {
  isDir: (p) => statSync(p).isDirectory(),
  exists: (p) => existsSync(p),
  list: (p) => readdirSync(p),
  read: (p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch (cause) {
      throw wrapRead(p, cause);
    }
  },
};

const asyncFiles: Files = {
  isDir: async (p) => (await stat(p)).isDirectory(),
  exists: async (p) =>
    stat(p).then(
      () => true,
      () => false,
    ),
  list: (p) => readdir(p),
  read: (p) => readFile(p, 'utf8').catch((cause: unknown) => Promise.reject(wrapRead(p, cause))),
};

/**
 * Reads the tokenizer of a checkpoint directory or a tokenizer file (see
 * {@link WhisperTokenizer.fromPretrained} for the order of preference).
 */
export async function loadTokenizerData(
  path: string,
  options: LoadOptions = {},
): Promise<TokenizerData> {
  const steps = load(path, asyncFiles, options);
  let result = steps.next();
  while (!result.done) {
    let value: unknown;
    try {
      value = await result.value;
    } catch (error) {
      result = steps.throw(error);
      continue;
    }
    result = steps.next(value);
  }
  return result.value;
}

/** Synchronous {@link loadTokenizerData}. */
export function loadTokenizerDataSync(path: string, options: LoadOptions = {}): TokenizerData {
  const steps = load(path, syncFiles, options);
  let result = steps.next();
  while (!result.done) result = steps.next(result.value);
  return result.value;
}
