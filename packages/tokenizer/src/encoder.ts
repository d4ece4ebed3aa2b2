// Text → ids for one vocabulary: pre-tokenise, then look each piece up (whole-token texts and a
// bounded cache of earlier pieces) before running BPE on its bytes.

import { BytePairMerger } from './bpe.js';
import { PieceScanner, type WhitespaceSemantics } from './pretokenize.js';
import { SpecialMatcher } from './special-matcher.js';
import { decodeUtf8, isValidUtf8, Utf8Scratch } from './utf8.js';
import { buildPairTable, type TokenizerData } from './vocabulary.js';

// Pieces longer than this are not cached: they are rare, and caching them would let one big
// input pin a lot of memory.
const MAX_CACHED_PIECE = 128;
const MAX_CACHE_ENTRIES = 200_000;

export class PieceEncoder {
  private readonly scanner: PieceScanner;
  /** Text of every token whose bytes are valid UTF-8 → its id: most pieces end here. */
  private readonly wholeTokens = new Map<string, number>();
  private readonly cache = new Map<string, number[]>();
  private readonly scratch = new Utf8Scratch();
  private readonly merger: BytePairMerger;
  readonly specials: SpecialMatcher;

  constructor(data: TokenizerData, whitespace: WhitespaceSemantics) {
    this.scanner = new PieceScanner(whitespace);
    const singleBytes = new Array<number | undefined>(256);
    data.tokenBytes.forEach((bytes, id) => {
      if (bytes === undefined || bytes.length === 0) return;
      if (bytes.length === 1) singleBytes[bytes[0]!] ??= id;
      if (isValidUtf8(bytes)) this.wholeTokens.set(decodeUtf8(bytes), id);
    });
    this.merger = new BytePairMerger(buildPairTable(data), singleBytes);
    this.specials = new SpecialMatcher(data.addedTokens);
  }

  /** Appends the ordinary encoding of `text` to `out` (added-token text is plain text). */
  encodeOrdinary(text: string, out: number[]): void {
    const scanner = this.scanner;
    for (let i = 0; i < text.length;) {
      const end = scanner.pieceEnd(text, i);
      this.encodePiece(text.slice(i, end), out);
      i = end;
    }
  }

  /** Appends the ids of one piece. */
  encodePiece(piece: string, out: number[]): void {
    const whole = this.wholeTokens.get(piece);
    if (whole !== undefined) {
      out.push(whole);
      return;
    }
    const cached = this.cache.get(piece);
    if (cached !== undefined) {
      for (let i = 0; i < cached.length; i++) out.push(cached[i]!);
      return;
    }
    const start = out.length;
    const n = this.scratch.encode(piece);
    this.merger.encodeBytes(this.scratch.bytes, n, out);
    if (piece.length <= MAX_CACHED_PIECE) {
      if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
      this.cache.set(piece, out.slice(start));
    }
  }

  /** Encodes bytes directly (test hook for the two merge strategies). */
  get bpe(): BytePairMerger {
    return this.merger;
  }
}
