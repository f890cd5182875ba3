/** The `score` command's action: score the file and print text or JSON. */
import { defaultRewards } from 'grpojs';
import { formatScore, scoreFile, type ScoreOptions } from './score.js';

/** Scores `file` with the default rewards (answers joined from `options.data` when given) and prints the summary. */
export async function runScore(file: string, json: boolean, options: ScoreOptions = {}): Promise<void> {
  const summary = await scoreFile(file, defaultRewards, options);
  process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatScore(summary)}\n`);
}
