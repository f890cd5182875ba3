/**
 * Optional BLAS matmuls: when the optional package @grpojs/accel is installed and its native addon
 * built, the wasm and cpu backends' matmul kernels run on the system BLAS (OpenBLAS / Accelerate),
 * several times faster (docs/accel.md). It is imported dynamically, so a machine without a
 * compiler or BLAS simply keeps tfjs's own kernels. `initBackend` calls {@link configureBlasMatMul}.
 */
import type { BackendName } from './backend.js';

/** The part of @grpojs/accel's API used here (kept local: the package is optional). */
interface AccelModule {
  enableBlasMatMul(options?: { backends?: ('wasm' | 'cpu')[] }): {
    enabled: boolean;
    reason?: string;
    backends: string[];
    blas?: string;
    threads?: number;
  };
  disableBlasMatMul(): string[];
  blasMatMulBackends(): string[];
}

let accel: AccelModule | null | undefined; // undefined: not tried yet; null: not installed
let lastLine: string | null = null;

async function importAccel(): Promise<AccelModule | null> {
  if (accel === undefined) {
    try {
      // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
      const specifier: string = '@grpojs/accel';
      accel = (await import(specifier)) as AccelModule;
    } catch {
      accel = null;
    }
  }
  return accel;
}

/**
 * Turns the BLAS matmul on (`wanted`, unless GRPOJS_ACCEL=0) or off for the wasm and cpu backends
 * and returns a one-line description of the matmul `backend` now uses. `log` receives that line
 * when it differs from the last one reported (so once per process in the usual case, also when
 * switching between wasm and cpu).
 */
export async function configureBlasMatMul(backend: BackendName, wanted: boolean, log: (line: string) => void): Promise<string> {
  let line: string;
  if (backend === 'tensorflow') {
    line = 'matmul: native TensorFlow kernels (tensorflow backend)';
  } else if (!wanted || process.env.GRPOJS_ACCEL === '0') {
    (await importAccel())?.disableBlasMatMul();
    line = `matmul: tfjs kernels (BLAS matmul off: ${wanted ? 'GRPOJS_ACCEL=0' : 'accel: false'})`;
  } else {
    const mod = await importAccel();
    if (mod === null) {
      line = 'matmul: tfjs kernels (optional @grpojs/accel not installed; see docs/accel.md)';
    } else {
      const status = mod.enableBlasMatMul();
      line = status.backends.includes(backend)
        ? `matmul: BLAS on ${status.backends.join(' and ')} (${status.blas ?? 'BLAS'}, ${status.threads ?? '?'} threads; GRPOJS_ACCEL=0 turns it off)`
        : `matmul: tfjs kernels (BLAS matmul not available: ${status.reason ?? `no BLAS kernels for ${backend}`})`;
    }
  }
  if (line !== lastLine) log(line);
  lastLine = line;
  return line;
}

/** True when the current matmuls of `backend` run on the BLAS (@grpojs/accel). */
export function blasMatMulActive(backend: string): boolean {
  return accel ? accel.blasMatMulBackends().includes(backend) : false;
}
