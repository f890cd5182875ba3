/**
 * Gradient checkpointing: run a function without keeping its intermediate activations, and
 * recompute them in the backward pass.
 *
 * tfjs-core records every op of a differentiated function on its tape and keeps the tensors the
 * gradients need until the backward pass ends, so a transformer's activation memory grows with
 * layers × sequence × batch. Wrapping each block in {@link checkpoint} (a `tf.customGrad`) keeps
 * only the block's input: the forward runs un-recorded, and the gradient function re-runs the
 * block under a fresh tape to get the gradients of its input and of its trainable variables.
 * Gradients are identical as long as the block is deterministic: LoRA layers given a shared
 * dropout clock (as `loadCausalLM` builds them) draw the same dropout masks on the recompute.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Conv1DLayer } from './linear.js';

/**
 * Applies `fn(x, constants)` with checkpointing. `constants` are non-differentiable tensors `fn`
 * reads (e.g. the attention bias); they are kept for the recompute, since the caller's tidy frees
 * them before the backward pass. `variables` must list every trainable variable `fn` reads (they
 * receive gradients through the recompute). The result is the caller's.
 */
export function checkpoint<T extends tf.Tensor>(
  fn: (x: T, constants: tf.Tensor[]) => T,
  x: T,
  constants: tf.Tensor[],
  variables: readonly tf.Variable[],
): T {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const input = args[0] as T;
    save([input, ...constants]);
    return {
      value: tf.tidy(() => fn(input, constants)),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const xs = [saved[0], ...variables];
        const recompute = (): T => fn(saved[0] as T, saved.slice(1));
        // The recompute runs a nested tape. tfjs-core (4.22) gives every top-level gradients() call
        // the single engine tape and sets it to null when done, which would make the outer backward
        // pass crash at its own cleanup; so the outer tape is put back afterwards. The inner call
        // frees its own saved tensors, so a block's activations live only during its backward.
        const state = tf.engine().state as unknown as { activeTape: unknown };
        const outerTape = state.activeTape;
        try {
          const { value, grads } = tf.engine().gradients(recompute, xs, dy as tf.Tensor, true);
          value.dispose();
          return xs.map((t, i) => grads[i] ?? tf.zerosLike(t));
        } finally {
          state.activeTape = outerTape;
        }
      },
    };
  });
  return op(x, ...variables) as T;
}

/**
 * The trainable variables a Conv1D layer reads: its own (a trainable DenseConv1D's weight and
 * bias, a LoRA layer's A and B), then those of the layer it wraps (`base`), in that order.
 */
export function layerTrainableVariables(layer: Conv1DLayer): tf.Variable[] {
  const l = layer as Conv1DLayer & {
    variables?: () => tf.Variable[];
    loraA?: unknown;
    loraB?: unknown;
    base?: Conv1DLayer;
  };
  const out: tf.Variable[] = typeof l.variables === 'function' ? [...l.variables()] : [];
  for (const v of [l.loraA, l.loraB]) if (v instanceof tf.Variable && v.trainable) out.push(v);
  if (l.base !== undefined) out.push(...layerTrainableVariables(l.base));
  return out;
}
