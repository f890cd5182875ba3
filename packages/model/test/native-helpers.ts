/**
 * Shared setup of the tests that compare @grpojs/accel's native kernels with the tfjs paths they
 * replace: whether the addon is built here, whether a kernel family is switched off, and running
 * code with some kernels unregistered (so the model falls back to its tfjs formula).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { CausalLM } from '../src/causal-lm.js';
import { GPT2Model } from '../src/architectures/gpt2/model.js';
import { initRuntime } from '../src/runtime/runtime.js';
import { runtimeOptionsFromEnv } from '../src/runtime/runtime-options.js';

/** True when the @grpojs/accel addon is built in this checkout. */
export const ACCEL_BUILT = existsSync(join(dirname(fileURLToPath(import.meta.url)), '../../accel/build/Release/grpojs_accel.node'));

/**
 * True when native kernels cannot run: the addon is not built, GRPOJS_ACCEL=0, or the family's own
 * switch (e.g. `GRPOJS_ACCEL_GELU`) is '0'.
 */
export function nativeOff(familySwitch?: string): boolean {
  return !ACCEL_BUILT || process.env.GRPOJS_ACCEL === '0' || (familySwitch !== undefined && process.env[familySwitch] === '0');
}

/** Runs `f` with `kernels` unregistered from the current backend (the tfjs path), then puts them back. */
export function withoutKernels<T>(kernels: readonly string[], f: () => T): T {
  const configs = kernels.map((k) => {
    const config = tf.getKernel(k, tf.getBackend());
    if (config === undefined) throw new Error(`${k} is not registered on ${tf.getBackend()}`);
    return config;
  });
  kernels.forEach((k) => tf.unregisterKernel(k, tf.getBackend()));
  try {
    return f();
  } finally {
    configs.forEach((c) => tf.registerKernel(c));
  }
}

/** The GPT-2 inside a CausalLM the test loaded from a GPT-2 checkpoint (the native engine takes GPT2Model). */
export function gpt2Of(lm: CausalLM): GPT2Model {
  if (!(lm.model instanceof GPT2Model)) throw new Error(`expected a GPT-2 CausalLM, got ${lm.model.architecture}`);
  return lm.model;
}

/**
 * Sets the runtime's decode switches for a test, the other options as the suite's environment says
 * (test/setup-tfjs.ts); `{}` restores the suite's runtime.
 */
export async function setDecodeRuntime(options: { nativeDecode?: boolean; nativeDecodeNf4Codes?: boolean }): Promise<void> {
  await initRuntime({ ...runtimeOptionsFromEnv(process.env), ...options, log: () => {} });
}
