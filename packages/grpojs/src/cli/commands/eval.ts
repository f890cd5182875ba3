/**
 * The `eval` command: evaluate a saved adapter and its base model (adapters disabled) on the
 * eval split with greedy decoding, as the training run's final evaluation does, and print both.
 */
import { evaluate, formatComparison } from '../../index.js';
import { withFileRewards } from '../config-rewards.js';
import { resolveConfig, type ConfigSources } from '../resolve-config.js';
import { describeRewards, resolveRewards, type RewardSources } from '../reward-module.js';

/** Resolves the config (same flags as train) and evaluates `adapter` (default: its outputDir). */
export async function runEval(sources: ConfigSources & { printConfig: boolean; rewards?: RewardSources }, adapter: string | undefined): Promise<void> {
  const { config, preset, fileRewards } = await resolveConfig(sources);
  if (sources.printConfig) {
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return;
  }
  const dir = adapter ?? config.outputDir;
  const rewards = await resolveRewards(withFileRewards(sources.rewards, fileRewards), preset?.rewardFunctions);
  process.stdout.write(`grpojs: ${describeRewards(rewards)}\n`);
  const report = await evaluate(config, { adapter: dir, rewardFunctions: rewards.map((r) => r.fn) });
  process.stdout.write(`${formatComparison(report.model, report.base, `Evaluation of ${dir} on ${config.evalSplit}`)}\n`);
}
