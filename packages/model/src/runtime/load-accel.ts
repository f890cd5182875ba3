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
    } catch (error) {
      return { ok: false, reason: accelImportFailure(error) };
    }
    if (mod.accelApi === undefined) return { ok: false, reason: 'the installed @grpojs/accel predates its accelApi handle; update it to the version of @grpojs/model' };
    loaded = mod.accelApi;
    return { ok: true, api: loaded };
  })();
  return load;
}

/**
 * Why importing @grpojs/accel failed: not installed (the usual case of an optional package), or
 * installed but broken, whose error is kept so the matmul log line says what to fix.
 */
export function accelImportFailure(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0] : String(error);
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && message.includes("'@grpojs/accel'")) return 'optional @grpojs/accel not installed; see docs/accel.md';
  return `@grpojs/accel is installed but failed to load (${message}); reinstall it or see docs/accel.md`;
}

/** The handle once {@link loadAccel} has found it (synchronous code paths: kernels, the sampler); else null. */
export function loadedAccel(): AccelApi | null {
  return loaded;
}
