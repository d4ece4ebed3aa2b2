// The one token loop behind greedy decoding and sampling: rows finish at different steps and
// leave the session, the argmax and sampling choices score tokens as transformers does, and the
// synchronous driver (greedyDecode) and the asynchronous one (generate) give the same rows.
import { describe, expect, it } from 'vitest';

import { SeededRandom } from '../src/generation';
import { argmaxChoice, samplingChoice, type TokenChoice } from '../src/generation/token-choice';
import {
  tokenSearch,
  tokenSearchSync,
  type SyncDecoderSession,
} from '../src/generation/token-loop';
import type { SearchSettings } from '../src/generation/types';
import { FakeModel, logitsRow } from './generation-fake-model';

const V = 12;
const EOS = 11;

/** Row `audio` says token `audio + 1` until it has `audio + 1` tokens, then end of text. */
const model = (): FakeModel =>
  new FakeModel(V, 3, (audio, seq) => {
    const generated = seq.length - 1; // the first fed token is the prefix
    return generated >= audio + 1
      ? logitsRow(V, { [EOS]: 5, 1: 1 })
      : logitsRow(V, { [audio + 1]: 3, 7: 2 });
  });

const settings = (over: Partial<SearchSettings> = {}): SearchSettings => ({
  processors: { suppressTokens: [], beginSuppressTokens: [], timestamps: null },
  eosTokenId: EOS,
  maxLength: 10,
  prefixLength: 1,
  ...over,
});

async function both(
  choose: () => TokenChoice,
  over: Partial<SearchSettings> = {},
): Promise<{ sync: unknown; async: unknown; reorders: number[][] }> {
  const m = model();
  const reorders: number[][] = [];
  const first = (s: SyncDecoderSession): Float32Array[] => s.decode([[0], [0], [0]]);
  const syncSession = m.startSession([0, 1, 2]) as SyncDecoderSession;
  const reorder = syncSession.reorder.bind(syncSession);
  syncSession.reorder = (indices) => {
    reorders.push([...indices]);
    reorder(indices);
  };
  const sync = tokenSearchSync(syncSession, first(syncSession), settings(over), choose());
  const asyncSession = model().startSession([0, 1, 2]) as SyncDecoderSession;
  const async = await tokenSearch(asyncSession, first(asyncSession), settings(over), choose());
  return { sync, async, reorders };
}

describe('token loop', () => {
  it('greedy: rows end at their own step and leave the session', async () => {
    const { sync, async, reorders } = await both(() => argmaxChoice);
    expect(sync).toEqual(async);
    const rows = sync as Array<{ tokens: number[]; logprobs: number[] }>;
    expect(rows.map((r) => r.tokens)).toEqual([
      [1, EOS],
      [2, 2, EOS],
      [3, 3, 3, EOS],
    ]);
    // Row 0 ends after two steps, row 1 after three: the session keeps only the rest.
    expect(reorders).toEqual([[1, 2], [1]]);
    // log-softmax of the chosen entry: logits 3 and 2 against ten entries at -10.
    const lse = Math.log(Math.exp(3) + Math.exp(2) + 10 * Math.exp(-10));
    expect(rows[0]!.logprobs[0]).toBeCloseTo(3 - lse, 6);
  });

  it('stops every row at maxLength', async () => {
    const { sync, async } = await both(() => argmaxChoice, { maxLength: 3 });
    expect(sync).toEqual(async);
    expect((sync as Array<{ tokens: number[] }>).map((r) => r.tokens)).toEqual([
      [1, EOS],
      [2, 2],
      [3, 3],
    ]);
  });

  it('sampling: same draws from the same seed whichever driver runs the loop', async () => {
    const { sync, async } = await both(() => samplingChoice(2, 0, new SeededRandom(5)));
    expect(sync).toEqual(async);
  });

  it('sampling scores the warped row multiplied back by the temperature', () => {
    const row = Float32Array.from([0, 1, 2, -Infinity]);
    const { token, logprob } = samplingChoice(0.5, 2, new SeededRandom(1))(row);
    expect([1, 2]).toContain(token);
    // Top-2 keeps logits 1 and 2; the score is their log-softmax at temperature 1.
    const lse = Math.log(Math.exp(1) + Math.exp(2));
    expect(logprob).toBeCloseTo((token === 1 ? 1 : 2) - lse, 6);
  });
});
