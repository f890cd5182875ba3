/**
 * Chooses and initialises the tfjs backend (runtime.ts calls it with the runtime options' choice).
 *
 * Order: `tensorflow` (native TF via @tensorflow/tfjs-node-gpu, then @tensorflow/tfjs-node — both
 * optional peer dependencies, imported dynamically so they are never required) → `wasm`
 * (XNNPACK, SIMD) → `cpu` (plain JS, slow, always there), the first that starts, chosen once per
 * process. The wasm backend gets the kernels it lacks for training (unsorted-segment-sum.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
// The cpu backend (the fallback that is always there), then tfjs-core's gradients and chained tensor
// methods (`x.sum()`): the part of @tensorflow/tfjs we use, without its layers, converter, data and
// webgl packages. The registrations are bundled at build time (scripts/bundle-tfjs-registrations.mjs),
// as tfjs-core ships them only as ESM that Node cannot load; the path is the same from src/ and dist/.
import '@tensorflow/tfjs-backend-cpu';
import '../../dist/tfjs-registrations.js';
// A named import (used below), so bundlers honouring `sideEffects: false` keep the wasm backend.
import { version_wasm } from '@tensorflow/tfjs-backend-wasm';
import { BACKEND_NAMES, type BackendName } from './runtime-options.js';
import { registerWasmUnsortedSegmentSum } from './unsorted-segment-sum.js';

export type { BackendName };
const BACKENDS: readonly BackendName[] = BACKEND_NAMES;

/** Thrown when a requested backend is unknown or cannot start. */
export class BackendError extends Error {
  override name = 'BackendError';
}

/** The native packages tried, in order, for the `tensorflow` backend. */
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Imports the first installed native package; returns its name, or null when none loads. */
async function importNative(): Promise<string | null> {
  for (const pkg of NATIVE_PACKAGES) {
    try {
      // A variable specifier keeps TypeScript and bundlers from requiring the optional peer.
      const specifier: string = pkg;
      await import(specifier);
      return pkg;
    } catch {
      // Not installed (or its native binary failed to load): try the next one.
    }
  }
  return null;
}

function parseName(value: string, source: string): BackendName {
  const name = value.trim().toLowerCase();
  if ((BACKENDS as readonly string[]).includes(name)) return name as BackendName;
  throw new BackendError(`${source}: unknown backend "${value}"; use one of ${BACKENDS.join(', ')}.`);
}

async function trySet(name: BackendName): Promise<boolean> {
  if (name === 'tensorflow' && tf.findBackend('tensorflow') === null) {
    if ((await importNative()) === null) return false;
  }
  if (name === 'wasm') registerWasmUnsortedSegmentSum();
  try {
    return (await tf.setBackend(name)) && (await tf.ready(), tf.getBackend() === name);
  } catch {
    return false;
  }
}

/**
 * Initialises `name` (throws BackendError when it cannot start; `source` names who asked in the
 * error for an unknown name), or with null the fastest available, and returns the backend now in use.
 */
export async function selectBackend(name: BackendName | null, source: string): Promise<BackendName> {
  const forced = name !== null ? parseName(name, source) : null;
  if (forced !== null) {
    if (tf.getBackend() === forced && (forced !== 'wasm' || tf.getKernel('UnsortedSegmentSum', 'wasm'))) return forced;
    if (await trySet(forced)) return forced;
    const hints: Record<BackendName, string> = {
      tensorflow: ' Install @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node next to @grpojs/model; see docs/backends.md.',
      wasm: ` (@tensorflow/tfjs-backend-wasm ${version_wasm}: its .wasm files must sit next to its dist/ files).`,
      cpu: '',
    };
    const hint = hints[forced];
    throw new BackendError(`backend "${forced}" could not be initialised.${hint}`);
  }
  autoChoice ??= (async () => {
    for (const candidate of BACKENDS) {
      if (await trySet(candidate)) return candidate;
    }
    throw new BackendError('no tfjs backend could be initialised (tried tensorflow, wasm, cpu).');
  })();
  const chosen = await autoChoice;
  if (tf.getBackend() !== chosen) await trySet(chosen);
  return chosen;
}

/** The automatic choice, made once per process. */
let autoChoice: Promise<BackendName> | null = null;
