/**
 * LoRA (low-rank adaptation) around a frozen GPT-2 Conv1D, numerically and by name compatible with
 * PEFT: y = base(x) + (alpha/r) · B(A(dropout(x))), with A = lora_A.weight [r, in] and
 * B = lora_B.weight [out, r] stored in PEFT's orientation, A initialised like torch's
 * `kaiming_uniform_(a=√5)` and B zero, so a fresh adapter leaves the model unchanged. Only A and B
 * are tf.Variables; the base is never copied. A shared {@link AdapterSwitch} turns every adapter
 * off at once (the reference model of GRPO's KL term is "the same model, adapters off").
 */
import * as tf from '@tensorflow/tfjs-core';
import type { AdapterSwitch, Conv1DLayer } from '../ops/linear.js';
import type { HostTensor } from '../io/safetensors.js';
import { LoraError } from './errors.js';
import { addLoraDelta } from './merge.js';

/** Options of {@link LoraConv1D}. */
export interface LoraLayerOptions {
  /** Rank (≥ 1). */
  r: number;
  /** lora_alpha; the update is scaled by alpha / r (alpha / √r with useRslora). */
  alpha: number;
  /** Dropout probability on the adapter input, in [0, 1); only applied when training. */
  dropout: number;
  /** Module path, e.g. `h.0.attn.c_attn`; names the variables and seeds their init. */
  name: string;
  /** Seed of the A init and the dropout masks (combined with `name`, so layers differ). */
  seed: number;
  /** Read at every apply: when `enabled` is false the layer is exactly its base. */
  adapterSwitch: AdapterSwitch;
  /** PEFT's `use_rslora`: scale by alpha / √r. Default false. */
  useRslora?: boolean;
  /**
   * Shared dropout clock. When given, the mask depends on (seed, name, and the clock's `seed` if
   * set, else its `step`) only, so re-running a layer within one step (gradient checkpointing's
   * recompute) draws the same mask; the owner sets `seed` or advances `step` once per training
   * forward. Without it, every training call draws a new mask.
   */
  dropoutClock?: DropoutClock;
}

/**
 * What a training forward's LoRA dropout masks are drawn from: the caller's `seed` when set (a
 * pure function of position in training, so exact resume works), else the instance's `step`.
 */
export interface DropoutClock {
  step: number;
  seed?: number;
}

/** A Conv1D whose effective fp32 weight and bias can be read (needed for merged inference). */
export interface ReadableConv1D extends Conv1DLayer {
  /** [in, out] float32; the caller disposes. */
  readWeight(): tf.Tensor2D;
  /** [out]; the caller disposes. */
  readBias(): tf.Tensor1D;
}

function isReadable(layer: Conv1DLayer): layer is ReadableConv1D {
  const l = layer as Partial<ReadableConv1D>;
  return typeof l.readWeight === 'function' && typeof l.readBias === 'function';
}

/**
 * The bound of torch.nn.init.kaiming_uniform_(w, a=√5) for fan_in = in (PEFT's lora_A init):
 * gain = √(2 / (1 + a²)), std = gain / √fan_in, bound = √3 · std (≈ 1/√fan_in), in the same
 * double-precision order as torch.
 */
export function kaimingUniformBound(fanIn: number): number {
  const a = Math.sqrt(5);
  const gain = Math.sqrt(2 / (1 + a ** 2));
  return Math.sqrt(3) * (gain / Math.sqrt(fanIn));
}

/** A variable name not yet registered with the tfjs engine (two models may coexist in a process). */
function freeVariableName(name: string): string {
  const taken = tf.engine().registeredVariables;
  if (!(name in taken)) return name;
  let k = 1;
  while (`${name}#${k}` in taken) k++;
  return `${name}#${k}`;
}

function validate(base: Conv1DLayer, o: LoraLayerOptions): void {
  const where = `LoraConv1D(${o.name})`;
  if (!Number.isInteger(o.r) || o.r < 1) throw new LoraError(`${where}: r must be an integer ≥ 1, got ${o.r}.`);
  if (o.r > Math.min(base.inFeatures, base.outFeatures)) {
    throw new LoraError(
      `${where}: r = ${o.r} exceeds min(in, out) = ${Math.min(base.inFeatures, base.outFeatures)}; use a smaller rank.`,
    );
  }
  if (!Number.isFinite(o.alpha) || o.alpha <= 0) throw new LoraError(`${where}: alpha must be > 0, got ${o.alpha}.`);
  if (!(o.dropout >= 0 && o.dropout < 1)) throw new LoraError(`${where}: dropout must be in [0, 1), got ${o.dropout}.`);
  if (!Number.isFinite(o.seed)) throw new LoraError(`${where}: seed must be a finite number, got ${o.seed}.`);
}

