/**
 * The port through which the trainer sees a model: exactly what GRPO training, evaluation and
 * checkpoints call, and nothing more. The trainer owns it so that another model family needs no
 * change here — @grpojs/model's CausalLM satisfies it structurally (a type test in the grpojs
 * package keeps it so), and so does any object with these members (test/helpers/bigram-policy.ts).
 */
import type * as tf from '@tensorflow/tfjs-core';

/** What the trainer passes to {@link PolicyModel.generate}. */
export interface PolicyGenerateOptions {
  /** Stop each row after this many new tokens (the config's maxCompletionLength). */
  maxNewTokens: number;
  /** Sample (true) or greedy-decode (false, evaluation). Default true. */
  doSample?: boolean;
  /** Logits are divided by this before sampling. Default 1. */
  temperature?: number;
  /** Keep the k most likely tokens; 0 or undefined = off. */
  topK?: number;
  /** Nucleus sampling mass; 1 = off. */
  topP?: number;
  /** A row ends after it generates this token (the tokenizer's EOS). */
  eosTokenId?: number;
  /** Pads rows of different lengths (the tokenizer's pad token). */
  padTokenId?: number;
  /**
   * When aborted, generate should stop between decode steps and reject (with the signal's reason,
   * as `signal.throwIfAborted()` does); the trainer then abandons the step. A model that ignores it
   * only makes the stop wait for the end of its generate call.
   */
  signal?: AbortSignal;
  /** Sampling seed: the same seed and inputs must give the same tokens (resume reproduces a run). */
  seed?: number;
}

/** What the trainer reads of a {@link PolicyModel.generate} result. */
export interface PolicyGenerateOutput {
  /** Per prompt row: the generated ids, up to and including the first EOS (no padding). */
  completionIds: number[][];
  /** Per prompt row: true when generation ended by EOS, false when cut at maxNewTokens. */
  terminated: boolean[];
}

/** What the trainer passes to {@link PolicyModel.tokenLogProbs}. */
export interface PolicyLogProbsOptions {
  /** Logits are divided by this before log-softmax (the sampling temperature). Default 1. */
  temperature?: number;
  /** Rows per chunk, to bound memory (the config's logprobChunkSize); undefined = the model's choice. */
  chunkSize?: number;
  /** Also return the per-token entropy of the (temperature-scaled) distribution. */
  withEntropy?: boolean;
  /**
   * With `withEntropy`: the entropy must be differentiable w.r.t. the trainable variables too (the
   * entropy bonus); without it the entropy may be a metric without gradient. Asked only when the
   * bonus is on.
   */
  entropyGrad?: boolean;
  /**
   * Also return, per token, 1 where the argmax of the (temperature-1) logits, first maximal index
   * as torch.argmax, is the completion token, else 0 (SFT's mean_token_accuracy). Never differentiated.
   */
  withArgmaxMatch?: boolean;
  /** Training mode (LoRA dropout on). Default false. */
  training?: boolean;
  /**
   * With `training`: seeds the dropout masks, so a resumed run that passes the same seeds draws
   * the same masks. Ignored when not training.
   */
  seed?: number;
}

/** What {@link PolicyModel.tokenLogProbs} returns; the caller disposes every tensor. */
export interface PolicyLogProbsOutput {
  /** [rows, >= longest completion] log p(completion token | prefix); 0 where the mask is 0. */
  logProbs: tf.Tensor2D;
  /** [rows, same length] 1 for real completion tokens, 0 for padding. */
  mask: tf.Tensor2D;
  /** [rows, same length] when `withEntropy` was asked for. */
  entropy?: tf.Tensor2D;
  /** [rows, same length] when `withArgmaxMatch` was asked for; 0 where the mask is 0. */
  argmaxMatch?: tf.Tensor2D;
}

/** A policy the GRPO trainer can train: a causal LM with trainable (LoRA) adapters. */
export interface PolicyModel {
  /** Sampled or greedy completions of each prompt row (ids unpadded; the model pads as it needs). */
  generate(promptIds: number[][], options: PolicyGenerateOptions): Promise<PolicyGenerateOutput>;
  /**
   * Log-probs of the given completion tokens after the given prompts. Differentiable w.r.t. the
   * trainable variables when called inside tf.variableGrads.
   */
  tokenLogProbs(promptIds: number[][], completionIds: number[][], options?: PolicyLogProbsOptions): PolicyLogProbsOutput;
  /** Runs `fn` with the adapters switched off: the frozen base, GRPO's reference model. */
  withAdaptersDisabled<T>(fn: () => T): T;
  /** The variables the optimizer updates (the adapters), in a stable order with stable names. */
  trainableVariables(): tf.Variable[];
  /**
   * Writes the model to `dir`: with `adapterOnly`, only the adapter (checkpoints); otherwise what
   * a user needs to reload it (the final save), e.g. the adapter plus the tokenizer files. With
   * `merged`, a full-weight folder with the adapters folded in (only the server rollout's
   * "sglang_merged" weight sync asks for it).
   */
  save(dir: string, options?: { adapterOnly?: boolean; merged?: boolean }): Promise<void>;
}
