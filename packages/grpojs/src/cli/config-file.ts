/**
 * Reads `--config file.(json|yaml|yml)`: parses it (YAML through the `yaml` package, which
 * reports line and column), checks it is a mapping of field names, and maps TRL's snake_case keys
 * (`learning_rate`) to the camelCase fields. Field validation happens later, together with presets
 * and flags, so every bad field is reported in one message.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CliUsageError } from './errors.js';
import { snakeCase } from './schema-fields.js';

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

/** A config file's fields by camelCase name, and how the file spelled each one (for messages). */
export interface FileFields {
  values: Record<string, unknown>;
  /** Field name → the key as written in the file (`learningRate` → `learning_rate`). */
  spelled: Record<string, string>;
}

/**
 * Renames each snake_case key of a known field (`learning_rate`, derived from the field names) to
 * the field; other keys are kept as written, so an unknown one still fails validation by name.
 * Both spellings of one field is an error naming both.
 */
export function fieldsOfFile(file: string, raw: Record<string, unknown>, fieldNames: readonly string[]): FileFields {
  const fieldOfSnake = new Map(fieldNames.map((name) => [snakeCase(name), name]));
  const values: Record<string, unknown> = {};
  const spelled: Record<string, string> = {};
  const twice: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const field = fieldOfSnake.get(key) ?? key;
    if (field in values) twice.push(`${spelled[field]} and ${key} are the same field (${field})`);
    values[field] = value;
    spelled[field] = key;
  }
  if (twice.length > 0) throw new CliUsageError(`--config ${file}: ${twice.join('; ')}; keep one spelling.`);
  return { values, spelled };
}
