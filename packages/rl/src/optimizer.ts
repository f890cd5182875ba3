/**
 * AdamW with decoupled weight decay, computed exactly as torch.optim.AdamW (single-tensor path):
 * θ ← θ·(1 − lr·wd); m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * θ ← θ − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε).
 * Hand-written instead of tf.train.adam because that one has no decoupled weight decay, hides its
 * moments, and cannot be serialized for an exact resume. Moments live on the backend as variables.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, GRPOConfigError, ShapeError } from './errors.js';
import { findBadTensor, FLOAT32_MAX, FLOAT32_MIN_NORMAL } from './weight-check.js';

/** AdamW hyper-parameters (TRL adam_beta1, adam_beta2, adam_epsilon, weight_decay). */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/** Host copy of the optimizer state, for checkpoints. */
export interface AdamWState {
  /** Number of updates applied so far (t). */
  step: number;
  /** Per variable, in the optimizer's order. */
  variables: { name: string; shape: number[]; m: Float32Array; v: Float32Array }[];
}

/** AdamW over a fixed, ordered list of variables. Call dispose() when done. */
export class AdamW {
  private t = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    private readonly variables: readonly tf.Variable[],
    private readonly options: AdamWOptions,
  ) {
    validateAdamWOptions(options);
    // tidy frees the zero tensors; the variables keep (ref-count) their data
    this.m = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false, `${x.name}/adam_m`)));
    this.v = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false, `${x.name}/adam_v`)));
  }

  /** Updates applied so far. */
  get stepCount(): number {
    return this.t;
  }

  /**
   * Applies one update with learning rate `lr`. `grads[i]` matches `variables[i]` in shape; the
   * caller keeps ownership of `grads`.
   */
  step(grads: readonly tf.Tensor[], lr: number): void {
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new GRPOConfigError(`AdamW.step: lr must be a finite number >= 0, got ${lr}.`);
    if (grads.length !== this.variables.length) {
      throw new ShapeError(`AdamW.step: got ${grads.length} gradients for ${this.variables.length} variables.`);
    }
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    this.t += 1;
    const bc1 = 1 - beta1 ** this.t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    const stepSize = lr / bc1;
    tf.tidy(() => {
      this.variables.forEach((param, i) => {
        const g = grads[i];
        if (g.shape.join(',') !== param.shape.join(',')) {
          throw new ShapeError(
            `AdamW.step: gradient ${i} has shape [${g.shape}] but variable "${param.name}" is [${param.shape}].`,
          );
        }
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const decayed = weightDecay !== 0 ? tf.mul(param, 1 - lr * weightDecay) : param;
        const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), epsilon);
        param.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize)));
      });
    });
  }

  /**
   * step(), kept only when findBadState() finds nothing wrong afterwards. Otherwise parameters, moments and the
   * step count are restored bit for bit, and the returned text says which tensor went bad; null
   * means the update was applied. Costs one host read of a few scalars; the snapshot shares the
   * old tensors' data, so it copies nothing.
   */
  stepOrRollBack(grads: readonly tf.Tensor[], lr: number): string | null {
    const t = this.t;
    const state = [...this.variables, ...this.m, ...this.v];
    const saved = state.map((x) => tf.clone(x));
    const rollBack = () => {
      state.forEach((x, i) => x.assign(saved[i]));
      this.t = t;
    };
    try {
      try {
        this.step(grads, lr);
      } catch (error) {
        rollBack(); // a shape error part-way must not leave some variables updated
        throw error;
      }
      const bad = this.findBadState();
      if (bad !== null) rollBack();
      return bad;
    } finally {
      saved.forEach((x) => x.dispose());
    }
  }

  /**
   * Describes the first parameter that holds NaN/Inf or exploded (squared L2 norm overflows
   * float32), or moment that holds NaN/Inf; null when the state is fit to keep and save.
   */
  findBadState(): string | null {
    return findBadTensor([
      ...this.variables.map((x) => ({ name: x.name, value: x as tf.Tensor, norm: true })),
      ...[...this.m, ...this.v].map((x) => ({ name: x.name, value: x as tf.Tensor })),
    ]);
  }

  /** Copies the state to the host (for checkpoints). */
  state(): AdamWState {
    return {
      step: this.t,
      variables: this.variables.map((x, i) => ({
        name: x.name,
        shape: [...x.shape],
        m: this.m[i].dataSync() as Float32Array,
        v: this.v[i].dataSync() as Float32Array,
      })),
    };
  }

  /** Restores a state written by state(); names and shapes must match, in order. */
  loadState(state: AdamWState): void {
    if (state.variables.length !== this.variables.length) {
      throw new CheckpointError(
        `optimizer state has ${state.variables.length} variables but the model has ${this.variables.length} trainable variables; the checkpoint belongs to a different model or LoRA config.`,
      );
    }
    state.variables.forEach((s, i) => {
      const x = this.variables[i];
      if (s.shape.join(',') !== x.shape.join(',')) {
        throw new CheckpointError(
          `optimizer state for "${s.name}" has shape [${s.shape}] but variable "${x.name}" is [${x.shape}]; use a checkpoint of the same model and LoRA config.`,
        );
      }
    });
    tf.tidy(() => {
      state.variables.forEach((s, i) => {
        this.m[i].assign(tf.tensor(s.m, this.variables[i].shape, 'float32'));
        this.v[i].assign(tf.tensor(s.v, this.variables[i].shape, 'float32'));
      });
    });
    this.t = state.step;
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}

/**
 * The checks torch.optim.AdamW makes in its constructor, except that epsilon must be a normal
 * float32 (torch allows 0): AdamW divides m by √v + ε, and where a gradient entry is 0 so are m and
 * v, so ε = 0 (or a denormal flushed to 0) gives 0/0 = NaN.
 */
function validateAdamWOptions(o: AdamWOptions): void {
  const bad: string[] = [];
  for (const name of ['beta1', 'beta2'] as const) {
    if (!(o[name] >= 0 && o[name] < 1)) bad.push(`${name} must be in [0, 1), got ${o[name]}`);
  }
  if (!(o.epsilon >= FLOAT32_MIN_NORMAL && o.epsilon <= FLOAT32_MAX)) bad.push(`epsilon must be in [${FLOAT32_MIN_NORMAL}, ${FLOAT32_MAX}], got ${o.epsilon}`);
  if (!(o.weightDecay >= 0 && Number.isFinite(o.weightDecay))) bad.push(`weightDecay must be a finite number >= 0, got ${o.weightDecay}`);
  if (bad.length > 0) throw new GRPOConfigError(`AdamW: ${bad.join('; ')} (config fields adamBeta1, adamBeta2, adamEpsilon, weightDecay).`);
}
