// The native op list (native/include/dw/op_list.h) from TypeScript: what ops exist, and a way to
// run any of them by name. The typed wrappers in ops.ts / training.ts stay the API to build on;
// this is the one generic door, used by tests, tools and ops that have no wrapper of their own.
import { call } from './errors';
import { native } from './native';
import { Tensor } from './tensor';

/** One op of the native op list. */
export interface OpInfo {
  /** The op's name, as {@link runOp} takes it (snake_case, e.g. `layer_norm`). */
  name: string;
  /** Inputs, attributes and outputs in words, e.g. `x f32 [..., C], gamma f32 [C], beta f32 [C]; eps → f32 [..., C]`. */
  signature: string;
  /** Whether the CUDA backend has a kernel for it. */
  cuda: boolean;
}

/** Every op of the native op list, sorted by name. */
export function listOps(): OpInfo[] {
  return call(() => native().listOps());
}

/**
 * Runs a native op by name on its inputs' device: `attrs` are the op's scalar arguments (numbers,
 * or booleans for flags), as its {@link OpInfo.signature} names them. Returns new tensors in the
 * order the signature lists its outputs. Unknown ops, missing or malformed attributes and bad
 * inputs throw a `KernelError` that names what is wrong.
 *
 * @example
 * ```ts
 * const [y] = runOp('layer_norm', [x, gamma, beta], { eps: 1e-5 });
 * ```
 */
export function runOp(
  name: string,
  inputs: readonly Tensor[],
  attrs: Readonly<Record<string, number | boolean>> = {},
): Tensor[] {
  return call(() =>
    native()
      .runOp(
        name,
        inputs.map((t) => t.handle),
        { ...attrs },
      )
      .map((h) => new Tensor(h)),
  );
}
