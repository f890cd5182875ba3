/**
 * The test policies' withAdaptersDisabled: `fn` runs with the adapters off (set(false)), and they are
 * back on when it returns, throws, or (for a promise) settles, as the PolicyModel port requires.
 */
export function runWithAdaptersOff<T>(set: (enabled: boolean) => void, fn: () => T): T {
  set(false);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    set(true);
    throw error;
  }
  if (result instanceof Promise) return result.finally(() => set(true)) as T;
  set(true);
  return result;
}
