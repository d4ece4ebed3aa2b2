import { readFileSync } from 'node:fs';
import { WhisperTokenizer, type WhisperTokenizerOptions } from '../src/index.js';
import { referencePath } from '../../../test-support/reference';

export interface CorpusLine {
  text: string;
  category: string;
  ids: number[];
}

/** Where each tokenizer variant comes from, and which corpus file it must reproduce. */
export const VARIANTS = {
  'tiktoken-gpt2': { path: ['assets', 'gpt2.tiktoken'], corpus: 'gpt2.jsonl', numLanguages: 99 },
  'tiktoken-multilingual': {
    path: ['assets', 'multilingual.tiktoken'],
    corpus: 'multilingual.jsonl',
    numLanguages: 99,
  },
  'tiktoken-multilingual-v3': {
    path: ['assets', 'multilingual.tiktoken'],
    corpus: 'multilingual.jsonl',
    numLanguages: 100,
  },
  en: { path: ['tokenizers', 'en'], corpus: 'gpt2.jsonl', numLanguages: 99 },
  'multilingual-v2': {
    path: ['tokenizers', 'multilingual-v2'],
    corpus: 'multilingual.jsonl',
    numLanguages: 99,
  },
  'multilingual-v3': {
    path: ['tokenizers', 'multilingual-v3'],
    corpus: 'multilingual.jsonl',
    numLanguages: 100,
  },
  'en-vocab-merges': {
    path: ['tokenizers', 'en', 'vocab.json'],
    corpus: 'gpt2.jsonl',
    numLanguages: 99,
  },
  'multilingual-v2-vocab-merges': {
    path: ['tokenizers', 'multilingual-v2', 'vocab.json'],
    corpus: 'multilingual.jsonl',
    numLanguages: 99,
  },
  'multilingual-v3-vocab-merges': {
    path: ['tokenizers', 'multilingual-v3', 'vocab.json'],
    corpus: 'multilingual.jsonl',
    numLanguages: 100,
  },
} as const;

export type VariantName = keyof typeof VARIANTS;

const cache = new Map<string, WhisperTokenizer>();

/** Loads (once per test file) the tokenizer of a variant. */
export function tokenizer(
  name: VariantName,
  options: WhisperTokenizerOptions = {},
): WhisperTokenizer {
  const key = `${name}:${JSON.stringify(options)}`;
  let tok = cache.get(key);
  if (tok === undefined) {
    const v = VARIANTS[name];
    tok = WhisperTokenizer.fromPretrainedSync(referencePath(...v.path), {
      numLanguages: v.numLanguages,
      ...options,
    });
    cache.set(key, tok);
  }
  return tok;
}

export function readCorpus(file: string): CorpusLine[] {
  return readFileSync(referencePath('tokenization', file), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CorpusLine);
}

export function readReferenceJson<T>(...parts: string[]): T {
  return JSON.parse(readFileSync(referencePath(...parts), 'utf8')) as T;
}
