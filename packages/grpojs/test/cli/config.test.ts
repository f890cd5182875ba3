import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrainConfigSchema } from '../../src/index.js';
import { describe, expect, it } from 'vitest';
import { CliUsageError } from '../../src/cli/errors.js';
import { resolveConfig } from '../../src/cli/resolve-config.js';
import { SMOKE_DATA_DIR, SMOKE_MODEL_DIR } from '../../src/cli/presets/smoke.js';
import { printedConfig, runProgram, tempDir } from './helpers.js';

/** Writes `text` to a new file in a temp folder and returns its path. */
function file(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

/** The message of the error `promise` rejects with. */
async function errorOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe('defaults: the reference job', () => {
  it('no flags resolve to the reference hyperparameters', async () => {
    const config = await printedConfig([]);
    expect(config).toMatchObject({
      model: 'distilgpt2', quantization: 'nf4', doubleQuant: true, loraR: 16, loraAlpha: 64, loraDropout: 0.05,
      promptFormat: 'auto', gradientCheckpointing: true, data: 'openai/gsm8k', trainSplit: 'train', evalSplit: 'test',
      outputDir: 'outputs/distilgpt2-GRPO', reportTo: ['console', 'local', 'wandb'], wandbProject: null,
      learningRate: 1e-5, perDeviceTrainBatchSize: 1, gradientAccumulationSteps: 4, numGenerations: 2,
      maxPromptLength: 128, maxCompletionLength: 128, numTrainEpochs: 1, loggingSteps: 10, saveSteps: 50, evalSteps: 20,
    });
    // Left to the architecture (c_attn for GPT-2): the model resolves it, train() records it.
    expect(config).not.toHaveProperty('loraTargetModules');
  });

  it('`train` is the default command: `grpojs train` resolves the same config', async () => {
    const explicit = await runProgram(['train', '--print-config']);
    expect(explicit.error).toBeUndefined();
    expect(JSON.parse(explicit.stdout)).toEqual(await printedConfig([]));
  });

  it('every schema field with a default is in the printed config', async () => {
    const config = await printedConfig([]);
    const defaulted = Object.keys(TrainConfigSchema.shape).filter((name) => name !== 'loraTargetModules');
    expect(Object.keys(config).sort()).toEqual(defaulted.sort());
  });
});

describe('flags', () => {
  it('parse numbers, booleans, null, enums and lists into the schema types', async () => {
    const config = await printedConfig([
      '--learning-rate', '2e-5', '--max-prompt-length', 'null', '--gradient-checkpointing', 'false',
      '--mask-truncated-completions', '--report-to', 'console,local', '--lora-target-modules', 'c_attn,c_proj',
      '--quantization', 'int8', '--top-k', '50', '--reward-weights', '1,0.5,1,1,1,1,1', '--model', 'models/tiny',
    ]);
    expect(config).toMatchObject({
      learningRate: 2e-5, maxPromptLength: null, gradientCheckpointing: false, maskTruncatedCompletions: true,
      reportTo: ['console', 'local'], loraTargetModules: ['c_attn', 'c_proj'], quantization: 'int8', topK: 50,
      rewardWeights: [1, 0.5, 1, 1, 1, 1, 1], model: 'models/tiny',
    });
  });

  it('outputDir follows the model name unless set', async () => {
    expect((await printedConfig(['--model', 'openai-community/gpt2'])).outputDir).toBe('outputs/gpt2-GRPO');
    expect((await printedConfig(['--model', 'gpt2', '--output-dir', 'out/x'])).outputDir).toBe('out/x');
  });

  it('a value out of range names the flag and the field', async () => {
    const { error } = await runProgram(['--print-config', '--learning-rate', '-1']);
    expect(error).toBeInstanceOf(CliUsageError);
    expect((error as Error).message).toMatch(/--learning-rate \(learningRate\): .*0/);
  });

  it('a value of the wrong type is rejected by the flag parser, naming the flag', async () => {
    const result = await runProgram(['--print-config', '--num-generations', 'two']);
    expect(result.error).toBeDefined();
    expect(result.stderr).toMatch(/--num-generations <int>.*two.*expected a number/);
  });

  it('an enum flag lists its choices', async () => {
    const result = await runProgram(['--print-config', '--loss-type', 'ppo']);
    expect(result.stderr).toMatch(/--loss-type.*expected one of grpo, bnpo, dr_grpo, dapo/);
  });

  it('--prompt-format takes auto, seed or chat-template', async () => {
    for (const format of ['auto', 'seed', 'chat-template']) expect((await printedConfig(['--prompt-format', format])).promptFormat).toBe(format);
    const result = await runProgram(['--print-config', '--prompt-format', 'chatml']);
    expect(result.stderr).toMatch(/--prompt-format.*expected one of auto, seed, chat-template/);
  });

  it('cross-field rules of the trainer are checked too (epsilonHigh < epsilon)', async () => {
    const error = await errorOf(resolveConfig({ flags: { epsilon: 0.3, epsilonHigh: 0.2 } }));
    expect(error.message).toMatch(/epsilonHigh \(0\.2\) must be >= epsilon \(0\.3\)/);
  });
});

describe('--config files', () => {
  it('reads JSON', async () => {
    const path = file('run.json', JSON.stringify({ learningRate: 3e-5, numGenerations: 4, reportTo: ['console'] }));
    expect(await printedConfig(['--config', path])).toMatchObject({ learningRate: 3e-5, numGenerations: 4, reportTo: ['console'] });
  });

  it('reads YAML, and flags override the file', async () => {
    const path = file('run.yaml', 'learningRate: 3.0e-5\nnumGenerations: 4\nloraTargetModules:\n  - c_attn\n  - c_fc\nmaxPromptLength: null\n');
    const config = await printedConfig(['-c', path, '--num-generations', '8']);
    expect(config).toMatchObject({ learningRate: 3e-5, numGenerations: 8, loraTargetModules: ['c_attn', 'c_fc'], maxPromptLength: null });
  });

  it('names the file and field of a bad value, and every bad field at once', async () => {
    const path = file('bad.yaml', 'numGenerations: 1\nquantization: nf8\n');
    const error = await errorOf(resolveConfig({ flags: {}, configFile: path }));
    expect(error).toBeInstanceOf(CliUsageError);
    expect(error.message).toContain(`${path}: numGenerations:`);
    expect(error.message).toMatch(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: quantization: .*nf4`));
  });

  it('an unknown key is an error that suggests the camelCase name', async () => {
    // snake_case (TRL's learning_rate) is accepted: test/trl-spellings.test.ts.
    const path = file('kebab.yaml', 'learning-rate: 1e-5\n');
    const error = await errorOf(resolveConfig({ flags: {}, configFile: path }));
    expect(error.message).toMatch(/learning-rate: unknown field.*did you mean learningRate\?/);
  });

  it('rejects a file whose top level is not a mapping, bad syntax, a wrong extension, and a missing file', async () => {
    expect((await errorOf(resolveConfig({ flags: {}, configFile: file('list.yaml', '- 1\n- 2\n') }))).message).toMatch(/top level must be a mapping.*got a list/);
    expect((await errorOf(resolveConfig({ flags: {}, configFile: file('broken.json', '{"learningRate": ') }))).message).toMatch(/broken\.json: not valid JSON/);
    expect((await errorOf(resolveConfig({ flags: {}, configFile: file('broken.yaml', 'a: [1, 2\n') }))).message).toMatch(/broken\.yaml: not valid YAML/);
    expect((await errorOf(resolveConfig({ flags: {}, configFile: file('run.toml', 'a = 1') }))).message).toMatch(/unsupported extension "\.toml"/);
    expect((await errorOf(resolveConfig({ flags: {}, configFile: '/nonexistent/run.yaml' }))).message).toMatch(/cannot read the file \(ENOENT\)/);
  });
});

describe('--preset', () => {
  it('smoke fills the offline config; flags still win', async () => {
    const config = await printedConfig(['--preset', 'smoke', '--max-steps', '1']);
    expect(config).toMatchObject({ model: SMOKE_MODEL_DIR, data: SMOKE_DATA_DIR, reportTo: ['console', 'local'], maxSteps: 1, outputDir: 'outputs/smoke-GRPO' });
  });

  it('an unknown preset lists the available ones', async () => {
    const error = await errorOf(resolveConfig({ flags: {}, preset: 'huge' }));
    expect(error.message).toMatch(/--preset huge: unknown preset; available: smoke/);
  });
});
