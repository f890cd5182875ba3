/**
 * The TRL 1.9 options' own checks: luspo needs the sequence level, stepsPerGeneration and
 * generationBatchSize are exclusive and must fill whole optimizer steps (TRL GRPOConfig.__post_init__).
 */
import { describe, expect, it } from 'vitest';
import { optimizerStepsPerGeneration, parseGRPOConfig, resolvedStepsPerGeneration, stepsPerGenerationBatch } from '../src/config.js';

describe('TRL 1.9 option checks', () => {
  it('luspo needs importanceSamplingLevel "sequence"', () => {
    expect(() => parseGRPOConfig({ lossType: 'luspo' })).toThrow(/luspo.*importanceSamplingLevel "sequence"/);
    expect(parseGRPOConfig({ lossType: 'luspo', importanceSamplingLevel: 'sequence' }).lossType).toBe('luspo');
  });

  it('stepsPerGeneration and generationBatchSize: exclusive, whole optimizer steps', () => {
    expect(() => parseGRPOConfig({ stepsPerGeneration: 8, generationBatchSize: 16 })).toThrow(/stepsPerGeneration or generationBatchSize, not both/);
    expect(() => parseGRPOConfig({ gradientAccumulationSteps: 4, stepsPerGeneration: 6 })).toThrow(/stepsPerGeneration \(6\) must be a multiple of gradientAccumulationSteps \(4\)/);
    expect(() => parseGRPOConfig({ gradientAccumulationSteps: 2, numGenerations: 4, generationBatchSize: 12 })).toThrow(/generationBatchSize \(12\) must be a multiple of .* \(8 completions/);
  });

  it('resolves the generation layout (micro-batches, optimizer steps on distinct rows, steps per generation batch)', () => {
    const layout = (input: Parameters<typeof parseGRPOConfig>[0]) => {
      const c = parseGRPOConfig(input);
      return [resolvedStepsPerGeneration(c), optimizerStepsPerGeneration(c), stepsPerGenerationBatch(c)];
    };
    expect(layout({})).toEqual([4, 1, 1]); // TRL's default: steps_per_generation = gradient_accumulation_steps
    expect(layout({ stepsPerGeneration: 8, numIterations: 3 })).toEqual([8, 2, 6]);
    expect(layout({ gradientAccumulationSteps: 2, perDeviceTrainBatchSize: 2, numGenerations: 4, generationBatchSize: 48 })).toEqual([6, 3, 3]);
    // A checkpoint's config written before these fields: one step per generation batch and μ.
    expect(stepsPerGenerationBatch({ numIterations: 2, gradientAccumulationSteps: 4 })).toBe(2);
  });
});
