/**
 * The process-wide runtime: one options object (runtime-options.ts) applied by one explicit call,
 * {@link initRuntime}. tfjs backends and registered kernels are process-global, so these settings
 * are too: a model never changes them behind another's back (loadCausalLM only checks its
 * `backend` and `accel` against them). Calling initRuntime again with other options reconfigures
 * the process (the documented re-init rule, docs/accel.md); with the same options it changes nothing.
 */
import { configureAccel } from './accel.js';
import { selectBackend } from './backend.js';
import {
  type BackendName,
  type ResolvedRuntimeOptions,
  resolveRuntimeOptions,
  type RuntimeOptions,
  RuntimeOptionsError,
} from './runtime-options.js';

/** {@link initRuntime}'s options: the runtime options and where its one-line reports go. */
export type InitRuntimeOptions = RuntimeOptions & {
  /** Receives the line describing the matmul in use when it changes. Default console.info. */
  log?: (line: string) => void;
};

/** What {@link initRuntime} set up. */
export interface RuntimeStatus {
  backend: BackendName;
  options: ResolvedRuntimeOptions;
  /** e.g. "matmul: BLAS on wasm and cpu (OpenBLAS …, 2 threads)". */
  matmul: string;
}

const defaultLog = (line: string): void => console.info(`grpojs: ${line}`);
let current: ResolvedRuntimeOptions | null = null;
/** The backend initRuntime or initBackend last started (their own choice when none was named). */
let started: BackendName | null = null;
let currentLog: (line: string) => void = defaultLog;

/**
 * Applies `options` to the process: starts the backend (`options.backend`, else the fastest
 * available), registers @grpojs/accel's kernels as `options.accel` says when the package is
 * installed, sizes its kernel thread pool, and records the decode switches generate reads.
 * Throws RuntimeOptionsError naming a bad field, BackendError when a forced backend cannot start.
 */
export async function initRuntime(options: InitRuntimeOptions = {}): Promise<RuntimeStatus> {
  const { log, ...rest } = options;
  const resolved = resolveRuntimeOptions(rest);
  // The options take effect only once their backend has started: a backend that cannot start
  // leaves the runtime as it was (not half-switched to options no backend runs).
  const backend = await selectBackend(resolved.backend, 'initRuntime: options.backend');
  current = resolved;
  started = backend;
  if (log !== undefined) currentLog = log;
  const matmul = await configureAccel(backend, resolved, currentLog);
  return { backend, options: resolved, matmul };
}

/** The options in effect: those of the last initRuntime, else the defaults. */
export function runtimeOptions(): ResolvedRuntimeOptions {
  return current ?? resolveRuntimeOptions({});
}

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Receives the line describing the matmul in use when it changes. Default console.info. */
  log?: (line: string) => void;
}

/**
 * Starts `name` (else the runtime's backend, else the fastest available) with the runtime's accel
 * settings (the defaults until initRuntime is called) and returns its name. Safe to call many
 * times. Accel and the other switches are {@link initRuntime}'s: passing `accel` here is an error.
 */
export async function initBackend(name?: BackendName, options: InitBackendOptions = {}): Promise<BackendName> {
  if ('accel' in options) {
    throw new RuntimeOptionsError('initBackend: options.accel is not an option of initBackend; accel is process-wide: call initRuntime({ accel }) (docs/accel.md).');
  }
  const settings = runtimeOptions();
  current = settings;
  if (options.log !== undefined) currentLog = options.log;
  const backend = await selectBackend(name ?? settings.backend, 'initBackend(name)');
  started = backend;
  await configureAccel(backend, settings, currentLog);
  return backend;
}

/**
 * For loadCausalLM: starts the backend as the runtime says, checking the model's own `backend` and
 * `accel` against the runtime (before initRuntime, they initialise it). A model never reconfigures
 * the process: a disagreement is a RuntimeOptionsError that says to call initRuntime. `accel: true`
 * means "when available", so it agrees with a runtime that has accel off (GRPOJS_ACCEL=0 wins).
 */
export async function initRuntimeForModel(requested: { backend?: BackendName; accel?: boolean }, log?: (line: string) => void): Promise<BackendName> {
  if (current === null) {
    const status = await initRuntime({
      ...(requested.backend !== undefined ? { backend: requested.backend } : {}),
      ...(requested.accel !== undefined ? { accel: requested.accel } : {}),
      ...(log !== undefined ? { log } : {}),
    });
    return status.backend;
  }
  if (requested.accel === false && current.accel.matmul) {
    throw new RuntimeOptionsError(
      'loadCausalLM: options.accel is false but the runtime has accel on; accel is process-wide: ' +
        'call initRuntime({ accel: false }) before loading models, or leave options.accel out (docs/accel.md).',
    );
  }
  // The runtime's backend, also when initRuntime chose it (a model asking for another would switch
  // every model in the process).
  const runtimeBackend = current.backend ?? started;
  if (requested.backend !== undefined && runtimeBackend !== null && requested.backend !== runtimeBackend) {
    throw new RuntimeOptionsError(
      `loadCausalLM: options.backend is '${requested.backend}' but the runtime was initialised with backend '${runtimeBackend}'; ` +
        `the backend is process-wide: call initRuntime({ backend: '${requested.backend}' }) first, or leave options.backend out.`,
    );
  }
  return initBackend(requested.backend, log !== undefined ? { log } : {});
}
