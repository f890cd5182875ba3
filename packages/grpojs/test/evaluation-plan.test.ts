import { describe, expect, it } from 'vitest';
import { parseTrainConfig } from '../src/job-options.js';
import { evaluationPlanLine } from '../src/train.js';

describe('the evaluation plan line train() logs', () => {
  it('keeps the reference: every eval row at every evaluation, and names the sampled option for a large eval set', () => {
    const reference = parseTrainConfig({});
    expect(reference.periodicEvalSamples).toBeNull();
    expect(reference.evalSteps).toBe(20);
    expect(evaluationPlanLine(reference, 1319)).toBe(
      'grpojs: evaluation: all 1319 eval rows every 20 steps and at the end, greedy, fine-tuned and base; ' +
        '--periodic-eval-samples 200 (periodicEvalSamples) evaluates a fixed sample in between and every row at the end (docs/rl.md)',
    );
    expect(evaluationPlanLine(reference, 8)).toBe('grpojs: evaluation: all 8 eval rows every 20 steps and at the end, greedy, fine-tuned and base');
  });

  it('says which sample the periodic evaluations use', () => {
    expect(evaluationPlanLine(parseTrainConfig({ periodicEvalSamples: 200 }), 1319)).toBe(
      'grpojs: evaluation: every 20 steps on a fixed sample of 200 of the 1319 eval rows (periodicEvalSamples, seed 42; logged with eval_samples 200), at the end on all 1319',
    );
    expect(evaluationPlanLine(parseTrainConfig({ periodicEvalSamples: 2000 }), 1319)).toMatch(/^grpojs: evaluation: all 1319 eval rows every 20 steps/);
    expect(evaluationPlanLine(parseTrainConfig({ evalSteps: 0 }), 1319)).toBe('grpojs: evaluation: all 1319 eval rows at the end only (evalSteps 0)');
    expect(evaluationPlanLine(parseTrainConfig({}), 0)).toBeNull();
  });
});
