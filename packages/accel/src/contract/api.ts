// What @grpojs/model gets from the optional package at run time: accel's index exports one
// `accelApi` object of this type, which model's single loader (runtime/load-accel.ts) imports.
import type { DecodeEngineLoad, DecodeEngineSpec } from './decode-engine.js';
import type { AccelKernelSwitches, ACCEL_KERNELS } from './kernels.js';
import type { LlamaDecodeEngineLoad, LlamaDecodeEngineSpec } from './llama-decode-engine.js';

/** Backends whose matmul kernels can be replaced. */
export type AccelBackend = 'wasm' | 'cpu';

/** Options of enableBlasMatMul. */
export interface EnableBlasMatMulOptions {
  /** Backends to patch (default both; a backend whose package is not imported is skipped). */
  backends?: AccelBackend[];
  /** BLAS threads (default: OPENBLAS_NUM_THREADS, else OpenBLAS's choice: one per core). */
  threads?: number;
  /** Kernel families to register besides the matmuls (default: every family). */
  kernels?: AccelKernelSwitches;
}

/** What enableBlasMatMul did. */
export interface BlasMatMulStatus {
  /** True when at least one backend now runs its matmuls on the BLAS. */
  enabled: boolean;
  /** Why nothing (or not every requested backend) was patched; absent when all went well. */
  reason?: string;
  /** Backends whose BatchMatMul/_FusedMatMul now run on the BLAS. */
  backends: string[];
  /** The BLAS build, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ..." (absent when the addon did not load). */
  blas?: string;
  /** BLAS threads in effect (0 when the BLAS does not say, e.g. Accelerate). */
  threads?: number;
}

/**
 * The native sampler: a token drawn from softmax(logits / temperature) restricted to scaled logits
 * ≥ threshold (−Infinity: all), given u = one uniform draw in [0, 1), with the arithmetic of
 * @grpojs/model's sampleToken; −1 when `logits` is not in a plain ArrayBuffer (sample in JS then).
 */
export type NativeSampleRow = (logits: Float32Array, temperature: number, threshold: number, u: number) => number;

/** The typed handle of the package. */
export interface AccelApi {
  /** The registered kernel names (the contract's ACCEL_KERNELS). */
  readonly kernels: typeof ACCEL_KERNELS;
  enableBlasMatMul(options?: EnableBlasMatMulOptions): BlasMatMulStatus;
  /** Puts back every kernel enableBlasMatMul replaced or added; returns the backends restored. */
  disableBlasMatMul(): string[];
  blasMatMulBackends(): string[];
  /** Sets the kernel thread pool's size when n > 0; returns the size in effect (0: addon not built). */
  setKernelThreads(n: number): number;
  /** The native sampler, or null when the addon is not built. */
  nativeSampler(): NativeSampleRow | null;
  createDecodeEngine(spec: DecodeEngineSpec): DecodeEngineLoad;
  createLlamaDecodeEngine(spec: LlamaDecodeEngineSpec): LlamaDecodeEngineLoad;
}
