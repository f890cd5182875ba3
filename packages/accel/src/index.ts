// Public entry of @grpojs/accel: swaps the tfjs BatchMatMul and _FusedMatMul kernels of the wasm
// (and cpu) backends for ones that call the system BLAS through a native addon, and back.
// Elementwise ops stay where they are; only matmuls (most of a GRPO step's FLOPs) move.
// tfjs-core's and tfjs-backend-wasm's declaration files name the globals `Long` (@types/long) and
// `EmscriptenModule` (@types/emscripten) without referencing them, so a strict consumer whose
// tsconfig lists `types` fails in them; referenced here, and kept in the emitted .d.ts (`preserve`).
/// <reference types="long" preserve="true" />
/// <reference types="emscripten" preserve="true" />
import * as tf from '@tensorflow/tfjs-core';

import { registerAttentionKernels, unregisterAttentionKernels } from './attention-kernels.js';
import { callCounts, cpuMemory, makeMatMulKernel, type MemoryAccess, wasmMemory } from './kernels.js';
import { registerGatherKernels, unregisterGatherKernels } from './gather-kernels.js';
import { registerGeluKernels, unregisterGeluKernels } from './gelu-kernels.js';
import { registerIdentityKernel, unregisterIdentityKernel } from './identity-kernel.js';
import { registerLayerNormKernels, unregisterLayerNormKernels } from './layernorm-kernels.js';
import { registerLlamaTrainKernels, unregisterLlamaTrainKernels } from './llama-train-kernels.js';
import type { AccelApi, AccelBackend, BlasMatMulStatus, EnableBlasMatMulOptions, NativeSampleRow } from './contract/api.js';
import { ACCEL_KERNEL_FAMILIES, ACCEL_KERNELS, type AccelKernelFamily } from './contract/kernels.js';
import { createDecodeEngine } from './decode-engine.js';
import { createLlamaDecodeEngine } from './llama-decode-engine.js';
import { loadAddon } from './native.js';
import { registerNf4Kernels, unregisterNf4Kernels } from './nf4-kernels.js';
import { makeSampleRow, registerVocabKernels, unregisterVocabKernels } from './vocab-kernels.js';
import { setKernelThreads } from './kernels.js';

export * from './contract/index.js';

export { MASKED_SOFTMAX, MASKED_SOFTMAX_GRAD, SPLIT_HEADS, SPLIT_HEADS_GRAD } from './attention-kernels.js';
export { GATHER_COLUMNS, GATHER_ROWS } from './gather-kernels.js';
export { createDecodeEngine, DecodeEngineError } from './decode-engine.js';
export { GELU_NEW, GELU_NEW_GRAD } from './gelu-kernels.js';
export { createLlamaDecodeEngine, LlamaDecodeEngineError, type LlamaKernels, llamaKernels } from './llama-decode-engine.js';
export { LAYER_NORM, LAYER_NORM_GRAD } from './layernorm-kernels.js';
export { RMS_NORM, RMS_NORM_GRAD, ROTARY_HEADS, ROTARY_HEADS_GRAD, SWIGLU, SWIGLU_GRAD } from './llama-train-kernels.js';
export { INT8_DEQUANTIZE, NF4_DEQUANTIZE } from './nf4-kernels.js';
export { LOG_SOFTMAX_GATHER, VocabKernelError } from './vocab-kernels.js';
export { setKernelThreads } from './kernels.js';

/** Error for a bad argument to this package's functions. */
export class AccelOptionsError extends Error {
  override name = 'AccelOptionsError';
}

const KERNELS = [
  { name: tf.BatchMatMul, fused: false },
  { name: tf._FusedMatMul, fused: true },
] as const;
const MEMORY: Record<AccelBackend, MemoryAccess> = { wasm: wasmMemory, cpu: cpuMemory };

/** The kernels replaced so far, keyed "backend/kernel", to put back on disable. */
const originals = new Map<string, tf.KernelConfig>();

