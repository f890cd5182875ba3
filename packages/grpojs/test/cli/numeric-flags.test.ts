/**
 * Optimizer and sampling values that cannot train are refused on the command line before anything
 * loads, naming the flag, the field and the allowed range (the rules live in @grpojs/rl's schema).
 */
import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../../src/cli/errors.js';
import { printedConfig, runProgram } from './helpers.js';

async function usageError(args: string[]): Promise<string> {
  const { error } = await runProgram(['--print-config', ...args]);
  expect(error).toBeInstanceOf(CliUsageError);
  return (error as Error).message;
}

describe('numeric flags that cannot train', () => {
  it('name the flag, the field and the allowed range', async () => {
    expect(await usageError(['--adam-beta2', '1'])).toMatch(/--adam-beta2 \(adamBeta2\): must be in \[0, 1\)/);
    expect(await usageError(['--adam-epsilon', '0'])).toMatch(/--adam-epsilon \(adamEpsilon\): must be in \[1\.1754943508222875e-38, /);
    expect(await usageError(['--temperature', '1e-40'])).toMatch(/--temperature \(temperature\): must be >= 2\.94e-35/);
    expect(await usageError(['--max-consecutive-skipped-steps', '-1'])).toMatch(/--max-consecutive-skipped-steps \(maxConsecutiveSkippedSteps\)/);
    expect(await usageError(['--learning-rate', '0.5', '--weight-decay', '3'])).toMatch(/learningRate × weightDecay \(0\.5 × 3\) must be <= 1/);
  });

  it('accept the edges of the ranges', async () => {
    expect(await printedConfig(['--adam-beta1', '0', '--max-consecutive-skipped-steps', '0'])).toMatchObject({ adamBeta1: 0, maxConsecutiveSkippedSteps: 0 });
  });
});
