/**
 * Builds the job config from its layers — schema defaults < preset < `--config` file < flags —
 * and validates the result once, so every bad field is reported together, each named the way the
 * user wrote it: `--learning-rate` for a flag, `train.yaml: learningRate` for a file field.
 */
import { parseTrainConfig, TrainConfigError, type TrainConfig, type TrainConfigInput } from '../index.js';
import { fieldsOfFile, readConfigFile } from './config-file.js';
import { REWARD_FILE_FIELDS, takeFileRewards, type FileRewards } from './config-rewards.js';
import { CliUsageError } from './errors.js';
import { configFieldNames, flagName } from './flags.js';
import { getPreset, PRESET_NAMES, type Preset } from './presets/index.js';

/** Where the config comes from. */
export interface ConfigSources {
  /** Parsed flag values by field name (undefined = not given). */
  flags: Record<string, unknown>;
  /** `--config` file path. */
  configFile?: string;
  /** `--preset` name. */
  preset?: string;
}

/** Which layer set each field. */
export type FieldOrigin = 'preset' | 'file' | 'flag';

/** A validated job config and how it was assembled. */
export interface ResolvedConfig {
  config: TrainConfig;
  preset: Preset | null;
  /** Fields set explicitly by a layer; the rest are schema defaults. */
  origins: Record<string, FieldOrigin>;
  /** The reward modules (and defaultRewards) the `--config` file names. */
  fileRewards: FileRewards;
}

/** `learning_rate` → `learningRate`, to suggest the right spelling of a TRL-style key. */
function camelCase(name: string): string {
  return name.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Merges the layers and validates; throws CliUsageError naming each bad flag or file field. */
export async function resolveConfig(sources: ConfigSources): Promise<ResolvedConfig> {
  const preset = sources.preset === undefined ? null : getPreset(sources.preset);
  if (sources.preset !== undefined && preset === null) {
    throw new CliUsageError(`--preset ${sources.preset}: unknown preset; available: ${PRESET_NAMES.join(', ')}.`);
  }
  const known = new Set(configFieldNames());
  const file = sources.configFile === undefined ? { values: {}, spelled: {} } : fieldsOfFile(sources.configFile, await readConfigFile(sources.configFile), [...known, ...REWARD_FILE_FIELDS]);
  const fileRewards = sources.configFile === undefined ? { modules: [] } : takeFileRewards(sources.configFile, file);
  const fileValues = file.values;
  const flagValues = Object.fromEntries(Object.entries(sources.flags).filter(([k, v]) => known.has(k) && v !== undefined));
  const origins: Record<string, FieldOrigin> = {};
  const merged: Record<string, unknown> = {};
  for (const [layer, values] of [['preset', preset?.config ?? {}], ['file', fileValues], ['flag', flagValues]] as const) {
    for (const [key, value] of Object.entries(values)) {
      merged[key] = value;
      origins[key] = layer;
    }
  }
  try {
    return { config: parseTrainConfig(merged as TrainConfigInput, 'configuration'), preset, origins, fileRewards };
  } catch (error) {
    if (!(error instanceof TrainConfigError)) throw error;
    const lines = error.issues.map((issue) => {
      const top = issue.field.split('.')[0];
      const where =
        origins[top] === 'flag' ? `${flagName(top)} (${issue.field})`
        : origins[top] === 'file' ? `${sources.configFile}: ${[file.spelled[top] ?? top, ...issue.field.split('.').slice(1)].join('.')}`
        : origins[top] === 'preset' ? `preset ${sources.preset}: ${issue.field}`
        : issue.field;
      const hint = !known.has(top) && known.has(camelCase(top)) ? ` — did you mean ${camelCase(top)}?` : '';
      return `  ${where}: ${issue.message}${hint}`;
    });
    throw new CliUsageError(`Invalid configuration:\n${lines.join('\n')}\nRun grpojs --help for every option, its type and default.`);
  }
}
