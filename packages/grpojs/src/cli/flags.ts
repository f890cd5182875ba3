/**
 * Generates one commander Option per config field from the zod schemas: `learningRate` becomes
 * `--learning-rate <number>`, with its parser, its choices and its default in the help text.
 * Flags carry no commander default, so "not given" stays undefined and cannot override a preset
 * or a config file; the defaults shown in `--help` are the schemas' own. Each field also gets
 * hidden aliases: TRL's `--learning_rate` spelling, and `--no-<flag>` for a boolean.
 */
import { InvalidArgumentError, Option } from 'commander';
import { DataOptionsSchema, JobOptionsSchema, ModelOptionsSchema, OutputOptionsSchema, TrainConfigSchema } from '../index.js';
import type { z } from 'zod';
import { kebabCase, schemaFields, snakeCase, type FieldInfo } from './schema-fields.js';

/** A help section and the schema whose fields it lists. */
interface FlagGroup {
  heading: string;
  fields: FieldInfo[];
}

/** The job config fields, grouped as `--help` shows them: the job options' schema sections, then the trainer's. */
export function configFlagGroups(): FlagGroup[] {
  const all = schemaFields(TrainConfigSchema as unknown as z.ZodObject);
  const inSection = (section: z.ZodObject) => all.filter((f) => f.name in section.shape);
  return [
    { heading: 'Model options:', fields: inSection(ModelOptionsSchema) },
    { heading: 'Data options:', fields: inSection(DataOptionsSchema) },
    { heading: 'Output and tracking options:', fields: inSection(OutputOptionsSchema) },
    { heading: 'GRPO trainer options (TRL GRPOConfig names, camelCased):', fields: all.filter((f) => !(f.name in JobOptionsSchema.shape)) },
  ];
}

/** `--learning-rate` for `learningRate`. */
export function flagName(field: string): string {
  return `--${kebabCase(field)}`;
}

/** How a default is shown in help: JSON, shortened when long (e.g. the system prompt). */
export function formatDefault(value: unknown): string {
  if (value === undefined) return '';
  const text = Array.isArray(value) ? value.join(',') : typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

/**
 * Stands for `null` between the parser and {@link flagValues}: commander turns a parser's null
 * result into '' (its "no value" convention), so null cannot travel through it as is.
 */
const NULL_VALUE = Symbol('null');

/** Parses one command-line word into the field's type (the schema then checks ranges). */
export function parseFlagValue(field: FieldInfo, raw: string): unknown {
  if (field.nullable && raw === 'null') return NULL_VALUE;
  if (field.array) return raw === '' ? [] : raw.split(',').map((item) => parseScalar(field, item.trim()));
  return parseScalar(field, raw);
}

function parseScalar(field: FieldInfo, raw: string): unknown {
  switch (field.kind) {
    case 'number':
    case 'integer': {
      const value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value)) throw new InvalidArgumentError(`expected a number${field.nullable ? ' or null' : ''}, got "${raw}".`);
      if (field.kind === 'integer' && !Number.isInteger(value)) throw new InvalidArgumentError(`expected an integer, got "${raw}".`);
      return value;
    }
    case 'boolean': {
      const value = { true: true, false: false, yes: true, no: false, '1': true, '0': false }[raw.toLowerCase()];
      if (value === undefined) throw new InvalidArgumentError(`expected true or false, got "${raw}".`);
      return value;
    }
    case 'enum':
      if (!field.choices?.includes(raw)) {
        throw new InvalidArgumentError(`expected one of ${field.choices?.join(', ')}${field.nullable ? ', null' : ''}; got "${raw}".`);
      }
      return raw;
    default:
      return raw;
  }
}

/** The value placeholder shown in help, e.g. `<number>`, `<nf4|int8|none>`, `[true|false]`. */
function placeholder(field: FieldInfo): string {
  if (field.kind === 'boolean') return '[true|false]';
  const base = field.kind === 'enum' ? (field.choices ?? []).join('|') : field.kind === 'integer' ? 'int' : field.kind;
  return field.array ? `<${base},...>` : `<${base}>`;
}

/** The commander Option of one field, in the given help group. */
export function fieldOption(field: FieldInfo, heading: string): Option {
  const shownDefault = field.name === 'outputDir' ? 'outputs/<model name>-GRPO' : formatDefault(field.defaultValue);
  const description = `${field.description}${shownDefault !== '' ? ` (default: ${shownDefault})` : ''}`;
  const option = new Option(`${flagName(field.name)} ${placeholder(field)}`, description)
    .argParser((raw: string) => parseFlagValue(field, raw))
    .helpGroup(heading);
  // A boolean flag given without a value (`--offline`) is true: commander sets optional-value
  // options to true itself and skips the parser then.
  return option;
}

/**
 * The hidden spellings of a field, after its own flag: `--learning_rate` (TRL's name; commander
 * stores it under `learning_rate`, which {@link flagValues} maps back, and refuses it together with
 * `--learning-rate`), and `--no-offline` for a boolean (commander sets `offline` to false).
 */
export function aliasOptions(field: FieldInfo, heading: string): Option[] {
  const aliases: Option[] = [];
  if (snakeCase(field.name) !== kebabCase(field.name)) {
    aliases.push(
      new Option(`--${snakeCase(field.name)} ${placeholder(field)}`, `alias of ${flagName(field.name)}`)
        .argParser((raw: string) => parseFlagValue(field, raw))
        .conflicts(field.name)
        .helpGroup(heading)
        .hideHelp(),
    );
  }
  if (field.kind === 'boolean') aliases.push(new Option(`--no-${kebabCase(field.name)}`, `${field.name} false`).helpGroup(heading).hideHelp());
  return aliases;
}

/** Every config field as an Option (and its hidden aliases), grouped by help section. */
export function configOptions(): Option[] {
  return configFlagGroups().flatMap((group) => group.fields.flatMap((field) => [fieldOption(field, group.heading), ...aliasOptions(field, group.heading)]));
}

/** What `--help` says once, under the options, about the spellings it does not list. */
export const ALIAS_HELP =
  'TRL spellings: every flag also takes its snake_case name (--learning_rate for --learning-rate), and --config files take\n' +
  'snake_case keys (learning_rate: 1.0e-5). Every boolean flag has a --no-<flag> form (--no-gradient-checkpointing).';

/**
 * The config fields given on the command line, from commander's parsed options (aliases mapped back,
 * null restored); `names` are the fields that have flags (default: the train job's).
 */
export function flagValues(opts: Record<string, unknown>, names: readonly string[] = configFieldNames()): Record<string, unknown> {
  const fieldOf = new Map(names.flatMap((name) => [[name, name], [snakeCase(name), name]] as const));
  return Object.fromEntries(
    Object.entries(opts)
      .filter(([key, value]) => fieldOf.has(key) && value !== undefined)
      .map(([key, value]) => [fieldOf.get(key), value === NULL_VALUE ? null : value]),
  );
}

/** Names of all config fields that have a flag. */
export function configFieldNames(): string[] {
  return configFlagGroups().flatMap((group) => group.fields.map((field) => field.name));
}
