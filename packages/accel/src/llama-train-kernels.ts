// The Llama family's training-step kernels as tfjs kernels on the wasm and cpu backends: RMSNorm,
// SwiGLU and rotary positions (fused with the split into heads), forward and backward, each one
// native pass (native/napi/llama-train.cc) instead of the 3–12 elementwise tfjs kernels of each formula
// in @grpojs/model. The model wraps each pair in a tf.customGrad.
import * as tf from '@tensorflow/tfjs-core';

import { ACCEL_KERNELS } from './contract/kernels.js';
import type { BlasAddon } from './native.js';
import { allocate, locate, VocabKernelError } from './vocab-kernels.js';

/**
 * Kernel name: inputs `{ x [n, C], weight [C] }`, attrs `{ epsilon }` → `[y [n, C], rstd [n]]`
 * with y = x · rstd · weight per row, rstd = 1/√(mean(x²) + epsilon) (transformers' LlamaRMSNorm).
 */
export const RMS_NORM = ACCEL_KERNELS.rmsNorm;
/** Kernel name: inputs `{ x [n, C], weight [C], rstd [n], dy [n, C] }` → `[dx [n, C], dweight [C]]`. */
export const RMS_NORM_GRAD = ACCEL_KERNELS.rmsNormGrad;
/** Kernel name: inputs `{ gate, up }` of one shape → silu(gate) · up. */
export const SWIGLU = ACCEL_KERNELS.swiglu;
/** Kernel name: inputs `{ gate, up, dy }` of one shape → `[dgate, dup]`. */
export const SWIGLU_GRAD = ACCEL_KERNELS.swigluGrad;
/**
 * Kernel name: inputs `{ x [B·T, H·D], cos [B, 1, T, D], sin [B, 1, T, D] }` (rotary tables whose
 * two halves repeat), attrs `{ batch, heads }` → `[B, H, T, D]`: each head vector rotated
 * rotate-half style, x·cos + rotateHalf(x)·sin, in attention's heads-major layout.
 */
export const ROTARY_HEADS = ACCEL_KERNELS.rotaryHeads;
/** Kernel name: inputs `{ dy [B, H, T, D], cos, sin }` (as ROTARY_HEADS) → dx `[B·T, H·D]`. */
export const ROTARY_HEADS_GRAD = ACCEL_KERNELS.rotaryHeadsGrad;

/** Every kernel of this file, for registration and removal. */
export const LLAMA_TRAIN_KERNELS = [RMS_NORM, RMS_NORM_GRAD, SWIGLU, SWIGLU_GRAD, ROTARY_HEADS, ROTARY_HEADS_GRAD] as const;

/** The addon's functions (native/napi/llama-train.cc has the exact contract); every array is a view of a tensor's memory. */
export interface AddonLlamaTrain {
  rmsNormForward(o: { x: Float32Array; weight: Float32Array; rows: number; eps: number; out: Float32Array; rstd: Float32Array }): void;
  rmsNormBackward(o: {
    x: Float32Array; weight: Float32Array; rstd: Float32Array; dy: Float32Array; rows: number; dx: Float32Array; dweight: Float32Array;
  }): void;
  swigluForward(o: { gate: Float32Array; up: Float32Array; out: Float32Array }): void;
  swigluBackward(o: { gate: Float32Array; up: Float32Array; dy: Float32Array; dgate: Float32Array; dup: Float32Array }): void;
  rotaryHeads(o: {
    x: Float32Array; cos: Float32Array; sin: Float32Array; batch: number; steps: number; heads: number; headDim: number;
    inverse: boolean; out: Float32Array;
  }): void;
}

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

function check(kernel: string, name: string, t: tf.TensorInfo, shape: readonly number[]): void {
  if (t.dtype !== 'float32' || t.shape.join() !== shape.join()) {
    throw new VocabKernelError(`${kernel}: ${name} must be float32 [${shape}], got ${t.dtype} [${t.shape}]`);
  }
}

