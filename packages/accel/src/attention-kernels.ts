// Attention's non-matmul work as tfjs kernels on the wasm and cpu backends, one native pass each
// (native/napi/attention.cc): softmax(scores · scale + bias) and its input gradient (instead of
// Multiply + Add + Softmax forward and about five kernels backward), and the split of the fused
// q|k|v projection into heads and its gradient (instead of SplitV + 3 Transposes, and 3
// Transposes + Concat). The model owns their gradients (its ops/native-attention.ts).
import * as tf from '@tensorflow/tfjs-core';

import { ACCEL_KERNELS, type AccelKernelAttrs } from './contract/kernels.js';
import { type BlasAddon, type NativeRegion } from './native.js';
import { allocate, locate, type Region, VocabKernelError } from './vocab-kernels.js';

/**
 * Kernel name: inputs `{ scores [B, H, T, S], bias [B, 1, T, S] }` float32, attrs `{ scale }` →
 * softmax over the last axis of scores · scale + bias, [B, H, T, S].
 */
export const MASKED_SOFTMAX = ACCEL_KERNELS.maskedSoftmax;
/** Kernel name: inputs `{ p, dp }` float32 of one shape [..., S] (p from {@link MASKED_SOFTMAX}), attrs `{ scale }` → scale · p · (dp − Σ p·dp). */
export const MASKED_SOFTMAX_GRAD = ACCEL_KERNELS.maskedSoftmaxGrad;

/**
 * Kernel name: input `{ qkv [B·T, 3·H·D] }` float32, attrs `{ batch: B, heads: H }` →
 * `[q, k, v]`, each [B, H, T, D]: GPT-2's fused c_attn output split and laid out per head.
 */
export const SPLIT_HEADS = ACCEL_KERNELS.splitHeads;
/** Kernel name: inputs `{ dq, dk, dv }` float32 [B, H, T, D] → dqkv [B·T, 3·H·D] (the inverse of {@link SPLIT_HEADS}). */
export const SPLIT_HEADS_GRAD = ACCEL_KERNELS.splitHeadsGrad;

/** The addon's attention functions (native/napi/attention.cc has the exact contract). */
export interface AddonAttention {
  /** scores, out [B, H, T, S]; bias [B, 1, T, S]. */
  maskedSoftmax(options: { scores: NativeRegion; bias: NativeRegion; out: NativeRegion; B: number; H: number; T: number; S: number; scale: number }): void;
  /** p, dp, out [rows, S]. */
  maskedSoftmaxGrad(options: { p: NativeRegion; dp: NativeRegion; out: NativeRegion; rows: number; S: number; scale: number }): void;
  /** qkv [B·T, 3·H·D] → q, k, v [B, H, T, D]. */
  splitHeads(options: { qkv: NativeRegion; q: NativeRegion; k: NativeRegion; v: NativeRegion; B: number; T: number; H: number; D: number }): void;
  /** dq, dk, dv [B, H, T, D] → out [B·T, 3·H·D]. */
  splitHeadsGrad(options: { dq: NativeRegion; dk: NativeRegion; dv: NativeRegion; out: NativeRegion; B: number; T: number; H: number; D: number }): void;
}

function scaleOf(kernel: string, attrs: unknown): number {
  const scale = (attrs as Partial<AccelKernelAttrs<'maskedSoftmax'>> | undefined)?.scale;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new VocabKernelError(`${kernel}: attrs.scale must be a finite number, got ${scale}`);
  return scale;
}

