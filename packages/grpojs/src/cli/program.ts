/**
 * The `grpojs` command line (commander). `train` is the default command, so `grpojs` alone runs
 * the reference job; every config field is a flag generated from the schemas (see flags.ts), and
 * `--config file.(json|yaml)` and `--preset` supply layers under the flags (resolve-config.ts).
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { PROMPT_FORMATS } from '../index.js';
import { ALIAS_HELP, configOptions, flagValues } from './flags.js';
import { PRESET_NAMES, getPreset } from './presets/index.js';
import type { ConfigSources } from './resolve-config.js';
import { rewardSourcesOf, withRewardOptions } from './reward-module.js';
import { runEval } from './commands/eval.js';
import { runGenerate, type GenerateFlags } from './commands/generate.js';
import { runScore } from './commands/score-command.js';
import { runServe, type ServeFlags } from './commands/serve.js';
import { addSftCommand } from './commands/sft.js';
import { runTrain } from './commands/train.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** The config layers named on a command: its flags, `--config` and `--preset`. */
function sourcesOf(command: Command): ConfigSources & { printConfig: boolean } {
  const opts = command.opts<Record<string, unknown>>();
  return {
    flags: flagValues(opts),
    ...(typeof opts.config === 'string' ? { configFile: opts.config } : {}),
    ...(typeof opts.preset === 'string' ? { preset: opts.preset } : {}),
    printConfig: opts.printConfig === true,
  };
}

/** Adds `--config`, `--preset`, `--print-config` and one flag per config field. */
function withConfigOptions(command: Command): Command {
  const presets = PRESET_NAMES.map((name) => `${name}: ${getPreset(name)?.description}`).join('; ');
  command
    .option('-c, --config <file>', 'read fields from a .json/.yaml/.yml file (flags override it); its rewardModules and defaultRewards name reward modules (paths relative to the file)')
    .option('--preset <name>', `start from a named config (${presets})`)
    .option('--print-config', 'print the resolved config as JSON and exit (nothing is loaded)');
  for (const option of configOptions()) command.addOption(option);
  command.addHelpText('after', `\n${ALIAS_HELP}`);
  return command;
}

