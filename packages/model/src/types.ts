import type * as tf from '@tensorflow/tfjs-core';

/**
 * Options and outputs of CausalLM's generate and tokenLogProbs. The trainer's port (@grpojs/rl's
 * PolicyModel) asks for a subset of them, which CausalLM satisfies structurally.
 */
export interface GenerateOptions {
  maxNewTokens: number;
  doSample?: boolean; // default true
  temperature?: number; // default 1
  topK?: number; // 0 / undefined = off
  topP?: number; // 1 = off
  eosTokenId?: number | number[];
  padTokenId?: number;
  /** Seed for sampling; same seed + same inputs → same tokens. */
  seed?: number;
  /**
   * Run the prompt forward (prefill) once per distinct prompt and copy its KV cache and
   * last-position logits to the rows that repeat it (GRPO repeats every prompt numGenerations
   * times). The tokens are the same as without it; the logits agree to float rounding. Default true.
   */
  dedupPrompts?: boolean;
  /**
   * Checked before the prefill and between decode steps (generate yields to the event loop there,
   * so a signal handler can run): once aborted, generate releases its cache and rejects with the
   * signal's reason (a DOMException named 'AbortError' unless `abort(reason)` gave another).
   */
  signal?: AbortSignal;
}

export interface GenerateOutput {
  /** Per row: the prompt ids as given (unpadded). */
  promptIds: number[][];
  /** Per row: the generated ids, up to and including the first EOS (no padding). */
  completionIds: number[][];
  /** Per row: true when generation ended by EOS, false when cut at maxNewTokens. */
  terminated: boolean[];
}

export interface TokenLogProbsOptions {
  /** Logits are divided by this before log-softmax (the sampling temperature). Default 1. */
  temperature?: number;
  /** Rows processed per chunk to bound memory (vocab × length × rows). */
  chunkSize?: number;
  /** Also return per-token entropy of the (temperature-scaled) distribution. */
  withEntropy?: boolean;
  /**
   * With `withEntropy`: the entropy is differentiable too (an entropy bonus in the loss). Costs one
   * more [tokens, hidden] tensor kept for the backward pass and takes the tfjs vocab path instead of
   * the native kernel; default false, where the entropy is a metric without gradient.
   */
  entropyGrad?: boolean;
  /**
   * Also return, per token, 1 where the argmax of the logits (temperature 1, first maximal index
   * as torch.argmax) is the completion token, else 0: TRL SFT's `mean_token_accuracy`. No gradient.
   */
  withArgmaxMatch?: boolean;
  /** Apply LoRA dropout etc. (training mode). Default false. */
  training?: boolean;
  /**
   * With `training`: seeds the LoRA dropout masks, which are then a pure function of (the model's
   * LoRA seed, this seed, the layer name), so a resumed run that passes the same seeds draws the
   * same masks. Without it, each training call draws fresh masks from a counter private to the
   * model instance (which a new instance restarts). Ignored when not training.
   */
  seed?: number;
}

export interface TokenLogProbsOutput {
  /** [rows, maxCompletionLen] log p(completion token | prefix); 0 where the mask is 0. Caller disposes. */
  logProbs: tf.Tensor2D;
  /** [rows, maxCompletionLen] 1 for real completion tokens, 0 for padding. Caller disposes. */
  mask: tf.Tensor2D;
  /** [rows, maxCompletionLen] when withEntropy. Caller disposes. */
  entropy?: tf.Tensor2D;
  /** [rows, maxCompletionLen] when withArgmaxMatch: 1 where argmax(logits) = the token, else 0 (and 0 where the mask is 0). Caller disposes. */
  argmaxMatch?: tf.Tensor2D;
}
