/**
 * The one loader of the optional @grpojs/accel package: imported once, dynamically (a machine
 * without it, or without a compiler or BLAS for its addon, keeps tfjs's kernels), and handed out
 * as the typed handle of its contract (AccelApi) or the reason it is unavailable. Everything in
 * this package that uses accel goes through here; its types come from `@grpojs/accel/contract`,
 * imported as types only, so nothing at run time requires the package.
 */
import type { AccelApi } from '@grpojs/accel/contract';

export type AccelLoad = { ok: true; api: AccelApi } | { ok: false; reason: string };

let load: Promise<AccelLoad> | undefined;
let loaded: AccelApi | null = null;

/** Imports @grpojs/accel once and returns its handle, or why there is none. Never throws. */
export function loadAccel(): Promise<AccelLoad> {
  load ??= (async (): Promise<AccelLoad> => {
    let mod: { accelApi?: AccelApi };
    try {
      // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
      const specifier: string = '@grpojs/accel';
      mod = (await import(specifier)) as { accelApi?: AccelApi };
    } catch {
      return { ok: false, reason: 'optional @grpojs/accel not installed; see docs/accel.md' };
    }
    if (mod.accelApi === undefined) return { ok: false, reason: 'the installed @grpojs/accel predates its accelApi handle; update it to the version of @grpojs/model' };
    loaded = mod.accelApi;
    return { ok: true, api: loaded };
  })();
  return load;
}

/** The handle once {@link loadAccel} has found it (synchronous code paths: kernels, the sampler); else null. */
export function loadedAccel(): AccelApi | null {
  return loaded;
}
