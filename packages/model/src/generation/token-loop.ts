// The one token-by-token decoding loop (transformers' `_sample`): every row takes one token per
// step, chosen by a TokenChoice (argmax for greedy, a sampler for sampling) after Whisper's
// processors; finished rows leave the session so the batch shrinks. Beam search is a different
// algorithm (beam-search.ts).
//
// The loop is a generator that yields what it needs from the session (decode or reorder) and is
// driven either synchronously, for a session that answers at once (greedyDecode over a
// WhisperModel), or asynchronously, for any GenerationModel (generate). One loop, two drivers.
import { throwIfAborted } from './errors';
import { processLogits } from './logits-processors';
import type { TokenChoice } from './token-choice';
import type { DecoderSession, SearchOutput, SearchSettings } from './types';

/** A session call the loop needs made before it can go on. */
type SessionRequest = { op: 'decode'; tokens: number[][] } | { op: 'reorder'; indices: number[] };

/** The loop, paused at each session call; resumed with the call's result. */
type TokenLoop = Generator<SessionRequest, SearchOutput[], Float32Array[] | undefined>;

/** A {@link DecoderSession} that answers synchronously (a WhisperModel's). */
export interface SyncDecoderSession extends DecoderSession {
  decode(tokens: readonly (readonly number[])[]): Float32Array[];
  reorder(indices: readonly number[]): void;
}

function* tokenLoop(
  firstLogits: Float32Array[],
  s: SearchSettings,
  choose: TokenChoice,
): TokenLoop {
  const rows = firstLogits.length;
  const out: SearchOutput[] = Array.from({ length: rows }, () => ({ tokens: [], logprobs: [] }));
  let active = Array.from({ length: rows }, (_, i) => i);
  let logits = firstLogits;
  for (let step = 0; active.length > 0; step++) {
    throwIfAborted(s.signal);
    const next: number[] = [];
    const keep: number[] = [];
    active.forEach((rowId, r) => {
      const row = logits[r] as Float32Array;
      const o = out[rowId] as SearchOutput;
      processLogits(row, o.tokens, s.processors);
      const { token, logprob } = choose(row);
      o.tokens.push(token);
      o.logprobs.push(logprob);
      const done = token === s.eosTokenId || s.prefixLength + o.tokens.length >= s.maxLength;
      if (!done) {
        keep.push(r);
        next.push(token);
      }
    });
    s.onStep?.(step + 1);
    if (keep.length === 0) break;
    if (keep.length !== active.length) {
      yield { op: 'reorder', indices: keep };
      active = keep.map((r) => active[r] as number);
    }
    const decoded = yield { op: 'decode', tokens: next.map((t) => [t]) };
    if (!decoded) throw new Error('internal: the token loop was resumed without logits');
    logits = decoded;
  }
  return out;
}

/**
 * Greedy decoding or sampling (by `choose`), one token per row per step until end of text or
 * `maxLength`, over a session of any kind.
 *
 * @param firstLogits the logits after each row's prefix (one per session row; processed in place)
 */
export async function tokenSearch(
  session: DecoderSession,
  firstLogits: Float32Array[],
  settings: SearchSettings,
  choose: TokenChoice,
): Promise<SearchOutput[]> {
  const loop = tokenLoop(firstLogits, settings, choose);
  let step = loop.next();
  while (!step.done) {
    const req = step.value;
    if (req.op === 'decode') step = loop.next(await session.decode(req.tokens));
    else {
      await session.reorder(req.indices);
      step = loop.next(undefined);
    }
  }
  return step.value;
}

/** {@link tokenSearch} over a session that answers synchronously; same loop, same result. */
export function tokenSearchSync(
  session: SyncDecoderSession,
  firstLogits: Float32Array[],
  settings: SearchSettings,
  choose: TokenChoice,
): SearchOutput[] {
  const loop = tokenLoop(firstLogits, settings, choose);
  let step = loop.next();
  while (!step.done) {
    const req = step.value;
    if (req.op === 'decode') step = loop.next(session.decode(req.tokens));
    else {
      session.reorder(req.indices);
      step = loop.next(undefined);
    }
  }
  return step.value;
}
