/** Reading a model folder's config.json, before any architecture looks at it. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelConfigError } from './errors.js';

/**
 * The parsed `<dir>/config.json` and its path (for the architecture parser's errors).
 * @throws ModelConfigError when the file is missing or not JSON.
 */
export async function readConfigJson(dir: string): Promise<{ file: string; json: unknown }> {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ModelConfigError(
      `${file}: cannot read the model config (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). A model folder needs config.json next to the weights.`,
      file,
    );
  }
  try {
    return { file, json: JSON.parse(text) };
  } catch (error) {
    throw new ModelConfigError(`${file}: not valid JSON (${(error as Error).message}).`, file);
  }
}
