/**
 * Deterministic random Llama-family weights of any shape (tests, the bench's work units, the
 * offline smoke preset), with the counter-based uniform stream of random-init.ts: projections
 * and embeddings with std initializerRange (down/o projections scaled by 1/√(2·layers)), norm
 * gains centered at 1 with std 0.1, biases with std 0.02, so every parameter is exercised.
 */
import { fillUniform } from '../random-stream.js';
import type { HostTensor } from '../../io/safetensors.js';
import type { TextTokenizer } from '../../io/tokenizer.js';
import type { LlamaConfig } from './config.js';
import { saveLlamaModel } from './save.js';
import { llamaTensorShapes } from './weights.js';

const INIT_STD = 0.02;

function initOf(name: string, config: LlamaConfig): { center: number; std: number } {
  if (name.endsWith('norm.weight') || name.endsWith('layernorm.weight')) return { center: 1, std: 0.1 };
  if (name.endsWith('.bias')) return { center: 0, std: 0.02 };
  if (name.endsWith('o_proj.weight') || name.endsWith('down_proj.weight')) return { center: 0, std: INIT_STD / Math.sqrt(2 * config.numHiddenLayers) };
  return { center: 0, std: INIT_STD };
}

/** Random weights under transformers' names (nn.Linear [out, in]); same (config, seed) → same bits. */
export function randomLlamaTensors(config: LlamaConfig, seed: number): Map<string, HostTensor> {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`randomLlamaTensors: seed must be an integer in [0, 2^32), got ${seed}.`);
  }
  const tensors = new Map<string, HostTensor>();
  let t = 0;
  for (const [name, shape] of llamaTensorShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const { center, std } = initOf(name, config);
    fillUniform(data, seed, t++, center, std);
    tensors.set(name, { shape, data });
  }
  return tensors;
}

/** Writes a random HF folder for `config` (and the tokenizer's files when given); loads with loadCausalLM and transformers. */
export async function writeRandomLlamaCheckpoint(dir: string, config: LlamaConfig, seed: number, tokenizer?: TextTokenizer): Promise<void> {
  await saveLlamaModel(dir, { config, tensors: randomLlamaTensors(config, seed), ...(tokenizer ? { tokenizer } : {}) });
}
