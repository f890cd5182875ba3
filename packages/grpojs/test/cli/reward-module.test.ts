/** `--reward-module`: which exports a module may give, how they are named, and each error (path and export named, exit 2). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultRewards } from '../../src/index.js';
import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../../src/cli/errors.js';
import { describeRewards, loadRewardModule, resolveRewards } from '../../src/cli/reward-module.js';
import { runProgram, tempDir } from './helpers.js';

const cwd = tempDir('grpojs-reward-module-');
const write = (name: string, text: string) => writeFileSync(join(cwd, name), text);

write('array.mjs', `
const length = (completions) => completions.map((c) => c.length);
export default [length, Object.assign((cs) => cs.map(() => 1), { rewardName: 'one' })];
`);
write('named.js', `
export function hasDigits(completions) { return completions.map((c) => (/\\d/.test(c) ? 1 : 0)); }
export const shout = Object.assign((cs) => cs.map((c) => (c.endsWith('!') ? 1 : 0)), { rewardName: 'exclaims' });
`);
write('default-fn.mjs', 'export default function politeness(cs) { return cs.map((c) => (c.includes("please") ? 1 : 0)); }\n');
write('common.cjs', `
module.exports = { cjsLength: (cs) => cs.map((c) => c.length / 10), cjsAsync: async (cs) => cs.map(() => 0.5) };
`);
write('empty.mjs', 'export default [];\n');
write('not-fn.mjs', 'export function ok(cs) { return cs.map(() => 0); }\nexport const threshold = 3;\n');
write('dup-default.mjs', 'export function format(cs) { return cs.map(() => 0); }\n');
write('syntax.mjs', 'export default [;\n');

describe('loadRewardModule', () => {
  it('takes a default array; names by rewardName, else the function name', async () => {
    const rewards = await loadRewardModule('./array.mjs', cwd);
    expect(rewards.map((r) => [r.name, r.source])).toEqual([['length', './array.mjs#default[0]'], ['one', './array.mjs#default[1]']]);
    expect(await rewards[0].fn(['ab', 'abc'], { prompts: [], completionIds: [] })).toEqual([2, 3]);
    expect(rewards[1].fn.rewardName).toBe('one');
  });

  it('takes named function exports (rewardName first, else the export name)', async () => {
    const rewards = await loadRewardModule('named.js', cwd);
    expect(rewards.map((r) => r.name)).toEqual(['hasDigits', 'exclaims']);
    expect(rewards.map((r) => r.fn.rewardName)).toEqual(['hasDigits', 'exclaims']);
  });

  it('takes a default function', async () => {
    expect((await loadRewardModule('default-fn.mjs', cwd)).map((r) => r.name)).toEqual(['politeness']);
  });

  it('loads a CommonJS module (module.exports = { ... })', async () => {
    const rewards = await loadRewardModule('common.cjs', cwd);
    expect(rewards.map((r) => r.name)).toEqual(['cjsLength', 'cjsAsync']);
    expect(await rewards[1].fn(['x'], { prompts: [], completionIds: [] })).toEqual([0.5]);
  });

  it.each([
    ['missing.mjs', /--reward-module missing\.mjs: no such file \(looked for .*missing\.mjs\)/],
    ['empty.mjs', /--reward-module empty\.mjs: exports no reward functions/],
    ['not-fn.mjs', /--reward-module not-fn\.mjs: export "threshold" is number, not a function/],
    ['syntax.mjs', /--reward-module syntax\.mjs: cannot load it: /],
  ])('refuses %s with a CliUsageError naming the path and export', async (path, message) => {
    const error = await loadRewardModule(path, cwd).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliUsageError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('resolveRewards', () => {
  it('puts the defaults first, then each module in order, and logs them in that order', async () => {
    const rewards = await resolveRewards({ modules: ['array.mjs', 'common.cjs'], defaults: true }, undefined, cwd);
    expect(rewards.map((r) => r.name)).toEqual([...defaultRewards.map((r) => r.rewardName), 'length', 'one', 'cjsLength', 'cjsAsync']);
    expect(describeRewards(rewards)).toMatch(/^rewards \(in --reward-weights order\): correctness, format, .*cot_clarity, length \(array\.mjs#default\[0\]\), one/);
  });

  it('drops the defaults (or the preset\'s list) with --no-default-rewards', async () => {
    const rewards = await resolveRewards({ modules: ['named.js'], defaults: false }, defaultRewards, cwd);
    expect(rewards.map((r) => r.name)).toEqual(['hasDigits', 'exclaims']);
  });

  it('refuses a name used twice, naming the module and the export', async () => {
    await expect(resolveRewards({ modules: ['dup-default.mjs'], defaults: true }, undefined, cwd)).rejects.toThrow(
      /--reward-module dup-default\.mjs: export "format" is named "format", as is a default reward; give it another rewardName/,
    );
    write('length.mjs', 'export const length = (cs) => cs.map(() => 0);\n');
    await expect(resolveRewards({ modules: ['array.mjs', 'length.mjs'], defaults: false }, undefined, cwd)).rejects.toThrow(
      /--reward-module length\.mjs: export "length" is named "length", as is array\.mjs#default\[0\]/,
    );
    await expect(resolveRewards({ modules: ['array.mjs', './array.mjs'], defaults: false }, undefined, cwd)).rejects.toThrow(
      /--reward-module \.\/array\.mjs: given twice \(also as array\.mjs\)/,
    );
  });

  it('refuses an empty list', async () => {
    await expect(resolveRewards({ modules: [], defaults: false }, undefined, cwd)).rejects.toThrow(/no reward functions left/);
  });
});

describe('the command line', () => {
  it('train, eval and score take --reward-module (repeatable) and --no-default-rewards', async () => {
    for (const command of ['train', 'eval', 'score']) {
      const help = (await runProgram([command, '--help'])).stdout;
      expect(help, command).toContain('--reward-module <path>');
      expect(help, command).toContain('--no-default-rewards');
    }
  });

  it('score uses the module\'s rewards', async () => {
    write('completions.jsonl', '{"completion": "please 42!", "answer": "42"}\n{"completion": "no", "answer": "7"}\n');
    const previous = process.cwd();
    process.chdir(cwd);
    try {
      const { stdout, error } = await runProgram(['score', 'completions.jsonl', '--reward-module', 'named.js', '--reward-module', 'default-fn.mjs', '--json']);
      expect(error).toBeUndefined();
      const summary = JSON.parse(stdout) as { means: Record<string, number> };
      expect(Object.keys(summary.means)).toEqual([...defaultRewards.map((r) => r.rewardName), 'hasDigits', 'exclaims', 'politeness']);
      expect(summary.means).toMatchObject({ hasDigits: 0.5, exclaims: 0.5, politeness: 0.5 });
    } finally {
      process.chdir(previous);
    }
  });
});
