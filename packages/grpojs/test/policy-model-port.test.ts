/**
 * @grpojs/rl owns the port it trains through (PolicyModel); @grpojs/model's CausalLM satisfies it
 * structurally, without naming it. These are type-level checks: `pnpm --filter grpojs typecheck`
 * (tsconfig.json includes test/) fails to compile when CausalLM drifts from the port.
 */
import type { CausalLM } from '@grpojs/model';
import type { PolicyGenerateOptions, PolicyGenerateOutput, PolicyLogProbsOptions, PolicyLogProbsOutput, PolicyModel } from '@grpojs/rl';
import { describe, expectTypeOf, it } from 'vitest';

describe("CausalLM is @grpojs/rl's PolicyModel", () => {
  it('is assignable as a whole', () => {
    expectTypeOf<CausalLM>().toExtend<PolicyModel>();
  });

  // Method parameters are checked bivariantly in an assignment, so each direction is pinned here:
  // CausalLM accepts every option the trainer passes, and returns at least what the trainer reads.
  it('accepts every option the trainer passes', () => {
    expectTypeOf<PolicyGenerateOptions>().toExtend<Parameters<CausalLM['generate']>[1]>();
    expectTypeOf<PolicyLogProbsOptions>().toExtend<NonNullable<Parameters<CausalLM['tokenLogProbs']>[2]>>();
    expectTypeOf<NonNullable<Parameters<PolicyModel['save']>[1]>>().toExtend<NonNullable<Parameters<CausalLM['save']>[1]>>();
  });

  it('returns what the trainer reads', () => {
    expectTypeOf<Awaited<ReturnType<CausalLM['generate']>>>().toExtend<PolicyGenerateOutput>();
    expectTypeOf<ReturnType<CausalLM['tokenLogProbs']>>().toExtend<PolicyLogProbsOutput>();
  });
});
