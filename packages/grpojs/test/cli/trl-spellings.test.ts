/**
 * TRL users bring TRL spellings: snake_case keys in `--config` files and `--learning_rate` style
 * flags resolve to the camelCase fields; `--no-<flag>` turns any boolean off.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrainConfigSchema } from '../../src/index.js';
import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../../src/cli/errors.js';
import { resolveConfig } from '../../src/cli/resolve-config.js';
import { schemaFields } from '../../src/cli/schema-fields.js';
import { printedConfig, runProgram, tempDir } from './helpers.js';

function file(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

async function usageMessage(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(CliUsageError);
  return (error as Error).message;
}

describe('snake_case config keys', () => {
  it('map to the camelCase fields, in YAML and JSON', async () => {
    const yaml = file('trl.yaml', 'learning_rate: 3.0e-5\nper_device_train_batch_size: 2\nlora_target_modules: [c_attn, c_proj]\nnum_generations: 4\n');
    expect(await printedConfig(['--config', yaml])).toMatchObject({ learningRate: 3e-5, perDeviceTrainBatchSize: 2, loraTargetModules: ['c_attn', 'c_proj'], numGenerations: 4 });
    const json = file('trl.json', JSON.stringify({ max_prompt_length: null, gradient_checkpointing: false, reportTo: ['console'] }));
    expect(await printedConfig(['-c', json])).toMatchObject({ maxPromptLength: null, gradientCheckpointing: false, reportTo: ['console'] });
  });

  it('a bad value is named with the key as written', async () => {
    const path = file('bad.yaml', 'learning_rate: -1\n');
    const message = await usageMessage(resolveConfig({ flags: {}, configFile: path }));
    expect(message).toContain(`${path}: learning_rate: `);
    expect(message).not.toMatch(/unknown field/);
  });

  it('both spellings of one field in a file is an error naming both', async () => {
    const path = file('both.yaml', 'learning_rate: 1.0e-5\nlearningRate: 2.0e-5\n');
    expect(await usageMessage(resolveConfig({ flags: {}, configFile: path }))).toMatch(/both\.yaml: learning_rate and learningRate are the same field/);
  });

  it('an unknown key is still an error with a suggestion', async () => {
    const path = file('typo.yaml', 'learning-rate: 1.0e-5\nlearnig_rate: 1\n');
    const message = await usageMessage(resolveConfig({ flags: {}, configFile: path }));
    expect(message).toMatch(/learning-rate: unknown field.*did you mean learningRate\?/);
    expect(message).toMatch(/learnig_rate: unknown field/);
  });

  it('every "(TRL: name)" in a field description is the derived snake_case name', () => {
    for (const field of schemaFields(TrainConfigSchema)) {
      const trl = /\(TRL: ([a-z0-9_]+)/.exec(field.description)?.[1];
      if (trl !== undefined && trl !== 'none') expect(trl, field.name).toBe(field.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    }
  });
});

describe('--snake_case flags', () => {
  it('are aliases of the kebab-case flags', async () => {
    expect(await printedConfig(['--learning_rate', '2e-5', '--per_device_train_batch_size', '2', '--lora_target_modules', 'c_attn,c_fc', '--double_quant', 'false']))
      .toMatchObject({ learningRate: 2e-5, perDeviceTrainBatchSize: 2, loraTargetModules: ['c_attn', 'c_fc'], doubleQuant: false });
  });

  it('parse and validate like the kebab-case flag', async () => {
    expect((await runProgram(['--print-config', '--num_generations', 'two'])).stderr).toMatch(/--num_generations <int>.*expected a number/);
  });

  it('cannot be given together with the kebab-case spelling', async () => {
    const { error, stderr } = await runProgram(['--print-config', '--learning_rate', '2e-5', '--learning-rate', '3e-5']);
    expect(error).toBeDefined();
    expect(stderr).toMatch(/--learning_rate.*cannot be used with.*--learning-rate/);
  });

  it('are hidden from the option listing and mentioned once in the footer', async () => {
    const { stdout } = await runProgram(['--help']);
    expect(stdout).not.toMatch(/^\s+--learning_rate/m);
    expect(stdout.match(/--learning_rate/g)).toHaveLength(1);
    expect(stdout.replace(/\s+/g, ' ')).toMatch(/snake_case/);
  });
});

describe('--no-<flag>', () => {
  it('sets a boolean field to false, for every boolean', async () => {
    expect(await printedConfig(['--no-gradient-checkpointing', '--no-double-quant'])).toMatchObject({ gradientCheckpointing: false, doubleQuant: false });
    expect(await printedConfig(['--no-accel', '--no-log-completions'])).toMatchObject({ accel: false, logCompletions: false });
    const booleans = schemaFields(TrainConfigSchema).filter((f) => f.kind === 'boolean');
    const config = await printedConfig(booleans.map((f) => `--no-${f.name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`));
    for (const field of booleans) expect(config[field.name], field.name).toBe(false);
  });

  it('does not change the default when not given, and works on eval too', async () => {
    expect(await printedConfig([])).toMatchObject({ gradientCheckpointing: true, doubleQuant: true, offline: false });
    const { stdout, error } = await runProgram(['eval', '--print-config', '--no-double-quant']);
    expect(error).toBeUndefined();
    expect(JSON.parse(stdout)).toMatchObject({ doubleQuant: false });
  });
});
