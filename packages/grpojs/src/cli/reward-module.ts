/**
 * Reward functions from the command line, as TRL's `reward_funcs` takes callables: each
 * `--reward-module <path>` names a JS module (.js/.mjs/.cjs, relative to the cwd) whose reward
 * functions are added after the defaults (the seven, or the preset's list), or replace them with
 * `--no-default-rewards`; a `--config` file may name modules too (config-rewards.ts), which come
 * before the flags'. A module gives its functions as
 *   - a default export that is an array of functions (`export default [a, b]`, `module.exports = [a, b]`),
 *   - a default export that is one function, or an object of functions (`module.exports = { a, b }`),
 *   - or, without a default export, named function exports (`export function a() {}`).
 * Each is named by its `rewardName`, else its export name; `--reward-weights` follows this order.
 */
import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import { defaultRewards, type RewardFunction } from '../index.js';
import { CliUsageError } from './errors.js';

/** A reward module named somewhere other than a `--reward-module` flag (a config file's entry). */
export interface RewardModuleRef {
  /** The path as written. */
  path: string;
  /** The folder a relative `path` is taken from (a config file's own folder). */
  baseDir: string;
  /** How messages name the entry, e.g. `train.yaml: rewardModules[0] (./r.mjs)`. */
  origin: string;
}

/** The reward choices of a run. */
export interface RewardSources {
  /** Modules in load order: a string is a `--reward-module` path (relative to the cwd). */
  modules: (string | RewardModuleRef)[];
  /** false with `--no-default-rewards` (or `defaultRewards: false` in a config file). */
  defaults: boolean;
}

/** A resolved reward function and where it came from, for the log line and errors. */
export interface LoadedReward {
  name: string;
  /** 'defaults', or the module path as given followed by the export (`./r.js#default[1]`). */
  source: string;
  /** How errors name the module: 'defaults', `--reward-module ./r.js`, or a config file's entry. */
  origin: string;
  fn: RewardFunction;
}

const REWARD_HELP_GROUP = 'Reward options:';

/** Adds `--reward-module <path>` (repeatable) and `--no-default-rewards` to a command, under "Reward options:". */
export function withRewardOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--reward-module <path>',
        'JS module (.js/.mjs/.cjs, relative to the cwd) exporting reward functions, added after the default rewards; repeatable; --reward-weights follows this order (docs/cli.md)',
      )
        .argParser((path: string, previous: string[] | undefined) => [...(previous ?? []), path])
        .helpGroup(REWARD_HELP_GROUP),
    )
    .addOption(new Option('--no-default-rewards', 'score only with the --reward-module functions (drops the seven defaults, or the preset\'s list)').helpGroup(REWARD_HELP_GROUP));
}

/** The reward options from commander's parsed options. */
export function rewardSourcesOf(opts: Record<string, unknown>): RewardSources {
  return { modules: Array.isArray(opts.rewardModule) ? (opts.rewardModule as string[]) : [], defaults: opts.defaultRewards !== false };
}

/** A `--reward-module` path as a module reference (relative to `cwd`). */
function flagModule(path: string, cwd: string): RewardModuleRef {
  return { path, baseDir: cwd, origin: `--reward-module ${path}` };
}

