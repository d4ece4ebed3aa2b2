// Which cross-attention heads time the words: the checkpoint's `alignment_heads`, or the
// documented fallback for checkpoints whose list is missing or names layers they lack.

import { AlignmentError } from './errors';

/** Heads chosen by {@link resolveAlignmentHeads}. */
export interface ResolvedAlignmentHeads {
  /** `[decoderLayer, head]` pairs, sorted by layer then head. */
  heads: Array<[number, number]>;
  /** Where they came from. */
  source: 'generation-config' | 'fallback';
  /** Why the fallback was used (absent for `generation-config`). */
  reason?: string;
}

/**
 * Resolves the alignment heads of a decoder with `decoderLayers` layers of `decoderHeads` heads.
 *
 * - The configured list (generation_config `alignment_heads`) when it is non-empty and every
 *   pair exists in this decoder.
 * - Otherwise every head of the upper half of the decoder (layers `>= floor(decoderLayers / 2)`),
 *   openai/whisper's default for checkpoints without a list. Distil-Whisper students copy their
 *   teacher's list, which names layers a 2-layer decoder lacks (WAVE2 D); for them this is all
 *   heads of the last layer, the list distil-large-v3 ships.
 *
 * @throws {@link AlignmentError} `NO_ALIGNMENT_HEADS` for a decoder without layers or heads
 *
 * @example
 * ```ts
 * resolveAlignmentHeads(2, 20, [[7, 0], [10, 17]]); // fallback: [[1, 0], …, [1, 19]]
 * ```
 */
export function resolveAlignmentHeads(
  decoderLayers: number,
  decoderHeads: number,
  configured: ReadonlyArray<readonly [number, number]>,
): ResolvedAlignmentHeads {
  if (!(decoderLayers >= 1 && decoderHeads >= 1))
    throw new AlignmentError(
      'NO_ALIGNMENT_HEADS',
      `a decoder of ${decoderLayers} layers × ${decoderHeads} heads has no head to align with`,
    );
  const bad = configured.filter(
    ([l, h]) =>
      !(Number.isInteger(l) && Number.isInteger(h)) ||
      l < 0 ||
      l >= decoderLayers ||
      h < 0 ||
      h >= decoderHeads,
  );
  if (configured.length > 0 && bad.length === 0) {
    const heads = configured.map(([l, h]) => [l, h] as [number, number]);
    heads.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    return { heads, source: 'generation-config' };
  }
  const heads: Array<[number, number]> = [];
  for (let l = Math.floor(decoderLayers / 2); l < decoderLayers; l++)
    for (let h = 0; h < decoderHeads; h++) heads.push([l, h]);
  const reason =
    configured.length === 0
      ? 'the generation config lists no alignment_heads'
      : `alignment_heads name ${bad.map(([l, h]) => `[${l}, ${h}]`).join(', ')}, outside this decoder (${decoderLayers} layers × ${decoderHeads} heads)`;
  return { heads, source: 'fallback', reason };
}
