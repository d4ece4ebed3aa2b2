// Finds added-token text (`<|en|>`, `<|0.00|>`, …) in a string. Whisper's tokens all look like
// `<|name|>`, which a scan for "<|" then "|>" finds in linear time; tokens of any other shape (none
// in Whisper) fall back to a regular expression.

import type { AddedToken } from './vocabulary.js';

/** A found added token: where it starts and ends in the text, and its id. */
export interface SpecialMatch {
  readonly index: number;
  readonly end: number;
  readonly id: number;
}

// Only the syntax characters: under the 'u' flag an escaped '-' (or any other identity escape)
// outside a character class is a SyntaxError, so a token such as "- " must pass through as is.
function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

export class SpecialMatcher {
  private readonly bracketed = new Map<string, number>();
  private readonly other?: RegExp;
  private readonly otherIds = new Map<string, number>();

  constructor(tokens: readonly AddedToken[]) {
    const others: AddedToken[] = [];
    for (const t of tokens) {
      const inner = t.content.slice(2, -2);
      if (
        t.content.startsWith('<|') &&
        t.content.endsWith('|>') &&
        t.content.length >= 4 &&
        !inner.includes('|>') &&
        !inner.includes('<|')
      ) {
        this.bracketed.set(t.content, t.id);
      } else if (t.content.length > 0) {
        others.push(t);
        this.otherIds.set(t.content, t.id);
      }
    }
    if (others.length > 0) {
      // Longest first, so that a token wins over another token that is its prefix.
      const alternatives = others.map((t) => t.content).sort((a, b) => b.length - a.length);
      this.other = new RegExp(alternatives.map(escapeRegex).join('|'), 'gu');
    }
  }

  /** Id of the added token whose text is exactly `content`. */
  idOf(content: string): number | undefined {
    return this.bracketed.get(content) ?? this.otherIds.get(content);
  }

  /** First added token at or after `from` that `accept` admits. */
  find(text: string, from: number, accept: (id: number) => boolean): SpecialMatch | undefined {
    const bracketed = this.findBracketed(text, from, accept);
    if (this.other === undefined) return bracketed;
    const other = this.findOther(text, from, accept);
    if (other === undefined) return bracketed;
    if (bracketed === undefined || other.index < bracketed.index) return other;
    return bracketed;
  }

  private findBracketed(
    text: string,
    from: number,
    accept: (id: number) => boolean,
  ): SpecialMatch | undefined {
    let close = -1;
    for (let open = text.indexOf('<|', from); open >= 0; open = text.indexOf('<|', open + 1)) {
      // The nearest "|>" after the opener bounds the only candidate starting there; it is reused
      // across openers so that text full of "<|" stays linear.
      if (close < open + 2) {
        close = text.indexOf('|>', open + 2);
        if (close < 0) return undefined;
      }
      const id = this.bracketed.get(text.slice(open, close + 2));
      if (id !== undefined && accept(id)) return { index: open, end: close + 2, id };
    }
    return undefined;
  }

  private findOther(
    text: string,
    from: number,
    accept: (id: number) => boolean,
  ): SpecialMatch | undefined {
    const re = this.other!;
    for (let start = from; start <= text.length;) {
      re.lastIndex = start;
      const m = re.exec(text);
      if (m === null) return undefined;
      const id = this.otherIds.get(m[0])!;
      if (accept(id)) return { index: m.index, end: m.index + m[0].length, id };
      start = m.index + 1;
    }
    return undefined;
  }
}