/**
 * LoRA wrapper of a frozen Conv1D (dense or quantized). Owns its base: `dispose()` frees both.
 */
export class LoraConv1D implements Conv1DLayer {
  readonly base: Conv1DLayer;
  readonly name: string;
  readonly r: number;
  readonly alpha: number;
  readonly dropout: number;
  /** alpha / r (or alpha / √r with rsLoRA). */
  readonly scaling: number;
  /** lora_A.weight [r, in], trainable. */
  readonly loraA: tf.Variable<tf.Rank.R2>;
  /** lora_B.weight [out, r], trainable. */
  readonly loraB: tf.Variable<tf.Rank.R2>;
  private readonly adapterSwitch: AdapterSwitch;
  private readonly seed: number;
  private readonly dropoutClock: DropoutClock | undefined;
  private dropoutCalls = 0;
  private merged: { weight: tf.Tensor2D; bias: tf.Tensor1D } | null = null;

  constructor(base: Conv1DLayer, options: LoraLayerOptions) {
    validate(base, options);
    this.base = base;
    this.name = options.name;
    this.r = options.r;
    this.alpha = options.alpha;
    this.dropout = options.dropout;
    this.scaling = options.useRslora ? options.alpha / Math.sqrt(options.r) : options.alpha / options.r;
    this.adapterSwitch = options.adapterSwitch;
    this.seed = options.seed;
    this.dropoutClock = options.dropoutClock;
    const bound = kaimingUniformBound(base.inFeatures);
    const initA = tf.randomUniform([options.r, base.inFeatures], -bound, bound, 'float32', `${options.seed}:${options.name}`);
    this.loraA = tf.variable(initA as tf.Tensor2D, true, freeVariableName(`${options.name}.lora_A.weight`));
    initA.dispose();
    const initB = tf.zeros([base.outFeatures, options.r]) as tf.Tensor2D;
    this.loraB = tf.variable(initB, true, freeVariableName(`${options.name}.lora_B.weight`));
    initB.dispose();
  }

  get inFeatures(): number {
    return this.base.inFeatures;
  }

  get outFeatures(): number {
    return this.base.outFeatures;
  }

  /** True between {@link merge} and {@link unmerge}. */
  get isMerged(): boolean {
    return this.merged !== null;
  }

  /** x [n, in] → [n, out]. Adapters off → exactly `base.apply(x)`. Runs in the caller's tidy. */
  apply(x: tf.Tensor2D, options: { training: boolean }): tf.Tensor2D {
    if (!this.adapterSwitch.enabled) return this.base.apply(x, options);
    if (this.merged) {
      if (options.training) {
        throw new LoraError(`LoraConv1D(${this.name}): cannot train while merged; call unmerge() first.`);
      }
      const { weight, bias } = this.merged;
      return tf.tidy(() => tf.add(tf.matMul(x, weight), bias));
    }
    return tf.tidy(() => {
      const y = this.base.apply(x, options);
      const input =
        options.training && this.dropout > 0
          ? tf.dropout(x, this.dropout, undefined, this.dropoutSeed())
          : x;
      const h = tf.matMul(input, this.loraA, false, true); // [n, r]
      const update = tf.matMul(h, this.loraB, false, true); // [n, out]
      return tf.add(y, tf.mul(update, this.scaling));
    });
  }

  /** scaling · (B·A)ᵀ, the [in, out] update in the Conv1D layout. The caller disposes. */
  delta(): tf.Tensor2D {
    return tf.tidy(() => tf.mul(tf.matMul(this.loraA, this.loraB, true, true), this.scaling));
  }

  /**
   * The weight [in, out] this layer applies at inference now (no dropout): the base's plus
   * scaling · (B·A)ᵀ with adapters on, the base's alone with them off. For engines that run the
   * projection outside tfjs (native-decoder-base.ts). Needs a readable base; the caller disposes.
   */
  effectiveWeight(): tf.Tensor2D {
    const base = this.readableBase('effectiveWeight');
    return tf.tidy(() => {
      const w = base.readWeight();
      return this.adapterSwitch.enabled ? (tf.add(w, this.delta()) as tf.Tensor2D) : w;
    });
  }

  /** The bias [out] this layer applies (the base's: LoRA has none); the caller disposes. */
  effectiveBias(): tf.Tensor1D {
    return this.readableBase('effectiveBias').readBias();
  }

