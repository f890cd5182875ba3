/**
 * One GRPO optimizer step on the work unit, split into the phases TRL names and timed one by one:
 * rollout (sampling with the KV cache) → advantages → reference log-probs (adapters off) →
 * training (forward + backward of the GRPO loss, LoRA gradients only) → AdamW (clip + update).
 * The loss is @grpojs/rl's own `perTokenLoss` + `aggregateLoss`, assembled as the trainer's
 * train-step.ts does (that function is internal to rl), with the spec defaults (β 0.04, ε 0.2,
 * temperature 0.9, lossType grpo, numIterations 1 so the old log-probs are the detached current).
 */
import type { CausalLM } from '@grpojs/model';
import { tf } from '@grpojs/model';
import { AdamW, aggregateLoss, clipByGlobalNorm, computeAdvantages, globalNorm, perTokenLoss, stopGradient } from '@grpojs/rl';
import { WORK_UNIT } from './setup.js';

const TEMPERATURE = 0.9;
const BETA = 0.04;
const EPSILON = 0.2;
const GROUP_SIZE = 2;

/** Seconds spent in each phase of one step. */
export interface StepTimes {
  rollout: number;
  reference: number;
  training: number;
  optimizer: number;
  total: number;
  /**
   * CPU seconds of this process (user + system, all threads) per phase: less sensitive to other
   * processes on a shared machine than wall time; on an idle machine wall ≈ CPU for the
   * single-threaded parts and ≈ CPU / threads for the BLAS matmuls.
   */
  cpu: { rollout: number; reference: number; training: number; optimizer: number; total: number };
}

/** Reusable state across steps: the optimizer (its moments persist like in training) and the prompts. */
export interface StepContext {
  lm: CausalLM;
  /** Rows per micro-batch; gradients are accumulated over sequences / microBatch micro-batches. */
  microBatch: number;
  optimizer: AdamW;
  prompts: number[][];
  step: number;
}

/**
 * Prompt token ids [sequences][promptTokens] as a GRPO generation batch holds them: sequences /
 * GROUP_SIZE random prompts (seeded LCG, the same on every run), each repeated GROUP_SIZE times in
 * adjacent rows (TRL repeats every prompt numGenerations times; the advantages are per group).
 */
export function makePrompts(vocab: number, seed = 7): number[][] {
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0), state);
  const unique = Array.from({ length: WORK_UNIT.sequences / GROUP_SIZE }, () =>
    Array.from({ length: WORK_UNIT.promptTokens }, () => next() % (vocab - 1)),
  );
  return unique.flatMap((prompt) => Array.from({ length: GROUP_SIZE }, () => [...prompt]));
}

/** Creates the step context (AdamW over the LoRA variables, lr 1e-5 as the spec's default). */
export function createStepContext(lm: CausalLM, microBatch: number): StepContext {
  const optimizer = new AdamW(lm.trainableVariables(), { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 });
  return { lm, microBatch, optimizer, prompts: makePrompts(lm.config.vocabSize), step: 0 };
}

/** Rollout: samples WORK_UNIT.newTokens tokens per row (no EOS stop, so every row has full length). */
export async function rollout(ctx: StepContext): Promise<number[][]> {
  const out = await ctx.lm.generate(ctx.prompts, {
    maxNewTokens: WORK_UNIT.newTokens,
    temperature: TEMPERATURE,
    eosTokenId: [],
    padTokenId: ctx.lm.model.dims.eosTokenIds[0],
    seed: 1000 + ctx.step,
  });
  return out.completionIds;
}

/** Row ranges [start, end) of the micro-batches. */
export function microBatches(ctx: StepContext): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < ctx.prompts.length; s += ctx.microBatch) out.push([s, Math.min(s + ctx.microBatch, ctx.prompts.length)]);
  return out;
}

/** Reference log-probs [rows, T] of the base (LoRA off), one micro-batch at a time as the trainer does. */
export function referenceLogProbs(ctx: StepContext, completions: number[][]): tf.Tensor2D[] {
  return microBatches(ctx).map(([a, b]) =>
    ctx.lm.withAdaptersDisabled(() =>
      tf.tidy(() => {
        const out = ctx.lm.tokenLogProbs(ctx.prompts.slice(a, b), completions.slice(a, b), { temperature: TEMPERATURE });
        out.mask.dispose();
        return out.logProbs;
      }),
    ),
  );
}