/**
 * Makes tfjs matmuls (BatchMatMul, and _FusedMatMul with its bias and activation) on the wasm and
 * cpu backends run on the system BLAS (OpenBLAS / Apple Accelerate). Call it after importing
 * '@tensorflow/tfjs-backend-wasm' (whose import registers the kernels replaced here), before or
 * after `tf.setBackend('wasm')`. Never throws for a missing addon: it returns `enabled: false` and
 * the reason, and tfjs keeps its own kernels. Calling it again re-sets the threads and the kernel
 * families: one switched off is removed, one switched on is registered.
 * It also registers the addon's vocab-sized and gelu_new kernels ({@link LOG_SOFTMAX_GATHER},
 * {@link GELU_NEW}), LayerNorm ({@link LAYER_NORM}), column-gather ({@link GATHER_COLUMNS}) and
 * attention ({@link MASKED_SOFTMAX}, {@link SPLIT_HEADS}) and Llama training ({@link RMS_NORM}, {@link SWIGLU},
 * {@link ROTARY_HEADS}) kernels on the patched backends, and makes
 * wasm's Identity (every tensor kept for a gradient) share data instead of copying it, and the NF4
 * and int8 dequantization kernels ({@link NF4_DEQUANTIZE}, {@link INT8_DEQUANTIZE}): every family
 * of ACCEL_KERNEL_FAMILIES unless `options.kernels` turns it off ({ gelu: false, ... }).
 * {@link disableBlasMatMul} removes them.
 */
export function enableBlasMatMul(options: EnableBlasMatMulOptions = {}): BlasMatMulStatus {
  const requested = options.backends ?? (['wasm', 'cpu'] as AccelBackend[]);
  for (const name of requested) {
    if (!(name in MEMORY)) {
      throw new AccelOptionsError(`enableBlasMatMul: options.backends has '${name}'; use 'wasm' and/or 'cpu'`);
    }
  }
  const threads = options.threads;
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) {
    throw new AccelOptionsError(`enableBlasMatMul: options.threads is ${threads}; use a positive integer`);
  }
  const switches = options.kernels ?? {};
  for (const [family, on] of Object.entries(switches)) {
    if (!(family in ACCEL_KERNEL_FAMILIES) || typeof on !== 'boolean') {
      throw new AccelOptionsError(
        `enableBlasMatMul: options.kernels.${family} is ${String(on)}; use a boolean for one of ${Object.keys(ACCEL_KERNEL_FAMILIES).join(', ')}`,
      );
    }
  }
  const on = (family: AccelKernelFamily): boolean => switches[family] ?? true;
  const load = loadAddon();
  if (!load.ok) return { enabled: false, reason: load.reason, backends: [] };
  const { addon } = load;
  const threadsInEffect = addon.setThreads(threads ?? 0);

  const missing: string[] = [];
  for (const backendName of requested) {
    for (const { name, fused } of KERNELS) {
      const key = `${backendName}/${name}`;
      if (originals.has(key)) continue;
      const original = tf.getKernel(name, backendName);
      if (original === undefined) {
        missing.push(`${name} on '${backendName}'`);
        continue;
      }
      originals.set(key, original);
      tf.unregisterKernel(name, backendName);
      tf.registerKernel({
        ...original,
        // The original setup (wasm: binding its C function) still runs when the backend
        // initializes after this call, since fallbacks call the original kernel.
        kernelFunc: makeMatMulKernel(addon, MEMORY[backendName], original.kernelFunc, fused),
      });
    }
  }
  const backends = requested.filter((b) => KERNELS.every(({ name }) => originals.has(`${b}/${name}`)));
  if (on('vocab')) registerVocabKernels(addon, backends);
  if (on('gelu')) registerGeluKernels(addon, backends);
  if (on('nf4')) registerNf4Kernels(addon, backends);
  if (on('layernorm')) registerLayerNormKernels(addon, backends);
  if (on('gather')) registerGatherKernels(addon, backends);
  if (on('identity')) registerIdentityKernel(backends);
  registerAttentionKernels(addon, backends, { softmax: on('softmax'), heads: on('heads') });
  if (on('llama')) registerLlamaTrainKernels(addon, backends);
  // A family switched off is removed if an earlier call registered it, so that a call's `kernels`
  // take effect however the last call set them.
  for (const family of Object.keys(ACCEL_KERNEL_FAMILIES) as AccelKernelFamily[]) {
    if (on(family)) continue;
    if (family === 'identity') unregisterIdentityKernel();
    for (const key of ACCEL_KERNEL_FAMILIES[family]) {
      for (const b of backends) if (tf.getKernel(ACCEL_KERNELS[key], b) !== undefined) tf.unregisterKernel(ACCEL_KERNELS[key], b);
    }
  }
  const status: BlasMatMulStatus = { enabled: backends.length > 0, backends, blas: addon.blasInfo(), threads: threadsInEffect };
  if (missing.length > 0) {
    status.reason =
      `no kernel registered for ${missing.join(', ')} (import '@tensorflow/tfjs-backend-wasm' ` +
      `or '@tensorflow/tfjs-backend-cpu' before calling enableBlasMatMul)`;
  }
  return status;
}