  /** Host merge for export: W [in, out] (flattened) + scaling · (B·A)ᵀ, as PEFT's merge_and_unload. */
  mergedWeight(baseWeightInOut: Float32Array): Float32Array {
    const [a, b] = this.hostAB();
    return addLoraDelta(baseWeightInOut, a, b, this.shape(), this.scaling, `${this.name}.weight`);
  }

  /**
   * Fast inference: folds the adapter into one fp32 weight (the base's dequantized weight plus the
   * update) so apply is a single matMul. A snapshot: call unmerge() before training or changing A/B.
   * Needs a base that can read its weight (dense or quantized layers of this package).
   */
  merge(): void {
    if (this.merged) return;
    const base = this.base;
    if (!isReadable(base)) {
      throw new LoraError(`LoraConv1D(${this.name}).merge: the base layer cannot expose its weight (no readWeight/readBias).`);
    }
    const weight = tf.tidy(() => {
      const w = base.readWeight();
      return tf.add(w, this.delta()) as tf.Tensor2D;
    });
    this.merged = { weight, bias: base.readBias() };
  }

  /** Drops the merged weight; apply goes back to base + adapter. */
  unmerge(): void {
    if (!this.merged) return;
    tf.dispose([this.merged.weight, this.merged.bias]);
    this.merged = null;
  }

  /** `{prefix}.lora_A.weight` [r, in] and `{prefix}.lora_B.weight` [out, r] (PEFT names) as host copies. */
  peftTensors(prefix: string): Map<string, HostTensor> {
    const [a, b] = this.hostAB();
    return new Map([
      [`${prefix}.lora_A.weight`, { shape: [this.r, this.inFeatures], data: a }],
      [`${prefix}.lora_B.weight`, { shape: [this.outFeatures, this.r], data: b }],
    ]);
  }

  /** Assigns A and B from PEFT tensors (shapes checked; the error names the tensor). */
  loadPeftTensors(loraA: HostTensor, loraB: HostTensor, source = this.name): void {
    const check = (t: HostTensor, expected: [number, number], which: string): void => {
      if (t.shape.length !== 2 || t.shape[0] !== expected[0] || t.shape[1] !== expected[1] || t.data.length !== expected[0] * expected[1]) {
        throw new LoraError(
          `${source}.${which}.weight has shape [${t.shape.join(', ')}], expected [${expected.join(', ')}] (r = ${this.r}); the adapter was trained with a different r or model.`,
        );
      }
    };
    check(loraA, [this.r, this.inFeatures], 'lora_A');
    check(loraB, [this.outFeatures, this.r], 'lora_B');
    this.unmerge();
    tf.tidy(() => {
      this.loraA.assign(tf.tensor2d(loraA.data, [this.r, this.inFeatures]));
      this.loraB.assign(tf.tensor2d(loraB.data, [this.outFeatures, this.r]));
    });
  }

  /** Base bytes + adapter bytes (+ the merged weight while merged). */
  weightBytes(): number {
    const adapter = 4 * this.r * (this.inFeatures + this.outFeatures);
    const merged = this.merged ? 4 * (this.merged.weight.size + this.merged.bias.size) : 0;
    return this.base.weightBytes() + adapter + merged;
  }

  /** Frees the adapter variables, any merged weight, and the base layer. */
  dispose(): void {
    this.unmerge();
    this.loraA.dispose();
    this.loraB.dispose();
    this.base.dispose();
  }

  private dropoutSeed(): string {
    const clock = this.dropoutClock;
    const step = !clock ? `call${this.dropoutCalls++}` : clock.seed !== undefined ? `seed${clock.seed}` : `step${clock.step}`;
    return `${this.seed}:${this.name}:dropout:${step}`;
  }

  private readableBase(what: string): ReadableConv1D {
    if (!isReadable(this.base)) {
      throw new LoraError(`LoraConv1D(${this.name}).${what}: the base layer cannot expose its weight (no readWeight/readBias).`);
    }
    return this.base;
  }

  private shape(): { r: number; inFeatures: number; outFeatures: number } {
    return { r: this.r, inFeatures: this.inFeatures, outFeatures: this.outFeatures };
  }

  private hostAB(): [Float32Array, Float32Array] {
    return [this.loraA.dataSync() as Float32Array, this.loraB.dataSync() as Float32Array].map((d) =>
      Float32Array.from(d),
    ) as [Float32Array, Float32Array];
  }
}
