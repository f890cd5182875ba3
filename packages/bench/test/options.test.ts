import { describe, expect, it } from 'vitest';
import { BenchOptionsError, parseBenchArgs } from '../src/options.js';

const at = new Date('2026-01-02T03:04:05.678Z');

describe('parseBenchArgs', () => {
  it('defaults to tiny fp32 and distilgpt2 fp32 + nf4, BLAS on, micro-batches of 2', () => {
    const plan = parseBenchArgs([], at);
    expect(plan.configs.map((c) => `${c.model}/${c.quant}/${c.accel}/${c.runs}/${c.microBatch}`)).toEqual([
      'tiny/none/true/3/2',
      'distilgpt2/none/true/2/2',
      'distilgpt2/nf4/true/2/2',
    ]);
    expect(plan.outFile).toBe('bench-results/grpo-step-2026-01-02T03-04-05-678Z.json');
  });

  it('runs the cross product of comma lists', () => {
    const plan = parseBenchArgs(['--model', 'distilgpt2', '--quant', 'none,nf4', '--accel', 'on,off', '--runs', '5', '--profile'], at);
    expect(plan.configs).toHaveLength(4);
    expect(plan.configs.every((c) => c.runs === 5 && c.profile)).toBe(true);
    expect(plan.configs.map((c) => `${c.quant}/${c.accel}`)).toEqual(['none/true', 'none/false', 'nf4/true', 'nf4/false']);
  });

  it('offers the Llama-family shapes, one timed run each by default, fp32 and NF4', () => {
    const plan = parseBenchArgs(['--model', 'smollm2-135m,qwen2.5-0.5b'], at);
    expect(plan.configs.map((c) => `${c.model}/${c.quant}/${c.runs}/${c.checkpointing}`)).toEqual([
      'smollm2-135m/none/1/true',
      'smollm2-135m/nf4/1/true',
      'qwen2.5-0.5b/none/1/true',
      'qwen2.5-0.5b/nf4/1/true',
    ]);
    expect(parseBenchArgs(['--model', 'distilgpt2'], at).configs.every((c) => !c.checkpointing)).toBe(true);
    expect(() => parseBenchArgs(['--model', 'llama-70b'])).toThrow(/"llama-70b" is not one of tiny, distilgpt2, smollm2-135m, qwen2.5-0.5b/);
  });

  it('runs the PyTorch anchor unless --no-anchor', () => {
    expect(parseBenchArgs([], at).anchor).toBe(true);
    expect(parseBenchArgs(['--no-anchor'], at).anchor).toBe(false);
  });

  it('names the flag and the allowed values on a bad value', () => {
    expect(() => parseBenchArgs(['--quant', 'int4'])).toThrow(BenchOptionsError);
    expect(() => parseBenchArgs(['--quant', 'int4'])).toThrow(/--quant int4: "int4" is not one of none, nf4/);
    expect(() => parseBenchArgs(['--runs', '0'])).toThrow(/--runs 0: expected an integer ≥ 1/);
    expect(() => parseBenchArgs(['--accel', 'maybe'])).toThrow(/--accel maybe/);
  });
});