/** Puts back the kernels {@link enableBlasMatMul} replaced. Returns the backends it restored. */
export function disableBlasMatMul(): string[] {
  const restored = new Set<string>();
  unregisterVocabKernels(blasMatMulBackends());
  unregisterGeluKernels(blasMatMulBackends());
  unregisterNf4Kernels(blasMatMulBackends());
  unregisterLayerNormKernels(blasMatMulBackends());
  unregisterGatherKernels(blasMatMulBackends());
  unregisterIdentityKernel();
  unregisterAttentionKernels(blasMatMulBackends());
  unregisterLlamaTrainKernels(blasMatMulBackends());
  for (const [key, original] of originals) {
    tf.unregisterKernel(original.kernelName, original.backendName);
    tf.registerKernel(original);
    originals.delete(key);
    restored.add(original.backendName);
  }
  return [...restored];
}

/**
 * Whether the native addon is built and loads here, without registering anything: when not,
 * `reason` says why (never built, its install-time build failed and what was missing, or it failed
 * to load) and how to rebuild it; when it loads, `file` is the addon that did (a local build or the
 * prebuilt binary). Test setups use it to say why native tests are skipped.
 */
export function addonStatus(): { built: true; file: string } | { built: false; reason: string } {
  const load = loadAddon();
  return load.ok ? { built: true, file: load.file } : { built: false, reason: load.reason };
}

/** Backends whose matmuls currently run on the BLAS. */
export function blasMatMulBackends(): string[] {
  return [...new Set([...originals.values()].map((k) => k.backendName))];
}

/**
 * How many matmuls ran on the BLAS and how many fell back to the original kernel (non-float32,
 * rank < 2, a bias that broadcasts other than per column...) since the process started.
 */
export function blasMatMulStats(): { blas: number; fallback: number } {
  return { ...callCounts };
}

/**
 * The addon's sampler with @grpojs/model's sampleToken arithmetic, or null when the addon is not
 * built. Independent of enableBlasMatMul: the caller decides whether to use it.
 */
export function nativeSampler(): NativeSampleRow | null {
  const load = loadAddon();
  return load.ok ? makeSampleRow(load.addon) : null;
}

/** The handle @grpojs/model loads (the contract's AccelApi): this package's entry points, typed once. */
export const accelApi: AccelApi = {
  kernels: ACCEL_KERNELS,
  enableBlasMatMul,
  disableBlasMatMul,
  blasMatMulBackends,
  setKernelThreads,
  nativeSampler,
  createDecodeEngine,
  createLlamaDecodeEngine,
};
