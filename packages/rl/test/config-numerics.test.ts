/**
 * The config rejects optimizer and sampling values that cannot train, as torch.optim.AdamW does
 * (betas in [0, 1), weight decay >= 0) and beyond it (epsilon a normal float32, a temperature whose
 * division of the logits stays finite in float32, learningRate × weightDecay <= 1); each error
 * names the field and the allowed range.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MIN_TEMPERATURE, parseGRPOConfig } from '../src/config.js';
import { GRPOConfigError } from '../src/errors.js';
import { FLOAT32_MAX, FLOAT32_MIN_NORMAL } from '../src/weight-check.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The message parseGRPOConfig throws for `input`. */
function rejection(input: Record<string, unknown>): string {
  try {
    parseGRPOConfig(input);
  } catch (error) {
    expect(error).toBeInstanceOf(GRPOConfigError);
    return (error as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('GRPO config: values that cannot train are rejected', () => {
  it('AdamW betas must be in [0, 1) (β2 = 1 makes the bias correction 0 and every update NaN)', () => {
    expect(rejection({ adamBeta2: 1 })).toMatch(/adamBeta2: must be in \[0, 1\)/);
    expect(rejection({ adamBeta1: 1 })).toMatch(/adamBeta1: must be in \[0, 1\)/);
    expect(rejection({ adamBeta1: -0.5 })).toMatch(/adamBeta1: must be in \[0, 1\)/);
    expect(parseGRPOConfig({ adamBeta1: 0, adamBeta2: 0.9999999 })).toMatchObject({ adamBeta1: 0, adamBeta2: 0.9999999 });
  });

  it('adamEpsilon must be a normal float32 (0 or a denormal gives 0/0 where a gradient is 0)', () => {
    for (const eps of [0, 1e-45, 1e-39, -1e-8]) expect(rejection({ adamEpsilon: eps })).toMatch(/adamEpsilon: must be in \[1\.1754943508222875e-38, 3\.4028234663852886e\+38\]/);
    expect(parseGRPOConfig({ adamEpsilon: FLOAT32_MIN_NORMAL }).adamEpsilon).toBe(FLOAT32_MIN_NORMAL);
    expect(Math.fround(FLOAT32_MIN_NORMAL)).toBe(FLOAT32_MIN_NORMAL); // exactly representable, and normal
  });

  it('learningRate must be a positive float32; learningRate × weightDecay must be <= 1', () => {
    expect(rejection({ learningRate: 0 })).toMatch(/learningRate/);
    expect(rejection({ learningRate: 1e39 })).toMatch(/learningRate: must be in \(0, 3\.4028234663852886e\+38\]/);
    expect(rejection({ weightDecay: -0.1 })).toMatch(/weightDecay/);
    expect(rejection({ learningRate: 0.5, weightDecay: 3 })).toMatch(/learningRate × weightDecay \(0\.5 × 3\) must be <= 1/);
    expect(parseGRPOConfig({ learningRate: 0.5, weightDecay: 2 }).weightDecay).toBe(2);
  });

  it('temperature must keep logits/temperature finite in float32 for logits up to 1e4; the bound is where it overflows', () => {
    expect(MIN_TEMPERATURE).toBeCloseTo(2.9387e-35, 38);
    for (const t of [0, 1e-40, 1e-36, MIN_TEMPERATURE / 2]) expect(rejection({ temperature: t })).toMatch(/temperature: must be >= 2\.94e-35: logits are divided by it in float32/);
    expect(parseGRPOConfig({ temperature: MIN_TEMPERATURE }).temperature).toBe(MIN_TEMPERATURE);
    // In float32, as the log-prob and sampling code divides: 1e4 / MIN_TEMPERATURE is finite, just below it is not.
    const logits = tf.tensor1d([1e4, -1e4, 0.5]);
    const at = tf.div(logits, MIN_TEMPERATURE).dataSync();
    const below = tf.div(logits, MIN_TEMPERATURE * 0.999).dataSync();
    expect(Array.from(at).every(Number.isFinite)).toBe(true);
    expect(Array.from(below).slice(0, 2)).toEqual([Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
    expect(Math.max(...Array.from(at).map(Math.abs))).toBeLessThanOrEqual(FLOAT32_MAX);
    logits.dispose();
  });

  it('maxConsecutiveSkippedSteps: default 10, 0 = never stop, a non-negative integer', () => {
    expect(parseGRPOConfig().maxConsecutiveSkippedSteps).toBe(10);
    expect(parseGRPOConfig({ maxConsecutiveSkippedSteps: 0 }).maxConsecutiveSkippedSteps).toBe(0);
    expect(rejection({ maxConsecutiveSkippedSteps: -1 })).toMatch(/maxConsecutiveSkippedSteps/);
    expect(rejection({ maxConsecutiveSkippedSteps: 1.5 })).toMatch(/maxConsecutiveSkippedSteps/);
  });
});
