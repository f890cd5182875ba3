/** The `score` command's action: score the file and print text or JSON. */
import { resolveRewards, type RewardSources } from '../reward-module.js';
import { formatScore, scoreFile, type ScoreOptions } from './score.js';

/**
 * Scores `file` with the default rewards and the `--reward-module` ones (answers joined from
 * `options.data` when given) and prints the summary, which names every reward.
 */
export async function runScore(file: string, json: boolean, options: ScoreOptions = {}, rewards: RewardSources = { modules: [], defaults: true }): Promise<void> {
  const functions = (await resolveRewards(rewards, undefined)).map((r) => r.fn);
  const summary = await scoreFile(file, functions, options);
  process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatScore(summary)}\n`);
}
