/**
 * Reward modules named in a `--config` file, next to the config fields: `rewardModules` (one path
 * or a list; TRL spelling `reward_modules`) and `defaultRewards` (`default_rewards`), the file's
 * form of `--reward-module` and `--no-default-rewards`. They are not job config fields (they are
 * code to load, not values train() validates), so they are taken out of the file's fields before
 * validation. A relative path is taken from the config file's folder, so a config and its reward
 * module can move together; errors name the file and the field as the file spelled it.
 */
import { dirname, resolve } from 'node:path';
import type { FileFields } from './config-file.js';
import { CliUsageError } from './errors.js';
import type { RewardModuleRef, RewardSources } from './reward-module.js';

/** The reward keys a config file may hold besides the config fields. */
export const REWARD_FILE_FIELDS = ['rewardModules', 'defaultRewards'] as const;

/** What a config file says about rewards. */
export interface FileRewards {
  modules: RewardModuleRef[];
  /** `defaultRewards` as the file gives it; undefined when absent. */
  defaults?: boolean;
}

/** Takes the reward keys out of a config file's fields (in place) and checks them. */
export function takeFileRewards(configFile: string, fields: FileFields): FileRewards {
  const { values, spelled } = fields;
  const rewards: FileRewards = { modules: [] };
  const baseDir = dirname(resolve(configFile));

  if ('rewardModules' in values) {
    const key = spelled.rewardModules ?? 'rewardModules';
    const raw = values.rewardModules;
    delete values.rewardModules;
    const paths = typeof raw === 'string' ? [raw] : raw;
    if (!Array.isArray(paths)) {
      throw new CliUsageError(`--config ${configFile}: ${key} must be a module path or a list of them (e.g. ${key}: [./my-rewards.mjs]), got ${shownValue(raw)}.`);
    }
    paths.forEach((path, i) => {
      const where = typeof raw === 'string' ? key : `${key}[${i}]`;
      if (typeof path !== 'string' || path.trim() === '') {
        throw new CliUsageError(`--config ${configFile}: ${where} must be the path of a .js/.mjs/.cjs module (relative to ${baseDir}), got ${shownValue(path)}.`);
      }
      rewards.modules.push({ path, baseDir, origin: `--config ${configFile}: ${where} (${path})` });
    });
  }

  if ('defaultRewards' in values) {
    const key = spelled.defaultRewards ?? 'defaultRewards';
    const raw = values.defaultRewards;
    delete values.defaultRewards;
    if (typeof raw !== 'boolean') throw new CliUsageError(`--config ${configFile}: ${key} must be true or false, got ${shownValue(raw)}.`);
    rewards.defaults = raw;
  }
  return rewards;
}

/**
 * The run's reward choices: the file's modules, then the command line's; the defaults stay on
 * unless `--no-default-rewards` or the file's `defaultRewards: false` turns them off.
 */
export function withFileRewards(flags: RewardSources | undefined, file: FileRewards): RewardSources {
  const fromFlags = flags ?? { modules: [], defaults: true };
  return { modules: [...file.modules, ...fromFlags.modules], defaults: fromFlags.defaults && file.defaults !== false };
}

function shownValue(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value === 'object' ? 'a mapping' : JSON.stringify(value);
}
