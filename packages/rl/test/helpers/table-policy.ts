/**
 * A PolicyModel whose per-token log-probs ARE its trainable variable: the log-prob of token t of
 * completion i is Z[i, t] (adapters on) or the frozen R[i, t] (adapters off, the reference). Its
 * generate call returns a scripted batch. Gradients of the GRPO loss w.r.t. Z are therefore exactly
 * the gradients w.r.t. the per-token log-probs, and every training forward records the gradient it
 * receives (d loss / d logProbs of that micro-batch), so a test can compare both with an
 * independent script (test/fixtures/make_option_fixtures.py).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PolicyGenerateOptions, PolicyGenerateOutput, PolicyLogProbsOptions, PolicyLogProbsOutput, PolicyModel } from '../../src/index.js';
import { runWithAdaptersOff } from './adapters-off.js';

let instances = 0;

/** The gradient one training forward received: rows of the scripted batch and [rows][T] values. */
export interface CapturedGradient {
  rows: number[];
  gradLogProbs: number[][];
}

export class TablePolicy implements PolicyModel {
  readonly z: tf.Variable; // [N, T] policy log-probs
  readonly ref: tf.Tensor2D; // [N, T] reference log-probs
  readonly T: number;
  adaptersEnabled = true;
  readonly generateCalls: PolicyGenerateOptions[] = [];
  readonly logProbCalls: PolicyLogProbsOptions[] = [];
  readonly captured: CapturedGradient[] = [];
  private readonly rowByKey = new Map<string, number>();

  /** `completions`: the rows every generate call returns; a row is terminated when it ends with `eos`. */
  constructor(
    private readonly completions: number[][],
    z: number[][],
    ref: number[][],
    private readonly eos: number,
  ) {
    completions.forEach((c, i) => this.rowByKey.set(c.join(','), i));
    if (this.rowByKey.size !== completions.length) throw new Error('TablePolicy: the scripted completions must be distinct.');
    this.T = z[0].length;
    const init = tf.tensor2d(z);
    this.z = tf.variable(init, true, `table.z#${instances++}`);
    init.dispose();
    this.ref = tf.tensor2d(ref);
  }

  private row(ids: number[]): number {
    const i = this.rowByKey.get(ids.join(','));
    if (i === undefined) throw new Error(`TablePolicy: completion [${ids}] is not one of the scripted rows.`);
    return i;
  }

  async generate(promptIds: number[][], options: PolicyGenerateOptions): Promise<PolicyGenerateOutput> {
    this.generateCalls.push({ ...options });
    if (promptIds.length !== this.completions.length) {
      throw new Error(`TablePolicy: generate got ${promptIds.length} prompt rows, the script has ${this.completions.length}.`);
    }
    return {
      completionIds: this.completions.map((c) => [...c]),
      terminated: this.completions.map((c) => c[c.length - 1] === this.eos),
    };
  }

  tokenLogProbs(_promptIds: number[][], completionIds: number[][], options: PolicyLogProbsOptions = {}): PolicyLogProbsOutput {
    this.logProbCalls.push({ ...options });
    const rows = completionIds.map((c) => this.row(c));
    const T = this.T;
    const maskValues = completionIds.map((c) => Array.from({ length: T }, (_, t) => (t < c.length ? 1 : 0)));
    return tf.tidy(() => {
      const mask = tf.tensor2d(maskValues, [rows.length, T]);
      const table = this.adaptersEnabled ? this.z : this.ref;
      let logProbs = tf.mul(tf.gather(table, tf.tensor1d(rows, 'int32')), mask) as tf.Tensor2D; // [B, T]
      if (options.training) logProbs = this.recordGradient(rows)(logProbs);
      return { logProbs, mask } as unknown as tf.TensorContainer;
    }) as unknown as PolicyLogProbsOutput;
  }

  /** Identity whose backward pass stores the incoming gradient. */
  private recordGradient(rows: number[]): (x: tf.Tensor2D) => tf.Tensor2D {
    return tf.customGrad(((x: tf.Tensor) => ({
      value: x.clone(),
      gradFunc: (dy: tf.Tensor) => {
        this.captured.push({ rows, gradLogProbs: dy.arraySync() as number[][] });
        return dy.clone();
      },
    })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
  }

  withAdaptersDisabled<T>(fn: () => T): T {
    return runWithAdaptersOff((enabled) => (this.adaptersEnabled = enabled), fn);
  }

  trainableVariables(): tf.Variable[] {
    return [this.z];
  }

  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'table_adapter.json'), JSON.stringify(Array.from(this.z.dataSync())));
  }

  dispose(): void {
    this.z.dispose();
    this.ref.dispose();
  }
}