/** Builds the program; `grpojs` with no command runs `train`. */
export function createProgram(): Command {
  const program = new Command('grpojs')
    .description('GRPO fine-tuning of GPT-2 models on GSM8K-style math problems (TRL + PEFT + bitsandbytes, in TypeScript).')
    .version(VERSION)
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for every option)');

  const train = withConfigOptions(
    withRewardOptions(program
      .command('train', { isDefault: true })
      .description('fine-tune with GRPO, then evaluate the result against the base model (the default command)')
      .option(
        '--resume <checkpoint>',
        'continue the run in outputDir from "latest", a checkpoint-<step> in it, or a checkpoint folder; config, data and model must be the run\'s (docs/reliability.md lists what may change)',
      )),
  ).action((opts: { resume?: string }, command: Command) =>
    runTrain({ ...sourcesOf(command), rewards: rewardSourcesOf(command.opts()), ...(opts.resume !== undefined ? { resume: opts.resume } : {}) }),
  );
  // `grpojs --help` shows the default command's options too: they are what most runs change.
  program.addHelpText('after', () => `\n${train.helpInformation()}\n${ALIAS_HELP}`);
  // With a default command, commander hands a mistyped command (`grpojs trian`) to `train`, which
  // fails with "too many arguments". A first word that is not an option is never a train argument
  // (train takes none), so it is reported as an unknown command with commander's own "did you mean".
  program.hook('preSubcommand', (thisCommand, subcommand) => {
    const first = thisCommand.args[0];
    if (subcommand.name() === 'train' && first !== undefined && first !== 'train' && !first.startsWith('-')) {
      // unknownCommand is commander's (untyped) method behind its own unknown-command error; a test covers it across upgrades.
      (thisCommand as unknown as { unknownCommand(): never }).unknownCommand();
    }
  });

  withConfigOptions(
    withRewardOptions(program
      .command('eval')
      .description('evaluate a saved adapter (default: outputDir) and its base model on the eval split')
      .option('--adapter <dir>', 'folder with adapter_config.json + adapter_model.safetensors (default: the config\'s outputDir)')),
  ).action((opts: { adapter?: string }, command: Command) => runEval({ ...sourcesOf(command), rewards: rewardSourcesOf(command.opts()) }, opts.adapter));

  program
    .command('generate')
    .description('load a saved output folder and answer a prompt (like the reference inference snippet)')
    .argument('[dir]', 'saved output folder (adapter) or full model folder', 'outputs/distilgpt2-GRPO')
    .requiredOption('-p, --prompt <text>', 'the question (wrapped in the system prompt and prompt format unless --raw)')
    .option('--raw', 'send the prompt text as is')
    .addOption(
      new Option('--prompt-format <format>', 'how the question is rendered (default: as training recorded in the folder\'s report.json, else auto)').choices(PROMPT_FORMATS),
    )
    .option('--base-model <idOrDir>', 'base model of the adapter (default: base_model_name_or_path in adapter_config.json)')
    .option('--compare-base', 'also answer with the adapters disabled (the base model)')
    .addOption(new Option('--max-new-tokens <int>', 'tokens to generate').default(128).argParser(positiveInt('--max-new-tokens')))
    .option('--sample', 'sample instead of greedy decoding')
    .addOption(new Option('--temperature <number>', 'sampling temperature (with --sample)').default(0.9).argParser(positiveNumber('--temperature')))
    .addOption(new Option('--top-p <number>', 'nucleus sampling mass (with --sample)').default(1).argParser(positiveNumber('--top-p')))
    .addOption(new Option('--top-k <int>', 'keep the k most likely tokens; 0 = off (with --sample)').default(0).argParser(positiveInt('--top-k', true)))
    .addOption(new Option('--seed <int>', 'sampling seed').default(42).argParser(positiveInt('--seed', true)))
    .addOption(new Option('--quantization <kind>', 'storage of the frozen base (training used nf4 by default)').choices(['nf4', 'int8', 'none']).default('none'))
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm or cpu (default: the fastest installed)')
    .action((dir: string, opts: GenerateFlags) => runGenerate(dir, opts));

  withRewardOptions(program
    .command('score')
    .description(
      'run the reward suite over a JSONL of completions ({"completion", "answer"} per line, or the trainer\'s own completions.jsonl) and print per-function averages',
    )
    .argument('<file>', 'JSONL file')
    .option('--data <source>', 'GSM8K data (file, folder or hub id) whose questions the prompts hold: gives rows without an "answer" their gold answer (without it, rewards that need one are skipped)')
    .option('--split <name>', 'split of --data (default: train)')
    .option('--json', 'print the summary as JSON'))
    .action((file: string, opts: { json?: boolean; data?: string; split?: string }) =>
      runScore(file, opts.json === true, { ...(opts.data !== undefined ? { data: opts.data } : {}), ...(opts.split !== undefined ? { split: opts.split } : {}) }, rewardSourcesOf(opts)),
    );

  program
    .command('serve')
    .description('serve a model over an OpenAI-compatible API (/v1/completions with token ids and log-probs, runtime LoRA loading) as a rollout worker for rolloutKind "server" (docs/scale-out.md)')
    .requiredOption('--model <dir>', 'model folder (or hub id) to serve')
    .option('--adapter <dir>', 'PEFT adapter folder to load at start (served under its folder name)')
    .option('--host <address>', 'interface to bind (only this machine by default)', '127.0.0.1')
    .addOption(new Option('--port <int>', 'port; 0 = any free one (printed at start)').default(8000).argParser(positiveInt('--port', true)))
    .option('--served-model-name <name>', 'the base model\'s name in requests (default: the --model folder name)')
    .addOption(new Option('--quantization <kind>', 'storage of the frozen base; give the trainer\'s (train defaults to nf4) so both compute the same distribution').choices(['nf4', 'int8', 'none']).default('none'))
    .option('--backend <name>', 'tfjs backend: tensorflow, wasm or cpu (default: the fastest installed)')
    .action((opts: ServeFlags) => runServe(opts));

  addSftCommand(program);

  return program;
}

function positiveNumber(flag: string) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${flag}: expected a positive number, got "${raw}".`);
    return value;
  };
}

function positiveInt(flag: string, allowZero = false) {
  return (raw: string): number => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) throw new InvalidArgumentError(`${flag}: expected a${allowZero ? ' non-negative' : ' positive'} integer, got "${raw}".`);
    return value;
  };
}
