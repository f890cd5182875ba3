/** The `score` command's action: score the file and print text or JSON. */
import { formatScore, scoreFile } from './score.js';

/** Scores `file` with the default rewards and prints the summary. */
export async function runScore(file: string, json: boolean): Promise<void> {
  const summary = await scoreFile(file);
  process.stdout.write(json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatScore(summary)}\n`);
}