function kernels(addon: AddonLlamaTrain, backendName: string): Record<string, tf.KernelFunc> {
  // A Float32Array over a tensor's memory; made after every output is allocated, since a wasm
  // malloc can replace the heap's ArrayBuffer.
  const view = (backend: unknown, t: tf.TensorInfo, kernel: string): Float32Array => {
    const r = locate(backendName, backend, t);
    if (r === null) throw new VocabKernelError(`${kernel}: a tensor's memory is not a plain ArrayBuffer (threaded wasm?)`);
    return new Float32Array(r.buffer, r.byteOffset, size(t.shape));
  };
  const rows2d = (kernel: string, x: tf.TensorInfo): [number, number] => {
    if (x.shape.length !== 2) throw new VocabKernelError(`${kernel}: x must be [n, C], got [${x.shape}]`);
    return [x.shape[0], x.shape[1]];
  };
  const rotaryShape = (kernel: string, cos: tf.TensorInfo, sin: tf.TensorInfo, batch: number): { T: number; D: number } => {
    if (cos.shape.length !== 4 || cos.shape[0] !== batch || cos.shape[1] !== 1) {
      throw new VocabKernelError(`${kernel}: cos must be [${batch}, 1, T, D], got [${cos.shape}]`);
    }
    check(kernel, 'cos', cos, cos.shape);
    check(kernel, 'sin', sin, cos.shape);
    return { T: cos.shape[2], D: cos.shape[3] };
  };
  return {
    [RMS_NORM]: ({ inputs, backend, attrs }) => {
      const { x, weight } = inputs as Record<string, tf.TensorInfo>;
      const [n, C] = rows2d(RMS_NORM, x);
      check(RMS_NORM, 'x', x, [n, C]);
      check(RMS_NORM, 'weight', weight, [C]);
      const epsilon = (attrs as { epsilon?: unknown } | undefined)?.epsilon;
      if (typeof epsilon !== 'number' || !(epsilon >= 0)) throw new VocabKernelError(`${RMS_NORM}: attrs.epsilon must be a number >= 0, got ${epsilon}`);
      const [y, rstd] = [allocate(backendName, backend, [n, C]), allocate(backendName, backend, [n])];
      const at = (t: tf.TensorInfo) => view(backend, t, RMS_NORM);
      addon.rmsNormForward({ x: at(x), weight: at(weight), rows: n, eps: epsilon, out: at(y), rstd: at(rstd) });
      return [y, rstd];
    },
    [RMS_NORM_GRAD]: ({ inputs, backend }) => {
      const { x, weight, rstd, dy } = inputs as Record<string, tf.TensorInfo>;
      const [n, C] = rows2d(RMS_NORM_GRAD, x);
      check(RMS_NORM_GRAD, 'x', x, [n, C]);
      check(RMS_NORM_GRAD, 'weight', weight, [C]);
      check(RMS_NORM_GRAD, 'rstd', rstd, [n]);
      check(RMS_NORM_GRAD, 'dy', dy, [n, C]);
      const [dx, dweight] = [allocate(backendName, backend, [n, C]), allocate(backendName, backend, [C])];
      const at = (t: tf.TensorInfo) => view(backend, t, RMS_NORM_GRAD);
      addon.rmsNormBackward({ x: at(x), weight: at(weight), rstd: at(rstd), dy: at(dy), rows: n, dx: at(dx), dweight: at(dweight) });
      return [dx, dweight];
    },
    [SWIGLU]: ({ inputs, backend }) => {
      const { gate, up } = inputs as Record<string, tf.TensorInfo>;
      check(SWIGLU, 'gate', gate, gate.shape);
      check(SWIGLU, 'up', up, gate.shape);
      const out = allocate(backendName, backend, gate.shape);
      const at = (t: tf.TensorInfo) => view(backend, t, SWIGLU);
      addon.swigluForward({ gate: at(gate), up: at(up), out: at(out) });
      return out;
    },
    [SWIGLU_GRAD]: ({ inputs, backend }) => {
      const { gate, up, dy } = inputs as Record<string, tf.TensorInfo>;
      for (const [name, t] of [['gate', gate], ['up', up], ['dy', dy]] as const) check(SWIGLU_GRAD, name, t, gate.shape);
      const [dgate, dup] = [allocate(backendName, backend, gate.shape), allocate(backendName, backend, gate.shape)];
      const at = (t: tf.TensorInfo) => view(backend, t, SWIGLU_GRAD);
      addon.swigluBackward({ gate: at(gate), up: at(up), dy: at(dy), dgate: at(dgate), dup: at(dup) });
      return [dgate, dup];
    },
    [ROTARY_HEADS]: ({ inputs, backend, attrs }) => {
      const { x, cos, sin } = inputs as Record<string, tf.TensorInfo>;
      const { batch, heads } = (attrs ?? {}) as { batch?: unknown; heads?: unknown };
      if (!Number.isInteger(batch) || !Number.isInteger(heads) || (batch as number) <= 0 || (heads as number) <= 0) {
        throw new VocabKernelError(`${ROTARY_HEADS}: attrs.batch and attrs.heads must be positive integers, got ${batch}, ${heads}`);
      }
      const [B, H] = [batch as number, heads as number];
      const { T, D } = rotaryShape(ROTARY_HEADS, cos, sin, B);
      check(ROTARY_HEADS, 'x', x, [B * T, H * D]);
      const out = allocate(backendName, backend, [B, H, T, D]);
      const at = (t: tf.TensorInfo) => view(backend, t, ROTARY_HEADS);
      addon.rotaryHeads({ x: at(x), cos: at(cos), sin: at(sin), batch: B, steps: T, heads: H, headDim: D, inverse: false, out: at(out) });
      return out;
    },
    [ROTARY_HEADS_GRAD]: ({ inputs, backend }) => {
      const { dy, cos, sin } = inputs as Record<string, tf.TensorInfo>;
      if (dy.shape.length !== 4) throw new VocabKernelError(`${ROTARY_HEADS_GRAD}: dy must be [B, H, T, D], got [${dy.shape}]`);
      const [B, H, T, D] = dy.shape;
      const table = rotaryShape(ROTARY_HEADS_GRAD, cos, sin, B);
      if (table.T !== T || table.D !== D) throw new VocabKernelError(`${ROTARY_HEADS_GRAD}: cos [${cos.shape}] does not fit dy [${dy.shape}]`);
      check(ROTARY_HEADS_GRAD, 'dy', dy, [B, H, T, D]);
      const dx = allocate(backendName, backend, [B * T, H * D]);
      const at = (t: tf.TensorInfo) => view(backend, t, ROTARY_HEADS_GRAD);
      addon.rotaryHeads({ x: at(dy), cos: at(cos), sin: at(sin), batch: B, steps: T, heads: H, headDim: D, inverse: true, out: at(dx) });
      return dx;
    },
  };
}

/** Registers the Llama training kernels on `backends` (skipping any already there). */
export function registerLlamaTrainKernels(addon: BlasAddon, backends: string[]): void {
  const native = (addon as unknown as { llamaTrainKernels?: AddonLlamaTrain }).llamaTrainKernels;
  if (native === undefined) return; // an addon built before these kernels
  for (const backendName of backends) {
    for (const [kernelName, kernelFunc] of Object.entries(kernels(native, backendName))) {
      if (tf.getKernel(kernelName, backendName) === undefined) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
}

/** Removes the Llama training kernels from `backends`. */
export function unregisterLlamaTrainKernels(backends: string[]): void {
  for (const backendName of backends) {
    for (const kernelName of LLAMA_TRAIN_KERNELS) {
      if (tf.getKernel(kernelName, backendName) !== undefined) tf.unregisterKernel(kernelName, backendName);
    }
  }
}
