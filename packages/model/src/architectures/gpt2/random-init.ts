/**
 * Deterministic random GPT-2 weights of any shape, reproducible bit for bit in Python.
 *
 * Tests need HF checkpoints (including distilgpt2's 82M-parameter shape) without committing
 * weights, and the torch fixture script (test/fixtures/make_fixtures.py) must build the very same
 * tensors. So the generator is counter-based (value i of tensor t is a pure function of
 * seed, t, i — vectorizable in numpy) and uses only integer mixing and exact float64 arithmetic
 * (no log/cos, whose last bits differ between libms):
 *
 *   key_t = fmix32(seed ⊕ (t+1)·0x9E3779B9)          t = index in gpt2TensorShapes order
 *   h_i   = fmix32(key_t + i·0x85EBCA77)            (all mod 2³²; fmix32 = murmur3's finalizer)
 *   u_i   = (h_i >>> 8) / 2²⁴                       uniform in [0, 1)
 *   w_i   = f32(center + (2·u_i − 1) · std·√3)      uniform with the wanted std
 *
 * std is initializerRange (0.02) for embeddings and weights, 0.02/√(2·nLayer) for the residual
 * projections (c_proj, as GPT-2), 0.02 for biases and layer-norm shifts; layer-norm gains are
 * centered at 1 with std 0.1. Biases and norms are non-trivial on purpose, so tests exercise them.
 */
import type { GPT2Config } from './config.js';
import { fillUniform } from '../random-stream.js';
import { gpt2TensorShapes } from './weights.js';
import type { HostTensor } from '../../io/safetensors.js';
import { saveHFModel } from './save.js';

/** The (center, std) of a canonical tensor name under this init. */
function initOf(name: string, config: GPT2Config): { center: number; std: number } {
  const std = config.initializerRange;
  if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) return { center: 1, std: 0.1 };
  if (name.endsWith('.bias')) return { center: 0, std: 0.02 };
  if (name.endsWith('c_proj.weight')) return { center: 0, std: std / Math.sqrt(2 * config.nLayer) };
  return { center: 0, std };
}

/**
 * Deterministic random weights for `config`, keyed by canonical name (`wte.weight`, `h.0.attn.c_attn.weight` [C, 3C], …).
 * Same (config, seed) → identical bits here and in make_fixtures.py.
 */
export function randomGPT2Tensors(config: GPT2Config, seed: number): Map<string, HostTensor> {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`randomGPT2Tensors: seed must be an integer in [0, 2^32), got ${seed}.`);
  }
  const tensors = new Map<string, HostTensor>();
  let t = 0;
  for (const [name, shape] of gpt2TensorShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const { center, std } = initOf(name, config);
    fillUniform(data, seed, t, center, std);
    tensors.set(name, { shape, data });
    t++;
  }
  return tensors;
}

/**
 * Writes a randomly initialised HF GPT-2 folder (config.json, model.safetensors with HF names,
 * generation_config.json) to `dir`. Loads with loadCausalLM and with transformers.
 */
export async function writeRandomGPT2Checkpoint(dir: string, config: GPT2Config, seed: number): Promise<void> {
  await saveHFModel(dir, { config, tensors: randomGPT2Tensors(config, seed) });
}
