// The BatchMatMul and _FusedMatMul kernel functions that run on the BLAS addon, for the wasm and
// cpu backends. Each works in place on the tensors' own memory: for wasm, views into the wasm heap
// at the tensors' memoryOffset (re-read on every call, since the heap's ArrayBuffer is replaced
// when it grows); for cpu, the Float32Arrays the backend keeps. Anything the addon does not cover
// (non-float32, rank < 2, an unusual bias broadcast, an unknown activation) goes to the original kernel.
import * as tf from '@tensorflow/tfjs-core';

import { ACTIVATION_CODES, type BlasAddon, loadAddon } from './native.js';
import { epilogueLength, planMatMul } from './plan.js';

/** Where a tensor's float32 data lives: a buffer and a byte offset into it. */
interface Region {
  buffer: ArrayBuffer;
  byteOffset: number;
}

/** The two things a backend must provide: a fresh float32 output, and the memory of a tensor. */
export interface MemoryAccess {
  /** Allocates a float32 tensor of `shape` (contents are overwritten by the kernel). */
  allocate(backend: unknown, shape: number[]): tf.TensorInfo;
  /** The region holding `t`'s data right now, or null when it is not a plain float32 ArrayBuffer region. */
  locate(backend: unknown, t: tf.TensorInfo): Region | null;
}

/** The parts of tfjs-backend-wasm's BackendWasm (dist/backend_wasm.js) that the kernels use. */
interface WasmBackendLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number | null } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

/** The parts of tfjs-backend-cpu's MathBackendCPU that the kernels use. */
interface CpuBackendLike {
  data: { get(dataId: tf.DataId): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): tf.TensorInfo;
}

/** wasm: outputs come from the backend's malloc; data sits in the heap at memoryOffset. */
export const wasmMemory: MemoryAccess = {
  allocate: (backend, shape) => (backend as WasmBackendLike).makeOutput(shape, 'float32'),
  locate(backend, t) {
    const wasm = backend as WasmBackendLike;
    const buffer = wasm.wasm.HEAPU8.buffer;
    const offset = wasm.dataIdMap.get(t.dataId)?.memoryOffset;
    // A threaded wasm build has a SharedArrayBuffer heap, which the addon does not take.
    if (!(buffer instanceof ArrayBuffer) || offset == null) return null;
    return { buffer, byteOffset: offset };
  },
};

/** cpu: every float32 tensor's data is a Float32Array kept in backend.data. */
export const cpuMemory: MemoryAccess = {
  allocate(backend, shape) {
    let size = 1;
    for (const d of shape) size *= d;
    return (backend as CpuBackendLike).makeTensorInfo(shape, 'float32', new Float32Array(size));
  },
  locate(backend, t) {
    const values = (backend as CpuBackendLike).data.get(t.dataId)?.values;
    if (!(values instanceof Float32Array) || !(values.buffer instanceof ArrayBuffer)) return null;
    return { buffer: values.buffer, byteOffset: values.byteOffset };
  },
};

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** Counts of matmuls run on the BLAS and handed to the original kernel, since the process started. */
export const callCounts = { blas: 0, fallback: 0 };

/**
 * Builds the kernel function for BatchMatMul (`fused` false) or _FusedMatMul (`fused` true) on the
 * backend whose memory `memory` reads; `original` is the kernel it replaces and falls back to.
 */
export function makeMatMulKernel(
  addon: BlasAddon,
  memory: MemoryAccess,
  original: tf.KernelFunc,
  fused: boolean,
): tf.KernelFunc {
  return (args: KernelArgs) => {
    const { inputs, backend } = args;
    const attrs = (args.attrs ?? {}) as Record<string, unknown>;
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const bias = fused ? (inputs.bias as tf.TensorInfo | undefined) : undefined;
    const alphas = fused ? (inputs.preluActivationWeights as tf.TensorInfo | undefined) : undefined;
    const activation = fused ? String(attrs.activation ?? 'linear') : 'linear';
    const transposeA = Boolean(attrs.transposeA);
    const transposeB = Boolean(attrs.transposeB);
    const code = ACTIVATION_CODES[activation as keyof typeof ACTIVATION_CODES];

    const plan = planMatMul(a.shape, b.shape, transposeA, transposeB);
    const allFloat = [a, b, bias, alphas].every((t) => t === undefined || t.dtype === 'float32');
    const biasLength = bias ? epilogueLength(bias.shape, plan?.outShape.length ?? 0, plan?.n ?? 0) : 0;
    const alphaLength = alphas ? epilogueLength(alphas.shape, plan?.outShape.length ?? 0, plan?.n ?? 0) : 0;
    const supported =
      plan !== null && allFloat && code !== undefined && biasLength !== null && alphaLength !== null &&
      (code !== ACTIVATION_CODES.prelu || alphas !== undefined) &&
      [a, b, bias, alphas].every((t) => t === undefined || memory.locate(backend, t) !== null);
    if (!supported) {
      callCounts.fallback++;
      return original(args);
    }
    callCounts.blas++;

    // Allocate first: a wasm malloc can grow the heap and replace its ArrayBuffer, so every
    // region is located after it.
    const out = memory.allocate(backend, plan.outShape);
    const ra = memory.locate(backend, a) as Region;
    const rb = memory.locate(backend, b) as Region;
    const ro = memory.locate(backend, out) as Region;
    const rBias = bias ? memory.locate(backend, bias) : null;
    const rAlpha = alphas && code === ACTIVATION_CODES.prelu ? memory.locate(backend, alphas) : null;
    const leakyreluAlpha = Number(attrs.leakyreluAlpha ?? 0.2);
    try {
      addon.sgemm({
        a: ra, b: rb, out: ro, aIndex: plan.aIndex, bIndex: plan.bIndex, m: plan.m, n: plan.n, k: plan.k, transposeA, transposeB,
        bias: rBias, biasLength: biasLength ?? 0, activation: code, alpha: rAlpha, alphaLength: alphaLength ?? 0, leakyreluAlpha,
      });
    } catch (error) {
      (backend as { disposeData(dataId: tf.DataId): void }).disposeData(out.dataId);
      throw error;
    }
    return out;
  };
}

/**
 * Sets the size of the addon's kernel thread pool (native/kernels/thread-pool.h: batched small matmuls,
 * gelu_new and the vocab log-softmax are split over it) when n > 0, and returns the size in
 * effect; 0 when the addon is not built. Results do not depend on it (each output is computed by
 * one thread with the same code). The default is the CPU count capped at 4 (@grpojs/model's runtime
 * option kernelThreads, from GRPOJS_ACCEL_KERNEL_THREADS in the environment, calls this).
 */
export function setKernelThreads(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new RangeError(`setKernelThreads: n must be an integer in [0, 64], got ${n}`);
  const load = loadAddon();
  if (!load.ok) return 0;
  const addon = load.addon as BlasAddon & { kernelThreads?: (n: number) => number };
  return typeof addon.kernelThreads === 'function' ? addon.kernelThreads(n) : 0;
}
