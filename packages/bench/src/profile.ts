/**
 * Where the time of one GRPO step goes: every kernel of each phase is timed with tf.profile and
 * put in a bucket (matmuls by kind, attention, work over the vocabulary, NF4 decoding, layout
 * copies, the rest), and the phase's wall time minus its kernel time is the host's share (JS
 * dispatch, token sampling, tensor uploads and downloads). Sampling is also timed on its own.
 */
import { ACCEL_KERNEL_FAMILIES, ACCEL_KERNELS } from '@grpojs/accel/contract';
import { type CausalLM, Mulberry32, sampleToken, tf } from '@grpojs/model';
import { type StepContext, optimizerStep, referenceLogProbs, rollout, trainingGrads } from './grpo-step.js';
import { WORK_UNIT } from './setup.js';

/** Milliseconds and kernel calls per bucket, and matmul throughput, for one phase. */
export interface PhaseProfile {
  phase: string;
  wallMs: number;
  kernelMs: number;
  kernels: number;
  buckets: Record<string, { ms: number; calls: number }>;
  matmulGflop: number;
}

/** The profile of one step plus a stand-alone measurement of host-side sampling. */
export interface StepProfile {
  phases: PhaseProfile[];
  /** Milliseconds to sample one token from vocab-sized logits on the host (temperature 0.9). */
  sampleTokenMs: number;
  /** Top kernels of the whole step by time (name and output shape). */
  topKernels: { kernel: string; ms: number; calls: number }[];
}

/** Names of the kernels the NF4 decoder uses and nothing else in the model does. */
const NF4_KERNELS = new Set(['BitwiseAnd', 'FloorDiv', 'Mod', 'GatherNd', 'Fill']);
const LAYOUT_KERNELS = new Set(['Reshape', 'Transpose', 'Slice', 'Concat', 'GatherV2', 'Cast', 'TensorScatterUpdate', 'Identity', 'Pack', 'Tile', 'StridedSlice', 'OneHot', 'ZerosLike', 'Fill']);
const MATMULS = new Set(['BatchMatMul', '_FusedMatMul', 'MatMul']);
/** @grpojs/accel's Llama training kernels (RMSNorm, SwiGLU, rotary into heads; forward and backward). */
const LLAMA_KERNELS = new Set<string>(ACCEL_KERNEL_FAMILIES.llama.map((k) => ACCEL_KERNELS[k]));

/** FLOPs of a (batched) matmul from its shapes; K is the first operand's dim that is not M. */
function matmulFlops(a: number[], out: number[]): number {
  const [M, N] = out.slice(-2);
  const batch = out.slice(0, -2).reduce((p, d) => p * d, 1);
  const [a1, a2] = a.slice(-2);
  const K = a1 === M ? a2 : a1;
  return 2 * batch * M * N * K;
}

/** The bucket of one kernel call, from its name and shapes. */
function bucketOf(name: string, inputs: number[][], outputs: number[][], vocab: number, weightSizes: Set<number>, nf4: boolean): string {
  const all = [...inputs, ...outputs];
  const hasVocab = all.some((s) => s.includes(vocab));
  if (MATMULS.has(name)) {
    if (hasVocab) return 'matmul: LM head (vocab)';
    return inputs.every((s) => s.length >= 3) ? 'matmul: attention (QKᵀ, AV)' : 'matmul: linear layers';
  }
  // NF4 decoding: its own integer kernels, and float ops whose output has a weight's element
  // count but no activation's row count (activations are [rows, C] with rows = 8, B·P or B·(P+T)).
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  const rows = new Set([WORK_UNIT.sequences, WORK_UNIT.sequences * WORK_UNIT.promptTokens, WORK_UNIT.sequences * (WORK_UNIT.promptTokens + WORK_UNIT.newTokens)]);
  if (nf4 && (NF4_KERNELS.has(name) || outputs.some((s) => weightSizes.has(size(s)) && !(s.length === 2 && rows.has(s[0]))))) {
    return 'NF4 dequantization';
  }
  if (LLAMA_KERNELS.has(name)) return 'native Llama kernels: RMSNorm, SwiGLU, rotary';
  if (hasVocab) return 'vocab: log-softmax, entropy, logits';
  if (name === 'TensorScatterUpdate') return 'KV cache writes (TensorScatterUpdate)';
  if (LAYOUT_KERNELS.has(name)) return 'layout: reshape, transpose, slice, concat, cast';
  if (all.some((s) => s.length === 4)) return name === 'Softmax' ? 'attention: softmax' : 'attention: mask, scale';
  if (name === 'Tanh') return 'GELU tanh';
  return 'elementwise: layernorm, gelu, residual, LoRA, loss, AdamW';
}

