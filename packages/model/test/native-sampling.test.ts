/**
 * sampleToken through @grpojs/accel's native sampler against the JS draw (the same function with the
 * runtime's sampler set aside): the same token for the same seed, over many seeds and
 * temperatures, with and without top-k/top-p; and expSampling against Math.exp.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, initRuntime } from '../src/runtime/runtime.js';
import { runtimeOptionsFromEnv } from '../src/runtime/runtime-options.js';
import { activeSampler, setActiveSampler } from '../src/runtime/native-sampler.js';
import { expSampling } from '../src/ops/fast-exp.js';
import { Mulberry32, type SamplingOptions, sampleToken } from '../src/inference/sampling.js';
import { nativeOff } from './native-helpers.js';

const skip = nativeOff('GRPOJS_ACCEL_VOCAB');

beforeAll(async () => {
  await initBackend();
});

describe('expSampling', () => {
  it('is within 2e-7 relative of Math.exp over [-87, 0], 0 below -87.33 and for -Infinity', () => {
    let worst = 0;
    for (let x = -87; x <= 0; x += 0.00731) worst = Math.max(worst, Math.abs(expSampling(x) / Math.exp(x) - 1));
    expect(worst).toBeLessThan(2e-7);
    expect(expSampling(-Infinity)).toBe(0);
    expect(expSampling(-100)).toBe(0);
    expect(expSampling(0)).toBe(1);
  });
});

describe.skipIf(skip)('sampleToken with the native sampler', () => {
  /** Tokens from `seeds` × `draws`, with the native sampler present or removed. */
  function tokens(logits: Float32Array, options: SamplingOptions, native: boolean): number[] {
    const saved = activeSampler();
    if (!native) setActiveSampler(null);
    try {
      const out: number[] = [];
      for (let seed = 1; seed <= 10; seed++) {
        const rng = new Mulberry32(seed);
        for (let d = 0; d < 12; d++) out.push(sampleToken(logits, options, rng));
      }
      return out;
    } finally {
      setActiveSampler(saved);
    }
  }

  it('is handed over by the runtime while its vocab family is on, and not otherwise', async () => {
    expect(typeof activeSampler()).toBe('function');
    await initRuntime({ accel: { vocab: false }, log: () => {} });
    expect(activeSampler()).toBeNull();
    await initRuntime({ accel: false, log: () => {} });
    expect(activeSampler()).toBeNull();
    await initRuntime({ ...runtimeOptionsFromEnv(process.env), log: () => {} });
    expect(typeof activeSampler()).toBe('function');
  });

  it('draws the same tokens as the JS path for 120 draws per setting (vocab 50257)', () => {
    const rng = new Mulberry32(99);
    const logits = new Float32Array(50257);
    for (let i = 0; i < logits.length; i++) logits[i] = (rng.next() - 0.5) * 16; // logits in [-8, 8)
    logits[123] = 11; // one dominant token, as after training
    const settings: SamplingOptions[] = [
      { doSample: true, temperature: 0.9, topK: 0, topP: 1 },
      { doSample: true, temperature: 0.3, topK: 0, topP: 1 },
      { doSample: true, temperature: 1.7, topK: 0, topP: 1 },
      { doSample: true, temperature: 1, topK: 50, topP: 1 },
      { doSample: true, temperature: 0.9, topK: 0, topP: 0.9 },
      { doSample: true, temperature: 0.9, topK: 200, topP: 0.95 },
    ];
    for (const options of settings) {
      const native = tokens(logits, options, true);
      expect(new Set(native).size).toBeGreaterThan(1);
      expect(native).toEqual(tokens(logits, options, false));
    }
  });
});
