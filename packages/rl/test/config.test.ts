import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeGRPOConfig, renderConfigMarkdownTable } from '../src/config-docs.js';
import { parseGRPOConfig, resolvedEpsilonHigh } from '../src/config.js';
import { GRPOConfigError } from '../src/errors.js';

describe('GRPO config', () => {
  it('defaults follow the reference-era TRL settings of the spec', () => {
    const c = parseGRPOConfig();
    expect(c).toMatchObject({
      learningRate: 1e-5, beta: 0.04, temperature: 0.9, topP: 1, topK: null, numGenerations: 2,
      maxPromptLength: 128, maxCompletionLength: 128, epsilon: 0.2, epsilonHigh: null, numIterations: 1,
      lossType: 'grpo', scaleRewards: 'group', rewardWeights: null, maskTruncatedCompletions: false,
      adamBeta1: 0.9, adamBeta2: 0.999, adamEpsilon: 1e-8, weightDecay: 0, lrSchedulerType: 'linear',
      warmupSteps: 0, warmupRatio: 0, maxGradNorm: 1, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: 4,
      loggingSteps: 10, saveSteps: 50, evalSteps: 20, numTrainEpochs: 1, maxSteps: -1, seed: 42,
      dropZeroVarianceGroups: false,
    });
    expect(resolvedEpsilonHigh(c)).toBe(0.2);
    expect(resolvedEpsilonHigh(parseGRPOConfig({ epsilonHigh: 0.28 }))).toBe(0.28);
  });

  it('accepts TRL boolean scale_rewards', () => {
    expect(parseGRPOConfig({ scaleRewards: true as never }).scaleRewards).toBe('group');
    expect(parseGRPOConfig({ scaleRewards: false as never }).scaleRewards).toBe('none');
  });

  it('errors name every bad field, including unknown (snake_case) keys', () => {
    let message = '';
    try {
      parseGRPOConfig({ learning_rate: 1e-4, lossType: 'ppo', numGenerations: 1 });
    } catch (error) {
      expect(error).toBeInstanceOf(GRPOConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/lossType/);
    expect(message).toMatch(/numGenerations/);
    expect(message).toMatch(/learning_rate/);
    expect(() => parseGRPOConfig({ epsilon: 0.3, epsilonHigh: 0.2 })).toThrow(/epsilonHigh \(0.2\) must be >= epsilon/);
  });

  it('every field documents its TRL name (or says there is none), type and default', () => {
    const fields = describeGRPOConfig();
    expect(fields.length).toBeGreaterThanOrEqual(40);
    const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
    expect(byName.learningRate).toMatchObject({ trlName: 'learning_rate', type: 'number', defaultValue: 1e-5 });
    expect(byName.lossType.type).toBe('"grpo" | "bnpo" | "dr_grpo" | "dapo" | "cispo" | "sapo" | "luspo" | "vespo"');
    expect(byName.maxPromptLength.type).toBe('number | null');
    expect(byName.dropZeroVarianceGroups.trlName).toBeNull();
    for (const f of fields) expect(f.description.length, f.name).toBeGreaterThan(10);
  });

  it('docs/configuration.md holds the table generated from the schema (regenerate: pnpm --filter @grpojs/rl docs:config)', () => {
    const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    expect(doc).toContain(renderConfigMarkdownTable());
  });
});
