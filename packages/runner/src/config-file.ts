/**
 * Reads `--config file.(json|yaml|yml)`: parses it (YAML through the `yaml` package, which
 * reports line and column), and checks it is a mapping of field names. Field validation happens
 * later, together with presets and flags, so every bad field is reported in one message.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CliUsageError } from './errors.js';

/** Reads a JSON or YAML config file into a plain object of fields. */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  const ext = extname(file).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(ext)) {
    throw new CliUsageError(`--config ${file}: unsupported extension "${ext || '(none)'}"; use a .json, .yaml or .yml file.`);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliUsageError(`--config ${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the path.`);
  }
  let value: unknown;
  try {
    value = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new CliUsageError(`--config ${file}: not valid ${ext === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new CliUsageError(`--config ${file}: the top level must be a mapping of field names to values (e.g. learningRate: 1e-5), got ${Array.isArray(value) ? 'a list' : typeof value}.`);
  }
  return value as Record<string, unknown>;
}
