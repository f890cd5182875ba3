// A zero-copy Identity kernel for the wasm backend. tfjs-core runs Identity for every tensor it
// keeps for a gradient (the engine clones each saved input/output, and every tf.customGrad save)
// and for tf.clone; the wasm backend's Identity copies the whole buffer, while the cpu backend's,
// like wasm's own Reshape, only shares the data and counts a reference. In a GRPO training step
// that was ~1200 full copies (0.4 s on distilgpt2 shapes, docs/accel.md "Zero-copy Identity").
// Sharing is safe for the same reason Reshape's is: tfjs never writes into a tensor's memory in
// place. Code that does (the model's KV cache) must check the backend's reference count first.
import * as tf from '@tensorflow/tfjs-core';

/** The wasm backend's Identity, kept to put back on disable. */
let original: tf.KernelConfig | null = null;

/** Replaces the wasm backend's Identity with a reference-counted share. */
export function registerIdentityKernel(backends: string[]): void {
  if (!backends.includes('wasm') || original !== null) return;
  const wasmIdentity = tf.getKernel(tf.Identity, 'wasm');
  if (wasmIdentity === undefined) return;
  original = wasmIdentity;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({
    ...wasmIdentity,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return wasmIdentity.kernelFunc(args);
      (args.backend as { incRef(id: tf.DataId): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}

/** Puts the wasm backend's copying Identity back. */
export function unregisterIdentityKernel(): void {
  if (original === null) return;
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel(original);
  original = null;
}
