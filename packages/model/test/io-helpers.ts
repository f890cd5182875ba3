/**
 * Shared helpers of the io-*.test.ts files: temp folders and tiny deterministic GPT-2 tensors
 * (values from a small LCG, so tests need no committed weights).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { sharedAsset } from '../../../vitest.shared-assets.js';
import { type GPT2Config, makeGPT2Config } from '../src/architectures/gpt2/config.js';
import { gpt2TensorShapes } from '../src/architectures/gpt2/weights.js';
import { type HostTensor, shapeSize } from '../src/io/safetensors.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'io');
/** The shared test assets (../shared/assets, never copied into the repo), see vitest.shared-assets.ts. */
export const ASSETS = sharedAsset('');

const made: string[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A fresh temp folder, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'grpojs-io-'));
  made.push(dir);
  return dir;
}

/** A tensor of `shape` filled with deterministic values in [-1, 1). */
export function lcgTensor(shape: number[], seed: number): HostTensor {
  const data = new Float32Array(shapeSize(shape));
  let s = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 31 - 1;
  }
  return { shape, data };
}

/** A 2-layer GPT-2 config with n_embd 8 and vocab 11 (fast to write and read). */
export function tinyConfig(overrides: Parameters<typeof makeGPT2Config>[0] = {}): GPT2Config {
  return makeGPT2Config({ vocabSize: 11, nPositions: 6, nEmbd: 8, nLayer: 2, nHead: 2, ...overrides });
}

/** Canonical tensors for `config`, each with its own seed. */
export function tinyTensors(config: GPT2Config): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  let seed = 1;
  for (const [name, shape] of gpt2TensorShapes(config)) out.set(name, lcgTensor(shape, seed++));
  return out;
}
