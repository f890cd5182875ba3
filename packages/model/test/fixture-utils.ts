/** Shared helpers of CORE's tests: read the torch fixtures and build their models. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeGPT2Config, type GPT2Config } from '../src/architectures/gpt2/config.js';

const HERE = dirname(fileURLToPath(import.meta.url));

/** The JSON written by fixtures/make_fixtures.py (see its docstring). */
export interface GPT2Fixture {
  name: string;
  seed: number;
  config: Record<string, number | string | null>;
  forward: {
    ids: number[][];
    attentionMask: number[][];
    positionIds: number[][];
    logits: { b: number; t: number; sum: number; max: number; argmax: number; values?: number[]; every97?: number[] }[];
  };
  greedy: {
    prompts: number[][];
    maxNewTokens: number;
    eosTokenId: number;
    padTokenId: number;
    completionIds: number[][];
    terminated: boolean[];
  };
  logprobs?: {
    prompts: number[][];
    completions: number[][];
    temperature: number;
    logProbs: number[][];
    entropy: number[][];
    mask: number[][];
  };
  grad?: { stride: number; cAttn: number[][] };
}

export function readFixture(name: string): GPT2Fixture {
  return JSON.parse(readFileSync(join(HERE, 'fixtures', `gpt2-${name}.json`), 'utf8')) as GPT2Fixture;
}

/** The fixture's HF-style config as a GPT2Config. */
export function fixtureConfig(f: GPT2Fixture): GPT2Config {
  const c = f.config;
  return makeGPT2Config({
    vocabSize: c.vocab_size as number,
    nPositions: c.n_positions as number,
    nEmbd: c.n_embd as number,
    nLayer: c.n_layer as number,
    nHead: c.n_head as number,
    nInner: (c.n_inner as number | null) ?? null,
    layerNormEpsilon: c.layer_norm_epsilon as number,
    bosTokenId: c.bos_token_id as number,
    eosTokenId: c.eos_token_id as number,
  });
}

/** Largest |a − b|. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
