/**
 * `grpojs/cli`: the command line as a library — `runCli(argv)` runs it as the `grpojs` bin does
 * (dist/cli/main.js), and the program and the pieces it is built from are here for embedding the
 * command line in another tool or testing it in-process.
 */
export { runCli } from './run-cli.js';
export { createProgram } from './program.js';
export { CliUsageError } from './errors.js';
export { readConfigFile } from './config-file.js';
export { resolveConfig, type ConfigSources, type FieldOrigin, type ResolvedConfig } from './resolve-config.js';
export { configFlagGroups, configOptions, flagName, parseFlagValue } from './flags.js';
export { kebabCase, schemaFields, type FieldInfo, type FieldKind } from './schema-fields.js';
export { getPreset, PRESET_NAMES, type Preset } from './presets/index.js';
export { SMOKE_DATA_DIR, SMOKE_MODEL_DIR } from './presets/smoke.js';
export { formatScore, scoreFile, type ScoreOptions, type ScoreSummary } from './commands/score.js';