function kernels(addon: AddonAttention, backendName: string): Record<string, tf.KernelFunc> {
  const at = (backend: unknown, t: tf.TensorInfo, kernel: string): Region => {
    const r = t.dtype === 'float32' ? locate(backendName, backend, t) : null;
    if (r === null) throw new VocabKernelError(`${kernel}: inputs must be float32 tensors in plain memory, got ${t.dtype}`);
    return r;
  };
  return {
    [MASKED_SOFTMAX]: ({ inputs, backend, attrs }) => {
      const { scores, bias } = inputs as Record<string, tf.TensorInfo>;
      const scale = scaleOf(MASKED_SOFTMAX, attrs);
      const [B, H, T, S] = scores.shape;
      if (scores.shape.length !== 4 || bias.shape.join() !== [B, 1, T, S].join()) {
        throw new VocabKernelError(`${MASKED_SOFTMAX}: scores must be [B, H, T, S] and bias [B, 1, T, S], got [${scores.shape}] and [${bias.shape}]`);
      }
      const out = allocate(backendName, backend, scores.shape);
      const [rs, rb, ro] = [scores, bias, out].map((t) => at(backend, t, MASKED_SOFTMAX));
      addon.maskedSoftmax({ scores: rs, bias: rb, out: ro, B, H, T, S, scale });
      return out;
    },
    [MASKED_SOFTMAX_GRAD]: ({ inputs, backend, attrs }) => {
      const { p, dp } = inputs as Record<string, tf.TensorInfo>;
      const scale = scaleOf(MASKED_SOFTMAX_GRAD, attrs);
      if (p.shape.length === 0 || p.shape.join() !== dp.shape.join()) {
        throw new VocabKernelError(`${MASKED_SOFTMAX_GRAD}: p [${p.shape}] and dp [${dp.shape}] must have the same shape (rank >= 1)`);
      }
      const S = p.shape[p.shape.length - 1];
      const rows = p.shape.slice(0, -1).reduce((a, d) => a * d, 1);
      const out = allocate(backendName, backend, p.shape);
      const [rp, rd, ro] = [p, dp, out].map((t) => at(backend, t, MASKED_SOFTMAX_GRAD));
      addon.maskedSoftmaxGrad({ p: rp, dp: rd, out: ro, rows, S, scale });
      return out;
    },
    [SPLIT_HEADS]: ({ inputs, backend, attrs }) => {
      const { qkv } = inputs as Record<string, tf.TensorInfo>;
      const { batch: B, heads: H } = (attrs ?? {}) as Partial<AccelKernelAttrs<'splitHeads'>>;
      const [rows, width] = qkv.shape;
      const ok = qkv.shape.length === 2 && Number.isInteger(B) && Number.isInteger(H) && B! > 0 && H! > 0 && rows % B! === 0 && width % (3 * H!) === 0;
      if (!ok) {
        throw new VocabKernelError(`${SPLIT_HEADS}: qkv must be [B·T, 3·H·D] for attrs batch ${B} and heads ${H}, got [${qkv.shape}]`);
      }
      const [T, D] = [rows / B!, width / (3 * H!)];
      const outs = [0, 1, 2].map(() => allocate(backendName, backend, [B!, H!, T, D]));
      const [ra, rq, rk, rv] = [qkv, ...outs].map((t) => at(backend, t, SPLIT_HEADS));
      addon.splitHeads({ qkv: ra, q: rq, k: rk, v: rv, B: B!, T, H: H!, D });
      return outs;
    },
    [SPLIT_HEADS_GRAD]: ({ inputs, backend }) => {
      const { dq, dk, dv } = inputs as Record<string, tf.TensorInfo>;
      if (dq.shape.length !== 4 || dk.shape.join() !== dq.shape.join() || dv.shape.join() !== dq.shape.join()) {
        throw new VocabKernelError(`${SPLIT_HEADS_GRAD}: dq, dk, dv must be [B, H, T, D] of one shape, got [${dq.shape}], [${dk.shape}], [${dv.shape}]`);
      }
      const [B, H, T, D] = dq.shape;
      const out = allocate(backendName, backend, [B * T, 3 * H * D]);
      const [rq, rk, rv, ro] = [dq, dk, dv, out].map((t) => at(backend, t, SPLIT_HEADS_GRAD));
      addon.splitHeadsGrad({ dq: rq, dk: rk, dv: rv, out: ro, B, T, H, D });
      return out;
    },
  };
}

/**
 * Registers the attention kernels on `backends` (skipping any already there): the softmax pair when
 * `families.softmax`, the head split pair when `families.heads`. Their gradients are the model's
 * (ops/native-attention.ts), beside the ops that run them.
 */
export function registerAttentionKernels(addon: BlasAddon, backends: string[], families: { softmax: boolean; heads: boolean }): void {
  const native = addon as unknown as Partial<AddonAttention>;
  if (typeof native.maskedSoftmax !== 'function') return; // an addon built before these kernels
  const wanted = new Set<string>([...(families.softmax ? [MASKED_SOFTMAX, MASKED_SOFTMAX_GRAD] : []), ...(families.heads ? [SPLIT_HEADS, SPLIT_HEADS_GRAD] : [])]);
  for (const backendName of backends) {
    for (const [kernelName, kernelFunc] of Object.entries(kernels(native as AddonAttention, backendName))) {
      if (wanted.has(kernelName) && tf.getKernel(kernelName, backendName) === undefined) tf.registerKernel({ kernelName, backendName, kernelFunc });
    }
  }
}

/** Removes the attention kernels from `backends`. */
export function unregisterAttentionKernels(backends: string[]): void {
  for (const backendName of backends) {
    for (const kernelName of [MASKED_SOFTMAX, MASKED_SOFTMAX_GRAD, SPLIT_HEADS, SPLIT_HEADS_GRAD]) {
      if (tf.getKernel(kernelName, backendName) !== undefined) tf.unregisterKernel(kernelName, backendName);
    }
  }
}
