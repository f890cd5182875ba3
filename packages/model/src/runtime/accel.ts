/**
 * @grpojs/accel on the wasm and cpu backends, as the runtime options say: BLAS matmuls and the
 * kernel families (docs/accel.md), the kernel thread pool, and the native sampler. The package comes
 * through the one loader (load-accel.ts); without it tfjs keeps its own kernels. runtime.ts calls
 * {@link configureAccel} from initRuntime and initBackend.
 */
import type { AccelApi } from '@grpojs/accel/contract';
import { loadAccel, loadedAccel } from './load-accel.js';
import { setActiveSampler } from './native-sampler.js';
import type { BackendName, ResolvedRuntimeOptions } from './runtime-options.js';

let lastLine: string | null = null;
/** The accel settings last applied (JSON), so that an unchanged call re-registers nothing. */
let applied: string | null = null;
/** The kernel pool's own size (the CPU count capped at 4), what kernelThreads: null goes back to. */
let defaultKernelThreads: number | null = null;

/** The families switched off, e.g. "gelu, nf4" ('' when none). */
function familiesOff(accel: ResolvedRuntimeOptions['accel']): string {
  return Object.entries(accel)
    .filter(([family, on]) => family !== 'matmul' && !on)
    .map(([family]) => family)
    .join(', ');
}

/** Registers what `options.accel` asks for (after removing what an earlier call registered, when it differs). */
function apply(api: AccelApi, options: ResolvedRuntimeOptions): ReturnType<AccelApi['enableBlasMatMul']> | null {
  const { matmul, ...families } = options.accel;
  const key = JSON.stringify(options.accel);
  if (applied !== null && applied !== key) api.disableBlasMatMul();
  applied = key;
  defaultKernelThreads ??= api.setKernelThreads(0);
  api.setKernelThreads(options.kernelThreads ?? defaultKernelThreads);
  if (!matmul) {
    api.disableBlasMatMul();
    setActiveSampler(null);
    return null;
  }
  setActiveSampler(families.vocab ? api.nativeSampler() : null);
  return api.enableBlasMatMul({ kernels: families });
}

/**
 * Applies the accel part of `options` and returns a one-line description of the matmul `backend`
 * now uses; `log` receives that line when it differs from the last one reported (so once per
 * process in the usual case, also when switching between wasm and cpu).
 */
export async function configureAccel(backend: BackendName, options: ResolvedRuntimeOptions, log: (line: string) => void): Promise<string> {
  let line: string;
  const load = await loadAccel();
  const status = load.ok ? apply(load.api, options) : null;
  if (backend === 'tensorflow') {
    line = 'matmul: native TensorFlow kernels (tensorflow backend)';
  } else if (!options.accel.matmul) {
    line = 'matmul: tfjs kernels (BLAS matmul off: accel: false)';
  } else if (!load.ok) {
    line = `matmul: tfjs kernels (${load.reason})`;
  } else if (status === null || !status.backends.includes(backend)) {
    line = `matmul: tfjs kernels (BLAS matmul not available: ${status?.reason ?? `no BLAS kernels for ${backend}`})`;
  } else {
    const off = familiesOff(options.accel);
    line = `matmul: BLAS on ${status.backends.join(' and ')} (${status.blas ?? 'BLAS'}, ${status.threads ?? '?'} threads${off ? `; kernels off: ${off}` : ''})`;
  }
  if (line !== lastLine) log(line);
  lastLine = line;
  return line;
}

/** True when the current matmuls of `backend` run on the BLAS (@grpojs/accel). */
export function blasMatMulActive(backend: string): boolean {
  return loadedAccel()?.blasMatMulBackends().includes(backend) ?? false;
}
