// Packing (run_pseudo_labelling.py `concatenate_dataset`, WAVE2 A2): consecutive clips of the same
// speaker are joined into one window while the total stays within the limit, so the teacher and
// later the student see long, context-rich windows instead of many short ones. Streaming: clips
// arrive one at a time in manifest order and a pack is handed out as soon as it is closed, so at
// most one open pack is held in memory.
import type { LabelInput } from './input-manifest.js';

/** One decoded clip offered to the {@link Packer}. */
export interface PackMember {
  readonly input: LabelInput;
  /** 16 kHz mono PCM. */
  readonly samples: Float32Array;
}

/** A closed pack: one teacher window. */
export interface Pack {
  /** The clips, in manifest order. */
  readonly members: readonly LabelInput[];
  /** The members' audio, concatenated. */
  readonly samples: Float32Array;
  /** The members' speaker (all equal; undefined when the lines have none). */
  readonly speaker: string | undefined;
}

/** Options of {@link Packer}. */
export interface PackerOptions {
  /** Join consecutive clips of one speaker. False: every clip is its own pack. */
  readonly concatenate: boolean;
  /** Most samples a pack of several clips may hold (a single longer clip still forms a pack). */
  readonly maxSamples: number;
}

function concat(parts: readonly Float32Array[], total: number): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Forms packs from clips pushed in manifest order. A clip joins the open pack when it has the
 * same speaker (`undefined` equals `undefined`, as the reference compares `None == None`) and the
 * pack's total stays ≤ `maxSamples`; otherwise the open pack is closed and the clip opens the
 * next. A clip longer than `maxSamples` on its own becomes a pack by itself, as in the reference.
 *
 * @example
 * ```ts
 * const packer = new Packer({ concatenate: true, maxSamples: 30 * 16000 });
 * const closed = [...packer.push(a), ...packer.push(b)];
 * const last = packer.close();
 * ```
 */
export class Packer {
  readonly #options: PackerOptions;
  #members: LabelInput[] = [];
  #parts: Float32Array[] = [];
  #samples = 0;
  #speaker: string | undefined;

  constructor(options: PackerOptions) {
    this.#options = options;
  }

  /** Samples in the open pack (0 when none is open). */
  get openSamples(): number {
    return this.#samples;
  }

  /** Adds a clip; returns the pack it closed, if any. */
  push(member: PackMember): Pack[] {
    const n = member.samples.length;
    const joins =
      this.#options.concatenate &&
      this.#members.length > 0 &&
      member.input.speaker === this.#speaker &&
      this.#samples + n <= this.#options.maxSamples;
    const closed: Pack[] = [];
    if (!joins) {
      const pack = this.close();
      if (pack) closed.push(pack);
      this.#speaker = member.input.speaker;
    }
    this.#members.push(member.input);
    this.#parts.push(member.samples);
    this.#samples += n;
    if (!this.#options.concatenate) {
      const pack = this.close();
      if (pack) closed.push(pack);
    }
    return closed;
  }

  /** Closes the open pack and returns it (undefined when none is open). */
  close(): Pack | undefined {
    if (this.#members.length === 0) return undefined;
    const pack: Pack = {
      members: this.#members,
      samples: concat(this.#parts, this.#samples),
      speaker: this.#speaker,
    };
    this.#members = [];
    this.#parts = [];
    this.#samples = 0;
    this.#speaker = undefined;
    return pack;
  }
}
