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

/**
 * Adds `root` and everything reachable from it through arrays, Maps (keys and values), Sets and
 * plain objects to `out`. Unbounded depth, iterative (a deep result cannot overflow the call
 * stack), and `out` doubles as the visited set, so cycles terminate. A tensor that is not found
 * here is disposed by `tidy`, so stopping early would free a returned tensor without a word.
 */
function collect(root: unknown, out: Set<unknown>): void {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || typeof value !== 'object' || out.has(value)) continue;
    out.add(value);
    // Element-wise pushes: spreading a huge array into push() would overflow the call stack.
    if (Array.isArray(value)) for (const v of value) pending.push(v);
    else if (value instanceof Map)
      for (const [k, v] of value) {
        pending.push(k);
        pending.push(v);
      }
    else if (value instanceof Set) for (const v of value) pending.push(v);
    else {
      // Class instances (tensors among them) are leaves: their fields are their own business.
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Object.prototype || proto === null)
        for (const v of Object.values(value)) pending.push(v);
    }
  }
}

/**
 * Runs `fn` and disposes every tensor created during it that is not reachable from its return
 * value: the value itself, or anything inside arrays, Maps (keys and values), Sets and plain
 * objects, at any depth (cycles are fine). Tensors held by class instances other than these are
 * not looked for: `keep()` them. Returned tensors move to the enclosing scope, so nested `tidy`
 * calls compose. Not for async functions: the scope closes when `fn` returns.
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
