/**
 * Shared helpers for the LoRA and quantization tests: backend setup and fixture decoding
 * (float32 arrays are stored as base64 little-endian bytes so comparisons can be bit-exact).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

/** Selects the wasm backend (the default backend of @grpojs/model). */
export async function useWasm(): Promise<void> {
  await tf.setBackend('wasm');
  await tf.ready();
}

/** Reads a JSON fixture from test/fixtures. */
export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8')) as T;
}

function bytes(b64: string): Buffer {
  return Buffer.from(b64, 'base64');
}

/** base64 little-endian float32 → Float32Array. */
export function f32(b64: string): Float32Array {
  const b = bytes(b64);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** base64 → Uint8Array. */
export function u8(b64: string): Uint8Array {
  return new Uint8Array(bytes(b64));
}

/** base64 → Int8Array. */
export function i8(b64: string): Int8Array {
  const b = bytes(b64);
  return new Int8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Bit patterns of a float32 array (so −0 ≠ +0 and NaN payloads count). */
export function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(Float32Array.from(a).buffer);
}

/** Index of the first element whose bits differ, or −1. */
export function firstBitMismatch(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = bits(a);
  const y = bits(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Max over elements of |a − b| / max(|b|, floor). */
export function maxRelErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-6): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return m;
}

/** Transposes a row-major [rows, cols] array. */
export function transposeHost(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

/**
 * A plain fp32 Conv1D for tests (the base under a LoRA layer; CORE's DenseConv1D is tested
 * elsewhere). W [in, out] and b [out] are copied to the backend.
 */
export function testDense(w: Float32Array, b: Float32Array, inFeatures: number, outFeatures: number) {
  const weight = tf.tensor2d(w, [inFeatures, outFeatures]);
  const bias = tf.tensor1d(b);
  return {
    inFeatures,
    outFeatures,
    apply: (x: tf.Tensor2D) => tf.tidy(() => tf.add(tf.matMul(x, weight), bias) as tf.Tensor2D),
    readWeight: () => weight.clone(),
    readBias: () => bias.clone(),
    weightBytes: () => 4 * (weight.size + bias.size),
    dispose: () => tf.dispose([weight, bias]),
  };
}

/** Causal multi-head self-attention of one sequence x [t, c] through GPT-2's c_attn and c_proj. */
export function attentionBlock(
  x: tf.Tensor2D,
  cAttn: { apply(x: tf.Tensor2D, o: { training: boolean }): tf.Tensor2D },
  cProj: { apply(x: tf.Tensor2D, o: { training: boolean }): tf.Tensor2D },
  nHead: number,
  training = false,
): tf.Tensor2D {
  return tf.tidy(() => {
    const [t, c] = x.shape;
    const hd = c / nHead;
    const qkv = cAttn.apply(x, { training }); // [t, 3c]
    const [q, k, v] = tf.split(qkv, 3, 1).map((m) => m.reshape([t, nHead, hd]).transpose([1, 0, 2])); // [h, t, hd]
    const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(hd)); // [h, t, t]
    const causal = tf.linalg.bandPart(tf.ones([t, t]), -1, 0);
    const masked = tf.add(scores, tf.mul(tf.sub(1, causal), -1e9));
    const att = tf.softmax(masked, -1);
    const y = tf.matMul(att, v).transpose([1, 0, 2]).reshape([t, c]) as tf.Tensor2D;
    return cProj.apply(y, { training });
  });
}