/** The reward functions of one module, named; errors name the path (or config entry) and the export. */
export async function loadRewardModule(module: string | RewardModuleRef, cwd: string = process.cwd()): Promise<LoadedReward[]> {
  const { path, baseDir, origin } = typeof module === 'string' ? flagModule(module, cwd) : module;
  const file = resolve(baseDir, path);
  if (!existsSync(file)) throw new CliUsageError(`${origin}: no such file (looked for ${file}).`);
  let namespace: Record<string, unknown>;
  try {
    // import() loads ESM and CommonJS alike (a CJS module's module.exports is its default export).
    namespace = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliUsageError(`${origin}: cannot load it: ${(error as Error).message}`);
  }
  const fallback = basename(file, extname(file));
  const exports: [string, unknown][] = [];
  const main = namespace.default;
  if (Array.isArray(main)) main.forEach((value, i) => exports.push([`default[${i}]`, value]));
  else if (typeof main === 'function') exports.push(['default', main]);
  else if (main !== null && typeof main === 'object') exports.push(...Object.entries(main).filter(([key]) => key !== '__esModule'));
  else if (main !== undefined) exports.push(['default', main]);
  else exports.push(...Object.entries(namespace).filter(([key]) => key !== '__esModule'));
  if (exports.length === 0) {
    throw new CliUsageError(`${origin}: exports no reward functions; export a default array of functions, a default function, or named functions.`);
  }
  return exports.map(([key, value]) => {
    const where = `${path}#${key}`;
    if (typeof value !== 'function') {
      throw new CliUsageError(
        `${origin}: export "${key}" is ${value === null ? 'null' : typeof value}, not a function; a reward is (completions: string[], ctx) => number[] (export only reward functions).`,
      );
    }
    const fn = value as RewardFunction;
    if (fn.rewardName !== undefined && (typeof fn.rewardName !== 'string' || fn.rewardName === '')) {
      throw new CliUsageError(`${origin}: export "${key}" has rewardName ${JSON.stringify(fn.rewardName)}; give a non-empty string.`);
    }
    // A default export's own function name says more than "default"; the file name is the last resort.
    const exportName = key === 'default' || key.startsWith('default[') ? fn.name || (key === 'default' ? fallback : `${fallback}_${key.slice(8, -1)}`) : key;
    const name = fn.rewardName ?? exportName;
    // A named wrapper, so the metric name is this one and the module's own function is left unchanged.
    const named: RewardFunction = Object.assign((completions: string[], ctx: Parameters<RewardFunction>[1]) => fn(completions, ctx), { rewardName: name });
    return { name, source: where, origin, fn: named };
  });
}

/**
 * The reward list of a run: the defaults (`base`: the preset's list, else the seven defaults)
 * unless turned off, then each module's functions in order. Names must be unique, since the
 * metrics (`rewards/<name>/mean`) and `--reward-weights` go by them.
 */
export async function resolveRewards(sources: RewardSources, base: readonly RewardFunction[] | undefined, cwd?: string): Promise<LoadedReward[]> {
  const list: LoadedReward[] = sources.defaults ? (base ?? defaultRewards).map((fn) => ({ name: fn.rewardName ?? fn.name, source: 'defaults', origin: 'defaults', fn })) : [];
  const files = new Map<string, string>();
  for (const entry of sources.modules) {
    const module = typeof entry === 'string' ? flagModule(entry, cwd ?? process.cwd()) : entry;
    const file = resolve(module.baseDir, module.path);
    const other = files.get(file);
    if (other !== undefined) throw new CliUsageError(`${module.origin}: given twice (also as ${other}); name each module once.`);
    files.set(file, typeof entry === 'string' ? entry : module.origin);
    list.push(...(await loadRewardModule(module)));
  }
  if (list.length === 0) {
    throw new CliUsageError('no reward functions left: the default rewards are off (--no-default-rewards, or defaultRewards: false in the --config file) and no module adds any; name at least one with --reward-module or the config file\'s rewardModules.');
  }
  const seen = new Map<string, string>();
  for (const reward of list) {
    const other = seen.get(reward.name);
    if (other !== undefined) {
      throw new CliUsageError(
        `${reward.origin}: export "${reward.source.split('#')[1]}" is named "${reward.name}", as is ${other === 'defaults' ? 'a default reward' : other}; give it another rewardName.`,
      );
    }
    seen.set(reward.name, reward.source);
  }
  return list;
}

/** The one log line of the resolved rewards, in order (the order `--reward-weights` follows). */
export function describeRewards(list: readonly LoadedReward[]): string {
  return `rewards (in --reward-weights order): ${list.map((r) => (r.source === 'defaults' ? r.name : `${r.name} (${r.source})`)).join(', ')}`;
}
