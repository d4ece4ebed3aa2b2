// Deterministic release of native memory: tensors created inside `tidy()` are disposed when it
// returns, except those that are part of its result. Finalizers remain only a safety net.

/** Anything with native memory behind it. */
export interface Disposable {
  dispose(): void;
  readonly disposed: boolean;
}

const stack: Set<Disposable>[] = [];

/** @internal Called by every tensor constructor. */
export function track(t: Disposable): void {
  stack[stack.length - 1]?.add(t);
}

/** @internal Removes a tensor from the innermost scope (it was returned or kept). */
export function untrack(t: Disposable): void {
  stack[stack.length - 1]?.delete(t);
}

function collect(value: unknown, out: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (out.has(value)) return;
  out.add(value);
  if (Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (value instanceof Map) for (const v of value.values()) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

/**
 * Runs `fn` and disposes every tensor created during it that is not reachable from its return
 * value (the value itself, or arrays / plain objects / Maps up to four levels deep). Returned
 * tensors move to the enclosing scope, so nested `tidy` calls compose. Not for async functions:
 * the scope closes when `fn` returns.
 *
 * @example
 * ```ts
 * const y = tidy(() => gelu(add(linear(x, w, b), residual))); // intermediates freed
 * ```
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  stack.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    stack.pop();
    for (const t of scope) t.dispose();
    throw err;
  }
  stack.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new TypeError(
      'tidy() does not accept async functions: the scope closes before the promise settles',
    );
  }
  const keep = new Set<unknown>();
  collect(result, keep);
  for (const t of scope) {
    if (keep.has(t)) track(t);
    else t.dispose();
  }
  return result;
}

/**
 * Marks a tensor created inside `tidy()` as owned by the caller: it survives the scope and must
 * be disposed explicitly.
 */
export function keep<T extends Disposable>(t: T): T {
  for (const scope of stack) scope.delete(t);
  return t;
}
