/**
 * A small but real PolicyModel for trainer tests that do not need GPT-2: a bigram language model
 * whose next-token logits are a frozen random table plus a LoRA-style low-rank delta A·B
 * (B starts at zero, so the adapter starts as a no-op and "adapters disabled" is the base model).
 * It shows that @grpojs/rl trains any model family through the PolicyModel interface.
 */
import { mulberry32 as rng } from '@grpojs/data';
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PolicyGenerateOptions, PolicyGenerateOutput, PolicyLogProbsOptions, PolicyLogProbsOutput, PolicyModel } from '../../src/index.js';
import { runWithAdaptersOff } from './adapters-off.js';

let instances = 0;

export class BigramPolicy implements PolicyModel {
  readonly base: tf.Tensor2D; // [V, V] frozen logits table
  readonly loraA: tf.Variable; // [V, r]
  readonly loraB: tf.Variable; // [r, V]
  adaptersEnabled = true;

  constructor(
    readonly vocabSize: number,
    options: { rank?: number; seed?: number; baseScale?: number; init?: { base: number[][]; loraA: number[][]; loraB: number[][] } } = {},
  ) {
    const r = options.rank ?? 4;
    const random = rng(options.seed ?? 1);
    const V = vocabSize;
    const id = instances++;
    const scale = options.baseScale ?? 0.5;
    const init = options.init;
    this.base = init ? tf.tensor2d(init.base) : tf.tensor2d(Array.from({ length: V * V }, () => (random() * 2 - 1) * scale), [V, V]);
    const a = init ? tf.tensor2d(init.loraA) : tf.tensor2d(Array.from({ length: V * r }, () => (random() * 2 - 1) * 0.5), [V, r]);
    const b = init ? tf.tensor2d(init.loraB) : tf.zeros([r, V]);
    // Names are unique in tfjs' global registry; the `#<k>` suffix is the one CausalLM uses for a
    // second model in one process, which a resume ignores when it compares variable names.
    this.loraA = tf.variable(a, true, `bigram.lora_A#${id}`); // variables share (and ref-count) the data
    this.loraB = tf.variable(b, true, `bigram.lora_B#${id}`);
    a.dispose();
    b.dispose();
  }

  /** [N, V] logits for the given previous tokens. */
  private logits(prev: number[]): tf.Tensor2D {
    const onehot = tf.oneHot(tf.tensor1d(prev, 'int32'), this.vocabSize).toFloat() as tf.Tensor2D; // [N, V]
    const base = tf.matMul(onehot, this.base) as tf.Tensor2D;
    return this.adaptersEnabled ? (tf.add(base, tf.matMul(tf.matMul(onehot, this.loraA), this.loraB)) as tf.Tensor2D) : base;
  }

  async generate(promptIds: number[][], options: PolicyGenerateOptions): Promise<PolicyGenerateOutput> {
    const eos = options.eosTokenId ?? -1;
    const random = rng(options.seed ?? 0);
    const rows = promptIds.map((p) => ({ last: p[p.length - 1], out: [] as number[], done: false }));
    for (let t = 0; t < options.maxNewTokens && rows.some((r) => !r.done); t++) {
      const probs = tf.tidy(() => {
        const temperature = options.doSample === false ? 1 : (options.temperature ?? 1);
        return tf.softmax(tf.div(this.logits(rows.map((r) => r.last)), temperature)).arraySync() as number[][];
      });
      rows.forEach((r, i) => {
        if (r.done) return;
        let id: number;
        if (options.doSample === false) {
          id = probs[i].indexOf(Math.max(...probs[i]));
        } else {
          const u = random();
          let acc = 0;
          id = probs[i].length - 1;
          for (let k = 0; k < probs[i].length; k++) {
            acc += probs[i][k];
            if (u < acc) {
              id = k;
              break;
            }
          }
        }
        r.out.push(id);
        r.last = id;
        if (id === eos) r.done = true;
      });
    }
    return { completionIds: rows.map((r) => r.out), terminated: rows.map((r) => r.done) };
  }

  tokenLogProbs(promptIds: number[][], completionIds: number[][], options: PolicyLogProbsOptions = {}): PolicyLogProbsOutput {
    const T = Math.max(1, ...completionIds.map((c) => c.length));
    const prev: number[] = [];
    const target: number[] = [];
    const mask: number[] = [];
    completionIds.forEach((c, i) => {
      for (let t = 0; t < T; t++) {
        prev.push(t === 0 ? promptIds[i][promptIds[i].length - 1] : (c[t - 1] ?? 0));
        target.push(c[t] ?? 0);
        mask.push(t < c.length ? 1 : 0);
      }
    });
    return tf.tidy(() => {
      const logp = tf.logSoftmax(tf.div(this.logits(prev), options.temperature ?? 1)); // [N, V]
      const onehot = tf.oneHot(tf.tensor1d(target, 'int32'), this.vocabSize).toFloat();
      const m = tf.tensor2d(mask, [completionIds.length, T]);
      const picked = tf.mul(tf.sum(tf.mul(logp, onehot), 1).reshape([completionIds.length, T]), m) as tf.Tensor2D;
      const out: PolicyLogProbsOutput = { logProbs: picked, mask: m };
      if (options.withEntropy) {
        out.entropy = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)).reshape([completionIds.length, T]) as tf.Tensor2D;
      }
      if (options.withArgmaxMatch) {
        const logits = this.logits(prev); // [N, V], temperature 1
        out.argmaxMatch = tf.mul(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(target, 'int32')), 'float32').reshape([completionIds.length, T]), m) as tf.Tensor2D;
      }
      return out as unknown as tf.TensorContainer;
    }) as unknown as PolicyLogProbsOutput;
  }

  withAdaptersDisabled<T>(fn: () => T): T {
    return runWithAdaptersOff((enabled) => (this.adaptersEnabled = enabled), fn);
  }

  trainableVariables(): tf.Variable[] {
    return [this.loraA, this.loraB];
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'bigram_adapter.json'),
      JSON.stringify({ loraA: Array.from(this.loraA.dataSync()), loraB: Array.from(this.loraB.dataSync()) }),
    );
  }

  dispose(): void {
    this.base.dispose();
    this.loraA.dispose();
    this.loraB.dispose();
  }
}