/**
 * Forward + backward of the GRPO loss per micro-batch (the trainer's train-step.ts), gradients
 * summed over micro-batches; returns the LoRA gradients (caller disposes) and the step loss.
 */
export function trainingGrads(ctx: StepContext, completions: number[][], refs: tf.Tensor2D[], advantages: number[]): { grads: tf.Tensor[]; loss: number } {
  const variables = ctx.lm.trainableVariables();
  const parts = microBatches(ctx);
  let sums: tf.Tensor[] | null = null;
  let loss = 0;
  parts.forEach(([a, b], m) => {
    const { value, grads } = tf.variableGrads(() => {
      const out = ctx.lm.tokenLogProbs(ctx.prompts.slice(a, b), completions.slice(a, b), { temperature: TEMPERATURE, withEntropy: true, training: true });
      const per = perTokenLoss({
        logProbs: out.logProbs,
        oldLogProbs: stopGradient(out.logProbs),
        refLogProbs: refs[m],
        advantages: tf.tensor1d(advantages.slice(a, b)),
        epsilonLow: EPSILON,
        epsilonHigh: EPSILON,
        beta: BETA,
      });
      const agg = { gradientAccumulationSteps: parts.length, maxCompletionLength: WORK_UNIT.newTokens, activeTokensInGenerationBatch: completions.length * WORK_UNIT.newTokens };
      return aggregateLoss('grpo', per.loss, out.mask, agg);
    }, variables);
    loss += value.dataSync()[0];
    value.dispose();
    const g = variables.map((v) => grads[v.name]);
    const prev: tf.Tensor[] | null = sums;
    sums = prev ? g.map((x, i) => tf.add(prev[i], x)) : g;
    if (prev) tf.dispose([...prev, ...g]);
  });
  return { grads: sums ?? [], loss };
}

/** Global-norm clip (max 1.0) and one AdamW update; frees `grads`. */
export function optimizerStep(ctx: StepContext, grads: tf.Tensor[]): void {
  const norm = globalNorm(grads);
  const clipped = clipByGlobalNorm(grads, norm, 1.0);
  ctx.optimizer.step(clipped, 1e-5);
  tf.dispose([...clipped, ...grads]);
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;
const cpuSeconds = (c0: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
};

/** Runs one full step and times its phases. Every tensor it creates is freed. */
export async function grpoStep(ctx: StepContext): Promise<StepTimes & { loss: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const completions = await rollout(ctx);
  const rollout_s = seconds(t0);
  const c1 = process.cpuUsage();
  // Rewards: a fixed pseudo-random score per row (the reward functions cost microseconds here).
  const rewards = completions.map((c) => (c.reduce((a, b) => a + b, 0) % 7) / 7);
  const { advantages } = computeAdvantages(rewards, GROUP_SIZE, 'group');
  const t1 = performance.now();
  const c1b = process.cpuUsage();
  const refs = referenceLogProbs(ctx, completions);
  await Promise.all(refs.map((r) => r.data())); // wait for the backend (a no-op on wasm, real on async backends)
  const reference_s = seconds(t1);
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  const { grads, loss } = trainingGrads(ctx, completions, refs, advantages);
  await Promise.all(grads.map((g) => g.data()));
  tf.dispose(refs);
  const training_s = seconds(t2);
  const t3 = performance.now();
  const c3 = process.cpuUsage();
  optimizerStep(ctx, grads);
  await ctx.lm.trainableVariables()[0].data();
  const optimizer_s = seconds(t3);
  ctx.step++;
  const cpu = {
    rollout: cpuSeconds(c0) - cpuSeconds(c1),
    reference: cpuSeconds(c1b) - cpuSeconds(c2),
    training: cpuSeconds(c2) - cpuSeconds(c3),
    optimizer: cpuSeconds(c3),
    total: cpuSeconds(c0),
  };
  return { rollout: rollout_s, reference: reference_s, training: training_s, optimizer: optimizer_s, total: seconds(t0), cpu, loss };
}
