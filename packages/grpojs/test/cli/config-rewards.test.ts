/**
 * Reward modules in a `--config` file: `rewardModules` / `reward_modules` (one path or a list,
 * relative to the file) and `defaultRewards` / `default_rewards`, merged with the flags (the file's
 * modules first); every error names the config file and the field as it is spelled there.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withFileRewards } from '../../src/cli/config-rewards.js';
import { CliUsageError } from '../../src/cli/errors.js';
import { resolveConfig } from '../../src/cli/resolve-config.js';
import { resolveRewards } from '../../src/cli/reward-module.js';
import { defaultRewards } from '../../src/index.js';
import { runProgram, tempDir } from './helpers.js';

const dir = tempDir('grpojs-config-rewards-');
mkdirSync(join(dir, 'configs/rewards'), { recursive: true });
writeFileSync(join(dir, 'configs/rewards/digits.mjs'), 'export function hasDigits(cs) { return cs.map((c) => (/\\d/.test(c) ? 1 : 0)); }\n');
writeFileSync(join(dir, 'flag.mjs'), 'export function short(cs) { return cs.map((c) => (c.length < 20 ? 1 : 0)); }\n');

/** Writes `configs/<name>` and returns its path. */
function config(name: string, text: string): string {
  const file = join(dir, 'configs', name);
  writeFileSync(file, text);
  return file;
}

/** The reward names a config file (and flags) resolve to. */
async function rewardNames(configFile: string, flags = { modules: [] as string[], defaults: true }): Promise<string[]> {
  const { fileRewards } = await resolveConfig({ flags: {}, configFile });
  return (await resolveRewards(withFileRewards(flags, fileRewards), undefined, dir)).map((r) => r.name);
}

/** The message of the CliUsageError that `train --config file` stops with before loading a model. */
async function trainError(configFile: string): Promise<string> {
  const { error } = await runProgram(['train', '--config', configFile]);
  expect(error).toBeInstanceOf(CliUsageError);
  return (error as Error).message;
}

describe('rewardModules in a --config file', () => {
  it('loads a YAML list of modules relative to the file, after the defaults, and is not a config field', async () => {
    const file = config('list.yaml', 'learningRate: 2.0e-5\nrewardModules: [./rewards/digits.mjs]\n');
    expect(await rewardNames(file)).toEqual([...defaultRewards.map((r) => r.rewardName), 'hasDigits']);
    const { config: resolved } = await resolveConfig({ flags: {}, configFile: file });
    expect(resolved.learningRate).toBe(2e-5);
    expect(resolved).not.toHaveProperty('rewardModules');
  });

  it('takes TRL spellings and one path, and defaultRewards: false drops the defaults (JSON too)', async () => {
    expect(await rewardNames(config('snake.yaml', 'reward_modules: rewards/digits.mjs\ndefault_rewards: false\n'))).toEqual(['hasDigits']);
    expect(await rewardNames(config('file.json', JSON.stringify({ rewardModules: ['rewards/digits.mjs'], defaultRewards: false })))).toEqual(['hasDigits']);
  });

  it('puts the --reward-module flags after the file\'s modules; --no-default-rewards still drops the defaults', async () => {
    const file = config('with-flags.yaml', 'rewardModules: [./rewards/digits.mjs]\n');
    expect(await rewardNames(file, { modules: ['flag.mjs'], defaults: false })).toEqual(['hasDigits', 'short']);
  });

  it('names the file and the field when a module is missing, given twice, or cannot be loaded', async () => {
    const missing = config('missing.yaml', 'reward_modules:\n  - ./rewards/digits.mjs\n  - ./rewards/nope.mjs\n');
    expect(await trainError(missing)).toMatch(
      new RegExp(`^--config ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: reward_modules\\[1\\] \\(\\./rewards/nope\\.mjs\\): no such file \\(looked for ${join(dir, 'configs/rewards/nope.mjs').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`),
    );
    const twice = config('twice.yaml', 'rewardModules: [./rewards/digits.mjs, rewards/digits.mjs]\n');
    expect(await trainError(twice)).toMatch(/twice\.yaml: rewardModules\[1\] \(rewards\/digits\.mjs\): given twice \(also as --config .*twice\.yaml: rewardModules\[0\] \(\.\/rewards\/digits\.mjs\)\)/);
    writeFileSync(join(dir, 'configs/rewards/broken.mjs'), 'export default [;\n');
    expect(await trainError(config('broken.yaml', 'rewardModules: rewards/broken.mjs\n'))).toMatch(/broken\.yaml: rewardModules \(rewards\/broken\.mjs\): cannot load it: /);
  });

  it('names the file and the field for a value of the wrong type', async () => {
    expect(await trainError(config('number.yaml', 'rewardModules: 3\n'))).toMatch(/number\.yaml: rewardModules must be a module path or a list of them \(e\.g\. rewardModules: \[\.\/my-rewards\.mjs\]\), got 3\./);
    expect(await trainError(config('item.yaml', 'reward_modules: [./rewards/digits.mjs, {path: x}]\n'))).toMatch(/item\.yaml: reward_modules\[1\] must be the path of a \.js\/\.mjs\/\.cjs module .*got a mapping\./);
    expect(await trainError(config('flag.yaml', 'defaultRewards: "no"\n'))).toMatch(/flag\.yaml: defaultRewards must be true or false, got "no"\./);
    expect(await trainError(config('both.yaml', 'rewardModules: [a.mjs]\nreward_modules: [b.mjs]\n'))).toMatch(/both\.yaml: rewardModules and reward_modules are the same field/);
  });

  it('refuses defaultRewards: false with no module, saying how to add one', async () => {
    expect(await trainError(config('none.yaml', 'defaultRewards: false\n'))).toMatch(/no reward functions left: .*rewardModules/);
  });
});