/** Element counts of the frozen projection weights (used to recognise NF4 decoding outputs). */
function weightSizes(lm: CausalLM): Set<number> {
  return new Set([...lm.model.linearLayers().values()].map((l) => l.inFeatures * l.outFeatures));
}

async function profilePhase(phase: string, lm: CausalLM, nf4: boolean, fn: () => Promise<unknown>, all: Map<string, { ms: number; calls: number }>): Promise<PhaseProfile> {
  const t0 = performance.now();
  const info = await tf.profile(fn as () => Promise<tf.TensorContainer>);
  const wallMs = performance.now() - t0;
  const buckets: PhaseProfile['buckets'] = {};
  let kernelMs = 0;
  let flops = 0;
  let matmulMs = 0;
  const sizes = weightSizes(lm);
  for (const k of info.kernels) {
    // customGrad ops show up as a scope whose time includes their kernels: count the kernels only.
    if (tf.getKernel(k.name, tf.getBackend()) === undefined) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    // absent optional inputs (e.g. a fused matMul's prelu weights) have a null shape
    const ins = (k.inputShapes as (number[] | null)[]).filter((s): s is number[] => s !== null);
    const outs = k.outputShapes as number[][];
    const b = bucketOf(k.name, ins, outs, lm.config.vocabSize, sizes, nf4);
    buckets[b] ??= { ms: 0, calls: 0 };
    buckets[b].ms += ms;
    buckets[b].calls += 1;
    kernelMs += ms;
    if (MATMULS.has(k.name)) {
      flops += matmulFlops(ins[0], outs[0]);
      matmulMs += ms;
    }
    const key = `${k.name} → [${outs[0]?.join('×') ?? ''}]`;
    const e = all.get(key) ?? { ms: 0, calls: 0 };
    e.ms += ms;
    e.calls += 1;
    all.set(key, e);
  }
  return { phase, wallMs, kernelMs, kernels: info.kernels.filter((k) => tf.getKernel(k.name, tf.getBackend()) !== undefined).length, buckets, matmulGflop: matmulMs > 0 ? flops / (matmulMs / 1000) / 1e9 : 0 };
}

/** Host time to sample one token from [vocab] logits, averaged over 200 draws. */
function timeSampling(vocab: number): number {
  const logits = new Float32Array(vocab);
  const rng = new Mulberry32(3);
  for (let i = 0; i < vocab; i++) logits[i] = Math.sin(i * 12.9898) * 4;
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sampleToken(logits, { doSample: true, temperature: 0.9, topK: 0, topP: 1 }, rng);
  return (performance.now() - t0) / n;
}

/** Profiles one full step (run it after a warm-up step). Tensors are freed as in `grpoStep`. */
export async function profileStep(ctx: StepContext, nf4: boolean): Promise<StepProfile> {
  // Kernel outputs are otherwise downloaded to be checked for NaN, which would distort the timings.
  tf.env().set('CHECK_COMPUTATION_FOR_ERRORS', false);
  const all = new Map<string, { ms: number; calls: number }>();
  let completions: number[][] = [];
  const phases: PhaseProfile[] = [];
  phases.push(await profilePhase('rollout', ctx.lm, nf4, async () => void (completions = await rollout(ctx)), all));
  const advantages = completions.map((_, i) => (i % 2 === 0 ? 1 : -1) * 0.7);
  let refs: tf.Tensor2D[] = [];
  phases.push(await profilePhase('reference', ctx.lm, nf4, async () => void (refs = referenceLogProbs(ctx, completions).map((r) => tf.keep(r))), all));
  let grads: tf.Tensor[] = [];
  phases.push(await profilePhase('training', ctx.lm, nf4, async () => void (grads = trainingGrads(ctx, completions, refs, advantages).grads.map((g) => tf.keep(g))), all));
  tf.dispose(refs);
  phases.push(await profilePhase('optimizer', ctx.lm, nf4, async () => optimizerStep(ctx, grads), all));
  ctx.step++;
  const topKernels = [...all.entries()]
    .map(([kernel, v]) => ({ kernel, ...v }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 15);
  return { phases, sampleTokenMs: timeSampling(ctx.lm.config.vocabSize), topKernels };
}
